#!/usr/bin/python3
"""Compares two kvbench result files cell by cell (nightly: base = committed baseline).

    /usr/bin/python3 scripts/compare.py results/baselines/nightly.json results/latest.json

Metric deltas against per-metric thresholds (defaults below, --threshold to change), timing
deltas of each cell's real_time with a Mann-Whitney U test over repetitions, cells present in
one file only, failed cells. --pair KEY=A KEY=B compares cells that differ in one parameter
(an A/B within one run or across two). Markdown summary. Exit status: 1 when a metric moved
past its threshold in the direction that counts as a regression (or a cell newly failed, or
with --fail-on-time a significant slowdown), 0 otherwise, 2 on malformed input or when no
cell pairs up ("nothing compared").
"""

import argparse
import math
import re
import sys
from dataclasses import dataclass, replace

import kvbresults

scipy_stats = kvbresults.require("scipy.stats")

MIN_REPETITIONS_FOR_U_TEST = 9  # as google/benchmark's compare.py: fewer is not meaningful


@dataclass(frozen=True)
class Threshold:
    metric: str
    kind: str        # "abs": |new - base| > value; "rel": |new - base| / |base| > value
    value: float
    worse: str       # "higher", "lower" (the direction that counts as a regression) or
                     # "either" (any move past the threshold)


# The default thresholds (policy: how far a metric may move): (metric, kind, value). Which
# way is worse and whether a metric is a fraction come from the metric table (the result
# files' `metrics` section; kvbresults.BUILTIN_METRICS for older files). Fractions (hit
# rates, SLO) move in absolute terms (0.005 = 0.5 percentage points); times, seconds and
# dollars relatively.
DEFAULT_THRESHOLD_VALUES = (
    ("hit_rate", "abs", 0.005),
    ("token_hit_rate", "abs", 0.005),
    ("concentration", "abs", 0.01),
    ("load_cv", "abs", 0.02),
    ("ttft_mean_s", "rel", 0.05),
    ("ttft_p99_s", "rel", 0.05),
    ("slo_attainment", "abs", 0.005),
    ("rejected", "rel", 0.05),
    ("gpu_seconds", "rel", 0.02),
    ("replica_bytes", "rel", 0.05),
    ("transfer_bytes", "rel", 0.05),
    ("usd_per_1k_requests", "rel", 0.02),
    ("traditional_score", "rel", 0.02),
)


def worse_direction(metric, table):
    """The direction of a regression: the opposite of the table's better one."""
    better = table[metric].better if metric in table else "neither"
    return {"higher": "lower", "lower": "higher"}.get(better, "either")


def default_thresholds(table=None):
    table = table if table is not None else kvbresults.BUILTIN_METRICS
    return tuple(Threshold(m, kind, value, worse_direction(m, table))
                 for m, kind, value in DEFAULT_THRESHOLD_VALUES)


def exact_thresholds(table=None):
    """Zero tolerance on every counter of the table: any move is a difference."""
    table = table if table is not None else kvbresults.BUILTIN_METRICS
    return tuple(Threshold(m.name, "abs", 0.0, "either") for m in table.values() if m.counter)


DEFAULT_THRESHOLDS = default_thresholds()

# Metrics that are fractions: shown as % and their absolute deltas as percentage points.
FRACTIONS = {m.name for m in kvbresults.BUILTIN_METRICS.values() if m.fraction}
# Context fields whose difference makes two runs measure different things.
CONTEXT_KEYS = ("config_hash", "trace_digests", "matrices", "mode", "kvbench_version",
                "git_commit", "host_name", "num_cpus", "threads", "shard", "library_build_type")


# ---- Thresholds. ----

def parse_threshold_value(text):
    """"0.5pp" -> ("abs", 0.005); "5%" -> ("rel", 0.05); "0.01" -> ("abs", 0.01)."""
    text = text.strip()
    try:
        if text.endswith("pp"):
            return "abs", float(text[:-2]) / 100.0
        if text.endswith("%"):
            return "rel", float(text[:-1]) / 100.0
        return "abs", float(text)
    except ValueError:
        raise ValueError(f"bad threshold '{text}': expected e.g. 0.5pp, 5% or 0.01") from None


def apply_override(thresholds, spec, table=None):
    """thresholds updated by "METRIC=VALUE[:higher|:lower]" or "METRIC=off"; a metric of the
    metric table needs no direction."""
    table = table if table is not None else kvbresults.BUILTIN_METRICS
    if "=" not in spec:
        raise ValueError(f"bad --threshold '{spec}': expected METRIC=VALUE, e.g. hit_rate=1pp")
    metric, value = spec.split("=", 1)
    by_metric = {t.metric: t for t in thresholds}
    if value == "off":
        by_metric.pop(metric, None)
        return tuple(by_metric.values())
    worse = None
    match = re.fullmatch(r"(.*):(higher|lower)", value)
    if match:
        value, worse = match.group(1), match.group(2)
    kind, number = parse_threshold_value(value)
    if number < 0:
        raise ValueError(f"bad --threshold '{spec}': must be >= 0")
    if metric in by_metric:
        by_metric[metric] = replace(by_metric[metric], kind=kind, value=number,
                                    worse=worse or by_metric[metric].worse)
    elif worse is None and metric in table and table[metric].better != "neither":
        by_metric[metric] = Threshold(metric, kind, number, worse_direction(metric, table))
    elif worse is None:
        raise ValueError(f"--threshold '{spec}': '{metric}' has no default; say which way is "
                         f"worse, e.g. {metric}={value}:higher")
    else:
        by_metric[metric] = Threshold(metric, kind, number, worse)
    return tuple(by_metric.values())


def threshold_text(t):
    if t.kind == "rel":
        return f"±{100 * t.value:g}%"
    return f"±{100 * t.value:g} pp" if t.metric in FRACTIONS else f"±{t.value:g}"


# ---- Metric deltas. ----

@dataclass
class Delta:
    cell: str
    metric: str
    base: float
    new: float
    change: float    # new - base
    relative: float  # (new - base) / |base| (inf when base is 0 and new is not)
    verdict: str     # "regression", "improvement", "within" or "missing"
    threshold: Threshold


def relative_change(base, new):
    if base == new:
        return 0.0
    if base == 0:
        return math.copysign(math.inf, new - base)
    return (new - base) / abs(base)


def judge(threshold, base, new):
    """The verdict of one metric's move: past the threshold, which way."""
    if not all(isinstance(v, (int, float)) and not math.isnan(v) for v in (base, new)):
        return "missing"
    size = abs(new - base) if threshold.kind == "abs" else abs(relative_change(base, new))
    if size <= threshold.value + 1e-12:
        return "within"
    if threshold.worse == "either":
        return "regression"
    got_higher = new > base
    return "regression" if got_higher == (threshold.worse == "higher") else "improvement"


def metric_deltas(base_row, new_row, thresholds, cell=None):
    """One Delta per threshold whose metric either cell has, named `cell` (default: the base
    row's name)."""
    deltas = []
    for t in thresholds:
        if t.metric not in base_row and t.metric not in new_row:
            continue
        b, n = base_row.get(t.metric, math.nan), new_row.get(t.metric, math.nan)
        if all(isinstance(v, float) and math.isnan(v) for v in (b, n)):
            continue  # measured by neither (e.g. goodput without an SLO): nothing to compare
        verdict = judge(t, b, n)
        change = n - b if verdict != "missing" else math.nan
        relative = relative_change(b, n) if verdict != "missing" else math.nan
        deltas.append(Delta(cell or base_row["name"], t.metric, b, n, change, relative, verdict,
                            t))
    return deltas


# ---- Timing. ----

@dataclass
class Timing:
    cell: str
    base_s: list
    new_s: list
    p_value: float   # NaN when no test could run
    note: str

    @property
    def base_median(self):
        return median(self.base_s)

    @property
    def new_median(self):
        return median(self.new_s)

    @property
    def relative(self):
        return relative_change(self.base_median, self.new_median)

    def meaningful(self):
        return min(len(self.base_s), len(self.new_s)) >= MIN_REPETITIONS_FOR_U_TEST


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return math.nan
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def timing_of(name, base_s, new_s):
    """Medians and, with repetitions on both sides, the two-sided Mann-Whitney U p-value."""
    base_s = [t for t in base_s if not math.isnan(t)]
    new_s = [t for t in new_s if not math.isnan(t)]
    n = min(len(base_s), len(new_s))
    if n == 0:
        return Timing(name, base_s, new_s, math.nan, "no real_time")
    if n < 2:
        return Timing(name, base_s, new_s, math.nan,
                      "one run per file: no U test (run kvbench --mode timing with repetitions)")
    p_value = scipy_stats.mannwhitneyu(base_s, new_s, alternative="two-sided").pvalue
    note = "" if n >= MIN_REPETITIONS_FOR_U_TEST else \
        f"only {n} repetitions (< {MIN_REPETITIONS_FOR_U_TEST}): the U test is not meaningful"
    return Timing(name, base_s, new_s, p_value, note)


def timings(base, new, names):
    """Timing per name present in both files (cells, then the whole-matrix entries)."""
    matrix_names = [n for n in (base.matrices["name"] if not base.matrices.empty else [])
                    if n in set(new.matrices["name"] if not new.matrices.empty else [])]
    out = []
    for name in list(names) + matrix_names:
        out.append(timing_of(name, base.repetition_times_s.get(name, []),
                             new.repetition_times_s.get(name, [])))
    return out


def timing_regressions(timing_list, fail_on_time, alpha):
    """Significant slowdowns past fail_on_time (a fraction); none when it is None."""
    if fail_on_time is None:
        return []
    return [t for t in timing_list if t.meaningful() and t.p_value < alpha
            and t.relative > fail_on_time]


# ---- The comparison. ----

@dataclass
class Comparison:
    base_path: str
    new_path: str
    common: list          # cell names in both files
    only_base: list
    only_new: list
    failed: list          # (name, where, message) for every failed cell
    newly_failed: list    # names: ok in base, failed in new
    deltas: list
    timings: list
    slowdowns: list       # timing regressions (with --fail-on-time)
    context_changes: list  # (key, base value, new value)

    @property
    def regressions(self):
        return [d for d in self.deltas if d.verdict == "regression"]

    @property
    def improvements(self):
        return [d for d in self.deltas if d.verdict == "improvement"]

    def failing(self):
        return bool(self.regressions or self.newly_failed or self.slowdowns)


def rows_by_name(results):
    return {r["name"]: r for r in results.cells.to_dict("records")}


def failed_cells(base_rows, new_rows):
    failed = []
    for where, rows in (("base", base_rows), ("new", new_rows)):
        for name, row in rows.items():
            if row["failed"]:
                failed.append((name, where, row.get("error_message") or "no message"))
    return failed


def flatten(value, path=""):
    """{path: leaf} of a JSON value: "clusters[0].nodes" -> 4."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    return {path: value}


def config_changes(base, new):
    """(field, base, new) for each leaf of the matrix configs that differs between the files;
    matrices are matched by name (one matrix each: matched whatever their names)."""
    def configs(results):
        section = next(iter(results.kvbench.values()), {}) or {}
        return {m.get("name"): m.get("config", {}) for m in section.get("matrices", [])}
    b, n = configs(base), configs(new)
    if len(b) == 1 and len(n) == 1:
        pairs = [("", next(iter(b.values())), next(iter(n.values())))]
    else:
        pairs = [(f"{name}: ", b[name], n[name]) for name in b if name in n]
    out = []
    for prefix, bc, nc in pairs:
        fb, fn = flatten(bc), flatten(nc)
        for key in list(fb) + [k for k in fn if k not in fb]:
            if key != "name" and fb.get(key) != fn.get(key):
                out.append((f"{prefix}{key}", fb.get(key, "–"), fn.get(key, "–")))
    return out


def context_changes(base, new):
    """Context fields that differ, then the config fields behind a config_hash change."""
    b = next(iter(base.contexts.values()), {})
    n = next(iter(new.contexts.values()), {})
    changes = [(k, b.get(k), n.get(k)) for k in CONTEXT_KEYS if b.get(k) != n.get(k)]
    if b.get("config_hash") != n.get("config_hash"):
        changes += [(f"config: {k}", bv, nv) for k, bv, nv in config_changes(base, new)]
    return changes


# ---- Pairing cells by a parameter (--pair KEY=A KEY=B). ----

PAIR_KEYS = ("matrix", "strategy", "cluster", "trace", "prices", "rate_scale", "seed")


def parse_pair(a_spec, b_spec):
    """(key, a, b) from "KEY=A" and "KEY=B"; ValueError naming what is wrong."""
    parts = []
    for spec in (a_spec, b_spec):
        key, eq, value = spec.partition("=")
        if not eq or not value:
            raise ValueError(f"--pair: expected KEY=VALUE, got '{spec}'")
        if key not in PAIR_KEYS:
            raise ValueError(f"--pair: unknown key '{key}' (keys: {', '.join(PAIR_KEYS)})")
        parts.append((key, value))
    if parts[0][0] != parts[1][0]:
        raise ValueError(f"--pair: both sides must name one key, got '{parts[0][0]}' and "
                         f"'{parts[1][0]}'")
    return parts[0][0], parts[0][1], parts[1][1]


def same_value(cell_value, text):
    """A cell's parameter equals the text a user wrote (numbers compared as numbers)."""
    try:
        return float(cell_value) == float(text)
    except (TypeError, ValueError):
        return str(cell_value) == text


def paired_rows(base, new, pair):
    """Rows of base with KEY=A and of new with KEY=B that agree on every other parameter,
    keyed by one label per pair; also {label: (base name, new name)} and the unpaired."""
    key, a, b = pair
    others = [k for k in PAIR_KEYS if k != key]
    def identity(row):
        return tuple(str(row.get(k)) for k in others)
    base_side = [r for r in rows_by_name(base).values() if same_value(r.get(key), a)]
    new_side = {identity(r): r for r in rows_by_name(new).values() if same_value(r.get(key), b)}
    base_rows, new_rows, names, paired = {}, {}, {}, set()
    for row in base_side:
        match = new_side.get(identity(row))
        if match is None:
            continue
        label = f"{key}: {a} -> {b}; " + " ".join(f"{k}={row.get(k)}" for k in others)
        base_rows[label], new_rows[label] = row, match
        names[label] = (row["name"], match["name"])
        paired.add(match["name"])
    only_base = [r["name"] for r in base_side if r["name"] not in {n[0] for n in names.values()}]
    only_new = [r["name"] for r in new_side.values() if r["name"] not in paired]
    return base_rows, new_rows, names, only_base, only_new


def compare(base, new, thresholds=DEFAULT_THRESHOLDS, fail_on_time=None, alpha=0.05, pair=None):
    """Everything compare.py reports, from two loaded Results: cells paired by name, or with
    `pair` (key, a, b) base's KEY=A cells with new's KEY=B cells equal in the rest."""
    if pair is None:
        base_rows, new_rows = rows_by_name(base), rows_by_name(new)
        common = [n for n in base_rows if n in new_rows]
        only_base = [n for n in base_rows if n not in new_rows]
        only_new = [n for n in new_rows if n not in base_rows]
        timing_list = timings(base, new, common)
    else:
        base_rows, new_rows, names, only_base, only_new = paired_rows(base, new, pair)
        common = list(base_rows)
        timing_list = [timing_of(label, base.repetition_times_s.get(names[label][0], []),
                                 new.repetition_times_s.get(names[label][1], []))
                       for label in common]
    deltas, newly_failed = [], []
    for name in common:
        b, n = base_rows[name], new_rows[name]
        if n["failed"] and not b["failed"]:
            newly_failed.append(name)
        if not b["failed"] and not n["failed"]:
            deltas += metric_deltas(b, n, thresholds, name)
    return Comparison(
        base_path=base.paths[0], new_path=new.paths[0], common=common,
        only_base=only_base, only_new=only_new,
        failed=failed_cells(base_rows, new_rows), newly_failed=newly_failed, deltas=deltas,
        timings=timing_list, slowdowns=timing_regressions(timing_list, fail_on_time, alpha),
        context_changes=[] if base.paths == new.paths else context_changes(base, new))


# ---- Markdown. ----

def fmt_value(metric, value):
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if metric in FRACTIONS:
        return f"{100 * value:.2f}%"
    if abs(value) >= 1e6:
        return f"{value:.4g}"
    return f"{value:,.4g}"


def fmt_change(delta):
    if delta.verdict == "missing":
        return "missing in one file"
    if delta.metric in FRACTIONS:
        return f"{100 * delta.change:+.2f} pp"
    if math.isinf(delta.relative):
        return f"{delta.change:+.4g} (from 0)"
    return f"{100 * delta.relative:+.1f}%"


def fmt_ms(seconds):
    if math.isnan(seconds):
        return "–"
    ms = seconds * 1000.0
    return f"{ms:,.0f}" if ms >= 1000 else f"{ms:.3g}"


def fmt_p(p):
    if math.isnan(p):
        return "–"
    return f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}"


def code(text):
    return f"`{text}`"


def delta_table(deltas):
    lines = ["| cell | metric | base | new | change | threshold | worse when |",
             "|---|---|---:|---:|---:|---:|---|"]
    for d in deltas:
        lines.append(f"| {code(d.cell)} | {d.metric} | {fmt_value(d.metric, d.base)} | "
                     f"{fmt_value(d.metric, d.new)} | {fmt_change(d)} | "
                     f"{threshold_text(d.threshold)} | {d.threshold.worse} |")
    return lines


def timing_table(timing_list, alpha):
    """The timing rows; a note every row shares is said once, above the table."""
    notes = {t.note for t in timing_list}
    shared = next(iter(notes)) if len(notes) == 1 and timing_list[0].note else ""
    lines = ([f"Every row: {shared}.", ""] if shared else []) + [
        "| cell | base median (ms) | new median (ms) | change | repetitions (base/new) "
        "| U test p-value | note |", "|---|---:|---:|---:|---:|---:|---|"]
    for t in timing_list:
        change = "–" if math.isnan(t.relative) else f"{100 * t.relative:+.1f}%"
        note = "" if shared else t.note
        if t.meaningful() and not math.isnan(t.p_value):
            note = (f"significant at {alpha:g}" if t.p_value < alpha else
                    f"not significant at {alpha:g}") + (f"; {note}" if note else "")
        lines.append(f"| {code(t.cell)} | {fmt_ms(t.base_median)} | {fmt_ms(t.new_median)} | "
                     f"{change} | {len(t.base_s)}/{len(t.new_s)} | {fmt_p(t.p_value)} | {note} |")
    return lines


def summary_line(c):
    problems = []
    if c.regressions:
        problems.append(f"{len(c.regressions)} metric regression(s) in "
                        f"{len({d.cell for d in c.regressions})} cell(s)")
    if c.newly_failed:
        problems.append(f"{len(c.newly_failed)} newly failed cell(s)")
    if c.slowdowns:
        problems.append(f"{len(c.slowdowns)} significant slowdown(s)")
    return ("**REGRESSION**: " + "; ".join(problems)) if problems else "**OK**: no regression"


def markdown(c, thresholds, alpha, show_all):
    """The Markdown summary of a Comparison."""
    out = ["# kvbench compare", "",
           f"base {c.base_path}, new {c.new_path}: {len(c.common)} cells in both, "
           f"{len(c.only_base)} only in base, {len(c.only_new)} only in new, "
           f"{len(c.failed)} failed.", "", summary_line(c), ""]
    if c.context_changes:
        out += ["## Context differences", "",
                "Runs that differ in config or traces may not be comparable.", "",
                "| field | base | new |", "|---|---|---|"]
        out += [f"| {k} | {b} | {n} |" for k, b, n in c.context_changes] + [""]
    out += ["## Regressions", ""]
    out += (delta_table(c.regressions) if c.regressions else ["None past the thresholds."]) + [""]
    if c.newly_failed:
        out += ["Newly failed cells (ok in base):", ""] + [f"- {code(n)}" for n in c.newly_failed] + [""]
    out += ["## Improvements", ""]
    out += (delta_table(c.improvements) if c.improvements else ["None past the thresholds."]) + [""]
    missing = [d for d in c.deltas if d.verdict == "missing"]
    if missing:
        out += ["## Metrics missing in one file", ""] + delta_table(missing) + [""]
    if c.failed:
        out += ["## Failed cells", "", "| cell | file | error |", "|---|---|---|"]
        out += [f"| {code(n)} | {w} | {m} |" for n, w, m in c.failed] + [""]
    if c.only_base or c.only_new:
        out += ["## Cells in one file only", ""]
        out += [f"- only in base: {code(n)}" for n in c.only_base]
        out += [f"- only in new: {code(n)}" for n in c.only_new] + [""]
    within = sum(1 for d in c.deltas if d.verdict == "within")
    out += [f"{within} metric comparisons within their thresholds.", ""]
    if show_all:
        out += ["## Every metric delta", ""] + delta_table(c.deltas) + [""]
    out += ["## Timing (real_time of each cell)", "",
            f"Median of the repetitions; Mann-Whitney U test (two-sided) over them, meaningful "
            f"from {MIN_REPETITIONS_FOR_U_TEST} repetitions per file on. Cells that ran "
            "concurrently in a matrix time contention too: compare runs made alike.", ""]
    if c.slowdowns:
        out += ["Significant slowdowns past --fail-on-time: "
                + ", ".join(code(t.cell) for t in c.slowdowns), ""]
    out += (timing_table(c.timings, alpha) if c.timings else ["No cell in both files."]) + [""]
    out += ["## Thresholds", "", "| metric | threshold | a regression is |", "|---|---:|---|"]
    out += [f"| {t.metric} | {threshold_text(t)} | {t.worse} |" for t in thresholds] + [""]
    return "\n".join(out)


def nothing_compared(base, new, pair):
    """The message when no cell pairs up, with a few names from each side."""
    def some(results):
        names = list(rows_by_name(results))
        return ", ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")
    how = (f"no cell with {pair[0]}={pair[1]} in base pairs with one with {pair[0]}={pair[2]} "
           f"in new" if pair else "no cell name is in both files")
    return (f"compare.py: nothing compared: {how}; base {base.paths[0]}: {some(base) or 'none'}; "
            f"new {new.paths[0]}: {some(new) or 'none'} (--pair KEY=A KEY=B pairs cells that "
            "differ in one parameter)")


def parse_args(argv):
    defaults = ", ".join(f"{t.metric} {threshold_text(t)}" for t in DEFAULT_THRESHOLDS)
    parser = argparse.ArgumentParser(
        description="Compare two kvbench result files cell by cell (matched by name): metric "
                    "deltas against thresholds, timing deltas with a Mann-Whitney U test, "
                    "one-sided and failed cells. Exit 1 on a regression, 0 otherwise, 2 on "
                    "malformed input or when nothing pairs up.",
        epilog=f"Default thresholds: {defaults}.")
    parser.add_argument("base", help="the reference result JSON (e.g. the committed baseline)")
    parser.add_argument("new", help="the result JSON to check")
    parser.add_argument("--threshold", action="append", default=[], metavar="METRIC=VALUE",
                        help="override a threshold: VALUE is 0.5pp (absolute, percentage "
                             "points), 5%% (relative) or 0.01 (absolute); 'off' drops the "
                             "metric; a metric without a default needs :higher or :lower "
                             "(the direction that is worse), e.g. evictions=10%%:higher. "
                             "Repeatable.")
    parser.add_argument("--fail-on-time", metavar="PCT", default=None,
                        help="also fail on a cell slower by more than PCT (e.g. 10%%) with a "
                             "U test p-value below --alpha and >= 9 repetitions in both files "
                             "(default: timing is reported, never fails)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level of the U test (default 0.05)")
    parser.add_argument("--all", action="store_true", help="list every metric delta too")
    parser.add_argument("--exact", action="store_true",
                        help="zero tolerance: any change of any counter of the metric table, "
                             "either way, is a difference (for changes meant to leave results "
                             "bit-identical); --threshold still applies on top")
    parser.add_argument("--pair", nargs=2, metavar=("KEY=A", "KEY=B"),
                        help="pair base's cells with KEY=A with new's cells with KEY=B that "
                             "agree on every other parameter (KEY: " + ", ".join(PAIR_KEYS) +
                             "), e.g. --pair strategy=dynamo strategy=dynamo:overlap_credit=0.5; "
                             "base and new may be one file")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the summary here")
    args = parser.parse_args(argv)
    thresholds = exact_thresholds() if args.exact else DEFAULT_THRESHOLDS
    try:
        for spec in args.threshold:
            thresholds = apply_override(thresholds, spec)
        if args.fail_on_time is not None:
            kind, value = parse_threshold_value(args.fail_on_time)
            args.fail_on_time = value if kind == "rel" else value / 100.0
        args.pair = parse_pair(*args.pair) if args.pair else None
    except ValueError as e:
        parser.error(str(e))
    args.thresholds = thresholds
    return args


def main(argv=None):
    global FRACTIONS
    args = parse_args(argv)
    base = kvbresults.load(args.base)
    new = kvbresults.load(args.new)
    # Directions and fractions from the files' own metric tables (the newer file's wins).
    table = {**base.metrics, **new.metrics}
    FRACTIONS = {m.name for m in table.values() if m.fraction}
    args.thresholds = exact_thresholds(table) if args.exact else default_thresholds(table)
    for spec in args.threshold:
        args.thresholds = apply_override(args.thresholds, spec, table)
    comparison = compare(base, new, args.thresholds, args.fail_on_time, args.alpha, args.pair)
    if not comparison.common:
        print(nothing_compared(base, new, args.pair), file=sys.stderr)
        return 2
    text = markdown(comparison, args.thresholds, args.alpha, args.all)
    if args.output:
        kvbresults.write_atomically(args.output, text)
        print(summary_line(comparison).replace("**", ""))
    else:
        sys.stdout.write(text)
    return 1 if comparison.failing() else 0


if __name__ == "__main__":
    kvbresults.main_wrapper(main)
