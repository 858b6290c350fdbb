"""The tables: numbers checked by hand against the fixtures (see make_fixtures.py)."""

import csv
import io

import pytest

from conftest import fixture_path, run_main, run_script, write_json
import kvbresults
import tables

KVCC = "kvcache_centric:kvcache_balancing_threshold=2+budgeted:policy=mooncake,share=0.1"


@pytest.fixture(scope="module")
def mixed():
    return kvbresults.load(fixture_path("mixed.json"))


def by_strategy(table):
    return {row["strategy"]: row for row in table.rows}


def only(tables_list, kind, title_part=""):
    found = [t for t in tables_list if t.kind == kind and title_part in t.title]
    assert len(found) == 1, [t.title for t in tables_list]
    return found[0]


# ---- (1) The seed's tables. ----

def test_seed_traditional_score(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("seed",)))
    # Seed mode only by default: the realistic cluster real4 gets no seed tables.
    assert all("seed4" in t.title for t in built) and len(built) == 2
    rows = by_strategy(only(built, "seed_traditional"))
    # random: 6000/30000 blocks = 0.20 hit rate; 780/3000 requests on the busiest node = 0.26;
    # 0.20 / 0.26 = 0.76923.
    assert rows["random"]["hit_rate"] == pytest.approx(0.20)
    assert rows["random"]["concentration"] == pytest.approx(0.26)
    assert rows["random"]["traditional_score"] == pytest.approx(0.769230769)
    # prefix_greedy: 15000/30000 = 0.50, 1200/3000 = 0.40 -> 1.25.
    assert rows["prefix_greedy"]["traditional_score"] == pytest.approx(1.25)
    # kvcache_centric...: 13500/30000 = 0.45, 900/3000 = 0.30 -> 1.5.
    assert rows[KVCC]["traditional_score"] == pytest.approx(1.5)


def test_seed_net_benefit_at_100_to_1(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("seed",)))
    rows = by_strategy(only(built, "seed_net_benefit"))
    # worst = 0.20 (random). (hit - worst) x 100 x 100 - (100 - 100 x concentration):
    # random:        0.00 x 10000 - (100 - 26) = -74
    # prefix_greedy: 0.30 x 10000 - (100 - 40) = 3000 - 60 = 2940
    # kvcc:          0.25 x 10000 - (100 - 30) = 2500 - 70 = 2430
    assert rows["random"]["net_benefit"] == pytest.approx(-74.0)
    assert rows["prefix_greedy"]["net_benefit"] == pytest.approx(2940.0)
    assert rows[KVCC]["net_benefit"] == pytest.approx(2430.0)


def test_seed_net_benefit_other_cost_ratio(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("seed",), cost_ratio=(200.0, 4.0)))
    rows = by_strategy(only(built, "seed_net_benefit"))
    # 200:4 weighs GPU 50x: prefix_greedy 0.30 x 100 x 50 - 60 = 1440.
    assert rows["prefix_greedy"]["net_benefit"] == pytest.approx(1440.0)
    assert "200:4" in only(built, "seed_net_benefit").title


def test_seed_tables_for_every_cluster_on_request(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("seed",), seed_rows="all"))
    rows = by_strategy(only(built, "seed_net_benefit", "real4"))
    # real4: worst = 0.30 (random); prefix_greedy 0.20 x 10000 - (100 - 40) = 1940;
    # random 0 - (100 - 27) = -73.
    assert rows["prefix_greedy"]["net_benefit"] == pytest.approx(1940.0)
    assert rows["random"]["net_benefit"] == pytest.approx(-73.0)


# ---- (2) The full table. ----

def test_full_table_realistic_numbers_and_net_benefit(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("full",)))
    real = only(built, "full", "real4")
    rows = by_strategy(real)
    # $ per 1K requests = (gpu + storage + network) / 2000 requests x 1000:
    # random (12 + 4 + 0.02) / 2 = 8.01; prefix_greedy (8 + 5 + 0) / 2 = 6.50;
    # kvcc (9 + 6 + 0.08) / 2 = 7.54.
    assert rows["random"]["usd_per_1k_requests"] == pytest.approx(8.01)
    assert rows["prefix_greedy"]["usd_per_1k_requests"] == pytest.approx(6.50)
    assert rows[KVCC]["usd_per_1k_requests"] == pytest.approx(7.54)
    # Net benefit vs random, per 1K requests = saved GPU $ - (extra storage $ + extra network $):
    # prefix_greedy: (12 - 8)/2 - ((5 - 4)/2 + (0 - 0.02)/2) = 2 - (0.5 - 0.01) = 1.51
    # kvcc:          (12 - 9)/2 - ((6 - 4)/2 + (0.08 - 0.02)/2) = 1.5 - (1 + 0.03) = 0.47
    assert rows["prefix_greedy"]["net_benefit_usd_per_1k"] == pytest.approx(1.51)
    assert rows[KVCC]["net_benefit_usd_per_1k"] == pytest.approx(0.47)
    assert rows["random"]["net_benefit_usd_per_1k"] == pytest.approx(0.0)
    assert [c.key for c in real.columns] == [
        "strategy", "hit_rate", "token_hit_rate", "concentration", "load_cv", "ttft_mean_s",
        "ttft_p99_s", "slo_attainment", "gpu_seconds", "replica_bytes", "transfer_bytes",
        "usd_per_1k_requests", "net_benefit_usd_per_1k"]


def test_full_table_marks_the_best_value_per_column(mixed):
    real = only(tables.build_tables(mixed, tables.TableOptions(kinds=("full",))), "full", "real4")
    best = dict(zip([r["strategy"] for r in real.rows], real.best_keys()))
    # Highest hit rate 0.50 (prefix_greedy); lowest TTFT p99 15 s and best SLO 0.99 (kvcc);
    # lowest concentration 0.27 (random); cheapest 6.50 and best net benefit 1.51 (prefix_greedy).
    assert {"hit_rate", "usd_per_1k_requests", "net_benefit_usd_per_1k", "gpu_seconds"} <= best["prefix_greedy"]
    assert {"ttft_p99_s", "ttft_mean_s", "slo_attainment"} <= best[KVCC]
    assert "concentration" in best["random"]
    # replica_bytes: 0 for random and prefix_greedy, tied best: both marked.
    assert "replica_bytes" in best["random"] and "replica_bytes" in best["prefix_greedy"]
    text = tables.to_markdown(real)
    assert "| **50.00%** |" in text and "**15.0**" in text and "**1.51**" in text


def test_full_table_seed_mode_has_no_time_or_dollar_columns(mixed):
    seed = only(tables.build_tables(mixed, tables.TableOptions(kinds=("full",))), "full", "seed4")
    assert [c.key for c in seed.columns] == ["strategy", "hit_rate", "token_hit_rate",
                                             "concentration", "load_cv"]
    assert "seed mode: no simulated time or dollars" in seed.notes


def test_full_table_without_kvbench_section_infers_from_counters():
    results = kvbresults.load(fixture_path("no_kvbench.json"))
    built = tables.build_tables(results, tables.TableOptions(kinds=("full",)))
    seed, real = only(built, "full", "seed4"), only(built, "full", "real4")
    # seed4's cells measured no time and no dollars: those columns are left out.
    assert "ttft_p99_s" not in [c.key for c in seed.columns]
    assert "ttft_p99_s" in [c.key for c in real.columns]
    assert any("mode unknown" in n for n in seed.notes + real.notes)


def test_full_table_missing_baseline_and_failed_cells(mixed):
    built = tables.build_tables(mixed, tables.TableOptions(kinds=("full",), baseline="dynamo"))
    real = only(built, "full", "real4")
    assert any("baseline `dynamo` is not in this group" in n for n in real.notes)
    failed = tables.build_tables(kvbresults.load(fixture_path("failed.json")),
                                 tables.TableOptions(kinds=("full",)))[0]
    assert len(failed.rows) == 2
    assert any(n.startswith(f"failed: `{KVCC}`: cell time limit") for n in failed.notes)


def test_full_table_groups_by_varying_parameters(tmp_path, mixed_document):
    # A second rate scale of the realistic cells: one table per (cluster, rate_scale).
    extra = [dict(e, name=e["name"].replace("rate_scale=1", "rate_scale=2"),
                  run_name=e["name"].replace("rate_scale=1", "rate_scale=2"), label="")
             for e in mixed_document["benchmarks"] if "cluster=real4" in e["name"]]
    mixed_document["benchmarks"] += extra
    results = kvbresults.load(write_json(tmp_path / "r.json", mixed_document))
    titles = [t.title for t in tables.build_tables(results, tables.TableOptions(kinds=("full",)))]
    assert len(titles) == 3
    assert sum("rate_scale `2`" in t for t in titles) == 1


def test_sort_by_counter(mixed):
    real = only(tables.build_tables(mixed, tables.TableOptions(kinds=("full",), sort="ttft_p99_s")),
                "full", "real4")
    # TTFT p99: kvcc 15 < random 20 < prefix_greedy 30 (lower is better, first).
    assert [r["strategy"] for r in real.rows] == [KVCC, "random", "prefix_greedy"]


# ---- (3) The Pareto set. ----

def test_pareto_set_of_realistic_cells(mixed):
    pareto = only(tables.build_tables(mixed, tables.TableOptions(kinds=("pareto",))), "pareto")
    # random (30%, 20 s, $8.01) is dominated by kvcc (45%, 15 s, $7.54): worse on all three.
    # prefix_greedy (50%, 30 s, $6.50) has the best hit rate and cost; kvcc the best p99.
    # Cheapest first.
    assert [r["strategy"] for r in pareto.rows] == ["prefix_greedy", KVCC]
    assert "2 of 3 realistic cells" in pareto.notes[0]


def test_dominates_needs_one_strict_improvement():
    a = {"hit_rate": 0.5, "ttft_p99_s": 10.0, "usd_per_1k_requests": 1.0}
    assert not tables.dominates(a, dict(a))
    assert tables.dominates(a, dict(a, ttft_p99_s=11.0))
    assert not tables.dominates(a, dict(a, hit_rate=0.6, ttft_p99_s=11.0))


# ---- The command. ----

def test_tables_cli_prints_the_full_table():
    done = run_script("tables.py", fixture_path("mixed.json"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "## Full table" in out and "## Pareto set" in out
    compat = "## Seed-compat: the earlier Go simulator's tables (its model, not a serving cluster)"
    assert compat in out
    # The realistic results lead; the compat tables come after, labelled as such.
    assert out.index("## Full table") < out.index("## Pareto set") < out.index(compat)
    header = ("| strategy | hit rate | token hit rate | concentration | load CV | TTFT mean (s) | "
              "TTFT p99 (s) | SLO attained | GPU-s | replicas held, mean (MB) | transfer (GB) | $ / 1K req | "
              "net $ / 1K vs `random` |")
    assert header in out
    assert (f"| `{KVCC}` | 45.00% | 46.00% | 0.300 | 0.100 | **1.50** | **15.0** | **99.0%** | "
            "750.0 | 500.00 | 4.00 | 7.54 | 0.47 |") in out


def test_tables_cli_csv(tmp_path):
    out = tmp_path / "full.csv"
    done = run_script("tables.py", fixture_path("mixed.json"), "--format", "csv", "-o", out)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 6
    real = {r["strategy"]: r for r in rows if r["cluster"] == "real4"}
    assert float(real["prefix_greedy"]["net_benefit_usd_per_1k"]) == pytest.approx(1.51)
    assert "hit_rate" in real["prefix_greedy"]["best"].split(";")
    seed = [r for r in rows if r["cluster"] == "seed4"]
    assert all(r["ttft_p99_s"] == "" and r["mode"] == "seed" for r in seed)
    seed_csv = run_script("tables.py", fixture_path("mixed.json"), "--format", "csv", "--table", "seed")
    assert "traditional_score,net_benefit,best" in seed_csv.stdout.splitlines()[0]


def test_tables_cli_rejects_csv_of_every_table():
    done = run_script("tables.py", fixture_path("mixed.json"), "--format", "csv", "--table", "all")
    assert done.returncode == 2 and "one table kind" in done.stderr


def test_nodes_table_says_where_blocks_went(tmp_path, mixed_document):
    # The real4 random cell's two nodes, with transfers counted per node.
    cells = mixed_document["kvbench"]["cells"]
    name = next(e["name"] for e in mixed_document["benchmarks"]
                if "/strategy=random/cluster=real4/" in e["name"])
    details = next(c for c in cells.values()
                   if c.get("strategy") == "random" and c.get("cluster") == "real4")
    details["result"]["nodes"] = [
        {"requests": 3, "busy_s": 1.5, "block_refs": 9, "hit_blocks": 4, "resident_blocks_end": 7,
         "fetched_blocks_in": 2, "fetched_blocks_out": 0, "replica_blocks_in": 5,
         "replica_blocks_out": 0},
        {"requests": 1, "busy_s": 0.5, "block_refs": 3, "hit_blocks": 0, "resident_blocks_end": 3,
         "fetched_blocks_in": 0, "fetched_blocks_out": 2, "replica_blocks_in": 0,
         "replica_blocks_out": 5}]
    path = write_json(tmp_path / "nodes.json", mixed_document)
    done = run_main(tables, path, "--table", "nodes", "--cell", "strategy=random/cluster=real4")
    assert done.returncode == 0, done.stderr
    assert f"### Nodes: {name}" in done.stdout
    assert ("| node | requests | busy (s) | block refs | hit blocks | fetched in | fetched out | "
            "replicas in | replicas out | resident at end |") in done.stdout
    assert "| `0` | 3 | 1.50 | 9 | 4 | 2 | 0 | 5 | 0 | 7 |" in done.stdout
    assert "| `1` | 1 | 0.500 | 3 | 0 | 0 | 2 | 0 | 5 | 3 |" in done.stdout
    assert done.stdout.count("### Nodes:") == 1   # --cell picked one cell


# ---- Distrusted cells (verdict.py's rules) in the tables. ----

def test_distrusted_cells_are_never_marked_best():
    results = kvbresults.load(fixture_path("verdict.json"))
    full = only(tables.build_tables(results, tables.TableOptions(kinds=("full",))), "full")
    rows = by_strategy(full)
    assert rows["one_node"]["distrusted"] == \
        "3 of 4 nodes served no request, and its service suffers for it"
    assert "distrusted" not in rows["random"]
    best = dict(zip([r["strategy"] for r in full.rows], full.best_keys()))
    # one_node has the highest hit rate (70%) and the lowest $ (4.00): neither is marked;
    # storage_heavy's 40% and random's $10.00 are the best of the trusted cells.
    assert "hit_rate" not in best["one_node"] and "usd_per_1k_requests" not in best["one_node"]
    assert "hit_rate" in best["storage_heavy"] and "usd_per_1k_requests" in best["random"]
    assert full.cell_text(rows["one_node"], full.columns[0]) == "one_node (distrusted)"
    assert any(n.startswith("distrusted, never marked best") and "`rejecting`: rejected 10.0%"
               in n for n in full.notes)
    frame = tables.csv_frame([full])
    assert list(frame.columns[-2:]) == ["best", "distrusted"]
    assert frame.set_index("strategy").loc["overloaded", "distrusted"] == \
        "TTFT p99 48x the median cell's (overloaded)"


# ---- KV tiers: the cluster line and the optional columns. ----

def test_cluster_description_names_the_tiers():
    import pandas as pd
    plain = pd.DataFrame([{"mode": "realistic", "nodes": 16, "capacity_blocks": 5859,
                           "eviction": "lru", "scope": "local"}])
    assert tables.cluster_description(plain) == "realistic, 16 nodes x 5,859 blocks, lru, local"
    tiered = plain.assign(hbm_eviction="lru", dram_write="back", ssd_capacity_blocks=89406,
                          ssd_eviction="s3fifo")
    assert tables.cluster_description(tiered) == (
        "realistic, 16 nodes x 5,859 blocks, lru, local, HBM prefix cache lru, DRAM write-back, "
        "SSD 89,406 blocks s3fifo")


def test_tier_columns_appear_only_with_values():
    import math
    import pandas as pd
    frame = pd.DataFrame([{"strategy": "a", "hbm_hit_rate": math.nan, "ssd_read_bytes": math.nan},
                          {"strategy": "b", "hbm_hit_rate": math.nan, "ssd_read_bytes": math.nan}])
    keys = [c.key for c in tables.full_columns(frame, "realistic", "a")]
    assert "hbm_hit_rate" not in keys and "ssd_read_bytes" not in keys
    frame.loc[1, "hbm_hit_rate"] = 0.25
    frame.loc[0, "ssd_read_bytes"] = 3e12
    keys = [c.key for c in tables.full_columns(frame, "realistic", "a")]
    assert keys.index("hbm_hit_rate") == keys.index("token_hit_rate") + 1
    assert "ssd_read_bytes" in keys
