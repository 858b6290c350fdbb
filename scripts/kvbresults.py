#!/usr/bin/python3
"""Reads kvbench result JSON (Google Benchmark's schema plus a "kvbench" section) into tables.

Shared by tables.py, plots.py, compare.py and report.py. One row per cell, parameters split
out of the cell name, counters as columns; unknown fields are ignored. Malformed input raises
ResultsError, which `main_wrapper` turns into one line on stderr and exit status 2.
"""

import importlib
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field

# Debian packages that provide each third-party module the scripts import.
DEBIAN_PACKAGE = {
    "pandas": "python3-pandas",
    "numpy": "python3-numpy",
    "matplotlib": "python3-matplotlib",
    "scipy": "python3-scipy",
}


def require(*modules):
    """Imports each module or exits 2 with one line naming the Debian package to install."""
    loaded = []
    for module in modules:
        try:
            loaded.append(importlib.import_module(module))
        except ImportError:
            top = module.split(".")[0]
            package = DEBIAN_PACKAGE.get(top, "python3-" + top)
            script = os.path.basename(sys.argv[0]) or "kvbench scripts"
            print(f"{script}: error: Python module '{top}' is missing: "
                  f"apt-get install {package} (and run the script with /usr/bin/python3)",
                  file=sys.stderr)
            sys.exit(2)
    return loaded[0] if len(loaded) == 1 else loaded


pd = require("pandas")


class ResultsError(Exception):
    """Bad input: the message names the file (and entry) at fault."""


# Fields of a Google Benchmark entry that are not counters.
GBENCH_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "label", "error_occurred", "error_message", "aggregate_name",
    "aggregate_unit", "big_o", "rms", "complexity", "skipped", "skip_message",
}

# Parts Google Benchmark itself may append to a name (not kvbench parameters).
GBENCH_NAME_SUFFIXES = ("iterations:", "repeats:", "threads:", "min_time:",
                        "min_warmup_time:", "real_time", "manual_time", "process_time")

SECONDS_PER_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}

# The kvbench cell fields (besides its name parameters) that become columns.
CELL_FIELDS = ("mode", "nodes", "capacity_blocks", "eviction", "scope", "hbm_eviction",
               "dram_write", "ssd_capacity_blocks", "ssd_eviction")


@dataclass
class Results:
    """One or more result files read into tables.

    cells: one row per cell (failed cells too, `failed` True, no counters);
    matrices: one row per "<matrix>/matrix" entry; repetition_times_s: name -> real_time of
    each repetition, in seconds (cells and matrix entries); cell_results: name -> the per-cell
    "result" object of the kvbench section (absent without that section).
    """
    paths: list
    contexts: dict                     # path -> the file's "context" object
    cells: "pd.DataFrame"
    matrices: "pd.DataFrame"
    param_keys: list                   # parameter columns in name order (strategy, cluster, ...)
    counter_names: list                # counter columns in first-seen order
    repetition_times_s: dict = field(default_factory=dict)
    cell_results: dict = field(default_factory=dict)
    kvbench: dict = field(default_factory=dict)  # path -> the file's "kvbench" section
    metrics: dict = field(default_factory=lambda: dict(BUILTIN_METRICS))  # name -> Metric

    def has_kvbench_section(self):
        return any(self.kvbench.values())

    def ok_cells(self):
        """The cells that did not fail."""
        return self.cells[~self.cells["failed"]]

    def result_of(self, name):
        """The per-cell result object of the cell `name`, or None."""
        return self.cell_results.get(name)


# ---- The metric table. ----

@dataclass(frozen=True)
class Metric:
    """One row of kvbench's metric table (core/sim/metric_table.h)."""
    name: str
    unit: str
    better: str      # "higher", "lower" or "neither"
    fraction: bool   # a share in [0, 1]: moves are percentage points
    counter: bool    # a counter of each cell's benchmark entry


# The table of result files written before every file carried its own `metrics` section
# (what kvbench's metric table said then); newer files are read from their section.
_BUILTIN_METRICS = (
    ("requests", "requests", "neither", False, True),
    ("served", "requests", "higher", False, True),
    ("rejected", "requests", "lower", False, True),
    ("block_refs", "blocks", "neither", False, True),
    ("hit_blocks", "blocks", "higher", False, True),
    ("fetched_blocks", "blocks", "neither", False, True),
    ("input_tokens", "tokens", "neither", False, False),
    ("hit_tokens", "tokens", "higher", False, False),
    ("hit_rate", "fraction", "higher", True, True),
    ("token_hit_rate", "fraction", "higher", True, True),
    ("evictions", "blocks", "neither", False, True),
    ("stranded_evictions", "blocks", "neither", False, True),
    ("concentration", "fraction", "lower", True, True),
    ("load_cv", "ratio", "lower", False, True),
    ("busy_cv", "ratio", "lower", False, True),
    ("jain_index", "ratio", "higher", False, True),
    ("gini", "ratio", "lower", False, True),
    ("ttft_mean_s", "s", "lower", False, True),
    ("ttft_p50_s", "s", "lower", False, True),
    ("ttft_p90_s", "s", "lower", False, True),
    ("ttft_p99_s", "s", "lower", False, True),
    ("ttft_max_s", "s", "lower", False, True),
    ("queue_wait_mean_s", "s", "lower", False, True),
    ("queue_wait_p99_s", "s", "lower", False, True),
    ("slo_attainment", "fraction", "higher", True, True),
    ("makespan_s", "s", "neither", False, True),
    ("gpu_seconds", "s", "lower", False, True),
    ("gpu_seconds_no_reuse", "s", "neither", False, True),
    ("gpu_seconds_saved", "s", "higher", False, True),
    ("cached_gb_hours", "GB-hours", "neither", False, True),
    ("provisioned_gb_hours", "GB-hours", "neither", False, True),
    ("replica_gb_hours", "GB-hours", "lower", False, True),
    ("replica_blocks", "blocks", "lower", False, True),
    ("replica_bytes", "bytes", "lower", False, True),
    ("transfer_bytes", "bytes", "lower", False, True),
    ("gpu_usd", "USD", "lower", False, True),
    ("storage_usd", "USD", "lower", False, True),
    ("network_usd", "USD", "lower", False, True),
    ("usd_per_1k_requests", "USD", "lower", False, True),
    ("replicas_created", "blocks", "neither", False, True),
    ("copies", "copies", "neither", False, True),
    ("copied_blocks", "blocks", "neither", False, True),
    ("copies_refused", "copies", "neither", False, True),
    ("fetches_dropped", "requests", "neither", False, True),
    ("peak_holders", "nodes", "neither", False, True),
    ("traditional_score", "ratio", "higher", False, True),
)
BUILTIN_METRICS = {name: Metric(name, unit, better, fraction, counter)
                   for name, unit, better, fraction, counter in _BUILTIN_METRICS}

# Per-cell result keys of files written before the metric table named them: section ->
# {old key: new key}. cell_result() reads either.
OLD_RESULT_KEYS = {
    "cache": {"block_hit_rate": "hit_rate"},
    "balance": {"requests_cv": "load_cv", "requests_jain": "jain_index",
                "requests_gini": "gini"},
    "cost": {"gpu_busy_s": "gpu_seconds", "gpu_no_reuse_s": "gpu_seconds_no_reuse",
             "gpu_saved_s": "gpu_seconds_saved", "gpu_dollars": "gpu_usd",
             "storage_dollars": "storage_usd", "network_dollars": "network_usd",
             "dollars_per_1000_requests": "usd_per_1k_requests"},
    "replication": {"replica_blocks_mean": "replica_blocks",
                    "replica_bytes_mean": "replica_bytes"},
    "seed_scores": {"traditional": "traditional_score"},
}


def metrics_of_document(path, document):
    """The document's `metrics` section as {name: Metric}, or the built-in table when the
    file predates it. Raises ResultsError on a malformed section."""
    section = document.get("metrics")
    if section is None:
        return dict(BUILTIN_METRICS)
    if not isinstance(section, list):
        raise ResultsError(f"{path}: metrics: expected a list")
    table = {}
    for i, row in enumerate(section):
        if not isinstance(row, dict):
            raise ResultsError(f"{path}: metrics[{i}]: expected an object")
        try:
            metric = Metric(str(row["name"]), str(row["unit"]), str(row["better"]),
                            bool(row["fraction"]), bool(row["counter"]))
        except KeyError as e:
            raise ResultsError(f"{path}: metrics[{i}]: missing {e.args[0]}") from None
        if metric.better not in ("higher", "lower", "neither"):
            raise ResultsError(f"{path}: metrics[{i}].better: '{metric.better}'")
        table[metric.name] = metric
    return table


def upgraded_cell_result(result):
    """A per-cell result object with old key names (files before the metric table) renamed
    to today's; today's files come back unchanged."""
    if not isinstance(result, dict):
        return result
    out = dict(result)
    for section, renames in OLD_RESULT_KEYS.items():
        part = out.get(section)
        if isinstance(part, dict) and any(old in part for old in renames):
            out[section] = {renames.get(k, k): v for k, v in part.items()}
    return out


def is_gbench_suffix(part):
    return part.startswith(GBENCH_NAME_SUFFIXES)


def split_name(name):
    """"m/strategy=S/cluster=C/..." -> ("m", {"strategy": "S", ...}).

    Parts split on '/', then each at its first '=' (values may contain '=', ':', ',', '+').
    A part without '=' that Google Benchmark appended (e.g. "repeats:9") is dropped; any
    other becomes "argN".
    """
    parts = name.split("/")
    params = {}
    extra = 0
    for part in parts[1:]:
        if "=" in part:
            key, value = part.split("=", 1)
            params[key] = value
        elif not is_gbench_suffix(part):
            extra += 1
            params[f"arg{extra}"] = part
    return parts[0], params


def is_matrix_entry(entry):
    """The per-matrix summary entry ("<matrix>/matrix", label "matrix") is not a cell."""
    name = entry["name"]
    return entry.get("label") == "matrix" or (name.endswith("/matrix") and name.count("/") == 1)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_json(path):
    """The parsed file, or ResultsError naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ResultsError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ResultsError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def checked_entries(path, document):
    """The "benchmarks" list, every entry an object with a string name."""
    if not isinstance(document, dict):
        raise ResultsError(f"{path}: not a result file: expected an object with a \"benchmarks\" list")
    entries = document.get("benchmarks")
    if not isinstance(entries, list):
        raise ResultsError(f"{path}: no \"benchmarks\" list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ResultsError(f"{path}: benchmarks[{index}]: not an object")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ResultsError(f"{path}: benchmarks[{index}]: entry has no \"name\"")
    return entries


def checked_kvbench_section(path, document):
    """The "kvbench" section ({} when absent); a present one must hold objects."""
    section = document.get("kvbench")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ResultsError(f"{path}: kvbench: not an object")
    if not isinstance(section.get("cells", {}), dict):
        raise ResultsError(f"{path}: kvbench.cells: not an object")
    for cell_hash, cell in section.get("cells", {}).items():
        if not isinstance(cell, dict):
            raise ResultsError(f"{path}: kvbench.cells.{cell_hash}: not an object")
    return section


def entry_seconds(entry, key):
    """real_time / cpu_time in seconds (NaN when absent)."""
    value = entry.get(key)
    if not is_number(value):
        return math.nan
    return value * SECONDS_PER_UNIT.get(entry.get("time_unit", "ns"), 1e-9)


def counters_of(entry):
    """Every numeric field that is not one of Google Benchmark's own."""
    return {k: v for k, v in entry.items() if k not in GBENCH_FIELDS and is_number(v)}


def cell_info_for(entry, kvbench_cells, by_name):
    """The kvbench cell object of an entry: by its "cell=<hash>" label, else by its name."""
    label = entry.get("label", "")
    if isinstance(label, str) and label.startswith("cell="):
        info = kvbench_cells.get(label[len("cell="):])
        if info is not None:
            return label[len("cell="):], info
    return by_name.get(entry["name"], (None, None))


def kvbench_cells_by_name(kvbench_cells):
    """"<matrix>/<key>" -> (hash, cell object)."""
    by_name = {}
    for cell_hash, info in kvbench_cells.items():
        if isinstance(info.get("matrix"), str) and isinstance(info.get("key"), str):
            by_name[f"{info['matrix']}/{info['key']}"] = (cell_hash, info)
    return by_name


class _FileReader:
    """Collects one file's cell rows, matrix rows and repetition times."""

    def __init__(self, path, document):
        self.path = path
        self.entries = checked_entries(path, document)
        self.context = document.get("context") if isinstance(document.get("context"), dict) else {}
        self.kvbench = checked_kvbench_section(path, document)
        self.kvbench_cells = self.kvbench.get("cells", {})
        self.by_name = kvbench_cells_by_name(self.kvbench_cells)
        self.rows = {}          # name -> row dict (first repetition), in file order
        self.matrix_rows = {}
        self.times = {}         # name -> [(repetition_index, real_time_s)]
        self.results = {}
        self.param_keys = []
        self.counter_names = []

    def read(self):
        for entry in self.entries:
            run_type = entry.get("run_type", "iteration")
            if run_type != "iteration":
                continue  # aggregates (mean, median, stddev, cv) are recomputed from repetitions
            name = entry["name"]
            repetition = entry.get("repetition_index", 0)
            self.times.setdefault(name, []).append(
                (repetition if is_number(repetition) else 0, entry_seconds(entry, "real_time")))
            if is_matrix_entry(entry):
                self.add_matrix_row(entry)
            else:
                self.add_cell_row(entry)
        return self

    def add_matrix_row(self, entry):
        if entry["name"] in self.matrix_rows:
            return
        row = {"source": self.path, "name": entry["name"], "matrix": entry["name"].split("/")[0],
               "real_time_s": entry_seconds(entry, "real_time")}
        row.update(counters_of(entry))
        self.matrix_rows[entry["name"]] = row

    def add_cell_row(self, entry):
        name = entry["name"]
        failed = bool(entry.get("error_occurred", False))
        if name in self.rows:
            # A repetition: metrics are identical, but any failed repetition fails the cell.
            if failed and not self.rows[name]["failed"]:
                self.rows[name]["failed"] = True
                self.rows[name]["error_message"] = str(entry.get("error_message", ""))
            return
        matrix, params = split_name(name)
        for key in params:
            if key not in self.param_keys:
                self.param_keys.append(key)
        row = {"source": self.path, "name": name, "matrix": matrix, **params,
               "label": entry.get("label", ""), "failed": failed,
               "error_message": str(entry.get("error_message", "")) if failed else "",
               "repetitions": entry.get("repetitions", 1),
               "real_time_s": entry_seconds(entry, "real_time"),
               "cpu_time_s": entry_seconds(entry, "cpu_time")}
        if "strategy" not in params:
            row["strategy"] = name  # another tool's entry: the name is all we know
        counters = {} if failed else counters_of(entry)
        for key in counters:
            if key not in self.counter_names:
                self.counter_names.append(key)
        row.update(counters)
        cell_hash, info = cell_info_for(entry, self.kvbench_cells, self.by_name)
        row["cell_hash"] = cell_hash
        row["mode"] = None
        if info is not None:
            for key in CELL_FIELDS:
                if key in info:
                    row[key] = info[key]
            if not failed and isinstance(info.get("error"), str) and info["error"]:
                row["failed"], row["error_message"] = True, info["error"]
            if isinstance(info.get("result"), dict):
                self.results[name] = upgraded_cell_result(info["result"])
        self.rows[name] = row

    def repetition_times(self):
        return {name: [t for _, t in sorted(pairs, key=lambda p: p[0])]
                for name, pairs in self.times.items()}


def load_document(path, document):
    """Results of one already-parsed result document (used by load and by tests)."""
    reader = _FileReader(path, document).read()
    cells = pd.DataFrame(list(reader.rows.values()))
    if cells.empty:
        cells = pd.DataFrame(columns=["source", "name", "matrix", "strategy", "failed", "mode"])
    cells["failed"] = cells["failed"].astype(bool)
    matrices = pd.DataFrame(list(reader.matrix_rows.values()))
    params = reader.param_keys if "strategy" in reader.param_keys else ["strategy"] + reader.param_keys
    return Results(paths=[path], contexts={path: reader.context}, cells=cells, matrices=matrices,
                   param_keys=params, counter_names=reader.counter_names,
                   repetition_times_s=reader.repetition_times(), cell_results=reader.results,
                   kvbench={path: reader.kvbench}, metrics=metrics_of_document(path, document))


def load(path):
    """Reads one result file. Raises ResultsError naming the file (and entry) at fault."""
    return load_document(path, read_json(path))


def load_many(paths):
    """Reads several files into one Results. Cells named alike in two files keep both rows;
    `cells["source"]` then tells them apart (see group_columns)."""
    parts = [load(p) for p in paths]
    if len(parts) == 1:
        return parts[0]
    merged = parts[0]
    for part in parts[1:]:
        merged.paths += part.paths
        merged.contexts.update(part.contexts)
        merged.kvbench.update(part.kvbench)
        merged.cells = pd.concat([merged.cells, part.cells], ignore_index=True)
        merged.matrices = pd.concat([merged.matrices, part.matrices], ignore_index=True)
        merged.param_keys += [k for k in part.param_keys if k not in merged.param_keys]
        merged.counter_names += [k for k in part.counter_names if k not in merged.counter_names]
        for name, times in part.repetition_times_s.items():
            merged.repetition_times_s.setdefault(name, times)
        for name, result in part.cell_results.items():
            merged.cell_results.setdefault(name, result)
        for name, metric in part.metrics.items():
            merged.metrics.setdefault(name, metric)
    merged.cells["failed"] = merged.cells["failed"].astype(bool)
    return merged


def names_repeat_across_files(results):
    """Whether two files hold a cell of the same name (then the file is part of a group)."""
    cells = results.cells
    return len(results.paths) > 1 and cells.duplicated(subset=["name"]).any()


def group_columns(results, exclude=("strategy",)):
    """The columns whose values, taken together, make cells comparable: the matrix, every
    name parameter but `exclude`, and the source file when names repeat across files."""
    columns = ["matrix"] + [k for k in results.param_keys if k not in exclude]
    if names_repeat_across_files(results):
        columns = ["source"] + columns
    return [c for c in columns if c in results.cells.columns]


def varying_columns(frame, columns):
    """Of `columns`, those with more than one distinct value in `frame`."""
    return [c for c in columns if c in frame.columns and frame[c].astype(str).nunique() > 1]


def strategy_order(results):
    """Every strategy name, sorted: the basis of the fixed colour mapping of the plots."""
    return sorted(results.cells["strategy"].astype(str).unique())


def write_atomically(path, data):
    """Writes text or bytes to path via a synced temporary file in the same directory, then
    os.replace: readers see the old file or the whole new one."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    binary = isinstance(data, (bytes, bytearray))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp.", dir=directory)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main_wrapper(main):
    """Runs main(); ResultsError becomes one line "script: error: ..." on stderr, exit 2."""
    script = os.path.basename(sys.argv[0])
    try:
        sys.exit(main())
    except ResultsError as e:
        print(f"{script}: error: {e}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)


def _describe(results):
    """A short summary of what was read (for `kvbresults.py FILE`)."""
    cells = results.cells
    lines = [f"files      {', '.join(results.paths)}",
             f"cells      {len(cells)} ({int(cells['failed'].sum())} failed)",
             f"matrices   {len(results.matrices)}",
             f"parameters {', '.join(results.param_keys)}",
             f"counters   {len(results.counter_names)}",
             f"kvbench    {'yes' if results.has_kvbench_section() else 'no (mode unknown)'}"]
    return "\n".join(lines)


def main():
    import argparse
    parser = argparse.ArgumentParser(
        description="Check that kvbench result files read cleanly and summarise them "
                    "(the module other scripts import).")
    parser.add_argument("files", nargs="+", help="result JSON written by kvbench --out")
    parser.add_argument("--csv", metavar="FILE", help="also write the cell table as CSV")
    args = parser.parse_args()
    results = load_many(args.files)
    print(_describe(results))
    if args.csv:
        write_atomically(args.csv, results.cells.to_csv(index=False))
    return 0


if __name__ == "__main__":
    main_wrapper(main)
