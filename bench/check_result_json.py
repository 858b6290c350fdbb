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
METRIC_FIELDS = {"name": str, "unit": str, "better": str, "fraction": bool, "section": str,
                 "counter": bool, "integer": bool, "description": str}


def metric_table_problems(result):
    """Problems of the `metrics` section (kvbench's metric table), and its counter names."""
    table = result.get("metrics")
    if not isinstance(table, list) or not table:
        return ["metrics: missing or empty (every result file carries the metric table)"], []
    out, counters, names = [], [], set()
    for i, row in enumerate(table):
        for field, kind in METRIC_FIELDS.items():
            if not isinstance(row.get(field), kind):
                out.append(f"metrics[{i}]: {field}: missing or not {kind.__name__}")
        if row.get("better") not in ("higher", "lower", "neither"):
            out.append(f"metrics[{i}]: better {row.get('better')!r}")
        if row.get("name") in names:
            out.append(f"metrics[{i}]: {row.get('name')} listed twice")
        names.add(row.get("name"))
        if row.get("counter"):
            counters.append(row.get("name"))
    return out, counters


def problems_of(result):
    out, cell_counters = metric_table_problems(result)
    nullable = {row.get("name") for row in result.get("metrics", []) or []
                if isinstance(row, dict) and row.get("nullable")}
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
            for counter in cell_counters:
                if b.get(counter) is None and counter in nullable:
                    continue  # does not apply to this cell (e.g. goodput without an SLO)
                if not isinstance(b.get(counter), (int, float)):
                    out.append(f"benchmarks[{i}] ({b['name']}): counter {counter} missing")
            cell = result.get("kvbench", {}).get("cells", {}).get(label[len("cell="):])
            if cell is None:
                out.append(f"benchmarks[{i}]: {label} has no kvbench.cells entry")
            elif isinstance(cell.get("result"), dict):
                # The per-cell JSON names each metric as its counter does.
                res = cell["result"]
                for row in result.get("metrics", []):
                    section, name = row.get("section"), row.get("name")
                    where = res if section == "requests" else res.get(section, {})
                    if name not in where:
                        out.append(f"benchmarks[{i}]: per-cell result lacks {section}.{name}")
                    elif row.get("counter") and where[name] != b.get(name) and not (
                            isinstance(where[name], float) and where[name] != where[name]):
                        out.append(f"benchmarks[{i}]: {name}: counter {b.get(name)} but "
                                   f"per-cell {where[name]}")
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
