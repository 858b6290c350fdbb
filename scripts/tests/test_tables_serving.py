"""The serving table: only for groups whose cells decode; goodput "no SLO" when null."""

from conftest import cell_entry, write_json
import kvbresults
import tables


def serving_document(mixed_document, goodputs):
    """mixed.json with its real4 cells made serving cells: finished requests and goodput."""
    for strategy, goodput in goodputs.items():
        entry = cell_entry(mixed_document, strategy, "real4")
        entry["finished"] = 2000
        entry["goodput"] = goodput
        entry["tbt_slowest10_mean_s"] = 0.05
    return mixed_document


def build(tmp_path, document):
    results = kvbresults.load(write_json(tmp_path / "r.json", document))
    return tables.build_tables(results, tables.TableOptions(kinds=("serving",)))


def test_serving_table_only_for_groups_that_decode(tmp_path, mixed_document):
    built = build(tmp_path, serving_document(mixed_document, {"random": 0.5, "prefix_greedy": 0.9}))
    # seed4 cells finished nothing: no serving table for them.
    assert [t.title for t in built] == [t.title for t in built if "real4" in t.title]
    assert len(built) == 1
    rows = built[0].rows
    # Sorted by goodput, best first; the cell that decoded nothing keeps its 0 finished.
    assert [r["strategy"] for r in rows][:2] == ["prefix_greedy", "random"]
    assert rows[0]["goodput"] == 0.9
    text = tables.to_markdown(built[0])
    assert "90.0%" in text and "50.0%" in text


def test_goodput_without_an_slo_reads_no_slo(tmp_path, mixed_document):
    built = build(tmp_path, serving_document(mixed_document, {"random": None, "prefix_greedy": None}))
    text = tables.to_markdown(built[0])
    assert "no SLO" in text
    assert "no SLO set in this group: goodput does not apply" in text


def test_no_serving_cells_no_serving_table(tmp_path, mixed_document):
    assert build(tmp_path, mixed_document) == []
