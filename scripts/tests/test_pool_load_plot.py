"""plots.py pool_load_over_time: drawn for a disaggregated cell (prefill and decode pools
summed from its windows' queue lengths), skipped for an aggregated one, and absent from
make_plots when no chosen cell is disaggregated."""

import copy

import pytest

from conftest import write_json
import kvbresults
import plots

# Windows of one disaggregated cell: 2 prefill nodes, then 3 decode nodes.
PD_QUEUES = [[4, 1, 0, 2, 1], [6, 3, 1, 1, 0], [2, 0, 5, 4, 3], [0, 0, 2, 2, 2]]
AGG_QUEUES = [[3, 2, 1, 0, 0], [1, 1, 1, 1, 1], [0, 2, 0, 2, 0], [0, 0, 0, 0, 0]]


def cluster(name, shape, nodes, decode_nodes=None):
    c = {"name": name, "mode": "realistic", "nodes": nodes, "capacity": "3Mtokens",
         "eviction": "lru", "scope": "local", "shape": shape,
         "profile": "llama3-70b_8xa800_paper", "ttft_slo_s": 30.0, "tbt_slo_s": 0.1}
    if decode_nodes is not None:
        c.update({"decode_nodes": decode_nodes, "decode_selector": "least_loaded",
                  "early_rejection": "none"})
    return c


def cell(key, cluster_name, router_nodes, queues):
    windows = [{"start": 60.0 * i, "arrivals": 5, "rejected": 0, "served": 5,
                "block_refs": 10, "hit_blocks": 2, "ttft_sum_s": 3.0, "resident_blocks": 0,
                "replica_blocks": 0, "queue_length": q, "hbm_utilisation": 0.1,
                "batch_size": 2.0, "heat_key_accesses": []} for i, q in enumerate(queues)]
    result = {"requests": 20, "served": 20, "rejected": 0, "window_s": 60.0,
              "windows": windows,
              "nodes": [{"requests": 10, "busy_s": 1.0, "block_refs": 5, "hit_blocks": 1}
                        for _ in range(router_nodes)]}
    return {"matrix": "m", "key": key, "strategy": "least_loaded", "cluster": cluster_name,
            "mode": "realistic", "nodes": router_nodes, "capacity_blocks": 5859,
            "eviction": "lru", "scope": "local", "profile": "llama3-70b_8xa800_paper",
            "trace": "t", "prices": "profile", "rate_scale": 2.0, "seed": 1, "error": "",
            "result": result}


def document():
    """A result file of two cells: pd2x3 (disaggregated) and agg5 (aggregated), the same 5
    GPUs nodes each."""
    keys = {"pd": "strategy=least_loaded/cluster=pd2x3/trace=t/prices=profile/rate_scale=2/seed=1",
            "agg": "strategy=least_loaded/cluster=agg5/trace=t/prices=profile/rate_scale=2/seed=1"}
    benchmarks = [{"name": f"m/{k}", "run_name": f"m/{k}", "run_type": "iteration",
                   "repetitions": 1, "repetition_index": 0, "threads": 1, "iterations": 1,
                   "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ms",
                   "goodput": 0.9, "hit_rate": 0.2}
                  for k in keys.values()]
    config = {"name": "m", "clusters": [cluster("pd2x3", "disaggregated", 2, 3),
                                        cluster("agg5", "aggregated", 5)]}
    cells = {"aaaaaaaaaaaa": cell(keys["pd"], "pd2x3", 2, PD_QUEUES),
             "bbbbbbbbbbbb": cell(keys["agg"], "agg5", 5, AGG_QUEUES)}
    return {"context": {"date": "2026-01-01"}, "benchmarks": benchmarks,
            "kvbench": {"format": 1, "matrices": [{"name": "m", "file": "m.json",
                                                   "config": config}],
                        "cells": cells}}


@pytest.fixture()
def results(tmp_path):
    return kvbresults.load(write_json(tmp_path / "pool.json", document()))


def chosen(results, cluster_names):
    rows = [dict(r) for _, r in results.cells.iterrows() if r["cluster"] in cluster_names]
    return [(r, results.result_of(r["name"])) for r in rows]


def test_pool_sizes_come_from_the_cluster_config(results):
    (pd_row, pd_result), = chosen(results, {"pd2x3"})
    (agg_row, agg_result), = chosen(results, {"agg5"})
    assert plots.pool_sizes(results, pd_row, pd_result) == (2, 3)
    assert plots.pool_sizes(results, agg_row, agg_result) is None
    # Without the matrix config, the result alone tells: more queues than router nodes.
    bare = copy.copy(results)
    bare.kvbench = {}
    assert plots.pool_sizes(bare, pd_row, pd_result) == (2, 3)
    assert plots.pool_sizes(bare, agg_row, agg_result) is None


def test_plotted_series_are_the_pools_summed_queues(results):
    plot = plots.pool_load_plot(results, chosen(results, {"pd2x3", "agg5"}))
    try:
        assert plot.figure is not None and plot.stem == "pool_load_over_time"
        axes = [ax for ax in plot.figure.axes if ax.get_visible()]
        assert len(axes) == 1  # the aggregated cell has no panel
        assert "pd2x3" in axes[0].get_title()
        prefill = [sum(q[:2]) for q in PD_QUEUES]   # 5, 9, 2, 0
        decode = [sum(q[2:]) for q in PD_QUEUES]    # 3, 2, 12, 6
        lines = axes[0].get_lines()
        assert [list(line.get_xdata()) for line in lines] == [[0.0, 60.0, 120.0, 180.0]] * 2
        assert list(lines[0].get_ydata()) == pytest.approx([100 * v / max(prefill) for v in prefill])
        assert list(lines[1].get_ydata()) == pytest.approx([100 * v / max(decode) for v in decode])
        assert "prefill" in lines[0].get_label() and "100% = 9 requests" in lines[0].get_label()
        assert "decode" in lines[1].get_label() and "100% = 12 requests" in lines[1].get_label()
        x, p, d, sizes = plots.pool_load_series(results, *chosen(results, {"pd2x3"})[0])
        assert (p, d, sizes) == (prefill, decode, (2, 3))
        r = plots.pearson(prefill, decode)
        # By hand: means 4 and 5.75; cross-product sum -35, squares 46 and 60.75 -> -0.6621.
        assert r == pytest.approx(-35 / (46 * 60.75) ** 0.5) and r == pytest.approx(-0.6621, abs=1e-4)
        assert any(f"{r:+.2f}" in t.get_text() for t in axes[0].texts)
    finally:
        plots.close_all([plot])


def test_skipped_for_aggregated_cells_only(results):
    plot = plots.pool_load_plot(results, chosen(results, {"agg5"}))
    assert plot.figure is None and "no disaggregated cell" in plot.note
    # make_plots lists the pool plot only when a chosen cell is disaggregated.
    only_agg = plots.make_plots(results, plots.PlotOptions(cells="cluster=agg5"))
    both = plots.make_plots(results)
    try:
        assert "pool_load_over_time" not in [p.stem for p in only_agg]
        made = {p.stem: p for p in both}
        assert made["pool_load_over_time"].figure is not None
    finally:
        plots.close_all(only_agg + both)
