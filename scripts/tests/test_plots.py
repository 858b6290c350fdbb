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


@pytest.fixture(scope="module")
def verdict_plots():
    made = plots.make_plots(kvbresults.load(fixture_path("verdict.json")))
    yield {p.stem: p for p in made}
    plots.close_all(made)


def annotations(ax):
    return [t.get_text() for t in ax.texts]


def test_pareto_labels_its_set_and_greys_the_rest(verdict_plots):
    ax = verdict_plots["pareto"].figure.axes[0]
    # verdict.json's Pareto set, cheapest first, three cells: labelled by name beside them.
    assert annotations(ax) == ["one_node", "rejecting", "storage_heavy"]
    grey = [c for c in ax.collections if tuple(c.get_facecolor()[0][:3]) ==
            plots.matplotlib.colors.to_rgb("#b8bec6")]
    assert len(grey) == 4   # random, slo_miss, overloaded, idle_fine


def test_pareto_draws_an_overloaded_cell_off_scale(verdict_plots):
    ax = verdict_plots["pareto"].figure.axes[0]
    # overloaded's TTFT p99 500 s is over 10 x the median 10.5 s: drawn on a line above the
    # others (25 s is the highest in scale: the line at 25 x 1.12), not stretching the axis.
    top = 25.0 * 1.12
    assert ax.get_ylim()[1] == pytest.approx(top * 1.05)
    assert any(c.get_offsets()[0][1] == pytest.approx(top) for c in ax.collections)
    assert "off scale" in verdict_plots["pareto"].caption


def test_many_pareto_cells_are_numbered_with_a_legend(monkeypatch):
    monkeypatch.setattr(plots, "DIRECT_LABELS", 2)
    made = {p.stem: p for p in plots.make_plots(kvbresults.load(fixture_path("verdict.json")))}
    try:
        figure = made["pareto"].figure
        assert annotations(figure.axes[0]) == ["1", "2", "3"]
        legend = [t.get_text() for t in figure.legends[0].get_texts()]
        assert legend[:3] == ["1: one_node", "2: rejecting", "3: storage_heavy"]
    finally:
        plots.close_all(made.values())


def test_ttft_cdf_draws_the_pareto_set_and_the_baseline(verdict_plots):
    lines = verdict_plots["ttft_cdf"].figure.axes[0].get_lines()
    assert len(lines) == 4   # one_node, rejecting, storage_heavy + random (dashed)
    assert sorted(l.get_linestyle() for l in lines) == ["-", "-", "-", "--"]
    assert "3 other cells hidden" in verdict_plots["ttft_cdf"].caption
    everything = plots.make_plots(kvbresults.load(fixture_path("verdict.json")),
                                  plots.PlotOptions(all_strategies=True))
    try:
        assert len(everything[1].figure.axes[0].get_lines()) == 7
    finally:
        plots.close_all(everything)


def test_capacity_plot_greys_lines_beyond_the_best(monkeypatch):
    monkeypatch.setattr(plots, "MAX_COLOURED_LINES", 1)
    results = kvbresults.load(fixture_path("sweep.json"))
    made = plots.make_plots(results, plots.PlotOptions(baseline="none"))
    try:
        ax = made[2].figure.axes[0]
        grey = plots.matplotlib.colors.to_rgba("#c4c9cf")
        # prefix_greedy is best at 4,096 blocks (47.5%): coloured; random greyed.
        styled = {tuple(l.get_ydata()): plots.matplotlib.colors.to_rgba(l.get_color()) == grey
                  for l in ax.get_lines()}
        assert styled == {(25.0, 40.0, 47.5): False, (10.0, 20.0, 30.0): True}
        assert "others are grey" in made[2].caption
    finally:
        plots.close_all(made)


def test_heat_rows_name_prefix_chains(drawn):
    # mixed.json's heat keys: id 7 alone; ids 31..42, a chain of 12 in the same requests.
    assert plots.heat_label({"rank": 2, "id": 42, "chain_first_id": 31, "chain_length": 12}) == \
        "#2 ids 31..42 (12)"
    assert plots.heat_label({"rank": 1, "id": 7}) == "#1 id 7"   # files before chains
    ax = drawn["hot_prefixes"].figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["#1 id 7", "#2 ids 31..42 (12)",
                                                            "#3 id 99"]
    # Light to dark: 1 access is the palest colour, as cold as none.
    image = ax.get_images()[0]
    assert image.norm.vmin == 1 and image.cmap.name.startswith("YlOrRd")
