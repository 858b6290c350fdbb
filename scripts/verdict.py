#!/usr/bin/python3
"""The answer first: per group of realistic cells, the best strategy per objective, the
Pareto set, and the cells whose figures should not be trusted, with the reason.

    /usr/bin/python3 scripts/verdict.py results/latest.json

A cell is distrusted when its figures come from a degenerate run rather than from its
strategy: nodes left idle, requests rejected, the SLO missed for most requests, or queues
that never drained. Distrusted cells stay in the tables and the Pareto set (marked) but
never win an objective here. When one cost term other than the GPUs' makes up most of the
bill, the cost ranking follows that price: the verdict says so.
"""

import argparse
import statistics
import sys
from dataclasses import dataclass, field

import kvbresults
import tables

# Objective: (name, column, "max" or "min", format, a share: margins in percentage points).
# Goodput and TBT only where measured.
OBJECTIVES = (
    ("hit rate", "hit_rate", "max", tables.fmt_percent, True),
    ("TTFT p99", "ttft_p99_s", "min", tables.fmt_seconds, False),
    ("cost ($ / 1K requests)", "usd_per_1k_requests", "min", tables.fmt_dollars, False),
    ("goodput", "goodput", "max", lambda v: tables.fmt_percent(v, 1), True),
    ("TBT, slowest 10% (s)", "tbt_slowest10_mean_s", "min", tables.fmt_seconds, False),
    ("load balance (CV)", "load_cv", "min", tables.fmt_fixed(3), False),
)
COST_TERMS = (("gpu_usd", "GPU"), ("storage_usd", "storage"), ("network_usd", "network"))

# Thresholds of distrust (heuristics of this script, not of any paper).
IDLE_NODE_SHARE = 0.25       # more than this share of the nodes served no request, and
IDLE_HARM_FACTOR = 2.0       # TTFT p99 over 2x the median cell's (or goodput 5 pp under it)
REJECTED_SHARE = 0.01        # 1% or more of the requests rejected
SLO_FLOOR = 0.5              # with an SLO set, fewer than half the requests within it
OVERLOAD_FACTOR = 10.0       # TTFT p99 over 10x the group's median cell
DOMINANT_TERM = 0.5          # a non-GPU cost term over half the cell's dollars
GROUP_WIDE = 0.8             # a reason shared by 80% of a group's cells is said once


@dataclass
class Best:
    """One objective's answer among the trusted cells."""
    objective: str
    column: str
    better: str
    winners: list            # the records tied at the best value (as formatted)
    value: str
    runner_up: dict = None   # the best record not tied with the winners
    runner_value: str = ""
    margin: str = ""         # runner-up against the best: "+4.2%", "-0.31 pp" (shares)
    beaten_by_distrusted: list = field(default_factory=list)  # distrusted records that beat it


@dataclass
class Verdict:
    title: str               # the group's title (trace, prices, ... when several)
    cells: int
    clusters: int            # clusters in the group: labels name them when more than one
    best: list               # [Best]
    pareto: list             # records on the front (hit rate up, TTFT p99 down, $ down)
    distrusted: list         # [(record, [reasons])]
    notes: list              # group-wide statements


def present(frame, column):
    return column in frame.columns and frame[column].notna().any()


def label(record, clusters):
    name = record["strategy"]
    return f"{name} on {record.get('cluster')}" if clusters > 1 else name


def idle_nodes(results, record):
    """(nodes that served no request, nodes) from the cell's per-node rows, or None."""
    result = results.result_of(record["name"]) or {}
    nodes = result.get("nodes") or []
    if len(nodes) < 2 or not all("requests" in n for n in nodes):
        return None
    return sum(1 for n in nodes if n["requests"] == 0), len(nodes)


def dominant_term(record):
    """(term name, share) when a non-GPU cost term is over half the cell's dollars."""
    values = {name: record.get(key) for key, name in COST_TERMS}
    if any(tables.missing(v) for v in values.values()):
        return None
    total = sum(values.values())
    if total <= 0:
        return None
    name, value = max(((n, v) for n, v in values.items() if n != "GPU"), key=lambda t: t[1])
    return (name, value / total) if value / total > DOMINANT_TERM else None


def idle_share(results, record):
    """(idle nodes, nodes) when more than IDLE_NODE_SHARE of the nodes served no request."""
    idle = idle_nodes(results, record)
    return idle if idle and idle[0] / idle[1] > IDLE_NODE_SHARE else None


def harmed(record, median_ttft_p99, median_goodput, slo_set):
    """Its service is clearly worse than the group's median cell's."""
    ttft, goodput = record.get("ttft_p99_s"), record.get("goodput")
    if median_ttft_p99 and not tables.missing(ttft) and ttft > IDLE_HARM_FACTOR * median_ttft_p99:
        return True
    return bool(slo_set and not tables.missing(goodput) and not tables.missing(median_goodput)
                and goodput < median_goodput - 0.05)


def cost_shares(records):
    """[(term name, median share of the cell's dollars)] over cells with dollars, or []."""
    rows = [[r.get(key) for key, _ in COST_TERMS] for r in records]
    rows = [v for v in rows if not any(tables.missing(x) for x in v) and sum(v) > 0]
    if not rows:
        return []
    return [(name, statistics.median(v[i] / sum(v) for v in rows))
            for i, (_, name) in enumerate(COST_TERMS)]


def distrust_reasons(record, idle, median_ttft_p99, median_goodput, slo_set, limit):
    """Why this cell's figures describe a degenerate run, not its strategy ([] if none).
    Idle nodes (`idle`: idle_share's answer) alone are no reason: at light load few nodes
    may serve everything well. `limit`: overload_limit of the group."""
    reasons = []
    if idle and harmed(record, median_ttft_p99, median_goodput, slo_set):
        reasons.append(f"{idle[0]} of {idle[1]} nodes served no request, and its service "
                       "suffers for it")
    requests, rejected = record.get("requests"), record.get("rejected")
    if not tables.missing(requests) and requests > 0 and not tables.missing(rejected) \
            and rejected / requests >= REJECTED_SHARE:
        reasons.append(f"rejected {tables.fmt_percent(rejected / requests, 1)} of requests")
    slo = record.get("slo_attainment")
    if slo_set and not tables.missing(slo) and slo < SLO_FLOOR:
        reasons.append(f"only {tables.fmt_percent(slo, 1)} of requests met the SLO")
    ttft = record.get("ttft_p99_s")
    if limit is not None and not tables.missing(ttft) and ttft > limit:
        reasons.append(f"TTFT p99 {ttft / median_ttft_p99:.0f}x the median cell's (overloaded)")
    return reasons


def overload_limit(ttft_p99s):
    """The TTFT p99 past which a cell is overloaded: OVERLOAD_FACTOR x the median cell's
    (None without a positive value)."""
    values = [v for v in ttft_p99s if not tables.missing(v)]
    median = statistics.median(values) if values else 0
    return OVERLOAD_FACTOR * median if median > 0 else None


def margin(top, runner_up, share, fmt):
    """The runner-up's distance from the best: percentage points for shares, else relative
    (none when the best shows as 0)."""
    if share:
        return f"{100.0 * (runner_up - top):+.2f} pp"
    return "" if fmt(top) == fmt(0.0) else f"{100.0 * (runner_up - top) / abs(top):+.1f}%"


def choose_best(objective, column, better, fmt, share, trusted, distrusted):
    rows = [r for r in trusted if not tables.missing(r.get(column))]
    if not rows:
        return None
    ordered = sorted(rows, key=lambda r: r[column], reverse=(better == "max"))
    value = fmt(ordered[0][column])
    winners = [r for r in ordered if fmt(r[column]) == value]
    rest = ordered[len(winners):]
    best = Best(objective, column, better, winners, value)
    if rest:
        best.runner_up, best.runner_value = rest[0], fmt(rest[0][column])
        best.margin = margin(ordered[0][column], rest[0][column], share, fmt)
    beats = (lambda v: v > ordered[0][column]) if better == "max" else \
        (lambda v: v < ordered[0][column])
    best.beaten_by_distrusted = [(r, reasons) for r, reasons in distrusted
                                 if not tables.missing(r.get(column)) and beats(r[column])]
    return best


def group_verdict(results, title, frame):
    records = [dict(r) for _, r in frame.iterrows()]
    clusters = frame["cluster"].nunique() if "cluster" in frame.columns else 1
    slo_set = present(frame, "goodput")
    ttfts = [r["ttft_p99_s"] for r in records if not tables.missing(r.get("ttft_p99_s"))]
    median_ttft = statistics.median(ttfts) if ttfts else 0
    limit = overload_limit(ttfts)
    goodputs = [r["goodput"] for r in records if not tables.missing(r.get("goodput"))]
    median_goodput = statistics.median(goodputs) if goodputs else None
    idle = [idle_share(results, r) for r in records]
    reasons = [distrust_reasons(r, share, median_ttft, median_goodput, slo_set, limit)
               for r, share in zip(records, idle)]
    distrusted = [(r, why) for r, why in zip(records, reasons) if why]
    trusted = [r for r, why in zip(records, reasons) if not why]
    notes = []
    idle_unharmed = [(r, share) for r, share, why in zip(records, idle, reasons)
                     if share and not why]
    if idle_unharmed:
        notes.append("nodes left idle, service unharmed (light load lets few nodes serve "
                     "everything): " + ", ".join(f"`{label(r, clusters)}` {n} of {total}"
                                                 for r, (n, total) in idle_unharmed))
    if not slo_set:
        notes.append("no SLO set: SLO attainment counts every request, goodput does not apply "
                     "(set `ttft_slo_s` in the cluster)")
    shares = cost_shares(records)
    if shares:
        notes.append("cost terms, median share of a cell's dollars: " + ", ".join(
            f"{name} {tables.fmt_percent(share, 0)}" for name, share in shares))
    terms = [(r, dominant_term(r)) for r in records]
    heavy = [(r, t) for r, t in terms if t]
    if heavy and len(heavy) >= GROUP_WIDE * len(records):
        by_term = {}
        for _, (name, share) in heavy:
            by_term.setdefault(name, []).append(share)
        for name, shares in by_term.items():
            notes.append(f"{name} is over half the cost in {len(shares)} of {len(records)} cells "
                         f"(median {tables.fmt_percent(statistics.median(shares), 0)}): the cost "
                         f"ranking follows the {name} price more than the GPUs'")
    else:
        reasons_of = {id(r): why for r, why in distrusted}
        for r, (name, share) in heavy:
            if id(r) in reasons_of:
                reasons_of[id(r)].append(f"{name} is {tables.fmt_percent(share, 0)} of its cost")
            else:
                notes.append(f"`{label(r, clusters)}`: {name} is "
                             f"{tables.fmt_percent(share, 0)} of its cost; its cost rank "
                             "follows that price")
    best = []
    for objective, column, better, fmt, share in OBJECTIVES:
        if not present(frame, column):
            continue
        if column == "tbt_slowest10_mean_s" and not (frame[column].fillna(0) > 0).any():
            continue
        choice = choose_best(objective, column, better, fmt, share, trusted, distrusted)
        if choice:
            best.append(choice)
    pareto = []
    needed = ("hit_rate", "ttft_p99_s", "usd_per_1k_requests")
    complete = [r for r in records if not any(tables.missing(r.get(k)) for k in needed)]
    if complete:
        pareto = tables.pareto_front(complete)
    return Verdict(title, len(records), clusters, best, pareto, distrusted, notes)


def verdicts(results):
    """One Verdict per group of realistic cells (trace, prices, rate scale, seed, ...)."""
    cells = tables.cells_of(results)
    if cells.empty:
        return []
    realistic = cells[cells.apply(tables.is_realistic, axis=1)]
    return [group_verdict(results, title, frame) for title, _, frame in
            tables.groups(results, realistic, exclude=("strategy", "cluster"), always=())]


def distrusted_map(found):
    """{cell name: [reasons]} of every distrusted cell of these verdicts."""
    return {r["name"]: why for v in found for r, why in v.distrusted}


def names(records, clusters, limit=4, distrusted=()):
    shown = [f"`{label(r, clusters)}`" + (" (distrusted)" if id(r) in distrusted else "")
             for r in records[:limit]]
    more = len(records) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def to_markdown(verdict):
    """The verdict as Markdown lines."""
    heading = f"## Verdict: {verdict.title}" if verdict.title else "## Verdict"
    out = [heading, "", f"{verdict.cells} realistic cells."]
    out += [""] + [f"- **{b.objective}**: {names(b.winners, verdict.clusters)} ({b.value})"
                   + (f"; next {names([b.runner_up], verdict.clusters)} {b.runner_value}"
                      + (f" ({b.margin})" if b.margin else "") if b.runner_up is not None else "")
                   for b in verdict.best]
    distrusted = {id(r) for r, _ in verdict.distrusted}
    out += ["", "Pareto set (hit rate, TTFT p99, $): "
            + names(verdict.pareto, verdict.clusters, 8, distrusted)]
    if verdict.distrusted:
        out += ["", "Cells to distrust:"]
        out += [f"- `{label(r, verdict.clusters)}`: {'; '.join(why)}" for r, why in verdict.distrusted]
    if verdict.notes:
        out += [""] + [f"- {n}" for n in verdict.notes]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="The verdict of kvbench results: per group of realistic cells the best "
                    "strategy per objective, the Pareto set and the cells to distrust. Exit "
                    "status 2 on malformed input.")
    parser.add_argument("files", nargs="+", help="result JSON written by kvbench --out")
    args = parser.parse_args(argv)
    results = kvbresults.load_many(args.files)
    found = verdicts(results)
    if not found:
        print("no realistic cells: nothing to judge (seed-compat cells have no time or dollars)")
        return 0
    sys.stdout.write("\n\n".join(to_markdown(v) for v in found) + "\n")
    return 0


if __name__ == "__main__":
    kvbresults.main_wrapper(main)
