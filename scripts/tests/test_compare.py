"""compare.py: exit codes (regression 1, unchanged 0, bad input 2), one-sided and failed
cells listed, thresholds and their overrides, timing with the Mann-Whitney U test."""

import copy
import json

import pytest

from conftest import cell_entry, fixture_path, load_fixture, run_main, run_script, write_json
import compare
import kvbresults

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"


def run_compare(base, new, *flags):
    """compare.py in-process (the command itself runs in test_output_file_and_bad_input)."""
    return run_main(compare, base, new, *flags)


def test_unchanged_rerun_passes():
    done = run_compare(fixture_path("mixed.json"), fixture_path("mixed.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "**OK**: no regression" in done.stdout
    # 6 cells x 13 default metrics, every one of them present.
    assert "78 metric comparisons within their thresholds." in done.stdout


def test_injected_hit_rate_regression_fails(tmp_path, mixed_document):
    entry = cell_entry(mixed_document, "prefix_greedy", "real4")
    entry["hit_rate"] = 0.49  # 0.50 -> 0.49: -1 pp, past the +-0.5 pp threshold, lower is worse
    new = write_json(tmp_path / "new.json", mixed_document)
    done = run_script("compare.py", fixture_path("mixed.json"), new)   # as nightly runs it
    assert done.returncode == 1, done.stdout
    assert "**REGRESSION**: 1 metric regression(s) in 1 cell(s)" in done.stdout
    regressions = done.stdout.split("## Regressions")[1].split("## Improvements")[0]
    assert (f"| `{entry['name']}` | hit_rate | 50.00% | 49.00% | -1.00 pp | ±0.5 pp | lower |"
            in regressions)


def test_change_within_threshold_passes(tmp_path, mixed_document):
    cell_entry(mixed_document, "prefix_greedy", "real4")["hit_rate"] = 0.497   # -0.3 pp
    cell_entry(mixed_document, "random", "real4")["ttft_p99_s"] = 20.8         # +4% (< 5%)
    done = run_compare(fixture_path("mixed.json"), write_json(tmp_path / "n.json", mixed_document))
    assert done.returncode == 0, done.stdout


def test_relative_regression_and_improvement(tmp_path, mixed_document):
    # TTFT p99 of random on real4: 20 s -> 22 s is +10% (> 5%, higher is worse): regression.
    cell_entry(mixed_document, "random", "real4")["ttft_p99_s"] = 22.0
    # $ per 1K of kvcc: 7.54 -> 7.00 is -7.2% (past 2%, lower is better): improvement only.
    cell_entry(mixed_document, KVCC, "real4")["usd_per_1k_requests"] = 7.00
    base = kvbresults.load(fixture_path("mixed.json"))
    new = kvbresults.load(write_json(tmp_path / "n.json", mixed_document))
    result = compare.compare(base, new)
    assert [(d.metric, round(100 * d.relative, 1)) for d in result.regressions] == [("ttft_p99_s", 10.0)]
    assert [(d.metric, round(100 * d.relative, 1)) for d in result.improvements] == \
        [("usd_per_1k_requests", -7.2)]
    assert result.failing()


def test_threshold_override_lets_a_change_pass(tmp_path, mixed_document):
    cell_entry(mixed_document, "prefix_greedy", "real4")["hit_rate"] = 0.49   # -1 pp
    new = write_json(tmp_path / "n.json", mixed_document)
    assert run_compare(fixture_path("mixed.json"), new, "--threshold", "hit_rate=2pp").returncode == 0
    assert run_compare(fixture_path("mixed.json"), new, "--threshold", "hit_rate=off").returncode == 0
    # As a relative threshold: 0.49 vs 0.50 is -2%, past 1%.
    assert run_compare(fixture_path("mixed.json"), new, "--threshold", "hit_rate=1%").returncode == 1


def test_threshold_for_a_new_metric_needs_a_direction(tmp_path, mixed_document):
    cell_entry(mixed_document, "random", "seed4")["evictions"] = 200   # 100 -> 200: +100%
    new = write_json(tmp_path / "n.json", mixed_document)
    bad = run_compare(fixture_path("mixed.json"), new, "--threshold", "evictions=10%")
    assert bad.returncode == 2 and "say which way is worse" in bad.stderr
    done = run_compare(fixture_path("mixed.json"), new, "--threshold", "evictions=10%:higher")
    assert done.returncode == 1 and "| evictions |" in done.stdout


def test_threshold_parsing():
    assert compare.parse_threshold_value("0.5pp") == ("abs", pytest.approx(0.005))
    assert compare.parse_threshold_value("5%") == ("rel", pytest.approx(0.05))
    assert compare.parse_threshold_value("0.01") == ("abs", 0.01)
    with pytest.raises(ValueError):
        compare.parse_threshold_value("five")


def test_relative_change_from_zero():
    t = compare.Threshold("transfer_bytes", "rel", 0.05, "higher")
    assert compare.judge(t, 0.0, 0.0) == "within"
    assert compare.judge(t, 0.0, 1.0e6) == "regression"   # from 0: an infinite relative change
    assert compare.judge(t, 1.0e6, 0.0) == "improvement"


def test_one_sided_cells_are_listed(tmp_path, mixed_document):
    gone = cell_entry(mixed_document, "random", "seed4")
    mixed_document["benchmarks"].remove(gone)
    added = copy.deepcopy(cell_entry(mixed_document, "prefix_greedy", "seed4"))
    added["name"] = added["run_name"] = added["name"].replace("prefix_greedy", "dynamo")
    added["label"] = ""
    mixed_document["benchmarks"].append(added)
    done = run_compare(fixture_path("mixed.json"), write_json(tmp_path / "n.json", mixed_document))
    assert done.returncode == 0, done.stdout      # listed, not a regression
    assert "5 cells in both, 1 only in base, 1 only in new" in done.stdout
    assert f"- only in base: `{gone['name']}`" in done.stdout
    assert f"- only in new: `{added['name']}`" in done.stdout


def test_failed_cells_are_listed_and_a_new_failure_fails():
    base = fixture_path("mixed.json")
    failed = fixture_path("failed.json")
    done = run_compare(base, failed)
    assert done.returncode == 1
    assert "1 newly failed cell(s)" in done.stdout
    assert f"`fixture/strategy={KVCC}/cluster=seed4/" in done.stdout
    assert "| new | cell time limit of 60 s exceeded |" in done.stdout
    # Failed in both files: listed (twice, one per file) but not a new failure.
    both = run_compare(failed, failed)
    assert both.returncode == 0
    assert both.stdout.count("cell time limit of 60 s exceeded") == 2


def test_timing_mann_whitney_with_nine_repetitions():
    base = kvbresults.load(fixture_path("timing_base.json"))
    new = kvbresults.load(fixture_path("timing_new.json"))
    result = compare.compare(base, new)
    timing = {t.cell.split("/")[1]: t for t in result.timings}
    slow, same = timing["strategy=prefix_greedy"], timing["strategy=random"]
    # prefix_greedy: every new repetition (25.5-26.8 ms) is slower than every base one
    # (19.6-20.6 ms): U = 0, the smallest two-sided p-value for 9 vs 9 repetitions.
    assert slow.meaningful() and slow.p_value < 0.001
    assert slow.base_median == pytest.approx(0.0202) and slow.new_median == pytest.approx(0.0263)
    # random: the same nine values, reordered -> p = 1 (no difference).
    assert same.p_value == pytest.approx(1.0)
    assert not result.failing()   # timing is reported, not gated, by default
    gated = compare.compare(base, new, fail_on_time=0.10)
    assert [t.cell for t in gated.slowdowns] == [slow.cell]   # +30% > 10%, p < 0.05


def test_timing_fewer_than_nine_repetitions_is_said(tmp_path):
    documents = []
    for name in ("timing_base.json", "timing_new.json"):
        document = load_fixture(name)
        # Keep repetitions 0-2 only.
        document["benchmarks"] = [e for e in document["benchmarks"]
                                  if e.get("run_type") != "iteration" or e.get("repetition_index", 0) < 3
                                  or e["name"].endswith("/matrix")]
        documents.append(write_json(tmp_path / name, document))
    done = run_compare(*documents, "--fail-on-time", "10%")
    assert done.returncode == 0, done.stdout   # not meaningful: never gates
    assert "only 3 repetitions (< 9): the U test is not meaningful" in done.stdout
    # Single runs (metrics mode): no test at all, said once for every row.
    single = run_compare(fixture_path("mixed.json"), fixture_path("mixed.json"))
    assert "one run per file: no U test" in single.stdout


def test_timing_cli_reports_significance():
    done = run_compare(fixture_path("timing_base.json"), fixture_path("timing_new.json"))
    assert done.returncode == 0
    line = next(l for l in done.stdout.splitlines() if "strategy=prefix_greedy" in l and "| 20.2 |" in l)
    assert "| +30.2% | 9/9 |" in line and "significant at 0.05" in line
    gated = run_compare(fixture_path("timing_base.json"), fixture_path("timing_new.json"),
                        "--fail-on-time", "10%")
    assert gated.returncode == 1 and "significant slowdown" in gated.stdout


def test_context_differences_are_shown(tmp_path, mixed_document):
    mixed_document["context"]["config_hash"] = "ffffffffffffffff"
    done = run_compare(fixture_path("mixed.json"), write_json(tmp_path / "n.json", mixed_document))
    assert "## Context differences" in done.stdout
    assert "| config_hash | 00112233445566ff | ffffffffffffffff |" in done.stdout


def test_output_file_and_bad_input(tmp_path):
    out = tmp_path / "cmp.md"
    done = run_script("compare.py", fixture_path("mixed.json"), fixture_path("mixed.json"), "-o", out)
    assert done.returncode == 0 and done.stdout.strip() == "OK: no regression"
    assert out.read_text().startswith("# kvbench compare")
    bad = run_script("compare.py", fixture_path("mixed.json"), fixture_path("malformed_no_name.json"))
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith('malformed_no_name.json: benchmarks[1]: entry has no "name"')


# ---- Pairing by a parameter, and nothing to compare. ----

PAIRED_METRICS = [m for m, _, _ in compare.DEFAULT_THRESHOLD_VALUES]


def test_disjoint_names_say_nothing_compared(tmp_path, mixed_document):
    text = json.dumps(mixed_document).replace("fixture/", "other/")
    new = tmp_path / "other.json"
    new.write_text(text)
    done = run_compare(fixture_path("mixed.json"), str(new))
    assert done.returncode == 2, done.stdout
    assert "nothing compared: no cell name is in both files" in done.stderr
    assert "fixture/strategy=random/cluster=seed4" in done.stderr   # names from each side
    assert "other/strategy=random/cluster=seed4" in done.stderr


def test_pair_within_one_file_compares_the_two_strategies(tmp_path, mixed_document):
    # prefix_greedy's cells made equal to random's: an A/B with no difference.
    for cluster in ("seed4", "real4"):
        a, b = cell_entry(mixed_document, "random", cluster), cell_entry(mixed_document,
                                                                         "prefix_greedy", cluster)
        for metric in PAIRED_METRICS:
            if metric in a:
                b[metric] = a[metric]
    same = write_json(tmp_path / "same.json", mixed_document)
    done = run_compare(same, same, "--pair", "strategy=random", "strategy=prefix_greedy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 cells in both, 0 only in base, 0 only in new" in done.stdout
    assert "**OK**: no regression" in done.stdout
    # Then prefix_greedy loses 1 pp of hit rate on real4: a regression of the pair.
    cell_entry(mixed_document, "prefix_greedy", "real4")["hit_rate"] -= 0.01
    worse = write_json(tmp_path / "worse.json", mixed_document)
    done = run_compare(worse, worse, "--pair", "strategy=random", "strategy=prefix_greedy")
    assert done.returncode == 1, done.stdout
    assert ("| `strategy: random -> prefix_greedy; matrix=fixture cluster=real4 trace=conv "
            "prices=default rate_scale=1 seed=1` | hit_rate |") in done.stdout


def test_pair_across_files_and_numbers_compare_as_numbers(tmp_path, mixed_document):
    renamed = json.loads(json.dumps(mixed_document).replace("prefix_greedy", "greedy2"))
    new = write_json(tmp_path / "new.json", renamed)
    done = run_compare(fixture_path("mixed.json"), new,
                       "--pair", "strategy=prefix_greedy", "strategy=greedy2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 cells in both" in done.stdout
    # rate_scale=1 and 1.0 are one value: the file against itself by rate scale pairs all 6.
    done = run_compare(fixture_path("mixed.json"), fixture_path("mixed.json"),
                       "--pair", "rate_scale=1", "rate_scale=1.0")
    assert "6 cells in both" in done.stdout, done.stdout + done.stderr
    # A value no cell has: nothing compared, exit 2.
    done = run_compare(fixture_path("mixed.json"), new, "--pair", "strategy=random",
                       "strategy=dynamo")
    assert done.returncode == 2
    assert ("nothing compared: no cell with strategy=random in base pairs with one with "
            "strategy=dynamo in new") in done.stderr


def test_config_difference_is_shown_field_by_field(tmp_path, mixed_document):
    mixed_document["context"]["config_hash"] = "ffeeddccbbaa0099"
    config = mixed_document["kvbench"]["matrices"][0]["config"]
    config["strategies"][1] = "prefix_greedy"  # unchanged
    config["clusters"] = [{"name": "seed4", "nodes": 8}]
    new = write_json(tmp_path / "new.json", mixed_document)
    done = run_compare(fixture_path("mixed.json"), new)
    assert "| config_hash | 00112233445566ff | ffeeddccbbaa0099 |" in done.stdout
    assert "| config: clusters[0].name | – | seed4 |" in done.stdout
    assert "| config: clusters[0].nodes | – | 8 |" in done.stdout
    assert "config: strategies" not in done.stdout


@pytest.mark.parametrize("pair, message", [
    (("strat=random", "strat=x"), "--pair: unknown key 'strat'"),
    (("strategy=random", "cluster=x"), "--pair: both sides must name one key"),
    (("strategy", "strategy=x"), "--pair: expected KEY=VALUE, got 'strategy'"),
])
def test_bad_pair_is_a_usage_error(pair, message):
    done = run_script("compare.py", fixture_path("mixed.json"), fixture_path("mixed.json"),
                      "--pair", *pair)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_metric_neither_file_measured_is_not_listed(tmp_path, mixed_document):
    # goodput is NaN (null) in both files, as without an SLO; hit_rate is null in the new one.
    base, new = copy.deepcopy(mixed_document), copy.deepcopy(mixed_document)
    for doc in (base, new):
        for entry in doc["benchmarks"]:
            if "/matrix" not in entry["name"]:
                entry["goodput"] = None
    cell_entry(new, "random", "real4")["hit_rate"] = None
    write_json(tmp_path / "b.json", base)
    write_json(tmp_path / "n.json", new)
    done = run_compare(tmp_path / "b.json", tmp_path / "n.json", "--exact")
    assert done.returncode == 0, done.stdout
    missing = done.stdout.split("## Metrics missing in one file")[1]
    assert "| hit_rate |" in missing and "goodput" not in missing
