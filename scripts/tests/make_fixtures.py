#!/usr/bin/python3
"""Writes the hand-made result files in fixtures/ (run it after editing the numbers below).

Every figure the tests check by hand is written here literally; derived counters follow the
engine's definitions (hit_rate = hit_blocks / block_refs, usd_per_1k_requests = (gpu_usd +
storage_usd + network_usd) / requests * 1000, traditional_score = hit_rate / concentration).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"

CONTEXT = {
    "date": "2026-11-24T04:00:00+00:00", "host_name": "fixture", "executable": "bench/kvbench",
    "num_cpus": 2, "mhz_per_cpu": 2445, "cpu_scaling_enabled": False,
    "caches": [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}],
    "load_avg": [0.5, 0.4, 0.3], "library_build_type": "release",
    "kvbench_version": "0.1.0", "git_commit": "0123456789ab", "matrices": "fixture",
    "config_hash": "00112233445566ff", "config_files": "configs/smoke/fixture.json",
    "trace_digests": "conv=0123456789abcdef", "threads": "2", "mode": "metrics",
    "shard": "0/1", "mpi_ranks": "1", "cells_total": "6", "cells_run": "6", "cells_failed": "0",
}

CLUSTERS = {
    "seed4": {"mode": "seed", "nodes": 4, "capacity_blocks": 512, "eviction": "lfu", "scope": "local"},
    "real4": {"mode": "realistic", "nodes": 4, "capacity_blocks": 2048, "eviction": "lru",
              "scope": "global"},
}

# Seed mode: 3,000 requests of 10 blocks; hit rates 0.20 / 0.50 / 0.45, concentration
# 780, 1200 and 900 of 3000 requests on the busiest node.
SEED_CELLS = {
    "random": dict(hit_blocks=6000, busiest=780, load_cv=0.03),
    "prefix_greedy": dict(hit_blocks=15000, busiest=1200, load_cv=0.35),
    KVCC: dict(hit_blocks=13500, busiest=900, load_cv=0.12),
}

# Realistic: 2,000 requests of 10 blocks; dollars chosen so that $ per 1k = 8.01 / 6.50 / 7.54.
REAL_CELLS = {
    "random": dict(hit_blocks=6000, token_hit_rate=0.31, busiest=540, load_cv=0.05,
                   ttft_mean_s=2.0, ttft_p99_s=20.0, slo_attainment=0.95, gpu_seconds=900.0,
                   replica_bytes=0.0, transfer_bytes=1.0e9, gpu_usd=12.00, storage_usd=4.00,
                   network_usd=0.02),
    "prefix_greedy": dict(hit_blocks=10000, token_hit_rate=0.52, busiest=800, load_cv=0.30,
                          ttft_mean_s=3.0, ttft_p99_s=30.0, slo_attainment=0.90,
                          gpu_seconds=700.0, replica_bytes=0.0, transfer_bytes=0.0,
                          gpu_usd=8.00, storage_usd=5.00, network_usd=0.00),
    KVCC: dict(hit_blocks=9000, token_hit_rate=0.46, busiest=600, load_cv=0.10,
               ttft_mean_s=1.5, ttft_p99_s=15.0, slo_attainment=0.99, gpu_seconds=750.0,
               replica_bytes=5.0e8, transfer_bytes=4.0e9, gpu_usd=9.00, storage_usd=6.00,
               network_usd=0.08),
}


def cell_hash(matrix, key):
    """12 hex digits of FNV-1a 64 of "<matrix>/<key>" (any stable hash does for fixtures)."""
    h = 0xcbf29ce484222325
    for b in f"{matrix}/{key}".encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"[:12]


def counters(mode, requests, block_refs, c):
    """The counters of one cell, derived as the engine does."""
    hit_rate = c["hit_blocks"] / block_refs
    concentration = c["busiest"] / requests
    realistic = mode == "realistic"
    gpu, storage, network = (c.get("gpu_usd", 0.0), c.get("storage_usd", 0.0),
                             c.get("network_usd", 0.0))
    return {
        "requests": requests, "served": requests, "rejected": 0, "block_refs": block_refs,
        "hit_blocks": c["hit_blocks"], "hit_rate": hit_rate,
        "token_hit_rate": c.get("token_hit_rate", hit_rate), "fetched_blocks": 0,
        "evictions": 100, "stranded_evictions": 0, "concentration": concentration,
        "load_cv": c["load_cv"], "busy_cv": c["load_cv"], "jain_index": 0.9, "gini": 0.1,
        "ttft_mean_s": c.get("ttft_mean_s", 0.0), "ttft_p50_s": c.get("ttft_mean_s", 0.0) / 2,
        "ttft_p90_s": c.get("ttft_p99_s", 0.0) / 2, "ttft_p99_s": c.get("ttft_p99_s", 0.0),
        "ttft_max_s": c.get("ttft_p99_s", 0.0) * 1.5, "queue_wait_mean_s": c.get("ttft_mean_s", 0.0) / 4,
        "queue_wait_p99_s": c.get("ttft_p99_s", 0.0) / 4,
        "slo_attainment": c.get("slo_attainment", 1.0 if realistic else 0.0),
        "makespan_s": 180.0 if realistic else 0.0,
        "gpu_seconds": c.get("gpu_seconds", 0.0), "gpu_seconds_no_reuse": 1500.0 if realistic else 0.0,
        "gpu_seconds_saved": 1500.0 - c.get("gpu_seconds", 0.0) if realistic else 0.0,
        "cached_gb_hours": 100.0 if realistic else 0.0, "replica_gb_hours": 1.0 if realistic else 0.0,
        "replica_blocks": 12.0, "replica_bytes": c.get("replica_bytes", 0.0),
        "transfer_bytes": c.get("transfer_bytes", 0.0),
        "gpu_usd": gpu, "storage_usd": storage, "network_usd": network,
        "usd_per_1k_requests": (gpu + storage + network) / requests * 1000,
        "replicas_created": 3, "copies": 0, "copied_blocks": 0, "copies_refused": 0,
        "fetches_dropped": 0, "peak_holders": 2, "traditional_score": hit_rate / concentration,
    }


def percentiles(p99):
    """101 TTFT percentiles rising to p99 at 99 and 1.5 x p99 at 100."""
    values = [p99 * (i / 99.0) ** 3 for i in range(100)]
    return values + [p99 * 1.5]


def per_cell_result(mode, cnt, strategy_index):
    """A small per-cell result object: 3 windows, 4 nodes, tracked and heat keys."""
    realistic = mode == "realistic"
    nodes = 4
    windows = []
    for w in range(3):
        queue = [(w + n + strategy_index) % 5 for n in range(nodes)] if realistic else \
                [min(100, 25 * (w + 1) + n) for n in range(nodes)]
        windows.append({
            "start": 60.0 * w if realistic else 1000.0 * w,
            "arrivals": cnt["requests"] // 3, "rejected": 0, "served": cnt["requests"] // 3,
            "block_refs": cnt["block_refs"] // 3, "hit_blocks": cnt["hit_blocks"] // 3,
            "ttft_sum_s": cnt["ttft_mean_s"] * cnt["requests"] / 3,
            "resident_blocks": 1000 * (w + 1), "replica_blocks": 4 * w,
            "queue_length": queue, "heat_key_accesses": [300 - 50 * w, 100 + 40 * w, 20 * w],
        })
    tracked = [{"rank": r, "id": 1000 + r, "accesses": 3000 // r,
                "holders": ([1, 2, 2, 3, 3, 4, 4] if r == 10 else [1, 1, 2, 2, 2, 1, 1]
                            if r == 100 else [0, 1, 1, 1, 0, 0, 1]) if realistic else []}
               for r in (1, 10, 100, 1000)]
    return {
        "requests": cnt["requests"], "served": cnt["served"], "rejected": 0,
        "cache": {"block_refs": cnt["block_refs"], "hit_blocks": cnt["hit_blocks"],
                  "block_hit_rate": cnt["hit_rate"], "token_hit_rate": cnt["token_hit_rate"]},
        "balance": {"concentration": cnt["concentration"], "requests_cv": cnt["load_cv"]},
        "latency": {"ttft_mean_s": cnt["ttft_mean_s"], "ttft_p99_s": cnt["ttft_p99_s"],
                    "ttft_percentiles_s": percentiles(cnt["ttft_p99_s"]) if realistic else []},
        "cost": {"dollars_per_1000_requests": cnt["usd_per_1k_requests"]},
        "replication": {"replicas_created": 3, "peak_holders": 2},
        "seed_scores": {"traditional": cnt["traditional_score"]},
        "nodes": [{"requests": cnt["requests"] // 4, "busy_s": 10.0, "block_refs": 10,
                   "hit_blocks": 5, "resident_blocks_end": 100} for _ in range(nodes)],
        "window_s": 60.0 if realistic else 0.0, "windows": windows,
        "sample_period_s": 30.0, "tracked_keys": tracked,
        "heat_keys": [{"rank": 1, "id": 7, "accesses": 750, "chain_first_id": 7, "chain_length": 1},
                      {"rank": 2, "id": 42, "accesses": 420, "chain_first_id": 31,
                       "chain_length": 12},
                      {"rank": 3, "id": 99, "accesses": 60, "chain_first_id": 99,
                       "chain_length": 1}],
        "hot_prefixes": [],
    }


def gbench_entry(matrix, key, index, cnt, real_time_ms, repetitions=1, repetition=0):
    name = f"{matrix}/{key}"
    entry = {"name": name, "family_index": index, "per_family_instance_index": 0,
             "run_name": name, "run_type": "iteration", "repetitions": repetitions,
             "repetition_index": repetition, "threads": 1, "iterations": 1,
             "real_time": real_time_ms, "cpu_time": real_time_ms * 0.98, "time_unit": "ms",
             "label": f"cell={cell_hash(matrix, key)}"}
    entry.update(cnt)
    return entry


def cell_key(strategy, cluster, trace="conv", prices="default", rate_scale="1", seed="1"):
    return (f"strategy={strategy}/cluster={cluster}/trace={trace}/prices={prices}"
            f"/rate_scale={rate_scale}/seed={seed}")


def kvbench_cell(matrix, key, strategy, cluster, cluster_info, result, error=""):
    return {"matrix": matrix, "key": key, "strategy": strategy, "cluster": cluster,
            **cluster_info, "trace": "conv", "prices": "default", "rate_scale": 1, "seed": 1,
            "error": error, "result": result}


def matrix_entry(matrix, cells, failed, wall_ms):
    return {"name": f"{matrix}/matrix", "family_index": 99, "per_family_instance_index": 0,
            "run_name": f"{matrix}/matrix", "run_type": "iteration", "repetitions": 1,
            "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": wall_ms,
            "cpu_time": wall_ms * 1.9, "time_unit": "ms", "label": "matrix", "cells": cells,
            "cells_failed": failed, "cells_per_s": cells / (wall_ms / 1000.0),
            "block_refs_per_s": 1.5e8}


def mixed_document():
    """2 clusters x 3 strategies, every cell complete."""
    matrix = "fixture"
    benchmarks, cells = [], {}
    index = 0
    for cluster, table, requests in (("seed4", SEED_CELLS, 3000), ("real4", REAL_CELLS, 2000)):
        info = CLUSTERS[cluster]
        for s_index, (strategy, numbers) in enumerate(table.items()):
            key = cell_key(strategy, cluster)
            cnt = counters(info["mode"], requests, requests * 10, numbers)
            benchmarks.append(gbench_entry(matrix, key, index, cnt, 10.0 + index))
            cells[cell_hash(matrix, key)] = kvbench_cell(
                matrix, key, strategy, cluster, info, per_cell_result(info["mode"], cnt, s_index))
            index += 1
    benchmarks.append(matrix_entry(matrix, 6, 0, 120.0))
    return {"context": dict(CONTEXT), "benchmarks": benchmarks,
            "kvbench": {"format": 1,
                        "matrices": [{"name": matrix, "file": "configs/smoke/fixture.json",
                                      "config": {"name": matrix, "strategies": list(SEED_CELLS)}}],
                        "cells": cells}}


def no_kvbench_document():
    """The same cells as an older run wrote them: name and counters only."""
    doc = mixed_document()
    del doc["kvbench"]
    for entry in doc["benchmarks"]:
        entry.pop("label", None)
    return doc


def failed_document():
    """Three seed cells, the third failed (no counters)."""
    doc = mixed_document()
    doc["benchmarks"] = [e for e in doc["benchmarks"] if "cluster=seed4" in e["name"]]
    failed = doc["benchmarks"][2]
    for key in list(failed):
        if key not in ("name", "family_index", "per_family_instance_index", "run_name",
                       "run_type", "repetitions", "repetition_index", "threads", "iterations",
                       "real_time", "cpu_time", "time_unit", "label"):
            del failed[key]
    failed["error_occurred"] = True
    failed["error_message"] = "cell time limit of 60 s exceeded"
    doc["benchmarks"].append(matrix_entry("fixture", 3, 1, 50.0))
    doc["kvbench"]["cells"] = {h: c for h, c in doc["kvbench"]["cells"].items()
                               if c["cluster"] == "seed4"}
    bad = doc["kvbench"]["cells"][failed["label"][len("cell="):]]
    bad["error"], bad["result"] = failed["error_message"], None
    doc["context"].update(cells_total="3", cells_run="3", cells_failed="1")
    return doc


def sweep_document():
    """A capacity sweep: 3 realistic clusters differing only in capacity_blocks x 2 strategies."""
    matrix = "sweep"
    benchmarks, cells = [], {}
    hits = {"random": (2000, 4000, 6000), "prefix_greedy": (5000, 8000, 9500)}
    index = 0
    for c_index, capacity in enumerate((256, 1024, 4096)):
        cluster = f"cap{capacity}"
        info = dict(CLUSTERS["real4"], capacity_blocks=capacity, scope="local")
        for s_index, strategy in enumerate(("random", "prefix_greedy")):
            numbers = dict(REAL_CELLS[strategy], hit_blocks=hits[strategy][c_index])
            key = cell_key(strategy, cluster)
            cnt = counters("realistic", 2000, 20000, numbers)
            benchmarks.append(gbench_entry(matrix, key, index, cnt, 5.0 + index))
            cells[cell_hash(matrix, key)] = kvbench_cell(
                matrix, key, strategy, cluster, info, per_cell_result("realistic", cnt, s_index))
            index += 1
    benchmarks.append(matrix_entry(matrix, 6, 0, 40.0))
    context = dict(CONTEXT, matrices="sweep", cells_total="6", cells_run="6")
    return {"context": context, "benchmarks": benchmarks,
            "kvbench": {"format": 1, "matrices": [{"name": matrix, "file": "configs/sweep/x.json",
                                                   "config": {}}], "cells": cells}}


# The verdict's fixture: 7 realistic cells of 1,000 requests on 4 nodes with an SLO set
# (goodput present). one_node .. overloaded are distrusted for one reason each; storage_heavy's
# storage is 75% of its dollars; idle_fine leaves 2 nodes idle but serves well.
# $ per 1K: 10.00, 11.00, 4.00, 6.00, 7.00, 20.00, 12.00.
VERDICT_CELLS = {
    "random": dict(hit_blocks=3000, busiest=260, load_cv=0.04, ttft_p99_s=10.0, goodput=0.90,
                   gpu_usd=8.0, storage_usd=2.0),
    "storage_heavy": dict(hit_blocks=4000, busiest=300, load_cv=0.20, ttft_p99_s=8.0,
                          goodput=0.92, gpu_usd=2.75, storage_usd=8.25),
    "one_node": dict(hit_blocks=7000, busiest=1000, load_cv=1.73, ttft_p99_s=25.0, goodput=0.80,
                     gpu_usd=3.0, storage_usd=1.0, idle_nodes=3),
    "rejecting": dict(hit_blocks=3500, busiest=250, load_cv=0.05, ttft_p99_s=9.0, goodput=0.85,
                      gpu_usd=5.0, storage_usd=1.0, rejected=100),
    "slo_miss": dict(hit_blocks=3200, busiest=255, load_cv=0.06, ttft_p99_s=11.0, goodput=0.30,
                     slo_attainment=0.30, gpu_usd=6.0, storage_usd=1.0),
    "overloaded": dict(hit_blocks=3100, busiest=270, load_cv=0.08, ttft_p99_s=500.0,
                       goodput=0.60, gpu_usd=16.0, storage_usd=4.0),
    "idle_fine": dict(hit_blocks=3300, busiest=500, load_cv=0.9, ttft_p99_s=10.5, goodput=0.90,
                      gpu_usd=9.0, storage_usd=3.0, idle_nodes=2),
}


def verdict_document():
    matrix = "verdict"
    benchmarks, cells = [], {}
    info = dict(CLUSTERS["real4"], scope="local")
    for index, (strategy, numbers) in enumerate(VERDICT_CELLS.items()):
        key = cell_key(strategy, "real4")
        cnt = counters("realistic", 1000, 10000, numbers)
        cnt["goodput"] = numbers["goodput"]
        cnt["rejected"] = numbers.get("rejected", 0)
        cnt["served"] = 1000 - cnt["rejected"]
        benchmarks.append(gbench_entry(matrix, key, index, cnt, 5.0 + index))
        result = per_cell_result("realistic", cnt, index)
        idle = numbers.get("idle_nodes", 0)
        for n, node in enumerate(result["nodes"]):
            node["requests"] = 0 if n < idle else 1000 // (4 - idle)
        cells[cell_hash(matrix, key)] = kvbench_cell(matrix, key, strategy, "real4", info, result)
    benchmarks.append(matrix_entry(matrix, len(VERDICT_CELLS), 0, 60.0))
    context = dict(CONTEXT, matrices="verdict", cells_total="7", cells_run="7")
    return {"context": context, "benchmarks": benchmarks,
            "kvbench": {"format": 1, "matrices": [{"name": matrix, "file": "configs/x.json",
                                                   "config": {}}], "cells": cells}}


# Timing mode: real_time (ms) of 9 repetitions per cell.
TIMING_BASE = {"random": [10.0, 10.2, 9.9, 10.1, 10.3, 9.8, 10.0, 10.1, 10.2],
               "prefix_greedy": [20.0, 20.4, 19.8, 20.2, 20.6, 19.6, 20.0, 20.2, 20.4]}
# prefix_greedy 30% slower in the new run; random unchanged.
TIMING_NEW = {"random": [10.1, 10.0, 10.2, 9.9, 10.1, 10.3, 9.8, 10.0, 10.2],
              "prefix_greedy": [26.0, 26.5, 25.7, 26.3, 26.8, 25.5, 26.0, 26.3, 26.5]}


def timing_document(times):
    """--mode timing: each cell 9 times, then Google Benchmark's aggregates."""
    matrix = "timing"
    benchmarks, cells = [], {}
    for index, (strategy, reps) in enumerate(times.items()):
        key = cell_key(strategy, "seed4")
        cnt = counters("seed", 3000, 30000, SEED_CELLS[strategy])
        for r, t in enumerate(reps):
            benchmarks.append(gbench_entry(matrix, key, index, cnt, t, repetitions=len(reps),
                                           repetition=r))
        for aggregate in ("mean", "median", "stddev", "cv"):
            entry = gbench_entry(matrix, key, index, cnt, sum(reps) / len(reps),
                                 repetitions=len(reps))
            entry.update(name=f"{matrix}/{key}_{aggregate}", run_type="aggregate",
                         aggregate_name=aggregate, aggregate_unit="time")
            del entry["repetition_index"]
            benchmarks.append(entry)
        cells[cell_hash(matrix, key)] = kvbench_cell(
            matrix, key, strategy, "seed4", CLUSTERS["seed4"], per_cell_result("seed", cnt, index))
    benchmarks.append(matrix_entry(matrix, 2, 0, sum(map(sum, times.values()))))
    context = dict(CONTEXT, matrices="timing", mode="timing", cells_total="2", cells_run="2")
    return {"context": context, "benchmarks": benchmarks,
            "kvbench": {"format": 1, "matrices": [], "cells": cells}}


def write(name, document):
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(document, str):
            f.write(document)
        else:
            json.dump(document, f, indent=1)
            f.write("\n")


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    write("mixed.json", mixed_document())
    write("no_kvbench.json", no_kvbench_document())
    write("failed.json", failed_document())
    write("sweep.json", sweep_document())
    write("verdict.json", verdict_document())
    write("timing_base.json", timing_document(TIMING_BASE))
    write("timing_new.json", timing_document(TIMING_NEW))
    write("malformed_not_json.json", '{"context": {}, "benchmarks": [\n  {"name": "x",\n')
    write("malformed_no_benchmarks.json", {"context": {"date": "2026-11-24"}})
    write("malformed_no_name.json", {"context": {}, "benchmarks": [
        {"name": "m/strategy=random/cluster=c/trace=t/prices=p/rate_scale=1/seed=1",
         "run_type": "iteration", "real_time": 1.0, "time_unit": "ms", "hit_rate": 0.5},
        {"run_type": "iteration", "real_time": 1.0, "time_unit": "ms", "hit_rate": 0.5}]})


if __name__ == "__main__":
    main()
