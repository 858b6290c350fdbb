"""verdict.py: the best strategy per objective among trusted cells, the Pareto set and the
cells to distrust, checked against the fixtures' hand-set figures (make_fixtures.py)."""

import kvbresults
import verdict
from conftest import fixture_path, run_script

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"


def only_verdict(name):
    found = verdict.verdicts(kvbresults.load(fixture_path(name)))
    assert len(found) == 1
    return found[0]


def best_of(v, objective):
    return next(b for b in v.best if b.objective == objective)


def test_each_reason_of_distrust_is_found():
    v = only_verdict("verdict.json")
    reasons = {r["strategy"]: why for r, why in v.distrusted}
    # Median TTFT p99 of 10, 8, 25, 9, 11, 500, 10.5 is 10.5: 500 / 10.5 = 47.6; one_node's
    # 25 s is over 2 x 10.5 with 3 of 4 nodes idle; idle_fine's 2 idle nodes do no harm.
    assert reasons == {
        "one_node": ["3 of 4 nodes served no request, and its service suffers for it"],
        "rejecting": ["rejected 10.0% of requests"],
        "slo_miss": ["only 30.0% of requests met the SLO"],
        "overloaded": ["TTFT p99 48x the median cell's (overloaded)"],
    }


def test_the_best_comes_from_trusted_cells_and_says_who_did_better():
    v = only_verdict("verdict.json")
    # Trusted: random ($10.00, hit 30%, p99 10 s, CV 0.04) and storage_heavy ($11.00, 40%, 8 s).
    cost = best_of(v, "cost ($ / 1K requests)")
    assert [r["strategy"] for r in cost.winners] == ["random"]
    assert (cost.value, cost.runner_value, cost.margin) == ("10.00", "11.00", "+10.0%")
    # one_node ($4), rejecting ($6) and slo_miss ($7) are cheaper but distrusted.
    assert sorted(r["strategy"] for r, _ in cost.beaten_by_distrusted) == \
        ["one_node", "rejecting", "slo_miss"]
    hit = best_of(v, "hit rate")
    assert [r["strategy"] for r in hit.winners] == ["storage_heavy"]
    assert (hit.value, hit.margin) == ("40.00%", "-7.00 pp")    # idle_fine 33%: points
    goodput = best_of(v, "goodput")   # an SLO is set: goodput is an objective
    assert goodput.value == "92.0%" and goodput.runner_up["strategy"] == "random"
    assert best_of(v, "TTFT p99").margin == "+25.0%"            # 10 vs 8 s


def test_pareto_set_includes_distrusted_cells_marked():
    v = only_verdict("verdict.json")
    # random (30%, 10 s, $10) is dominated by rejecting (35%, 9 s, $6); slo_miss (32%, 11 s,
    # $7) by rejecting; idle_fine (33%, 10.5 s, $12) by storage_heavy (40%, 8 s, $11);
    # overloaded by everything; cheapest first.
    assert [r["strategy"] for r in v.pareto] == ["one_node", "rejecting", "storage_heavy"]
    text = verdict.to_markdown(v)
    assert "`one_node` (distrusted), `rejecting` (distrusted), `storage_heavy`" in text


def test_idle_nodes_without_harm_are_a_note_not_distrust():
    v = only_verdict("verdict.json")
    assert "idle_fine" not in {r["strategy"] for r, _ in v.distrusted}
    assert v.notes[0] == ("nodes left idle, service unharmed (light load lets few nodes serve "
                          "everything): `idle_fine` 2 of 4")


def test_a_dominant_cost_term_is_named_per_cell_or_for_the_group():
    v = only_verdict("verdict.json")
    # storage_heavy: 8.25 of 11.00 = 75% storage; the only such cell: a note of its own.
    # GPU shares: 8/10, 2.75/11, 3/4, 5/6, 6/7, 16/20, 9/12: median 0.8 (network 0 everywhere).
    assert v.notes[1] == "cost terms, median share of a cell's dollars: GPU 80%, storage 20%, " \
        "network 0%"
    assert v.notes[2:] == ["`storage_heavy`: storage is 75% of its cost; its cost rank follows "
                           "that price"]
    # The same cell alone in its group: the reason covers every cell, said once.
    results = kvbresults.load(fixture_path("verdict.json"))
    results.cells = results.cells[results.cells["strategy"].isin(["storage_heavy"])]
    [alone] = verdict.verdicts(results)
    assert alone.notes[-1] == ("storage is over half the cost in 1 of 1 cells (median 75%): "
                               "the cost ranking follows the storage price more than the GPUs'")


def test_no_slo_no_goodput_and_nothing_distrusted():
    v = only_verdict("mixed.json")   # realistic cells of mixed.json: no goodput, no SLO
    assert v.distrusted == []
    assert [b.objective for b in v.best] == ["hit rate", "TTFT p99", "cost ($ / 1K requests)",
                                             "load balance (CV)"]
    assert best_of(v, "TTFT p99").winners[0]["strategy"] == KVCC
    assert best_of(v, "cost ($ / 1K requests)").value == "6.50"
    assert [r["strategy"] for r in v.pareto] == ["prefix_greedy", KVCC]
    assert v.notes[0].startswith("no SLO set")


def test_ties_are_cells_equal_as_shown():
    results = kvbresults.load(fixture_path("verdict.json"))
    cells = results.cells
    cells.loc[cells["strategy"] == "storage_heavy", "hit_rate"] = 0.330001  # shows as 33.00%
    [v] = verdict.verdicts(results)
    hit = best_of(v, "hit rate")
    assert sorted(r["strategy"] for r in hit.winners) == ["idle_fine", "storage_heavy"]
    assert hit.runner_up["strategy"] == "random" and hit.margin == "-3.00 pp"


def test_cli_prints_markdown_and_says_when_there_is_nothing_to_judge():
    done = run_script("verdict.py", fixture_path("verdict.json"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## Verdict")
    assert "- **cost ($ / 1K requests)**: `random` (10.00); next `storage_heavy` 11.00 (+10.0%)" \
        in done.stdout
    seed_only = run_script("verdict.py", fixture_path("failed.json"))
    assert seed_only.returncode == 0
    assert seed_only.stdout.startswith("no realistic cells")
    bad = run_script("verdict.py", fixture_path("malformed_not_json.json"))
    assert bad.returncode == 2 and "not JSON" in bad.stderr
