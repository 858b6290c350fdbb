#!/usr/bin/python3
"""One self-contained HTML page of kvbench results: the verdict first (best strategy per
objective, the Pareto set, the cells to distrust), then the tables, the plots as inline SVG,
and the run context folded at the end. No scripts, no external fonts or styles, no network
requests.

    /usr/bin/python3 scripts/report.py results/latest.json -o results/report.html
"""

import argparse
import datetime
import html
import os
import re

import kvbresults
import plots
import tables
import verdict

# Context fields shown first, in this order (the rest follow as the file has them).
CONTEXT_ORDER = ("kvbench_version", "git_commit", "date", "host_name", "matrices", "mode",
                 "config_files", "config_hash", "trace_digests", "threads", "shard",
                 "mpi_ranks", "cells_total", "cells_run", "cells_failed", "executable",
                 "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled", "caches", "load_avg",
                 "library_build_type")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem auto;
       max-width: 1400px; padding: 0 1rem; color: #1b1f24; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: 0.3rem 0 0.6rem; font-size: 0.85rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f3f5f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { background: #dff5e1; }
table.context td:first-child { font-weight: 600; white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.scroll { overflow-x: auto; }
ul.notes { margin: 0 0 1rem; padding-left: 1.2rem; font-size: 0.85rem; color: #444; }
figure { margin: 1rem 0 2rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; }
p.skipped { color: #6a4b00; background: #fff8e1; padding: 0.3rem 0.6rem; border-left: 3px solid #e0a800; }
.muted { color: #57606a; font-size: 0.85rem; }
table.verdict td:first-child { font-weight: 600; white-space: nowrap; }
.distrusted { color: #8a1c00; }
ul.distrust li { margin-bottom: 0.15rem; }
details > summary { cursor: pointer; font-size: 1.3rem; font-weight: 600; margin-top: 2rem;
                    border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def breakable(text):
    """Escaped text that may wrap after ':', ',' and '+' (long strategy specs)."""
    return re.sub(r"([:,+])", r"\1<wbr>", esc(text))


def inline(text):
    """Escaped text with `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", lambda m: f"<code>{breakable(html.unescape(m.group(1)))}</code>",
                  esc(text))


def context_value(key, value):
    if key == "caches" and isinstance(value, list):
        return ", ".join(f"L{c.get('level', '?')} {c.get('type', '')} {c.get('size', 0) // 1024} KiB"
                         for c in value if isinstance(c, dict))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def cell_code(record, clusters, distrusted_ids=()):
    text = f"<code>{breakable(verdict.label(record, clusters))}</code>"
    if id(record) in distrusted_ids:
        text += ' <span class="distrusted">(distrusted)</span>'
    return text


def cell_list(records, clusters, distrusted_ids=()):
    return ", ".join(cell_code(r, clusters, distrusted_ids) for r in records)


def verdict_html(v):
    """One group's verdict: best per objective, the Pareto set, cells to distrust, notes."""
    out = [f"<h3>{inline(v.title)}</h3>" if v.title else "",
           f'<p class="muted">{v.cells} realistic cells. The best among the cells not '
           "distrusted; ties are cells equal as shown.</p>"]
    distrusted_ids = {id(r) for r, _ in v.distrusted}
    if v.best:
        out.append('<table class="verdict"><thead><tr><th>objective</th><th>best</th>'
                   "<th>value</th><th>next best</th><th>its value</th><th>margin</th></tr>"
                   "</thead><tbody>")
        for b in v.best:
            winners = cell_list(b.winners[:6], v.clusters)
            if len(b.winners) > 6:
                winners += f" and {len(b.winners) - 6} more"
            if b.beaten_by_distrusted:
                winners += ('<br><span class="distrusted">better but distrusted: '
                            + cell_list([r for r, _ in b.beaten_by_distrusted[:3]], v.clusters)
                            + "</span>")
            runner = cell_code(b.runner_up, v.clusters) if b.runner_up is not None else "–"
            out.append(f"<tr><td>{esc(b.objective)}</td><td>{winners}</td>"
                       f'<td class="num">{esc(b.value)}</td><td>{runner}</td>'
                       f'<td class="num">{esc(b.runner_value or "–")}</td>'
                       f'<td class="num">{esc(b.margin or "–")}</td></tr>')
        out.append("</tbody></table>")
    if v.pareto:
        out.append(f"<p><strong>Pareto set</strong> ({len(v.pareto)} of {v.cells} cells: no other "
                   "cell has a higher hit rate, a lower TTFT p99 and a lower $ / 1K requests at "
                   f"once; cheapest first): {cell_list(v.pareto, v.clusters, distrusted_ids)}.</p>")
    if v.distrusted:
        out.append("<p><strong>Cells to distrust</strong> (their figures describe a degenerate "
                   'run, not the strategy):</p><ul class="distrust">')
        out += [f"<li>{cell_code(r, v.clusters)}: {esc('; '.join(why))}</li>"
                for r, why in v.distrusted]
        out.append("</ul>")
    else:
        out.append('<p class="muted">No cell to distrust: no idle nodes that hurt service, no '
                   "rejections, no missed SLO, no queue that ran away.</p>")
    if v.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{inline(n)}</li>" for n in v.notes)
                   + "</ul>")
    return out


def verdict_section(found):
    """The verdicts (verdict.verdicts) of the results, one per group."""
    out = ['<section id="verdict"><h2>Verdict</h2>']
    if not found:
        out.append('<p class="muted">No realistic cells: nothing to judge on time or dollars. '
                   "The seed-compat tables below rank the earlier simulator's model only.</p>")
    for v in found:
        out += verdict_html(v)
    out.append("</section>")
    return out


def context_section(results):
    """Folded at the end: one table of context fields (a column per file), then each file's
    matrices."""
    contexts = [results.contexts.get(path, {}) for path in results.paths]
    present = {k for c in contexts for k in c}
    keys = [k for k in CONTEXT_ORDER if k in present] + \
        sorted(k for k in present if k not in CONTEXT_ORDER)
    out = ['<section id="context"><details><summary>Run context</summary>']
    if keys:
        out.append('<div class="scroll"><table class="context"><thead><tr><th>field</th>'
                   + "".join(f"<th>{esc(p)}</th>" for p in results.paths) + "</tr></thead><tbody>")
        for k in keys:
            values = "".join(f"<td>{esc(context_value(k, c[k])) if k in c else '–'}</td>"
                             for c in contexts)
            out.append(f"<tr><td>{esc(k)}</td>{values}</tr>")
        out.append("</tbody></table></div>")
    else:
        out.append('<p class="muted">No context in these files.</p>')
    for path in results.paths:
        kvbench = results.kvbench.get(path) or {}
        if not kvbench:
            out.append(f'<p class="muted">{esc(path)}: no kvbench section: the mode of each cell '
                       "is unknown and the time-series plots are skipped.</p>")
        rows = matrices_table(kvbench, results.matrices, path)
        if rows:
            out += [f"<h3>Matrices of {esc(path)}</h3>"] + rows
    out.append("</details></section>")
    return out


def matrices_table(kvbench, matrix_rows, path):
    """The file's matrices: config file and the whole-matrix entry's figures."""
    entries = {}
    if not matrix_rows.empty:
        for row in matrix_rows[matrix_rows["source"] == path].to_dict("records"):
            entries[row["matrix"]] = row
    files = {m.get("name"): m.get("file", "") for m in kvbench.get("matrices", [])
             if isinstance(m, dict)}
    names = list(dict.fromkeys(list(files) + list(entries)))
    if not names:
        return []
    out = ["<table><thead><tr><th>matrix</th><th>config file</th><th>cells</th>"
           "<th>failed</th><th>wall time (s)</th><th>cells / s</th>"
           "<th>block refs / s</th></tr></thead><tbody>"]
    for name in names:
        e = entries.get(name, {})

        def num(key, fmt):
            value = e.get(key)
            return "–" if value is None or tables.missing(value) else fmt.format(value)
        out.append(f"<tr><td><code>{esc(name)}</code></td><td>{esc(files.get(name, ''))}</td>"
                   f'<td class="num">{num("cells", "{:,.0f}")}</td>'
                   f'<td class="num">{num("cells_failed", "{:,.0f}")}</td>'
                   f'<td class="num">{num("real_time_s", "{:,.3f}")}</td>'
                   f'<td class="num">{num("cells_per_s", "{:,.1f}")}</td>'
                   f'<td class="num">{num("block_refs_per_s", "{:,.3g}")}</td></tr>')
    out.append("</tbody></table>")
    return out


def failed_section(results):
    failed = results.cells[results.cells["failed"]]
    if failed.empty:
        return []
    out = ['<section id="failed"><h2>Failed cells</h2><table><thead><tr><th>cell</th>'
           "<th>error</th></tr></thead><tbody>"]
    out += [f"<tr><td><code>{esc(r['name'])}</code></td><td>{esc(r['error_message'])}</td></tr>"
            for r in failed.to_dict("records")]
    out.append("</tbody></table></section>")
    return out


def table_html(table):
    """One Table: heading, <table> with the best values marked, notes."""
    out = [f"<h3>{inline(table.title)}</h3>"]
    if not table.rows:
        out.append('<p class="muted">(no cells)</p>')
    else:
        out.append('<div class="scroll"><table><thead><tr>' + "".join(
            f"<th>{inline(c.header)}</th>" for c in table.columns) + "</tr></thead><tbody>")
        for row, best in zip(table.rows, table.best_keys()):
            cells = []
            for column in table.columns:
                text = table.cell_text(row, column)
                classes = (["num"] if column.numeric else []) + (["best"] if column.key in best else [])
                text = esc(text) if column.numeric else f"<code>{breakable(text)}</code>"
                if column.key in best:
                    text = f"<strong>{text}</strong>"
                attr = f' class="{" ".join(classes)}"' if classes else ""
                cells.append(f"<td{attr}>{text}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table></div>")
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{inline(n)}</li>" for n in table.notes)
                   + "</ul>")
    return out


def tables_section(all_tables):
    out = ['<section id="tables"><h2>Tables</h2>',
           '<p class="muted">Best value per column in <strong>bold</strong> on green.</p>']
    if not all_tables:
        out.append('<p class="muted">No tables: no successful cells.</p>')
    section = None
    for table in all_tables:
        if tables.SECTION_TITLES[table.kind] != section:
            section = tables.SECTION_TITLES[table.kind]
            out.append(f'<h2 class="sub">{esc(section)}</h2>')
        out += table_html(table)
    out.append("</section>")
    return out


def plots_section(all_plots):
    out = ['<section id="plots"><h2>Plots</h2>']
    for index, plot in enumerate(all_plots):
        if plot.figure is None:
            out.append(f'<p class="skipped">{esc(plot.title)}: skipped, {esc(plot.note)}.</p>')
            continue
        svg = plots.inline_svg(plot.figure, f"plot{index}-{plot.stem}")
        out.append(f'<figure id="{esc(plot.stem)}">{svg}<figcaption><strong>{esc(plot.title)}'
                   f"</strong>. {esc(plot.caption)}</figcaption></figure>")
    out.append("</section>")
    return out


def render(results, table_options, plot_options):
    """The whole page as a string."""
    found = verdict.verdicts(results)
    all_tables = tables.build_tables(results, table_options, verdict.distrusted_map(found))
    all_plots = plots.make_plots(results, plot_options)
    try:
        body = (verdict_section(found) + failed_section(results) +
                tables_section(all_tables) + plots_section(all_plots) + context_section(results))
    finally:
        plots.close_all(all_plots)
    cells = results.cells
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # An empty icon: the browser then asks no server for /favicon.ico.
        '<link rel="icon" href="data:,">',
        "<title>kvbench report</title>", f"<style>{STYLE}</style></head><body>",
        "<header><h1>kvbench report</h1>",
        f'<p class="muted">{esc(", ".join(results.paths))}: {len(cells)} cells '
        f"({int(cells['failed'].sum())} failed); generated {esc(generated)}.</p>",
        '<nav><a href="#verdict">Verdict</a><a href="#tables">Tables</a>'
        '<a href="#plots">Plots</a><a href="#context">Run context</a></nav></header><main>',
    ]
    return "\n".join(head + body + ["</main></body></html>", ""])


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Write one self-contained HTML report (run context, tables, plots as "
                    "inline SVG; no scripts, fonts or network requests) of one or more kvbench "
                    "result files. Exit status 2 on malformed input.")
    parser.add_argument("files", nargs="+", help="result JSON written by kvbench --out")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the HTML file to write (atomically)")
    tables.add_table_arguments(parser)
    plots.add_plot_arguments(parser)
    args = parser.parse_args(argv)
    results = kvbresults.load_many(args.files)
    page = render(results, tables.options_from(args),
                  plots.options_from(args))
    kvbresults.write_atomically(args.output, page)
    print(f"wrote {args.output} ({os.path.getsize(args.output) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    kvbresults.main_wrapper(main)
