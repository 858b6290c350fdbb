"""report.py: one self-contained page (verdict, tables, inline SVG plots, folded context; no
scripts, no external resources), rendered in headless Chromium without console errors or
requests."""

import html.parser
import os
import re
import subprocess

import pytest

from conftest import fixture_path, run_script
import check_report

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"
CHROMIUM = check_report.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="chromium is not installed (apt-get install chromium)")


class TagCounter(html.parser.HTMLParser):
    """Counts start tags and collects ids and resource-bearing attributes."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.links = {}, [], []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.links.append((tag, name, value))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """report.py run as users run it, on two result files."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = run_script("report.py", fixture_path("mixed.json"), fixture_path("sweep.json"), "-o", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}")
    return out


@pytest.fixture(scope="module")
def parsed(report):
    counter = TagCounter()
    counter.feed(report.read_text(encoding="utf-8"))
    return counter


def test_report_holds_context_tables_and_plots(report, parsed):
    text = report.read_text(encoding="utf-8")
    # Context: one column per file, kvbench's fields first.
    assert "<td>config_hash</td><td>00112233445566ff</td><td>00112233445566ff</td>" in text
    assert "configs/smoke/fixture.json" in text
    # Tables: 2 verdicts (one per matrix) + 2 seed tables + 5 full tables (seed4, real4,
    # cap256, cap1024, cap4096) + 2 Pareto sets + the context table + 2 matrix tables = 14.
    assert parsed.tags["table"] == 14
    assert "net $ / 1K vs <code>random</code>" in text
    assert '<td class="num best"><strong>1.51</strong></td>' in text
    # The long strategy spec may wrap after ':', ',' and '+'.
    assert "kvcache_centric:<wbr>kvcache_balancing_threshold=2+<wbr>budgeted:<wbr>" in text
    # Plots: all six drawn, inline.
    assert parsed.tags["svg"] == 6 and parsed.tags["figure"] == 6
    for stem in ("pareto", "ttft_cdf", "hit_rate_vs_capacity", "load_over_time",
                 "replicas_over_time", "hot_prefixes"):
        assert f'<figure id="{stem}">' in text


def test_report_leads_with_the_verdict_and_folds_the_context(report):
    text = report.read_text(encoding="utf-8")
    order = [text.index(f'<section id="{s}">') for s in ("verdict", "tables", "plots", "context")]
    assert order == sorted(order)
    assert '<section id="context"><details><summary>Run context</summary>' in text
    verdict = text[order[0]:order[1]]
    # mixed.json's realistic cells: prefix_greedy is cheapest ($6.50 vs 7.54: +16.0%).
    assert ("<tr><td>cost ($ / 1K requests)</td><td><code>prefix_greedy</code></td>"
            '<td class="num">6.50</td>') in verdict
    assert '<td class="num">+16.0%</td>' in verdict
    assert "no SLO set" in verdict and "No cell to distrust" in verdict
    # The realistic full table comes before the seed-mode one.
    assert text.index("cluster <code>real4</code>") < text.index("cluster <code>seed4</code>")


def test_report_names_the_cells_to_distrust(tmp_path):
    out = tmp_path / "verdict.html"
    done = run_script("report.py", fixture_path("verdict.json"), "-o", out)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert ("<li><code>one_node</code>: 3 of 4 nodes served no request, and its service "
            "suffers for it</li>") in text
    assert "<li><code>rejecting</code>: rejected 10.0% of requests</li>" in text
    assert '<span class="distrusted">better but distrusted: <code>one_node</code>' in text
    assert "<code>one_node</code> <span class=\"distrusted\">(distrusted)</span>" in text
    if CHROMIUM is not None:
        screenshot = tmp_path / "verdict.png"
        check = check_report.check_page(str(out), screenshot=str(screenshot))
        print(f"screenshot: {screenshot}")
        assert check.problems == [] and check.requests == []
        assert screenshot.read_bytes().startswith(b"\x89PNG")


def test_report_is_self_contained(report, parsed):
    text = report.read_text(encoding="utf-8")
    assert "script" not in parsed.tags and "iframe" not in parsed.tags and "img" not in parsed.tags
    assert parsed.tags.get("link", 0) == 1   # the empty data: icon (so no favicon request)
    for tag, name, value in parsed.links:
        # In-page anchors, SVG's internal references and data: URLs (the empty icon, the
        # heatmaps' pixels) only.
        assert value.startswith(("#", "data:")), (tag, name, value[:80])
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", text)
    assert "@import" not in text and "@font-face" not in text
    # Only XML namespace names remain as URLs (identifiers, never fetched).
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_report_ids_are_unique(parsed):
    duplicates = {i for i in parsed.ids if parsed.ids.count(i) > 1}
    assert not duplicates, sorted(duplicates)[:5]


def test_report_without_data_says_what_is_missing(tmp_path):
    out = tmp_path / "r.html"
    done = run_script("report.py", fixture_path("no_kvbench.json"), fixture_path("failed.json"),
                      "-o", out)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "no kvbench section" in text
    assert '<section id="failed"><h2>Failed cells</h2>' in text
    assert "cell time limit of 60 s exceeded" in text
    assert 'TTFT CDF per strategy: skipped, no TTFT percentiles' in text
    # The two files share cell names: the file becomes part of each table's group.
    assert "file " in text and fixture_path("failed.json") in text


def test_report_bad_input_exits_2(tmp_path):
    done = run_script("report.py", fixture_path("malformed_not_json.json"), "-o", tmp_path / "r.html")
    assert done.returncode == 2 and "not JSON" in done.stderr
    assert not (tmp_path / "r.html").exists()


@needs_chromium
def test_report_renders_in_chromium_without_console_errors(report, tmp_path):
    screenshot = tmp_path / "report.png"
    check = check_report.check_page(str(report), screenshot=str(screenshot))
    print(f"screenshot: {screenshot}")
    assert check.problems == [], check.problems
    assert check.requests == [], check.requests   # nothing fetched besides the page
    assert check.title == "kvbench report"
    assert check.tables == 14 and check.svgs == 6
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 50_000


@needs_chromium
def test_report_dump_dom_and_screenshot_flags(report, tmp_path):
    """The plain command-line way: --dump-dom for the DOM, console messages on stderr."""
    flags = [CHROMIUM, *check_report.CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = "file://" + os.path.abspath(report)
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<table") == 14 and dom.stdout.count("<svg") == 6
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
    assert console == []   # the page has no scripts: any console line is an error
    screenshot = tmp_path / "flags.png"
    shot = subprocess.run(flags + [f"--screenshot={screenshot}", "--window-size=1280,2400", url],
                          capture_output=True, text=True, timeout=60)
    assert shot.returncode == 0 and screenshot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot: {screenshot}")


@needs_chromium
def test_the_browser_check_catches_errors(tmp_path):
    """The check is not vacuous: a page with a console error, an exception and a missing
    image is reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head>'
                    '<body><table><tr><td>x</td></tr></table><img src="missing.png">'
                    '<script>console.error("boom"); undefined_function();</script></body></html>')
    check = check_report.check_page(str(page))
    assert not check.clean
    assert "console.error: boom" in check.problems
    assert any("undefined_function" in p for p in check.problems)
    assert check.requests == ["file://" + str(tmp_path / "missing.png")]
    done = run_script("check_report.py", page)
    assert done.returncode == 1 and "NOT clean" in done.stdout
