"""calibration.py: its input checks, and the values it reads from kvbench against values
computed by hand from the profiles' formulas."""

import json
import os

import pytest

from conftest import run_script, write_json

import calibration

KVBENCH = calibration.default_kvbench()
needs_kvbench = pytest.mark.skipif(KVBENCH is None, reason="no kvbench build (set KVB_KVBENCH)")


def point(**changes):
    p = {"id": "p", "quantity": "prefill_s", "input_tokens": 8192, "output_tokens": 1, "batch": 1,
         "published": 1.0, "setup": "s", "source": "src",
         "models": [["llama3-70b_8xa800_paper", "prefill_only"], ["llama3-70b_8xa800", "prefill_only"]]}
    p.update(changes)
    return p


@pytest.mark.parametrize("changes, message", [
    ({"quantity": "ttft"}, "points[0].quantity: expected one of prefill_s, decode_step_s, got \"ttft\""),
    ({"batch": 0}, "points[0].batch: expected a positive number, got 0"),
    ({"published": "1"}, "points[0].published: expected a positive number, got \"1\""),
    ({"colour": 1}, "points[0].colour: unknown field"),
    ({"models": [["llama3-70b_8xa800", "disaggregated"]]}, "points[0].models[0]: expected [profile, shape]"),
    ({"quantity": "decode_step_s"}, "points[0].models[0]: shape prefill_only does not decode"),
])
def test_bad_points_fail_naming_the_field(tmp_path, changes, message):
    path = write_json(tmp_path / "p.json", {"points": [point(**changes)]})
    ran = run_script("calibration.py", path, "--kvbench", "/bin/true")
    assert ran.returncode == 2
    assert ran.stderr.startswith(f"calibration.py: {path}: ")
    assert message in ran.stderr


def test_missing_field_and_missing_binary(tmp_path):
    p = point()
    del p["source"]
    path = write_json(tmp_path / "p.json", {"points": [p]})
    ran = run_script("calibration.py", path, "--kvbench", "/bin/true")
    assert ran.returncode == 2 and "points[0].source: missing required field" in ran.stderr
    good = write_json(tmp_path / "g.json", {"points": [point()]})
    ran = run_script("calibration.py", good, "--kvbench", str(tmp_path / "nothing"))
    assert ran.returncode == 2 and "--kvbench: no kvbench binary" in ran.stderr


def test_trace_has_batch_requests_at_zero_sharing_no_block():
    lines = [json.loads(l) for l in calibration.trace_lines(point(input_tokens=1025, batch=3))]
    assert [l["timestamp"] for l in lines] == [0, 0, 0]
    assert [len(l["hash_ids"]) for l in lines] == [3, 3, 3]  # ceil(1025 / 512)
    ids = [i for l in lines for i in l["hash_ids"]]
    assert len(set(ids)) == 9


def flops(a, n):  # the Mooncake paper's Equation 1 for LLaMA3-70B: l (a n^2 d + b n d^2)
    return 80 * (a * n * n * 8192 + 22 * n * 8192 ** 2)


@needs_kvbench
def test_prefill_matches_equation_1_by_hand(tmp_path):
    path = write_json(tmp_path / "p.json", {"points": [point()]})
    out = tmp_path / "out.json"
    ran = run_script("calibration.py", path, "--kvbench", KVBENCH, "--format", "json", "-o", out)
    assert ran.returncode == 0, ran.stderr
    rows = json.loads(out.read_text())
    effective = 8 * 312e12 * 0.5  # FLOP/s of 8 A800 at utilisation 0.5
    assert rows[0]["modelled"] == pytest.approx(flops(4, 8192) / effective + 0.010, rel=1e-9)
    assert rows[1]["modelled"] == pytest.approx(flops(2, 8192) / effective + 0.010, rel=1e-9)
    assert rows[1]["ratio"] == pytest.approx(rows[1]["modelled"] / 1.0)
    assert not os.path.exists(str(out) + ".tmp")


@needs_kvbench
def test_decode_step_matches_the_roofline_by_hand(tmp_path):
    # One request of 16 tokens decoding 2 on one H100 (LLaMA3-8B): each step reads the
    # weights, 16.06 GB, at 3.35 TB/s x MBU 0.75, plus 0.7 ms; its KV (17 tokens) adds < 1 us.
    p = point(quantity="decode_step_s", input_tokens=16, output_tokens=3,
              models=[["llama3-8b_1xh100", "aggregated"]])
    path = write_json(tmp_path / "p.json", {"points": [p]})
    ran = run_script("calibration.py", path, "--kvbench", KVBENCH, "--format", "json")
    assert ran.returncode == 0, ran.stderr
    rows = json.loads(ran.stdout)
    assert rows[0]["modelled"] == pytest.approx(16.06e9 / (3.35e12 * 0.75) + 0.0007, rel=1e-3)
