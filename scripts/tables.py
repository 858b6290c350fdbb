#!/usr/bin/python3
"""Comparison tables of kvbench results: the seed's two tables, the full table per cluster,
and the Pareto set of realistic cells. Markdown (terminal-friendly) or CSV.

    /usr/bin/python3 scripts/tables.py results/latest.json
    /usr/bin/python3 scripts/tables.py R.json --table full --format csv -o full.csv
"""

import argparse
import math
import sys
from dataclasses import dataclass, field

import kvbresults

pd = kvbresults.pd

TABLE_KINDS = ("seed", "full", "serving", "pareto")
# Kinds made only when asked for (--table nodes): one table per cell is long.
EXTRA_KINDS = ("nodes",)


@dataclass
class TableOptions:
    baseline: str = "random"        # strategy the full table's net benefit is measured against
    cost_ratio: tuple = (100.0, 1.0)  # GPU : storage weight of the seed's net benefit
    seed_rows: str = "seed"         # "seed": seed-mode (and unknown-mode) groups; "all"
    sort: str = ""                  # counter to sort the full table's rows by (best first)
    kinds: tuple = TABLE_KINDS
    cell: str = ""                  # the nodes table: cells whose name contains this
    per_seed: bool = False          # full and serving tables: a row per seed, not per strategy


# ---- Number formats: each takes a raw value (maybe NaN/None) and returns text. ----

def missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_percent(value, decimals=2):
    return "–" if missing(value) else f"{100.0 * value:.{decimals}f}%"


def fmt_fixed(decimals):
    return lambda value: "–" if missing(value) else f"{value:,.{decimals}f}"


def fmt_seconds(value):
    """3 significant digits for small values, no exponent for large ones."""
    if missing(value):
        return "–"
    magnitude = abs(value)
    decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return f"{value:,.{decimals}f}"


def fmt_dollars(value):
    """Cents, or 4 decimals for amounts under 10 cents."""
    if missing(value):
        return "–"
    return f"{value:,.2f}" if value == 0 or abs(value) >= 0.1 else f"{value:.4f}"


def bytes_scale(values):
    """(unit, divisor) fitting the largest of `values`: B, KB, MB, GB or TB (powers of 1000)."""
    largest = max([abs(v) for v in values if not missing(v)] or [0.0])
    for unit, divisor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if largest >= divisor:
            return unit, divisor
    return "B", 1.0


def fmt_scaled(divisor):
    return lambda value: "–" if missing(value) else f"{value / divisor:,.2f}"


# ---- Tables. ----

@dataclass
class Column:
    key: str                 # field of each row (raw value)
    header: str
    fmt: object = str        # raw value -> text
    better: str = ""         # "max", "min" or "" (not marked)
    numeric: bool = True


@dataclass
class Table:
    kind: str                # "seed_traditional", "seed_net_benefit", "full" or "pareto"
    title: str
    columns: list
    rows: list               # dicts of raw values, keyed by Column.key
    group: dict = field(default_factory=dict)  # the group's parameter values (CSV columns)
    notes: list = field(default_factory=list)

    def best_keys(self):
        """Per row, the column keys where it holds the best value; distrusted rows (a
        "distrusted" entry) are never best. A column whose values are all equal marks
        nothing. Rows over seeds (a "spread" entry): the best median, and every row whose
        [min, max] overlaps that row's (a tie)."""
        marks = [set() for _ in self.rows]
        for column in self.columns:
            if not column.better:
                continue
            values = [None if r.get("distrusted") else r.get(column.key) for r in self.rows]
            present = [v for v in values if not missing(v)]
            if len(set(present)) < 2:
                continue
            best = max(present) if column.better == "max" else min(present)
            best_range = next((spread_of(r, column.key) for r, v in zip(self.rows, values)
                               if not missing(v) and v == best), None)
            for i, v in enumerate(values):
                if missing(v):
                    continue
                if math.isclose(v, best, rel_tol=1e-12, abs_tol=1e-15):
                    marks[i].add(column.key)
                    continue
                own = spread_of(self.rows[i], column.key)
                if best_range and own and own[0] <= best_range[1] and best_range[0] <= own[1]:
                    marks[i].add(column.key)
        return marks

    def cell_text(self, row, column):
        value = row.get(column.key)
        if column.numeric:
            spread = spread_of(row, column.key)
            low, high = (column.fmt(v) for v in spread) if spread else ("", "")
            return f"{column.fmt(value)} [{low}, {high}]" if low != high else column.fmt(value)
        text = "" if missing(value) else str(value)
        return text + " (distrusted)" if column.key == "strategy" and row.get("distrusted") else text


def spread_of(row, key):
    """(min, max) of `key` over the seeds a row aggregates, or None."""
    spread = row.get("spread")
    return spread.get(key) if isinstance(spread, dict) else None


# The parameters of repeated runs of one comparison: strategy seeds and arrival jitters.
REPLICATE_COLUMNS = ("seed", "jitter")


def seeds_vary(cells):
    """Whether the cells repeat a comparison: more than one strategy seed or jitter."""
    return any(c in cells.columns and cells[c].astype(str).nunique() > 1
               for c in REPLICATE_COLUMNS)


def replicate_of(record):
    """The run a record is within its comparison: (seed, jitter) as text."""
    return tuple(str(record.get(c)) for c in REPLICATE_COLUMNS)


def over_seeds(records, keys):
    """Records of several seeds (or jitters) -> one per strategy (first-seen order): each of
    `keys` the median over its runs, with (min, max) in "spread"; "seeds" the count of runs;
    "names" the cells'. A key missing in every run stays missing."""
    by_strategy = {}
    for r in records:
        by_strategy.setdefault(r["strategy"], []).append(r)
    out = []
    for strategy, group in by_strategy.items():
        row = dict(group[0])
        row["seeds"] = len(group)
        row["names"] = [r.get("name") for r in group]
        row["spread"] = {}
        for key in keys:
            values = [r.get(key) for r in group if not missing(r.get(key))]
            if not values or not all(isinstance(v, (int, float)) for v in values):
                continue
            row[key] = float(pd.Series(values).median())
            row["spread"][key] = (min(values), max(values))
        out.append(row)
    return out


def spread_note(rows):
    """The note of a table over seeds."""
    counts = sorted({r["seeds"] for r in rows if "seeds" in r})
    if not counts:
        return []
    n = f"{counts[0]}-{counts[-1]}" if len(counts) > 1 else str(counts[0])
    return [f"over {n} runs (strategy seeds x arrival jitters): median [min, max]; bold: the "
            "best median and every row whose range overlaps it, a tie (the difference is within "
            "the spread over runs; with 5 runs [min, max] holds the median with probability "
            "1 - 2/2^5 = 94%)"]


def cells_of(results):
    """Successful cells with the derived columns the tables need."""
    cells = results.ok_cells().copy()
    for column in ("hit_rate", "concentration"):
        if column not in cells.columns:
            cells[column] = math.nan
    return cells


def declared_mode(frame):
    """"seed" or "realistic" when every cell of the group says so, else None (unknown/mixed)."""
    modes = set(frame["mode"]) if "mode" in frame.columns else {None}
    if len(modes) == 1:
        mode = next(iter(modes))
        return mode if isinstance(mode, str) else None
    return None


def has_no_time(frame):
    """Every cell measured no simulated time and no dollars (as seed-mode cells are)."""
    columns = [c for c in ("makespan_s", "ttft_p99_s", "usd_per_1k_requests") if c in frame.columns]
    return bool(columns) and bool((frame[columns].fillna(0) == 0).all().all())


def group_mode(frame):
    """The group's mode: declared by the kvbench section, else inferred from the counters
    (no time and no dollars: "seed"; some: "realistic")."""
    mode = declared_mode(frame)
    if mode is None:
        return "seed" if has_no_time(frame) else "realistic"
    return mode


def cluster_description(frame):
    """"seed, 4 nodes x 512 blocks, lfu, local" from the kvbench cell fields, when known."""
    first = frame.iloc[0]
    parts = []
    if isinstance(first.get("mode"), str):
        parts.append(first["mode"])
    nodes, capacity = first.get("nodes"), first.get("capacity_blocks")
    if not missing(nodes) and not missing(capacity):
        parts.append(f"{int(nodes)} nodes x {int(capacity):,} blocks")
    for key in ("eviction", "scope"):
        if isinstance(first.get(key), str):
            parts.append(first[key])
    if isinstance(first.get("hbm_eviction"), str):  # tier G1
        parts.append(f"HBM prefix cache {first['hbm_eviction']}, DRAM write-{first.get('dram_write')}")
    ssd = first.get("ssd_capacity_blocks")
    if not missing(ssd):  # tier G3
        parts.append(f"SSD {int(ssd):,} blocks {first.get('ssd_eviction')}")
    return ", ".join(parts)


def group_title(results, frame, shown_columns):
    """The group's heading: its cluster (with what it is) and any parameter that varies."""
    first = frame.iloc[0]
    parts = []
    for column in shown_columns:
        value = first.get(column)
        if column == "cluster":
            described = cluster_description(frame)
            parts.append(f"cluster `{value}`" + (f" ({described})" if described else ""))
        elif column == "source":
            parts.append(f"file {value}")
        else:
            parts.append(f"{column} `{value}`")
    return ", ".join(parts)


def titled(what, group_title):
    return f"{what}: {group_title}" if group_title else what


def groups(results, cells, exclude=("strategy",), always=("cluster",)):
    """[(title, group values, frame)] in file order, grouped by group_columns."""
    columns = kvbresults.group_columns(results, exclude)
    if cells.empty:
        return []
    shown = [c for c in columns if c in always] + \
        [c for c in kvbresults.varying_columns(results.cells, columns) if c not in always]
    out = []
    for values, frame in cells.groupby(columns, sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        out.append((group_title(results, frame, shown), dict(zip(columns, values)), frame))
    return out


def distrusted_cells(results):
    """{cell name: [reasons]}: realistic cells whose figures come from a degenerate run
    (verdict.py's rules)."""
    import verdict  # here: verdict imports this module
    return verdict.distrusted_map(verdict.verdicts(results))


def mark_distrusted(rows, records, distrusted):
    """Copies each record's reasons of distrust into its row; returns the table's note."""
    named = []
    for row, record in zip(rows, records):
        why = [w for name in record.get("names", [record.get("name")])
               for w in distrusted.get(name, [])]
        if why:
            row["distrusted"] = "; ".join(why)
            named.append(f"`{record['strategy']}`: {row['distrusted']}")
    if not named:
        return []
    return ["distrusted, never marked best (verdict.py's rules): " + "; ".join(named)]


def failed_notes(results, group_values):
    """One note per failed cell matching the group's values."""
    failed = results.cells[results.cells["failed"]]
    notes = []
    for _, row in failed.iterrows():
        if all(str(row.get(k)) == str(v) for k, v in group_values.items()):
            notes.append(f"failed: `{row['strategy']}`: {row['error_message'] or 'no message'}")
    return notes


# -- (1) The seed's tables. --

def seed_net_benefit(hit_rate, concentration, worst_hit_rate, cost_ratio):
    """The seed's GPU-weighted net benefit: (hit - worst) x 100 x (G/S) - (100 - 100 x conc),
    G:S the GPU:storage cost ratio (the seed's 100:1 gives its factor 100)."""
    gpu_weight = cost_ratio[0] / cost_ratio[1]
    return (hit_rate - worst_hit_rate) * 100.0 * gpu_weight - (100.0 - 100.0 * concentration)


def traditional_score(cell):
    """The cell's own traditional_score counter (kvbench's definition: hit rate /
    concentration, 0 when concentration is 0); computed the same way if a file lacks it."""
    value = cell.get("traditional_score")
    if not missing(value):
        return value
    hit, conc = cell["hit_rate"], cell["concentration"]
    return hit / conc if conc > 0 else 0.0


def seed_tables(results, cells, options):
    """The seed's two tables per group, for seed-mode groups (and unknown-mode ones)."""
    tables = []
    ratio = f"{options.cost_ratio[0]:g}:{options.cost_ratio[1]:g}"
    for title, values, frame in groups(results, cells):
        mode = group_mode(frame)
        if options.seed_rows == "seed" and mode == "realistic":
            continue
        worst = frame["hit_rate"].min()
        rows = []
        for _, cell in frame.iterrows():
            hit, conc = cell["hit_rate"], cell["concentration"]
            rows.append({"strategy": cell["strategy"], "hit_rate": hit, "concentration": conc,
                         "traditional_score": traditional_score(cell),
                         "net_benefit": seed_net_benefit(hit, conc, worst, options.cost_ratio)})
        strategy = Column("strategy", "strategy", numeric=False)
        hit = Column("hit_rate", "hit rate", fmt_percent, "max")
        conc = Column("concentration", "concentration", fmt_fixed(3), "min")
        notes = failed_notes(results, values)
        tables.append(Table("seed_traditional", titled("Traditional score", title),
                            [strategy, hit, conc,
                             Column("traditional_score", "hit rate / concentration",
                                    fmt_fixed(3), "max")], rows, values, notes))
        tables.append(Table("seed_net_benefit",
                            titled(f"GPU-weighted net benefit at {ratio}", title),
                            [strategy, hit, conc,
                             Column("net_benefit", f"net benefit ({ratio})", fmt_fixed(1), "max")],
                            rows, values,
                            [f"worst hit rate among these rows: {fmt_percent(worst)}; net benefit = "
                             f"(hit - worst) x 100 x {options.cost_ratio[0] / options.cost_ratio[1]:g}"
                             " - (100 - 100 x concentration)"]))
    return tables


# -- (2) The full table. --

def per_1k(row, column):
    """A dollar counter of the cell per 1,000 of its requests (NaN when unknown)."""
    requests = row.get("requests")
    value = row.get(column)
    if missing(requests) or missing(value) or not requests:
        return math.nan
    return value / requests * 1000.0


def net_benefit_usd_per_1k(row, base):
    """Saved GPU $ minus extra storage and network $, per 1,000 requests, against `base`."""
    saved_gpu = per_1k(base, "gpu_usd") - per_1k(row, "gpu_usd")
    extra_storage = per_1k(row, "storage_usd") - per_1k(base, "storage_usd")
    extra_network = per_1k(row, "network_usd") - per_1k(base, "network_usd")
    return saved_gpu - (extra_storage + extra_network)


FULL_METRICS = (
    # key, header, format, needs time and dollars (hidden for seed mode); which way is better
    # comes from the metric table (the result files' `metrics` section)
    ("hit_rate", "hit rate", fmt_percent, False),
    ("token_hit_rate", "token hit rate", fmt_percent, False),
    ("hbm_hit_rate", "HBM hit rate", fmt_percent, True),
    ("ssd_read_bytes", "read from SSD", None, True),
    ("concentration", "concentration", fmt_fixed(3), False),
    ("load_cv", "load CV", fmt_fixed(3), False),
    ("ttft_mean_s", "TTFT mean (s)", fmt_seconds, True),
    ("ttft_p99_s", "TTFT p99 (s)", fmt_seconds, True),
    ("slo_attainment", "SLO attained", lambda v: fmt_percent(v, 1), True),
    ("gpu_seconds", "GPU-s", fmt_fixed(1), True),
    ("replica_bytes", "replicas held, mean", None, True),  # a time mean, not a total
    ("transfer_bytes", "transfer", None, True),
    ("usd_per_1k_requests", "$ / 1K req", fmt_dollars, True),
)
# Columns shown only when some cell of the group has a value (tier G1's).
OPTIONAL_METRICS = {"hbm_hit_rate", "ssd_read_bytes"}


def better_of(metric, table=None):
    """"max", "min" or None (no direction) for a metric of the table."""
    table = table if table is not None else kvbresults.BUILTIN_METRICS
    better = table[metric].better if metric in table else "neither"
    return {"higher": "max", "lower": "min"}.get(better)


def full_columns(frame, mode, baseline, table=None):
    """The full table's columns; seed-mode groups drop those needing time or dollars."""
    columns = [Column("strategy", "strategy", numeric=False)]
    for key, header, fmt, timed in FULL_METRICS:
        better = better_of(key, table) or ""
        if timed and mode == "seed":
            continue
        if key in OPTIONAL_METRICS and (key not in frame.columns
                                        or frame[key].map(missing).all()):
            continue
        if fmt is None:  # bytes: one unit per column, fitted to its largest value
            unit, divisor = bytes_scale(frame[key].tolist() if key in frame.columns else [])
            header, fmt = f"{header} ({unit})", fmt_scaled(divisor)
        columns.append(Column(key, header, fmt, better))
    if mode != "seed":
        columns.append(Column("net_benefit_usd_per_1k", f"net $ / 1K vs `{baseline}`",
                              fmt_dollars, "max"))
    return columns


def sort_rows(rows, key, table=None):
    """Best first by `key` (in its metric's direction; descending without one); rows
    without it last."""
    better = better_of(key, table) or "max"
    present = [r for r in rows if not missing(r.get(key))]
    absent = [r for r in rows if missing(r.get(key))]
    present.sort(key=lambda r: r[key], reverse=(better == "max"))
    return present + absent


def full_tables(results, cells, options, distrusted):
    """One full table per group (cluster, and trace/prices/rate_scale/... when several); the
    seed-mode groups after the others."""
    tables = []
    collapse = not options.per_seed and seeds_vary(cells)
    exclude = ("strategy",) + REPLICATE_COLUMNS if collapse else ("strategy",)
    ordered = sorted(groups(results, cells, exclude), key=lambda g: group_mode(g[2]) == "seed")
    for title, values, frame in ordered:
        mode = group_mode(frame)
        records = [dict(r) for _, r in frame.iterrows()]
        bases = {replicate_of(r): r for r in records if r["strategy"] == options.baseline}
        base = next(iter(bases.values()), None)
        notes = []
        for r in records:
            # Against the baseline of the same run (the one baseline when it has one run).
            b = bases.get(replicate_of(r), base if len(bases) == 1 else None)
            r["net_benefit_usd_per_1k"] = net_benefit_usd_per_1k(r, b) if b else math.nan
        if collapse:
            keys = [k for k, *_ in FULL_METRICS] + ["net_benefit_usd_per_1k"]
            records = over_seeds(records, keys)
            notes += spread_note(records)
        if base is None and mode != "seed":
            notes.append(f"baseline `{options.baseline}` is not in this group: no net benefit "
                         "(choose one with --baseline)")
        if declared_mode(frame) is None:
            notes.append("mode unknown (no kvbench section): "
                         + ("no cell measured time or dollars, so those columns are left out"
                            if mode == "seed" else "every column shown"))
        elif mode == "seed":
            notes.append("seed mode: no simulated time or dollars")
        if options.sort:
            records = sort_rows(records, options.sort, results.metrics)
        columns = full_columns(frame, mode, options.baseline, results.metrics)
        rows = [{c.key: r.get(c.key) for c in columns} | {"mode": r.get("mode")} |
                ({"spread": r["spread"], "seeds": r["seeds"]} if "spread" in r else {})
                for r in records]
        notes += mark_distrusted(rows, records, distrusted)
        tables.append(Table("full", title or "all cells", columns, rows, values,
                            notes + failed_notes(results, values)))
    return tables


# -- (3) Serving: groups whose nodes decode (aggregated and disaggregated clusters). --

def fmt_goodput(value):
    """A share, or "no SLO" where the cell set none (goodput is null then)."""
    return "no SLO" if missing(value) else fmt_percent(value, 1)


SERVING_METRICS = (
    # key, header, format
    ("goodput", "goodput", fmt_goodput),
    ("ttft_mean_s", "TTFT mean (s)", fmt_seconds),
    ("ttft_p99_s", "TTFT p99 (s)", fmt_seconds),
    ("tbt_slowest10_mean_s", "TBT, slowest 10% (s)", fmt_seconds),
    ("tbt_slowest10_p90_s", "its p90 (s)", fmt_seconds),
    ("itl_p99_s", "ITL p99 (s)", fmt_seconds),
    ("e2e_mean_s", "E2E mean (s)", fmt_seconds),
    ("output_tokens_per_s", "output tok/s", fmt_fixed(0)),
    ("preemptions", "preemptions", fmt_fixed(0)),
    ("rejected", "rejected", fmt_fixed(0)),
    ("wasted_prefill_s", "wasted prefill (s)", fmt_fixed(1)),
    ("usd_per_1k_requests", "$ / 1K req", fmt_dollars),
)


def decodes(frame):
    """Whether the group's cells generated output tokens (a serving shape)."""
    return "finished" in frame.columns and bool((frame["finished"].fillna(0) > 0).any())


def serving_tables(results, cells, options, distrusted):
    """Per group of serving cells: goodput, TTFT, TBT, ITL, E2E, throughput, rejections."""
    tables = []
    collapse = not options.per_seed and seeds_vary(cells)
    exclude = ("strategy",) + REPLICATE_COLUMNS if collapse else ("strategy",)
    for title, values, frame in groups(results, cells, exclude):
        if not decodes(frame):
            continue
        records = [dict(r) for _, r in frame.iterrows()]
        if collapse:
            records = over_seeds(records, [key for key, _, _ in SERVING_METRICS])
        records = sort_rows(records, options.sort or "goodput", results.metrics)
        columns = [Column("strategy", "strategy", numeric=False)]
        columns += [Column(key, header, fmt, better_of(key, results.metrics) or "")
                    for key, header, fmt in SERVING_METRICS if key in frame.columns]
        rows = [{c.key: r.get(c.key) for c in columns} |
                ({"spread": r["spread"], "seeds": r["seeds"]} if "spread" in r else {})
                for r in records]
        notes = ["goodput: requests finishing within every SLO set (TTFT; TBT as the Mooncake "
                 "paper's, the mean of a request's slowest 10% of gaps) / all requests"]
        notes += spread_note(records)
        if all(missing(r.get("goodput")) for r in records):
            notes.append("no SLO set in this group: goodput does not apply")
        notes += mark_distrusted(rows, records, distrusted)
        tables.append(Table("serving", titled("Serving", title), columns, rows, values,
                            notes + failed_notes(results, values)))
    return tables


# -- (4) The Pareto set. --

def is_realistic(row):
    """Realistic mode, or (no kvbench section) a cell that measured a TTFT."""
    mode = row.get("mode")
    if isinstance(mode, str):
        return mode == "realistic"
    return not missing(row.get("ttft_p99_s")) and row.get("ttft_p99_s", 0) > 0


def dominates(a, b):
    """a is at least as good as b in hit rate (up), TTFT p99 and $ (down), better in one."""
    at_least = (a["hit_rate"] >= b["hit_rate"] and a["ttft_p99_s"] <= b["ttft_p99_s"]
                and a["usd_per_1k_requests"] <= b["usd_per_1k_requests"])
    strictly = (a["hit_rate"] > b["hit_rate"] or a["ttft_p99_s"] < b["ttft_p99_s"]
                or a["usd_per_1k_requests"] < b["usd_per_1k_requests"])
    return at_least and strictly


def pareto_front(records):
    """The records no other record dominates, cheapest first."""
    front = [r for r in records if not any(dominates(o, r) for o in records if o is not r)]
    return sorted(front, key=lambda r: (r["usd_per_1k_requests"], r["ttft_p99_s"]))


def pareto_tables(results, cells, options, distrusted):
    """Per trace/prices/rate_scale/seed: the realistic cells (any cluster) on the front."""
    needed = ("hit_rate", "ttft_p99_s", "usd_per_1k_requests")
    if cells.empty or any(k not in cells.columns for k in needed):
        return []
    realistic = cells[cells.apply(is_realistic, axis=1)].dropna(subset=list(needed))
    tables = []
    for title, values, frame in groups(results, realistic, exclude=("strategy", "cluster"),
                                       always=()):
        records = [dict(r) for _, r in frame.iterrows()]
        front = pareto_front(records)
        columns = [Column("cluster", "cluster", numeric=False),
                   Column("strategy", "strategy", numeric=False),
                   Column("hit_rate", "hit rate", fmt_percent, "max"),
                   Column("ttft_p99_s", "TTFT p99 (s)", fmt_seconds, "min"),
                   Column("usd_per_1k_requests", "$ / 1K req", fmt_dollars, "min")]
        rows = [{c.key: r.get(c.key) for c in columns} for r in front]
        notes = [f"{len(front)} of {len(records)} realistic cells; the others are dominated"]
        notes += mark_distrusted(rows, front, distrusted)
        tables.append(Table("pareto", titled("Pareto set (hit rate up, TTFT p99 down, $ down)", title),
                            columns, rows, values, notes))
    return tables


# -- (5) Where each cell's work and blocks went, node by node. --

NODE_COLUMNS = (
    ("requests", "requests", fmt_fixed(0)),
    ("busy_s", "busy (s)", fmt_seconds),
    ("block_refs", "block refs", fmt_fixed(0)),
    ("hit_blocks", "hit blocks", fmt_fixed(0)),
    ("fetched_blocks_in", "fetched in", fmt_fixed(0)),
    ("fetched_blocks_out", "fetched out", fmt_fixed(0)),
    ("replica_blocks_in", "replicas in", fmt_fixed(0)),
    ("replica_blocks_out", "replicas out", fmt_fixed(0)),
    ("resident_blocks_end", "resident at end", fmt_fixed(0)),
)


def node_tables(results, cells, options):
    """Per cell (whose name contains options.cell): one row per node: requests served, busy
    time, hits, blocks fetched in and out, replica blocks received and sent, residents."""
    tables = []
    for _, cell in cells.iterrows():
        name = cell["name"]
        result = results.result_of(name) or {}
        nodes = result.get("nodes") or []
        if options.cell not in name or not nodes:
            continue
        keys = [k for k, _, _ in NODE_COLUMNS if any(k in n for n in nodes)]
        columns = [Column("node", "node", str, numeric=False)]
        columns += [Column(k, h, f) for k, h, f in NODE_COLUMNS if k in keys]
        rows = [{"node": i, **{k: n.get(k) for k in keys}} for i, n in enumerate(nodes)]
        notes = ["fetched: blocks moved for a request the node served (in) or sent to "
                 "another node's request (out); replicas: blocks a replication policy copied"]
        if "fetched_blocks_in" not in keys:
            notes = ["written before kvbench counted transfers per node"]
        tables.append(Table("nodes", f"Nodes: {name}", columns, rows, {"cell": name}, notes))
    return tables


def build_tables(results, options=None, distrusted=None):
    """Every table requested by options.kinds: the realistic results first (serving, full,
    Pareto), then the earlier simulator's compat tables, then per-node tables.
    `distrusted`: verdict.distrusted_map of the results, when the caller has it already."""
    options = options or TableOptions()
    cells = cells_of(results)
    if distrusted is None and {"serving", "full", "pareto"} & set(options.kinds):
        distrusted = distrusted_cells(results)
    tables = []
    if "serving" in options.kinds:
        tables += serving_tables(results, cells, options, distrusted)
    if "full" in options.kinds:
        tables += full_tables(results, cells, options, distrusted)
    if "pareto" in options.kinds:
        tables += pareto_tables(results, cells, options, distrusted)
    if "seed" in options.kinds:
        tables += seed_tables(results, cells, options)
    if "nodes" in options.kinds:
        tables += node_tables(results, cells, options)
    return tables


# ---- Rendering. ----

SECTION_TITLES = {"seed_traditional": "Seed-compat: the earlier Go simulator's tables (its model, not a serving cluster)",
                  "seed_net_benefit": "Seed-compat: the earlier Go simulator's tables (its model, not a serving cluster)",
                  "full": "Full table", "serving": "Serving (clusters whose nodes decode)",
                  "pareto": "Pareto set of realistic cells", "nodes": "Per node"}


def markdown_escape(text):
    return str(text).replace("|", "\\|")


def markdown_code(text):
    """Inline code for names (they hold '_', '+', '=' that Markdown would take as markup)."""
    return f"`{text}`" if text else ""


def to_markdown(table):
    """One table as a Markdown section: heading, table (best values bold), notes."""
    lines = [f"### {table.title}", ""]
    if not table.rows:
        lines.append("(no cells)")
    else:
        lines.append("| " + " | ".join(markdown_escape(c.header) for c in table.columns) + " |")
        lines.append("|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|")
        for row, best in zip(table.rows, table.best_keys()):
            texts = []
            for column in table.columns:
                text = table.cell_text(row, column)
                text = markdown_code(text) if not column.numeric else text
                texts.append(f"**{text}**" if column.key in best else text)
            lines.append("| " + " | ".join(markdown_escape(t) for t in texts) + " |")
    lines += [""] + [f"- {note}" for note in table.notes] + ([""] if table.notes else [])
    return "\n".join(lines)


def markdown_document(tables, files):
    """All tables under section headings, with the files they come from."""
    out = [f"Results: {', '.join(files)}", ""]
    if any(t.kind == "full" for t in tables):
        out.append("Best value per column in **bold**.")
        out.append("")
    section = None
    for table in tables:
        if SECTION_TITLES[table.kind] != section:
            section = SECTION_TITLES[table.kind]
            out += [f"## {section}", ""]
        out.append(to_markdown(table))
    if not tables:
        out.append("(no tables: no successful cells)")
    return "\n".join(out).rstrip() + "\n"


def csv_frame(tables):
    """The tables as one frame of raw values: group columns, then the table's columns, then
    "best" (the columns where the row holds the best value, ';'-separated)."""
    records = []
    for table in tables:
        for row, best in zip(table.rows, table.best_keys()):
            record = dict(table.group)
            if table.kind == "full":
                record["mode"] = row.get("mode")
            record.update({c.key: row.get(c.key) for c in table.columns})
            if "seeds" in row:
                record["seeds"] = row["seeds"]
                for c in table.columns:
                    spread = spread_of(row, c.key)
                    if spread:
                        record[f"{c.key}_min"], record[f"{c.key}_max"] = spread
            record["best"] = ";".join(c.key for c in table.columns if c.key in best)
            record["distrusted"] = row.get("distrusted", "")
            records.append(record)
    columns = []
    for record in records:
        columns += [k for k in record if k not in columns and k not in ("best", "distrusted")]
    return pd.DataFrame(records, columns=columns + ["best", "distrusted"])


def csv_tables_for(tables, kind):
    """The tables of one kind for CSV; the seed's two tables share their rows (one CSV)."""
    if kind == "seed":
        traditional = [t for t in tables if t.kind == "seed_traditional"]
        merged = []
        for t, n in zip(traditional, [t for t in tables if t.kind == "seed_net_benefit"]):
            columns = t.columns + [n.columns[-1]]
            merged.append(Table("seed", t.title, columns, t.rows, t.group))
        return merged
    return [t for t in tables if t.kind == kind]


def parse_cost_ratio(text):
    """"100:1" -> (100.0, 1.0); both parts positive."""
    try:
        gpu, storage = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected GPU:STORAGE, e.g. 100:1, got '{text}'") from None
    if gpu <= 0 or storage <= 0:
        raise argparse.ArgumentTypeError(f"both parts must be > 0, got '{text}'")
    return gpu, storage


def add_table_arguments(parser):
    """The options shared by tables.py and report.py."""
    parser.add_argument("--baseline", default="random",
                        help="strategy the full table's $ net benefit is measured against, "
                             "within each cluster (default: random)")
    parser.add_argument("--cost-ratio", type=parse_cost_ratio, default=(100.0, 1.0),
                        metavar="GPU:STORAGE",
                        help="GPU:storage cost ratio of the seed's net benefit (default 100:1)")
    parser.add_argument("--seed-rows", choices=("seed", "all"), default="seed",
                        help="clusters in the seed's tables: seed mode (and files without "
                             "mode) only, or every cluster (default: seed)")
    parser.add_argument("--per-seed", action="store_true",
                        help="full and serving tables: one row per strategy seed and arrival "
                             "jitter (default: one per strategy, the median [min, max] over them)")
    parser.add_argument("--sort", default="", metavar="COUNTER",
                        help="sort the full table by this counter, best first "
                             "(e.g. hit_rate, ttft_p99_s; default: file order)")


def options_from(args, kinds=TABLE_KINDS):
    return TableOptions(baseline=args.baseline, cost_ratio=args.cost_ratio,
                        seed_rows=args.seed_rows, sort=args.sort, kinds=kinds,
                        cell=getattr(args, "cell", ""), per_seed=args.per_seed)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Comparison tables of kvbench result files: the seed's two tables "
                    "(traditional score, GPU-weighted net benefit), the full table per "
                    "cluster (best value per column marked), and the Pareto set of "
                    "realistic cells. Exit status 2 on malformed input.")
    parser.add_argument("files", nargs="+", help="result JSON written by kvbench --out")
    parser.add_argument("--format", choices=("md", "csv"), default="md",
                        help="Markdown (default) or CSV of raw values (one table kind)")
    parser.add_argument("--table", choices=("all",) + TABLE_KINDS + EXTRA_KINDS, default=None,
                        help="which tables (default: all for md, full for csv); nodes: per "
                             "cell, where its requests, fetched and replica blocks went")
    parser.add_argument("--cell", default="", metavar="TEXT",
                        help="--table nodes: only cells whose name contains TEXT")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    add_table_arguments(parser)
    args = parser.parse_args(argv)
    if args.table is None:
        args.table = "all" if args.format == "md" else "full"
    if args.format == "csv" and args.table == "all":
        parser.error("--format csv writes one table kind: choose --table seed, full or pareto")
    return args


def main(argv=None):
    args = parse_args(argv)
    results = kvbresults.load_many(args.files)
    kinds = TABLE_KINDS if args.table == "all" else (args.table,)
    tables = build_tables(results, options_from(args, kinds))
    if args.format == "md":
        text = markdown_document(tables, results.paths)
    else:
        text = csv_frame(csv_tables_for(tables, args.table)).to_csv(index=False)
    if args.output:
        kvbresults.write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    kvbresults.main_wrapper(main)
