"""The shared reader: one row per cell, parameters split out of the name, counters as
columns, the matrix entry apart, repetitions exposed, malformed input -> one line, exit 2."""

import math

import pytest

from conftest import fixture_path, run_script, write_json
import kvbresults

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"


def test_split_name_keeps_separators_inside_values():
    matrix, params = kvbresults.split_name(
        f"m/strategy={KVCC}/cluster=c/trace=t/prices=p/rate_scale=1.5/seed=2")
    assert matrix == "m"
    # Each part is split at its FIRST '=': the strategy keeps its own '=', ':', ',' and '+'.
    assert params == {"strategy": KVCC, "cluster": "c", "trace": "t", "prices": "p",
                      "rate_scale": "1.5", "seed": "2"}


def test_split_name_drops_google_benchmark_suffixes():
    _, params = kvbresults.split_name("m/strategy=random/cluster=c/repeats:9/real_time")
    assert params == {"strategy": "random", "cluster": "c"}


def test_one_row_per_cell_with_parameters_and_counters():
    results = kvbresults.load(fixture_path("mixed.json"))
    cells = results.cells
    assert len(cells) == 6  # 2 clusters x 3 strategies; the matrix entry is not a row
    assert list(cells["strategy"].unique()) == ["random", "prefix_greedy", KVCC]
    assert set(cells["cluster"]) == {"seed4", "real4"}
    assert results.param_keys == ["strategy", "cluster", "trace", "prices", "rate_scale", "seed"]
    row = cells[(cells["cluster"] == "real4") & (cells["strategy"] == "prefix_greedy")].iloc[0]
    assert row["hit_rate"] == pytest.approx(0.5)          # 10000 / 20000 blocks
    assert row["usd_per_1k_requests"] == pytest.approx(6.5)  # (8 + 5 + 0) / 2000 * 1000
    assert row["real_time_s"] == pytest.approx(0.014)      # 14 ms
    # From the kvbench section: the cluster's description and the per-cell result.
    assert (row["mode"], row["nodes"], row["capacity_blocks"], row["scope"]) == \
        ("realistic", 4, 2048, "global")
    assert len(results.result_of(row["name"])["latency"]["ttft_percentiles_s"]) == 101
    # Google Benchmark's own fields are not counters.
    assert "family_index" not in results.counter_names and "hit_rate" in results.counter_names


def test_matrix_entry_is_exposed_apart():
    results = kvbresults.load(fixture_path("mixed.json"))
    assert list(results.matrices["name"]) == ["fixture/matrix"]
    matrix = results.matrices.iloc[0]
    assert matrix["cells"] == 6 and matrix["real_time_s"] == pytest.approx(0.12)
    assert not results.cells["name"].str.endswith("/matrix").any()


def test_unknown_fields_are_ignored(tmp_path, mixed_document):
    mixed_document["extra_top_level"] = {"anything": 1}
    mixed_document["benchmarks"][0]["a_new_string_field"] = "ignored"
    mixed_document["benchmarks"][0]["a_nested_field"] = {"x": 1}
    mixed_document["kvbench"]["future_key"] = [1, 2]
    results = kvbresults.load(write_json(tmp_path / "r.json", mixed_document))
    assert len(results.cells) == 6
    assert "a_new_string_field" not in results.cells.columns
    assert "a_nested_field" not in results.cells.columns


def test_timing_file_keeps_one_row_per_cell_and_every_repetition():
    results = kvbresults.load(fixture_path("timing_base.json"))
    assert len(results.cells) == 2  # 9 iterations + 4 aggregates per cell -> 1 row
    name = results.cells.iloc[1]["name"]
    times = results.repetition_times_s[name]
    # 9 repetitions in ms -> seconds, in repetition_index order.
    assert times == pytest.approx([t / 1000 for t in
                                   [20.0, 20.4, 19.8, 20.2, 20.6, 19.6, 20.0, 20.2, 20.4]])
    # The matrix entry's wall time is the sum of all repetitions of both cells:
    # 90.6 ms (random) + 181.2 ms (prefix_greedy) = 271.8 ms.
    assert results.repetition_times_s["timing/matrix"] == pytest.approx([0.2718])


def test_time_units_are_converted(tmp_path):
    document = {"benchmarks": [
        {"name": "m/strategy=a", "real_time": 2500.0, "time_unit": "us", "hit_rate": 0.1},
        {"name": "m/strategy=b", "real_time": 3.0e9, "time_unit": "ns", "hit_rate": 0.2}]}
    results = kvbresults.load(write_json(tmp_path / "r.json", document))
    assert list(results.cells["real_time_s"]) == pytest.approx([0.0025, 3.0])


def test_file_without_kvbench_section_has_unknown_mode():
    results = kvbresults.load(fixture_path("no_kvbench.json"))
    assert len(results.cells) == 6
    assert results.cells["mode"].isna().all()
    assert not results.has_kvbench_section() and results.cell_results == {}


def test_failed_cell_is_a_row_without_counters():
    results = kvbresults.load(fixture_path("failed.json"))
    failed = results.cells[results.cells["failed"]]
    assert len(failed) == 1
    assert failed.iloc[0]["strategy"] == KVCC
    assert failed.iloc[0]["error_message"] == "cell time limit of 60 s exceeded"
    assert math.isnan(failed.iloc[0]["hit_rate"])
    assert len(results.ok_cells()) == 2


def test_load_many_concatenates_files():
    results = kvbresults.load_many([fixture_path("mixed.json"), fixture_path("sweep.json")])
    assert len(results.cells) == 12 and len(results.matrices) == 2
    assert set(results.cells["matrix"]) == {"fixture", "sweep"}
    # No name repeats across these files: the source file is not a grouping column.
    assert "source" not in kvbresults.group_columns(results)


@pytest.mark.parametrize("name, message", [
    ("malformed_not_json.json", "malformed_not_json.json: not JSON: "),
    ("malformed_no_benchmarks.json", 'malformed_no_benchmarks.json: no "benchmarks" list'),
    ("malformed_no_name.json", 'malformed_no_name.json: benchmarks[1]: entry has no "name"'),
])
def test_malformed_input_is_one_line_and_exit_2(name, message):
    with pytest.raises(kvbresults.ResultsError, match=message.split(": ")[0]):
        kvbresults.load(fixture_path(name))
    for script in ("tables.py", "compare.py", "kvbresults.py"):
        args = [fixture_path(name)] + ([fixture_path("mixed.json")] if script == "compare.py" else [])
        done = run_script(script, *args)
        assert done.returncode == 2, (script, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert message in lines[0] and lines[0].startswith(f"{script}: error: ")


def test_other_malformed_shapes(tmp_path):
    cases = {"list.json": [1, 2], "not_list.json": {"benchmarks": {"a": 1}},
             "entry_not_object.json": {"benchmarks": [{"name": "m/strategy=a"}, 7]},
             "bad_kvbench.json": {"benchmarks": [], "kvbench": []}}
    expected = {"list.json": "not a result file", "not_list.json": 'no "benchmarks" list',
                "entry_not_object.json": "benchmarks[1]: not an object",
                "bad_kvbench.json": "kvbench: not an object"}
    for name, document in cases.items():
        path = write_json(tmp_path / name, document)
        with pytest.raises(kvbresults.ResultsError) as error:
            kvbresults.load(path)
        assert str(error.value).startswith(path) and expected[name] in str(error.value)
    with pytest.raises(kvbresults.ResultsError, match="cannot read"):
        kvbresults.load(str(tmp_path / "absent.json"))


def test_real_output_shape_matrix_entry_with_extra_counters(tmp_path, mixed_document):
    # kvbench's real matrix entry carries a "workers" counter besides the documented ones.
    mixed_document["benchmarks"][-1]["workers"] = 2
    results = kvbresults.load(write_json(tmp_path / "r.json", mixed_document))
    assert results.matrices.iloc[0]["workers"] == 2 and len(results.cells) == 6


def test_write_atomically_replaces_the_file(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    kvbresults.write_atomically(str(path), "first")
    kvbresults.write_atomically(str(path), "second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("script, module, package", [
    ("tables.py", "pandas", "python3-pandas"),
    ("plots.py", "matplotlib", "python3-matplotlib"),
    ("compare.py", "scipy", "python3-scipy"),
])
def test_missing_module_names_the_debian_package(script, module, package):
    """As with an interpreter that does not see Debian's python3-* packages: one line, exit 2."""
    import subprocess
    from conftest import PYTHON, SCRIPTS
    code = (f"import runpy, sys; sys.modules[{module!r}] = None; sys.path.insert(0, {SCRIPTS!r}); "
            f"sys.argv = [{script!r}, 'x.json', 'y.json']; "
            f"runpy.run_path({SCRIPTS!r} + '/{script}', run_name='__main__')")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert f"Python module '{module}' is missing: apt-get install {package}" in done.stderr
