#!/usr/bin/python3
"""Checks a kvbench result file the way google/benchmark's tools/compare.py reads one.

usage: check_result_json.py RESULT.json [--same-metrics-as OTHER.json]

compare.py (tools/gbench/util.py) loads the file with json.load, sorts "benchmarks" by
family_index, per_family_instance_index and repetition_index, and reads name, run_name,
run_type, aggregate_name, time_unit, real_time, cpu_time, iterations and repetitions.
Exits 1 with one line per problem.
"""
import json
import sys

GBENCH_FIELDS = {
    "name": str, "run_name": str, "run_type": str, "family_index": int,
    "per_family_instance_index": int, "repetitions": int, "repetition_index": int,
    "threads": int, "iterations": int, "real_time": (int, float), "cpu_time": (int, float),
    "time_unit": str,
}
CONTEXT_FIELDS = ["date", "host_name", "executable", "num_cpus", "library_build_type",
                  "kvbench_version", "git_commit", "matrices", "config_hash", "config_files",
                  "trace_digests", "threads", "mode", "shard", "mpi_ranks", "cells_total",
                  "cells_run", "cells_failed"]
CELL_COUNTERS = ["hit_rate", "token_hit_rate", "concentration", "load_cv", "ttft_mean_s",
                 "ttft_p99_s", "slo_attainment", "gpu_seconds", "replica_bytes",
                 "transfer_bytes", "usd_per_1k_requests"]


def problems_of(result):
    out = []
    for field in CONTEXT_FIELDS:
        if field not in result.get("context", {}):
            out.append(f"context.{field}: missing")
    benchmarks = result.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        return out + ["benchmarks: missing or empty"]
    # compare.py sorts by these when present (aggregate entries have no repetition_index).
    benchmarks = sorted(benchmarks, key=lambda b: (b.get("family_index", -1),
                                                   b.get("per_family_instance_index", -1),
                                                   b.get("repetition_index", -1)))
    cells = 0
    for i, b in enumerate(benchmarks):
        if b.get("run_type") == "aggregate":
            if not isinstance(b.get("aggregate_name"), str):
                out.append(f"benchmarks[{i}] ({b.get('name')}): aggregate without aggregate_name")
            continue
        for field, kind in GBENCH_FIELDS.items():
            if not isinstance(b.get(field), kind):
                out.append(f"benchmarks[{i}] ({b.get('name')}): {field}: missing or not {kind}")
        if b.get("time_unit") not in ("ns", "us", "ms", "s"):
            out.append(f"benchmarks[{i}]: time_unit {b.get('time_unit')!r}")
        label = b.get("label", "")
        if label.startswith("cell=") and b.get("run_type") == "iteration":
            cells += 1
            if b.get("error_occurred"):
                continue
            for counter in CELL_COUNTERS:
                if not isinstance(b.get(counter), (int, float)):
                    out.append(f"benchmarks[{i}] ({b['name']}): counter {counter} missing")
            if label[len("cell="):] not in result.get("kvbench", {}).get("cells", {}):
                out.append(f"benchmarks[{i}]: {label} has no kvbench.cells entry")
    if cells == 0:
        out.append("benchmarks: no cell entries")
    if not any(b.get("label") == "matrix" for b in benchmarks):
        out.append("benchmarks: no whole-matrix entry")
    return out


def metrics_of(result):
    """Cell name -> counters (every field but the timings and the entry's position)."""
    skip = {"real_time", "cpu_time", "family_index", "per_family_instance_index"}
    return {b["name"]: {k: v for k, v in b.items() if k not in skip}
            for b in result["benchmarks"] if b.get("label", "").startswith("cell=")}


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--same-metrics-as"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        result = json.load(f)
    problems = problems_of(result)
    if len(argv) == 4:
        with open(argv[3]) as f:
            other = json.load(f)
        mine, theirs = metrics_of(result), metrics_of(other)
        if set(mine) != set(theirs):
            problems.append(f"cells differ: {sorted(set(mine) ^ set(theirs))}")
        for name in sorted(set(mine) & set(theirs)):
            if mine[name] != theirs[name]:
                diff = [k for k in mine[name] if mine[name].get(k) != theirs[name].get(k)]
                problems.append(f"{name}: metrics differ in {diff}")
        if result["kvbench"]["cells"] != other["kvbench"]["cells"]:
            problems.append("kvbench.cells differ")
    for p in problems:
        print(f"{argv[1]}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
