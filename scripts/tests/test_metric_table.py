"""The metric table: scripts read it from a result file's `metrics` section, fall back to
the built-in copy for older files, and derive directions and fractions from it."""

import copy
import math
import subprocess

import pytest

import compare
import kvbresults
import tables
from conftest import fixture_path, load_fixture, run_script, write_json


def with_metrics(document, overrides=None):
    """The document with a `metrics` section: the built-in table, some rows overridden."""
    doc = copy.deepcopy(document)
    overrides = overrides or {}
    doc["metrics"] = []
    for m in kvbresults.BUILTIN_METRICS.values():
        row = {"name": m.name, "unit": m.unit, "better": m.better, "fraction": m.fraction,
               "section": "cache", "counter": m.counter, "integer": False, "description": "d"}
        row.update(overrides.get(m.name, {}))
        doc["metrics"].append(row)
    return doc


def test_old_files_use_the_builtin_table(mixed_document):
    results = kvbresults.load_document("old.json", mixed_document)
    assert "metrics" not in mixed_document
    assert results.metrics == kvbresults.BUILTIN_METRICS
    assert results.metrics["hit_rate"].better == "higher"
    assert results.metrics["hit_rate"].fraction
    assert results.metrics["usd_per_1k_requests"].better == "lower"


def test_a_files_own_section_wins(mixed_document):
    doc = with_metrics(mixed_document, {"hit_rate": {"better": "lower"}})
    results = kvbresults.load_document("new.json", doc)
    assert results.metrics["hit_rate"].better == "lower"
    assert tables.better_of("hit_rate", results.metrics) == "min"
    thresholds = {t.metric: t for t in compare.default_thresholds(results.metrics)}
    assert thresholds["hit_rate"].worse == "higher"


def test_a_malformed_section_is_an_error(mixed_document):
    doc = copy.deepcopy(mixed_document)
    doc["metrics"] = [{"name": "x"}]
    with pytest.raises(kvbresults.ResultsError, match="metrics\\[0\\]: missing unit"):
        kvbresults.load_document("bad.json", doc)
    doc["metrics"] = [{"name": "x", "unit": "s", "better": "up", "fraction": False,
                       "counter": True}]
    with pytest.raises(kvbresults.ResultsError, match="better"):
        kvbresults.load_document("bad.json", doc)


def test_old_per_cell_keys_read_as_todays():
    old = {"cache": {"block_hit_rate": 0.5, "token_hit_rate": 0.4},
           "balance": {"concentration": 0.3, "requests_cv": 0.2},
           "cost": {"dollars_per_1000_requests": 12.0, "gpu_busy_s": 3.0},
           "seed_scores": {"traditional": 1.5}, "windows": []}
    new = kvbresults.upgraded_cell_result(old)
    assert new["cache"] == {"hit_rate": 0.5, "token_hit_rate": 0.4}
    assert new["balance"]["load_cv"] == 0.2
    assert new["cost"] == {"usd_per_1k_requests": 12.0, "gpu_seconds": 3.0}
    assert new["seed_scores"] == {"traditional_score": 1.5}
    today = {"cache": {"hit_rate": 0.5}}
    assert kvbresults.upgraded_cell_result(today) == today


def test_directions_of_the_default_thresholds_come_from_the_table():
    by_metric = {t.metric: t for t in compare.DEFAULT_THRESHOLDS}
    assert by_metric["hit_rate"].worse == "lower"
    assert by_metric["ttft_p99_s"].worse == "higher"
    assert by_metric["traditional_score"].worse == "lower"
    assert "slo_attainment" in compare.FRACTIONS and "ttft_p99_s" not in compare.FRACTIONS


def test_a_table_metric_needs_no_direction_in_an_override():
    t = compare.apply_override(compare.DEFAULT_THRESHOLDS, "gini=0.01")
    assert {x.metric: x for x in t}["gini"].worse == "higher"
    with pytest.raises(ValueError, match="no default"):
        compare.apply_override(compare.DEFAULT_THRESHOLDS, "evictions=5%")  # no direction


def test_exact_flags_any_change_of_any_counter(tmp_path, mixed_document):
    base = write_json(tmp_path / "base.json", mixed_document)
    same = run_script("compare.py", "--exact", base, base)
    assert same.returncode == 0, same.stdout + same.stderr
    changed = copy.deepcopy(mixed_document)
    entry = next(b for b in changed["benchmarks"] if "evictions" in b)
    entry["evictions"] += 1  # a metric with no better direction and no default threshold
    new = write_json(tmp_path / "new.json", changed)
    assert run_script("compare.py", base, new).returncode == 0
    exact = run_script("compare.py", "--exact", base, new)
    assert exact.returncode == 1
    assert "evictions" in exact.stdout


# The earlier simulator's table (hit, concentration): worst hit rate 0.125; by hand:
#   (0.125, 0.25): 0 x 100 x 100 - (100 - 25) = -75
#   (0.5, 1.0): 0.375 x 100 x 100 - 0 = 3750
#   (0.375, 0.5): 0.25 x 100 x 100 - 50 = 2450; at 10:1: -75, 375, 200.
@pytest.mark.parametrize("ratio,expected", [((100, 1), [-75, 3750, 2450]),
                                            ((10, 1), [-75, 375, 200])])
def test_seed_net_benefit_by_hand(ratio, expected):
    rows = [(0.125, 0.25), (0.5, 1.0), (0.375, 0.5)]
    worst = min(h for h, _ in rows)
    got = [tables.seed_net_benefit(h, c, worst, ratio) for h, c in rows]
    assert got == pytest.approx(expected)
    # The balance term as printed: more concentration, less penalty.
    assert tables.seed_net_benefit(0.3, 0.9, 0.3, (100, 1)) > \
        tables.seed_net_benefit(0.3, 0.3, 0.3, (100, 1))


def test_traditional_score_is_the_cells_own():
    assert tables.traditional_score({"traditional_score": 0.0, "hit_rate": 0.5,
                                     "concentration": 0.0}) == 0.0
    assert tables.traditional_score({"traditional_score": math.nan, "hit_rate": 0.5,
                                     "concentration": 0.25}) == 2.0
    assert tables.traditional_score({"hit_rate": 0.5, "concentration": 0.0}) == 0.0
