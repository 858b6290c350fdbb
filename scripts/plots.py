#!/usr/bin/python3
"""Plots of kvbench results, as PNG and SVG (matplotlib, Agg backend).

    /usr/bin/python3 scripts/plots.py results/latest.json -o results/plots

Pareto scatter, TTFT CDFs, hit rate vs cache capacity, and, for a few chosen cells, per-node
load, replica counts of ranked keys, a heatmap of the hottest prefixes over time and (cells of
disaggregated clusters only) the prefill and decode pools' load over time. Each
strategy has one colour everywhere (a fixed mapping from the sorted strategy names). A plot
whose data is absent is skipped with a note.
"""

import argparse
import io
import math
import os
import re
import textwrap
from dataclasses import dataclass

import kvbresults

matplotlib = kvbresults.require("matplotlib")
matplotlib.use("Agg")
plt = kvbresults.require("matplotlib.pyplot")
np = kvbresults.require("numpy")

import tables  # noqa: E402  (after the dependency checks)
import verdict  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "kvbench",      # stable ids: the same data gives the same SVG
    "svg.fonttype": "path",         # glyphs as paths: no font needed to view the SVG
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "figure.dpi": 100,
})

CLUSTER_MARKERS = "osD^vPX*<>hp"
RANK_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
MAX_PANELS = 6
CHOSEN_CELLS = ("Cells: those matching --cells, else all when few, else the highest hit rate "
                "per cluster.")


@dataclass
class Plot:
    """A figure, or (figure None) the note saying why it was skipped."""
    stem: str      # file name without extension
    title: str
    figure: object = None
    note: str = ""
    caption: str = ""  # what the plot shows, for the report


@dataclass
class PlotOptions:
    cells: str = ""               # regex over cell names choosing the per-cell plots' cells
    max_cells: int = 6            # at most this many cells in the per-cell plots
    ranks: tuple = (10, 100, 1000)  # tracked keys whose replica counts are plotted
    all_strategies: bool = False  # CDF and capacity plots: every strategy, not the best few
    baseline: str = "random"      # always drawn in the CDF and capacity plots


# ---- Colours and labels. ----

def strategy_colours(strategies):
    """A fixed colour per strategy from its place among the sorted names (tab10; up to 60:
    tab20, tab20b, tab20c; beyond: evenly spaced hues)."""
    names = sorted(set(strategies))
    if len(names) <= 10:
        palette = [plt.get_cmap("tab10")(i) for i in range(10)]
    elif len(names) <= 60:
        palette = [plt.get_cmap(m)(i) for m in ("tab20", "tab20b", "tab20c") for i in range(20)]
    else:
        palette = [plt.get_cmap("hsv")(i / len(names)) for i in range(len(names))]
    return {name: palette[i] for i, name in enumerate(names)}


def short(text, width=48):
    """Long names (strategies with parameters) cut in the middle: the router's name and the
    last parameters stay readable."""
    text = str(text)
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def cell_label(row, varying=()):
    """"strategy @ cluster", plus the other parameters in `varying` ("rate_scale=2")."""
    extra = ", ".join(f"{k}={row.get(k)}" for k in varying if k not in ("strategy", "cluster"))
    return f"{short(row['strategy'], 36)} @ {row.get('cluster', '?')}" + (f", {extra}" if extra else "")


def skip(stem, title, note):
    return Plot(stem, title, None, note)


def panel_grid(count, width=5.6, height=3.4):
    """A figure with `count` panels in up to 2 columns (one panel: 1.6 times as wide);
    returns (figure, flat list of axes)."""
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    figure_width = width * 1.6 if count == 1 else width * columns
    figure, axes = plt.subplots(rows, columns, figsize=(figure_width, height * rows + 0.6),
                                squeeze=False)
    flat = list(axes.flat)
    for extra in flat[count:]:
        extra.set_visible(False)
    return figure, flat[:count]


LEGEND_ROW_IN = 0.19  # height of one legend row at font size 8, inches


def legend_outside(figure, handles, labels):
    """One legend for the whole figure, below the panels, in as many columns as its width
    allows; returns its rows (finish() makes room for them)."""
    if not handles:
        return 0
    column_in = 0.07 * max(len(label) for label in labels) + 0.6
    columns = max(1, min(5, int(figure.get_figwidth() / column_in), len(labels)))
    figure.legend(handles, labels, loc="lower center", ncol=columns, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))
    return math.ceil(len(labels) / columns)


def finish(figure, title, legend_rows=0):
    """Suptitle on top, the legend's rows below the panels: the figure grows by the legend's
    height, so many strategies never squeeze the panels."""
    legend_in = 0.15 + LEGEND_ROW_IN * legend_rows if legend_rows else 0.0
    height = figure.get_figheight() + legend_in
    figure.set_figheight(height)
    figure.suptitle(title, y=1 - 0.08 / height, va="top")
    figure.tight_layout(rect=(0, legend_in / height, 1, 1))  # leaves room for the suptitle


def plain(title, width=64):
    """A group title for a plot panel: no Markdown backticks, wrapped onto lines."""
    return textwrap.fill(title.replace("`", ""), width) if title else ""


# ---- Whole-matrix plots. ----

def realistic_cells(results):
    cells = tables.cells_of(results)
    needed = ("ttft_p99_s", "usd_per_1k_requests", "hit_rate")
    if cells.empty or any(k not in cells.columns for k in needed):
        return cells.iloc[0:0]
    return cells[cells.apply(tables.is_realistic, axis=1)].dropna(subset=list(needed))


def pareto_groups(results, cells):
    """(title, frame) per trace/prices/rate_scale/... (any cluster)."""
    return [(title, frame) for title, _, frame in
            tables.groups(results, cells, exclude=("strategy", "cluster"), always=())]


def log_if_wide(ax, axis, values, ratio=20.0):
    """A log scale on `axis` ("x" or "y") when the positive values span more than `ratio`."""
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > ratio:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        return True
    return False


DIRECT_LABELS = 8   # a Pareto set up to this size is labelled beside its points; else numbered
# Label offsets tried in turn (points) until a label overlaps none placed before it.
LABEL_OFFSETS = ((5, 4), (5, -11), (-9, 6), (-9, -13), (8, 14), (8, -20), (-14, 16), (-14, -24))


class LabelPlacer:
    """Greedy placement of short labels beside points, avoiding labels placed before."""

    def __init__(self, ax, fontsize):
        self.ax, self.fontsize, self.boxes = ax, fontsize, []

    def place(self, x, y, text):
        px, py = self.ax.transData.transform((x, y)) * 72.0 / self.ax.figure.dpi
        width, height = 0.6 * self.fontsize * len(text), self.fontsize
        chosen = LABEL_OFFSETS[0]
        for dx, dy in LABEL_OFFSETS:
            left = px + dx if dx >= 0 else px + dx - width
            box = (left, py + dy, left + width, py + dy + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for b in self.boxes):
                chosen = (dx, dy)
                self.boxes.append(box)
                break
        dx, dy = chosen
        self.ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                         fontsize=self.fontsize, ha="left" if dx >= 0 else "right", zorder=4)


def off_scale_limit(values):
    """The y value above which a cell is drawn at the top edge: the verdict's overload
    limit, or None when no value is past it."""
    limit = verdict.overload_limit(values)
    return limit if limit is not None and max(values) > limit else None


def pareto_scatter(results, colours):
    stem, title = "pareto", "TTFT p99 vs $ per 1K requests"
    cells = realistic_cells(results)
    if cells.empty:
        return skip(stem, title, "no realistic cells (seed mode has no TTFT or dollars)")
    all_groups = pareto_groups(results, cells)
    grouped = all_groups[:MAX_PANELS]
    figure, axes = panel_grid(len(grouped), width=6.4, height=4.6)
    clusters = sorted(cells["cluster"].astype(str).unique()) if "cluster" in cells else ["?"]
    markers = {c: CLUSTER_MARKERS[i % len(CLUSTER_MARKERS)] for i, c in enumerate(clusters)}
    handles, labels = [], []
    clipped_any = False
    for panel, (ax, (group_title, frame)) in enumerate(zip(axes, grouped)):
        letter = "ABCDEFGH"[panel] if len(grouped) > 1 else ""  # numbers are per panel
        records = [dict(r) for _, r in frame.iterrows()]
        front = tables.pareto_front(records)
        front_ids = {id(r) for r in front}
        limit = off_scale_limit([r["ttft_p99_s"] for r in records])
        in_scale = [r["ttft_p99_s"] for r in records if limit is None or r["ttft_p99_s"] <= limit]
        log_y = log_if_wide(ax, "y", in_scale)
        top = max(in_scale) * (1.6 if log_y else 1.12) if in_scale else 1.0

        def y_of(r):
            return top if limit is not None and r["ttft_p99_s"] > limit else r["ttft_p99_s"]

        for r in records:
            if id(r) in front_ids:
                continue
            clipped = y_of(r) != r["ttft_p99_s"]
            clipped_any |= clipped
            ax.scatter(r["usd_per_1k_requests"], y_of(r), s=22, color="#b8bec6", zorder=2,
                       marker="^" if clipped else markers[str(r.get("cluster", "?"))],
                       linewidths=0)
        numbered = len(front) > DIRECT_LABELS
        for r in front:
            clipped = y_of(r) != r["ttft_p99_s"]
            clipped_any |= clipped
            ax.scatter(r["usd_per_1k_requests"], y_of(r), s=70, color=colours[r["strategy"]],
                       edgecolors="black", linewidths=1.2, zorder=3,
                       marker="^" if clipped else markers[str(r.get("cluster", "?"))])
        if limit is not None:
            ax.axhline(top, color="#8a1c00", linewidth=0.8, linestyle=":", zorder=1)
            ax.set_ylim(top=top * (1.25 if log_y else 1.05))
        log_x = log_if_wide(ax, "x", [r["usd_per_1k_requests"] for r in records])
        ax.get_xlim(), ax.get_ylim()  # settles the limits: the labels are placed in them
        placer = LabelPlacer(ax, 7 if numbered else 7.5)
        for number, r in enumerate(front, start=1):
            clipped = y_of(r) != r["ttft_p99_s"]
            name = short(r["strategy"], 30) + (f" @ {r.get('cluster')}" if len(clusters) > 1 else "")
            text = f"{letter}{number}" if numbered else name
            placer.place(r["usd_per_1k_requests"], y_of(r),
                         text + (f" ({tables.fmt_seconds(r['ttft_p99_s'])} s)" if clipped else ""))
            if numbered:
                handles.append(plt.Line2D([], [], marker=markers[str(r.get("cluster", "?"))],
                                          linestyle="", color=colours[r["strategy"]],
                                          markeredgecolor="black"))
                labels.append(f"{letter}{number}: {name}")
        ax.set_xlabel("cost ($ per 1,000 requests)" + (", log scale" if log_x else ""))
        ax.set_ylabel("TTFT p99 (s)" + (", log scale" if log_y else ""))
        ax.set_title((f"{letter}: " if letter else "") + (plain(group_title) or "all realistic cells"))
    handles.append(plt.Line2D([], [], marker="o", linestyle="", color="#b8bec6"))
    labels.append("dominated cells (in the tables)")
    if len(clusters) > 1:
        for c in clusters:
            handles.append(plt.Line2D([], [], marker=markers[c], linestyle="", color="black",
                                      markerfacecolor="none"))  # hollow: not a strategy
            labels.append(f"cluster {c}")
    rows = legend_outside(figure, handles, labels)
    finish(figure, "TTFT p99 vs cost: the Pareto set labelled, dominated cells in grey", rows)
    clipped_note = (f" Triangles on the dotted line: cells whose TTFT p99 is over "
                    f"{verdict.OVERLOAD_FACTOR:g}x the median cell's (overloaded), drawn off scale "
                    "with their value." if clipped_any else "")
    return Plot(stem, title, figure, caption=(
        "Realistic cells. Coloured, black-edged and labelled: the Pareto set (no other cell "
        "has a higher hit rate, a lower TTFT p99 and a lower cost at once), numbered cheapest "
        f"first when it has more than {DIRECT_LABELS} cells; grey: the dominated cells, whose "
        "figures are in the tables. One marker per cluster. Lower left is better." + clipped_note
        + truncation_note(len(grouped), len(all_groups))))


def shown_strategies(frame, options):
    """Strategies a per-strategy plot draws for this group: all with options.all_strategies,
    else the group's Pareto set plus the baseline."""
    if options.all_strategies:
        return set(frame["strategy"])
    needed = ("hit_rate", "ttft_p99_s", "usd_per_1k_requests")
    records = [dict(r) for _, r in frame.dropna(subset=list(needed)).iterrows()] \
        if all(k in frame.columns for k in needed) else []
    return {r["strategy"] for r in tables.pareto_front(records)} | \
        ({options.baseline} & set(frame["strategy"]))


def ttft_cdf(results, colours, options):
    stem, title = "ttft_cdf", "TTFT CDF per strategy"
    cells = realistic_cells(results)
    series = [(r, results.result_of(r["name"])) for _, r in cells.iterrows()]
    series = [(r, res["latency"]["ttft_percentiles_s"]) for r, res in series
              if res and len(res.get("latency", {}).get("ttft_percentiles_s") or []) >= 2]
    if not series:
        return skip(stem, title, "no TTFT percentiles (seed mode, or no kvbench section)")
    with_data = cells[cells["name"].isin({r["name"] for r, _ in series})]
    all_groups = [(t, f) for t, _, f in tables.groups(results, with_data)]
    grouped = all_groups[:MAX_PANELS]
    figure, axes = panel_grid(len(grouped))
    by_name = {r["name"]: p for r, p in series}
    drawn, hidden = set(), 0
    for ax, (group_title, frame) in zip(axes, grouped):
        positive = []
        chosen = shown_strategies(frame, options)
        hidden += sum(1 for s in frame["strategy"] if s not in chosen)
        for _, r in frame.iterrows():
            if r["strategy"] not in chosen:
                continue
            values = by_name[r["name"]]
            q = np.linspace(0, 100, len(values))
            dashed = r["strategy"] == options.baseline and not options.all_strategies
            ax.plot(values, q, color=colours[r["strategy"]], linewidth=1.6,
                    linestyle="--" if dashed else "-")
            drawn.add(r["strategy"])
            positive += [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 100:
            ax.set_xscale("log")
        ax.set_xlabel("TTFT (s)" + (", log scale" if ax.get_xscale() == "log" else ""))
        ax.set_ylabel("requests with a lower TTFT (%)")
        ax.set_ylim(0, 100)
        ax.set_title(plain(group_title))
    names = sorted(drawn)
    rows = legend_outside(figure, [plt.Line2D([], [], color=colours[n], linewidth=2,
                                              linestyle="--" if n == options.baseline
                                              and not options.all_strategies else "-")
                                   for n in names], [short(n) for n in names])
    finish(figure, "TTFT distribution (percentiles 0-100)", rows)
    which = ("every strategy" if options.all_strategies else
             f"the Pareto set of each panel plus the baseline `{options.baseline}` (dashed); "
             f"{hidden} other cells hidden (--all-strategies draws them)")
    return Plot(stem, title, figure, caption=(
        f"Share of requests served within a given TTFT: {which}; further left is faster."
        + truncation_note(len(grouped), len(all_groups))))


def capacity_series(results):
    """({series key: frame}, key columns): cells differing only in capacity_blocks, series
    of at least 2 capacities."""
    cells = tables.cells_of(results)
    if cells.empty or "capacity_blocks" not in cells.columns:
        return {}, []
    cells = cells.dropna(subset=["capacity_blocks"])
    keys = kvbresults.group_columns(results, exclude=("cluster",))
    keys += [c for c in ("mode", "nodes", "eviction", "scope") if c in cells.columns]
    series = {}
    for key, frame in cells.groupby(keys, sort=False, dropna=False):
        if frame["capacity_blocks"].nunique() >= 2:
            series[key if isinstance(key, tuple) else (key,)] = frame.sort_values("capacity_blocks")
    return series, keys


MAX_COLOURED_LINES = 8  # beyond: the best lines and the baseline coloured, the rest grey


def hit_rate_vs_capacity(results, colours, options):
    """One panel per combination of the other settings that vary (rate scale, scope, ...),
    one line per strategy; with many strategies only the best at the largest capacity and
    the baseline are coloured."""
    stem, title = "hit_rate_vs_capacity", "Hit rate vs cache capacity"
    series, keys = capacity_series(results)
    if not series:
        why = "" if results.has_kvbench_section() else " (capacities come from the kvbench section)"
        return skip(stem, title, "no sweep: no cells whose clusters differ only in capacity_blocks"
                    + why)
    strategy_index = keys.index("strategy")
    varying = [i for i, c in enumerate(keys) if i != strategy_index
               and len({str(k[i]) for k in series}) > 1]
    panels = {}
    for key, frame in series.items():
        panel = ", ".join(f"{keys[i]} {key[i]}" for i in varying)
        panels.setdefault(panel, []).append((key[strategy_index], frame))
    shown = list(panels.items())[:MAX_PANELS]
    figure, axes = panel_grid(len(shown), width=5.6, height=3.6)
    capacities = sorted({int(c) for f in series.values() for c in f["capacity_blocks"]})
    coloured, greyed = set(), 0
    for ax, (panel, lines) in zip(axes, shown):
        keep = {s for s, _ in lines}
        if len(lines) > MAX_COLOURED_LINES and not options.all_strategies:
            by_last = sorted(lines, key=lambda line: -line[1]["hit_rate"].iloc[-1])
            keep = {s for s, _ in by_last[:MAX_COLOURED_LINES]} | {options.baseline}
        for strategy, frame in lines:
            if strategy in keep:
                ax.plot(frame["capacity_blocks"], 100.0 * frame["hit_rate"], marker="o",
                        color=colours[strategy], linewidth=1.6, zorder=3)
                coloured.add(strategy)
            else:
                ax.plot(frame["capacity_blocks"], 100.0 * frame["hit_rate"], color="#c4c9cf",
                        linewidth=0.9, zorder=2)
                greyed += 1
        ax.set_xscale("log", base=2)
        ax.set_xticks(capacities)
        ax.set_xticklabels([f"{c:,}" for c in capacities])
        ax.minorticks_off()
        ax.set_xlabel("cache capacity per node (blocks, log scale)")
        ax.set_ylabel("block hit rate (%)")
        ax.set_title(plain(panel))
    names = sorted(coloured)
    handles = [plt.Line2D([], [], color=colours[n], marker="o") for n in names]
    labels = [short(n) for n in names]
    if greyed:
        handles.append(plt.Line2D([], [], color="#c4c9cf"))
        labels.append("other strategies")
    rows = legend_outside(figure, handles, labels)
    finish(figure, title, rows)
    grey_note = (f" Only the {MAX_COLOURED_LINES} best at the largest capacity and the baseline "
                 "are coloured; the others are grey (--all-strategies colours every line)."
                 if greyed else "")
    return Plot(stem, title, figure, caption=(
        "Block hit rate of cells whose clusters differ only in capacity per node, one line per "
        "strategy, one panel per value of the other settings that vary." + grey_note
        + truncation_note(len(shown), len(panels))))


def truncation_note(shown, total):
    return "" if shown >= total else f" Showing the first {shown} of {total} panels."


# ---- Per-cell time series. ----

def select_cells(results, options):
    """Cells for the per-cell plots: those matching options.cells, else all when few, else
    the cell with the highest hit rate per cluster; at most options.max_cells."""
    cells = tables.cells_of(results)
    cells = cells[cells["name"].map(lambda n: results.result_of(n) is not None)]
    if options.cells:
        pattern = re.compile(options.cells)
        chosen = cells[cells["name"].map(lambda n: bool(pattern.search(n)))]
    elif len(cells) <= options.max_cells:
        chosen = cells
    else:
        keys = [c for c in kvbresults.group_columns(results) if c in cells.columns]
        best = cells.groupby(keys, sort=False, dropna=False)["hit_rate"].idxmax()
        chosen = cells.loc[sorted(best.dropna())]
    return [dict(r) for _, r in chosen.head(options.max_cells).iterrows()]


def window_axis(result):
    """(x values, x label) of the windows: seconds, or requests in seed mode."""
    starts = [w.get("start", i) for i, w in enumerate(result["windows"])]
    if result.get("window_s", 0) > 0:
        return starts, "simulated time (s, window start)"
    return starts, "requests routed (window start)"


# Parameters named in a panel's title when they differ among the panels.
PANEL_PARAMETERS = ("matrix", "trace", "prices", "rate_scale", "seed", "source")


def per_cell_figure(stem, title, cells, draw, note_if_empty, caption=""):
    """Small multiples: one panel per (row, result) in `cells` that has the data.

    draw(ax, row, result) -> bool draws one panel and says whether the result had the
    data; called with ax None it only says so (has_any)."""
    drawable = [(r, result) for r, result in cells if has_any(result, draw)]
    if not drawable:
        return skip(stem, title, note_if_empty)
    figure, axes = panel_grid(len(drawable))
    varying = [k for k in PANEL_PARAMETERS if len({str(r.get(k)) for r, _ in drawable}) > 1]
    for ax, (row, result) in zip(axes, drawable):
        draw(ax, row, result)
        ax.set_title(plain(cell_label(row, varying)))
    finish(figure, title)
    return Plot(stem, title, figure, caption=caption)


def has_any(result, draw):
    """Whether draw() would find its data in result (it draws nothing with ax None)."""
    return draw(None, None, result)


def draw_load(ax, row, result):
    """Per-node queue length per window; a heatmap when there are more than 8 nodes."""
    windows = result.get("windows") or []
    queues = [w.get("queue_length") or [] for w in windows]
    if not queues or not any(queues):
        return False
    if ax is None:
        return True
    nodes = max(len(q) for q in queues)
    matrix = np.array([q + [0] * (nodes - len(q)) for q in queues], dtype=float).T
    x, xlabel = window_axis(result)
    if nodes <= 8:
        for n in range(nodes):
            ax.plot(x, matrix[n], linewidth=1.3, label=f"node {n}")
        ax.legend(ncol=min(nodes, 4), fontsize=7)
        ax.set_ylabel("queued requests (window end)")
    else:
        image = ax.imshow(matrix, aspect="auto", origin="lower", cmap="viridis", interpolation="nearest",
                          extent=(x[0], x[-1] + (x[1] - x[0] if len(x) > 1 else 1), -0.5, nodes - 0.5))
        ax.figure.colorbar(image, ax=ax, label="queued requests")
        ax.set_ylabel("node")
        ax.grid(False)
    ax.set_xlabel(xlabel)
    return True


def draw_replicas(ranks):
    def draw(ax, row, result):
        keys = [k for k in result.get("tracked_keys") or []
                if k.get("rank") in ranks and k.get("holders")]
        if not keys:
            return False
        if ax is None:
            return True
        period = result.get("sample_period_s") or 0
        for i, key in enumerate(sorted(keys, key=lambda k: k["rank"])):
            holders = key["holders"]
            x = [period * s for s in range(len(holders))] if period else list(range(len(holders)))
            ax.step(x, holders, where="post", color=RANK_COLOURS[i % len(RANK_COLOURS)],
                    linewidth=1.5, label=f"rank {key['rank']} (id {key['id']}, "
                                         f"{key.get('accesses', '?'):,} requests)")
        ax.set_xlabel(f"simulated time (s, a sample every {period:g} s)" if period else "sample")
        ax.set_ylabel("nodes holding the key")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
        return True
    return draw


def heat_label(key):
    """"#3 id 40", or for a chain of ids in exactly the same requests "#3 ids 17..40 (5)"."""
    length = key.get("chain_length", 1)
    if length > 1:
        return f"#{key['rank']} ids {key.get('chain_first_id')}..{key['id']} ({length})"
    return f"#{key['rank']} id {key['id']}"


def draw_heat(ax, row, result):
    """Rows: the hottest keys (rank 1 at the top); columns: windows; colour: accesses."""
    keys = result.get("heat_keys") or []
    windows = result.get("windows") or []
    if not keys or not windows or not any(w.get("heat_key_accesses") for w in windows):
        return False
    if ax is None:
        return True
    matrix = np.array([[(w.get("heat_key_accesses") or [0] * len(keys))[k]
                        if k < len(w.get("heat_key_accesses") or []) else 0
                        for w in windows] for k in range(len(keys))], dtype=float)
    x, xlabel = window_axis(result)
    step = x[1] - x[0] if len(x) > 1 else 1
    # Log colours, light to dark: the top prefix (often a system prompt in every request)
    # would otherwise flatten the rest; 0 (white) and 1 (the palest) both read as cold.
    colour_map = matplotlib.colormaps["YlOrRd"].copy()
    colour_map.set_bad("#ffffff")  # no access in the window
    masked = np.ma.masked_less_equal(matrix, 0)
    norm = matplotlib.colors.LogNorm(vmin=1, vmax=max(2.0, float(matrix.max())))
    image = ax.imshow(masked, aspect="auto", cmap=colour_map, norm=norm, interpolation="nearest",
                      extent=(x[0], x[-1] + step, len(keys) - 0.5, -0.5))
    ax.figure.colorbar(image, ax=ax, label="requests containing it, per window (log)")
    ax.set_yticks(range(len(keys)))
    ax.set_yticklabels([heat_label(k) for k in keys], fontsize=7 if len(keys) <= 20 else 5)
    ax.set_ylabel("hottest prefixes (rank: block ids)")
    ax.set_xlabel(xlabel)
    ax.grid(False)
    return True


def pool_sizes(results, row, result):
    """(prefill nodes, decode nodes) of a disaggregated cell, else None: from the cluster in
    the kvbench section's matrix config (shape, nodes, decode_nodes), else from the result
    (a disaggregated cell's windows list more queues, prefill nodes first, than it has
    router nodes)."""
    section = (results.kvbench or {}).get(row.get("source")) or {}
    for matrix in section.get("matrices") or []:
        if matrix.get("name") != row.get("matrix"):
            continue
        for cluster in (matrix.get("config") or {}).get("clusters") or []:
            if cluster.get("name") == row.get("cluster"):
                if cluster.get("shape") != "disaggregated":
                    return None
                return int(cluster["nodes"]), int(cluster["decode_nodes"])
    prefill, queues = routed_and_queued_nodes(result)
    return (prefill, queues - prefill) if 0 < prefill < queues else None


def pool_load_series(results, row, result):
    """Per window, the summed queue_length (requests waiting, loading or running at the
    window's end) of the prefill pool's nodes and of the decode pool's: (x, prefill, decode,
    sizes), or None when the cell is not disaggregated or has no queue lengths."""
    sizes = pool_sizes(results, row, result)
    windows = (result or {}).get("windows") or []
    if sizes is None or not any(w.get("queue_length") for w in windows):
        return None
    prefill_nodes, _ = sizes
    queues = [w.get("queue_length") or [] for w in windows]
    prefill = [float(sum(q[:prefill_nodes])) for q in queues]
    decode = [float(sum(q[prefill_nodes:])) for q in queues]
    x, _ = window_axis(result)
    return x, prefill, decode, sizes


def pearson(a, b):
    """Pearson correlation of two equal-length series; None when either is constant."""
    if len(a) < 2:
        return None
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


POOL_COLOURS = {"prefill": "#1f77b4", "decode": "#d62728"}


def draw_pool_load(results):
    """Each pool's load per window as a share of its own maximum in the run (two lines).
    Called with ax None (has_any, no row) it answers from the result alone."""
    def draw(ax, row, result):
        if ax is None:
            return disaggregated_result(result)
        series = pool_load_series(results, row, result)
        if series is None:
            return False
        x, prefill, decode, (p_nodes, d_nodes) = series
        for pool, values, nodes in (("prefill", prefill, p_nodes), ("decode", decode, d_nodes)):
            peak = max(values)
            share = [100.0 * v / peak if peak > 0 else 0.0 for v in values]
            ax.plot(x, share, color=POOL_COLOURS[pool], linewidth=1.5,
                    label=f"{pool} pool, {nodes} nodes (100% = {peak:,.0f} requests)")
        r = pearson(prefill, decode)
        ax.text(0.01, 0.02, f"correlation over {len(x)} windows: "
                + ("n/a (a pool is constant)" if r is None else f"{r:+.2f}"),
                transform=ax.transAxes, fontsize=7, va="bottom")
        ax.set_ylim(0, 108)
        ax.set_xlabel(window_axis(result)[1])
        ax.set_ylabel("pool load (% of its maximum)")
        ax.legend(fontsize=7, loc="upper right")
        return True
    return draw


def routed_and_queued_nodes(result):
    """(nodes the router placed requests on, nodes with queue lengths in the windows): a
    disaggregated cell's windows list the prefill nodes, then the decode nodes."""
    windows = (result or {}).get("windows") or []
    queues = max((len(w.get("queue_length") or []) for w in windows), default=0)
    return len((result or {}).get("nodes") or []), queues


def disaggregated_result(result):
    """Whether a result has the queue lengths of more nodes than its router placed requests on."""
    prefill, queues = routed_and_queued_nodes(result)
    return 0 < prefill < queues


POOL_LOAD_CAPTION = (
    "Disaggregated cells only (aggregated and prefill-only cells are skipped): at the end of "
    "each window, the requests waiting, loading or running summed over the prefill pool's "
    "nodes and over the decode pool's, each drawn as a share of that pool's largest sum in "
    "the run (the legend gives it), so that the two pools' swings compare on one axis; the "
    "Pearson correlation of the two raw sums over the windows is printed in each panel. "
    "The Mooncake report's Fig. 9 (arXiv v3) shows the two anticorrelated under early "
    "rejection. ")


def pool_load_plot(results, chosen):
    """The pool_load_over_time plot of the chosen (row, result) pairs: one panel per
    disaggregated cell, skipped with a note when none is."""
    return per_cell_figure("pool_load_over_time", "Prefill and decode pool load over time",
                           chosen, draw_pool_load(results),
                           "no disaggregated cell with queue lengths among the chosen cells",
                           POOL_LOAD_CAPTION + CHOSEN_CELLS)


def per_cell_plots(results, options):
    chosen = [(row, results.result_of(row["name"])) for row in select_cells(results, options)]
    if not chosen:
        note = ("no per-cell time series (no kvbench section)" if not results.has_kvbench_section()
                else "no cell matches --cells" if options.cells else "no successful cell")
        return [skip(s, t, note) for s, t in (("load_over_time", "Per-node load over time"),
                                              ("replicas_over_time", "Replicas of ranked keys over time"),
                                              ("hot_prefixes", "Hottest prefixes over time"))]
    ranks = ", ".join(str(r) for r in options.ranks)
    return [
        per_cell_figure("load_over_time", "Per-node load over time", chosen, draw_load,
                        "no windows with queue lengths",
                        "Requests queued or in service on each node at the end of each window "
                        "(seed mode: the size of its last-100-requests list). " + CHOSEN_CELLS),
        per_cell_figure("replicas_over_time", f"Nodes holding the keys ranked {ranks}",
                        chosen, draw_replicas(set(options.ranks)),
                        f"no replica samples of the keys ranked {ranks} (seed mode samples none)",
                        "How many nodes hold the key ranked k-th by the number of requests "
                        "containing it, sampled periodically. " + CHOSEN_CELLS),
        per_cell_figure("hot_prefixes", "Accesses of the hottest prefixes over time", chosen,
                        draw_heat, "no heat keys in the results",
                        "Requests per window containing each of the most shared prefixes, "
                        "rank 1 on top. A prefix is a chain of block ids found in exactly the "
                        "same requests, named by its first and deepest ids and its length "
                        "(files written before kvbench grouped chains show one id per row). "
                        "White: no request. " + CHOSEN_CELLS),
    ] + pool_plot_if_any(results, chosen)


def pool_plot_if_any(results, chosen):
    """[pool_load_over_time] when a chosen cell is disaggregated, else [] (a matrix without
    such cells lists no pool plot at all, not even a skip note)."""
    plot = pool_load_plot(results, chosen)
    return [plot] if plot.figure is not None else []


def make_plots(results, options=None):
    """Every plot, in a fixed order; skipped ones carry a note instead of a figure."""
    options = options or PlotOptions()
    colours = strategy_colours(kvbresults.strategy_order(results))
    return [pareto_scatter(results, colours), ttft_cdf(results, colours, options),
            hit_rate_vs_capacity(results, colours, options)] + per_cell_plots(results, options)


# ---- Output. ----

def figure_bytes(figure, fmt):
    buffer = io.BytesIO()
    # No date (same data, same bytes) and, in SVG, no RDF block of creator and format URLs.
    metadata = ({"Date": None, "Creator": None, "Format": None, "Type": None} if fmt == "svg"
                else {"Software": None})
    figure.savefig(buffer, format=fmt, dpi=110, metadata=metadata, bbox_inches="tight")
    return buffer.getvalue()


def inline_svg(figure, prefix):
    """The figure as an <svg> element to inline in HTML: no XML prolog, every id prefixed
    (several figures share ids otherwise), scaled to the page width."""
    text = figure_bytes(figure, "svg").decode("utf-8")
    text = text[text.index("<svg"):]
    seen = {}

    def unique_id(match):
        # Matplotlib names images by content: identical panels repeat an id. Later copies
        # get a suffix (references keep pointing at the first, identical, definition).
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        return f'id="{prefix}-{name}{suffix}"'
    text = re.sub(r'\bid="([^"]+)"', unique_id, text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{prefix}" ', 1)


def write_plots(plots, directory, formats):
    """Writes each drawn plot as DIR/<stem>.<fmt> (atomically); returns report lines."""
    lines = []
    for plot in plots:
        if plot.figure is None:
            lines.append(f"skipped {plot.stem}: {plot.note}")
            continue
        written = []
        for fmt in formats:
            path = os.path.join(directory, f"{plot.stem}.{fmt}")
            kvbresults.write_atomically(path, figure_bytes(plot.figure, fmt))
            written.append(path)
        lines.append(f"wrote {', '.join(written)}")
    return lines


def close_all(plots):
    for plot in plots:
        if plot.figure is not None:
            plt.close(plot.figure)


def parse_ranks(text):
    try:
        ranks = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ranks like 10,100,1000, got '{text}'") from None
    return ranks


def options_from(args):
    """PlotOptions from parsed arguments (add_plot_arguments, and --baseline)."""
    return PlotOptions(args.cells, args.max_cells, args.ranks, args.all_strategies,
                       args.baseline)


def add_plot_arguments(parser):
    """The options shared by plots.py and report.py."""
    parser.add_argument("--cells", default="", metavar="REGEX",
                        help="cells (by name) for the per-cell time-series plots; default: all "
                             "when at most --max-cells, else the best hit rate per cluster")
    parser.add_argument("--max-cells", type=int, default=6, metavar="N",
                        help="at most N cells in the per-cell plots (default 6)")
    parser.add_argument("--ranks", type=parse_ranks, default=(10, 100, 1000), metavar="R,R,...",
                        help="tracked keys whose replica counts to plot (default 10,100,1000)")
    parser.add_argument("--all-strategies", action="store_true",
                        help="draw every strategy in the TTFT CDF and colour every line of the "
                             "capacity plot (default: the Pareto set, or the 8 best, plus the "
                             "baseline)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Plots of kvbench result files as PNG and SVG: Pareto scatter (TTFT p99 "
                    "vs $ per 1K requests), TTFT CDFs, hit rate vs cache capacity, per-node "
                    "load, replica counts of ranked keys, heatmap of the hottest prefixes, "
                    "prefill and decode pool load (disaggregated cells). A "
                    "plot without data is skipped with a note. Exit status 2 on bad input.")
    parser.add_argument("files", nargs="+", help="result JSON written by kvbench --out")
    parser.add_argument("-o", "--output-dir", required=True, metavar="DIR",
                        help="directory for <plot>.png and <plot>.svg")
    parser.add_argument("--format", default="png,svg", metavar="png,svg",
                        help="comma-separated formats (default png,svg)")
    add_plot_arguments(parser)
    parser.add_argument("--baseline", default="random", metavar="STRATEGY",
                        help="strategy always drawn in the CDF and capacity plots (default random)")
    args = parser.parse_args(argv)
    formats = [f for f in args.format.split(",") if f]
    if not formats or any(f not in ("png", "svg") for f in formats):
        parser.error("--format: png, svg or png,svg")
    results = kvbresults.load_many(args.files)
    plots = make_plots(results, options_from(args))
    try:
        for line in write_plots(plots, args.output_dir, formats):
            print(line)
    finally:
        close_all(plots)
    return 0


if __name__ == "__main__":
    kvbresults.main_wrapper(main)
