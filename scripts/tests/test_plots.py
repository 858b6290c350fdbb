"""plots.py: every plot drawn from complete fixtures, skipped with a note when its data is
absent, fixed strategy colours, PNG and SVG written."""

import pytest

from conftest import fixture_path, run_script
import kvbresults
import plots

ALL = ["pareto", "ttft_cdf", "hit_rate_vs_capacity", "load_over_time", "replicas_over_time",
       "hot_prefixes"]


@pytest.fixture(scope="module")
def drawn():
    results = kvbresults.load_many([fixture_path("mixed.json"), fixture_path("sweep.json")])
    made = plots.make_plots(results)
    yield {p.stem: p for p in made}
    plots.close_all(made)


def test_every_plot_is_drawn_from_complete_data(drawn):
    assert list(drawn) == ALL
    missing = {stem: p.note for stem, p in drawn.items() if p.figure is None}
    assert missing == {}


def test_axes_are_labelled_with_units(drawn):
    pareto = drawn["pareto"].figure.axes[0]
    assert pareto.get_xlabel() == "cost ($ per 1,000 requests)"
    assert pareto.get_ylabel() == "TTFT p99 (s)"
    assert drawn["ttft_cdf"].figure.axes[0].get_xlabel().startswith("TTFT (s)")
    capacity = drawn["hit_rate_vs_capacity"].figure.axes[0]
    assert capacity.get_ylabel() == "block hit rate (%)"
    # The sweep's capacities 256, 1,024 and 4,096 blocks label the x axis as numbers.
    assert [t.get_text() for t in capacity.get_xticklabels()] == ["256", "1,024", "4,096"]
    for stem in ("load_over_time", "replicas_over_time", "hot_prefixes"):
        for ax in drawn[stem].figure.axes:
            if ax.get_label() == "<colorbar>" or not ax.get_visible():  # colour bars, unused panels
                continue
            assert ax.get_xlabel() and ax.get_ylabel(), stem


def test_hit_rate_vs_capacity_lines(drawn):
    ax = drawn["hit_rate_vs_capacity"].figure.axes[0]
    lines = {tuple(line.get_ydata()) for line in ax.get_lines()}
    # sweep.json: random 2000/4000/6000 and prefix_greedy 5000/8000/9500 of 20000 blocks.
    assert lines == {(10.0, 20.0, 30.0), (25.0, 40.0, 47.5)}


def test_strategy_colours_are_fixed_by_sorted_names():
    colours = plots.strategy_colours(["random", "prefix_greedy", "dynamo"])
    again = plots.strategy_colours(["dynamo", "random", "prefix_greedy", "dynamo"])
    assert colours == again
    tab10 = plots.plt.get_cmap("tab10")
    # Sorted: dynamo (0), prefix_greedy (1), random (2).
    assert colours["dynamo"] == tab10(0) and colours["random"] == tab10(2)
    many = plots.strategy_colours([f"s{i:02d}" for i in range(25)])
    assert len(set(many.values())) == 25


def test_same_strategy_same_colour_in_every_plot(drawn):
    results = kvbresults.load_many([fixture_path("mixed.json"), fixture_path("sweep.json")])
    colours = plots.strategy_colours(kvbresults.strategy_order(results))
    ttft_lines = drawn["ttft_cdf"].figure.axes[0].get_lines()
    capacity_lines = drawn["hit_rate_vs_capacity"].figure.axes[0].get_lines()
    used = {tuple(l.get_color()) for l in list(ttft_lines) + list(capacity_lines)}
    assert used <= {tuple(c) for c in colours.values()}


def test_plots_skip_with_a_note_without_data():
    results = kvbresults.load(fixture_path("no_kvbench.json"))
    made = {p.stem: p for p in plots.make_plots(results)}
    try:
        assert made["pareto"].figure is not None   # counters alone suffice for the scatter
        for stem in ALL[1:]:
            assert made[stem].figure is None and made[stem].note, stem
        assert "no TTFT percentiles" in made["ttft_cdf"].note
        assert "no sweep" in made["hit_rate_vs_capacity"].note
    finally:
        plots.close_all(made.values())


def test_seed_mode_has_no_ttft_plots():
    made = {p.stem: p for p in plots.make_plots(kvbresults.load(fixture_path("failed.json")))}
    try:
        assert "seed mode has no TTFT" in made["pareto"].note
        assert made["ttft_cdf"].figure is None
        # Seed mode samples no replica holders, but has windows: load and heat are drawn.
        assert made["replicas_over_time"].figure is None
        assert made["load_over_time"].figure is not None
    finally:
        plots.close_all(made.values())


def test_cli_writes_png_and_svg(tmp_path):
    done = run_script("plots.py", fixture_path("mixed.json"), "-o", tmp_path, "--cells", "real4",
                      "--max-cells", "2")
    assert done.returncode == 0, done.stderr
    assert "skipped hit_rate_vs_capacity: no sweep" in done.stdout
    for stem in ("pareto", "ttft_cdf", "load_over_time", "replicas_over_time", "hot_prefixes"):
        png = (tmp_path / f"{stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG"), stem
        svg = (tmp_path / f"{stem}.svg").read_text()
        assert "<svg" in svg and "http://purl.org" not in svg, stem
    assert not list(tmp_path.glob("*.tmp.*"))


def test_inline_svg_prefixes_ids(drawn):
    svg = plots.inline_svg(drawn["pareto"].figure, "p0")
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    ids = plots.re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("p0-") for i in ids)
    refs = plots.re.findall(r'(?:href="#|url\(#)([^")]+)', svg)
    assert refs and all(r.startswith("p0-") for r in refs)
