"""effective_capacity.py's bisection, run against a stand-in kvbench whose goodput is
min(1, 2 / rate scale): the target 0.9 is met up to rate scale 2 / 0.9 = 2.222."""

import json
import os
import stat

from conftest import PYTHON, run_script, write_json

FAKE = '''#!{python}
import json, sys
args = sys.argv[1:]
config = json.load(open(args[args.index("--config") + 1]))
assert config["strategies"] == ["dynamo"] and [c["name"] for c in config["clusters"]] == ["agg"]
rate = config["rate_scales"][0]
goodput = None if config["clusters"][0].get("ttft_slo_s", 0) == 0 else min(1.0, 2.0 / rate)
name = "m/strategy=dynamo/cluster=agg/trace=t/prices=profile/rate_scale=%g/seed=1" % rate
json.dump({{"benchmarks": [{{"name": name, "run_type": "iteration", "goodput": goodput}}]}},
          open(args[args.index("--out") + 1], "w"))
'''


def make_fake(tmp_path, slo=30):
    fake = tmp_path / "kvbench"
    fake.write_text(FAKE.format(python=PYTHON))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    config = write_json(tmp_path / "m.json", {
        "name": "m", "strategies": ["random", "dynamo"],
        "clusters": [{"name": "other"}, {"name": "agg", "ttft_slo_s": slo}],
        "traces": [{"name": "t", "preset": "conversation"}], "rate_scales": [1, 2]})
    return str(fake), config


def test_bisection_finds_the_highest_rate_meeting_the_target(tmp_path):
    fake, config = make_fake(tmp_path)
    out = tmp_path / "cap.json"
    ran = run_script("effective_capacity.py", "--config", config, "--strategy", "dynamo",
                     "--cluster", "agg", "--kvbench", fake, "--target", "0.9", "--json", out)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(out.read_text())
    assert answer["bound"] == "found"
    assert 2.0 / 0.9 / 1.02 <= answer["rate_scale"] <= 2.0 / 0.9
    # Every probe is on the right side of what it reported; the probe files are gone.
    for p in answer["probes"]:
        assert (p["goodput"] >= 0.9) == (p["rate_scale"] <= 2.0 / 0.9)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".capacity-")]


def test_bounds_and_bad_input(tmp_path):
    fake, config = make_fake(tmp_path)
    base = ["--config", config, "--strategy", "dynamo", "--cluster", "agg", "--kvbench", fake]
    below = run_script("effective_capacity.py", *base, "--lo", "4", "--hi", "8")
    assert below.returncode == 1 and "missed even at rate scale 4" in below.stdout
    above = run_script("effective_capacity.py", *base, "--lo", "0.5", "--hi", "1")
    assert above.returncode == 1 and "met even at rate scale 1" in above.stdout
    unknown = run_script("effective_capacity.py", *base[:-4], "--cluster", "nope", "--kvbench", fake)
    assert unknown.returncode == 2 and "no cluster 'nope'" in unknown.stderr
    (tmp_path / "x").mkdir()
    fake, config = make_fake(tmp_path / "x", slo=0)
    no_slo = run_script("effective_capacity.py", "--config", config, "--strategy", "dynamo",
                        "--cluster", "agg", "--kvbench", fake)
    assert no_slo.returncode == 2 and "sets no SLO" in no_slo.stderr


def test_a_config_over_seeds_and_jitters_probes_one_of_each(tmp_path):
    import effective_capacity
    config = {"strategies": ["dynamo"], "clusters": [{"name": "agg"}],
              "traces": [{"name": "t", "preset": "conversation", "arrival_jitter_ms": 3000}],
              "rate_scales": [1], "seeds": [3, 4, 5], "jitter_seeds": [7, 8]}
    first = effective_capacity.probe_config(config, "dynamo", "agg", None, 2.0)
    assert (first["seeds"], first["jitter_seeds"], first["rate_scales"]) == ([3], [7], [2.0])
    chosen = effective_capacity.probe_config(config, "dynamo", "agg", None, 2.0, 5, 8)
    assert (chosen["seeds"], chosen["jitter_seeds"]) == ([5], [8])
    try:
        effective_capacity.probe_config(config, "dynamo", "agg", None, 2.0, None, 9)
        assert False, "a jitter seed the config lacks was accepted"
    except effective_capacity.CapacityError as e:
        assert str(e) == "--jitter-seed 9: the config's jitter_seeds is [7, 8]"
    plain = effective_capacity.probe_config({k: v for k, v in config.items()
                                             if k not in ("seeds", "jitter_seeds")},
                                            "dynamo", "agg", None, 1.0)
    assert "seeds" not in plain and "jitter_seeds" not in plain
