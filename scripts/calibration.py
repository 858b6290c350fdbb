#!/usr/bin/python3
"""Published measurements beside what kvbench's step models predict for them.

    /usr/bin/python3 scripts/calibration.py [configs/calibration/published.json]
        [--kvbench build/release/bench/kvbench] [--format markdown|json] [-o OUT]

Each point of the file is one request, or `batch` identical requests arriving together, on
one node with an empty cache. For every (profile, shape) the point lists, the script writes
that trace and a one-cell matrix to a temporary directory, runs kvbench on it and reads the
cell's TTFT (quantity prefill_s) or mean gap between tokens (decode_step_s). It prints one
row per (point, model): published, modelled, modelled / published. Exit status 2 on bad input
or a failed run, naming the file and field.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvbresults  # noqa: E402

QUANTITIES = {"prefill_s": "ttft_mean_s", "decode_step_s": "tbt_mean_s"}
SHAPES = ("prefill_only", "aggregated")
BLOCK_TOKENS = 512  # the Mooncake trace format's tokens per hash id
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CalibrationError(Exception):
    pass


def field(point, where, name, kind):
    """point[name], checked to be a string (kind str) or a positive finite number of `kind`."""
    if name not in point:
        raise CalibrationError(f"{where}.{name}: missing required field")
    value = point[name]
    if kind is str:
        ok, expected = isinstance(value, str), "a string"
    else:
        ok = (isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
              and value > 0)
        expected = "a positive number"
    if not ok:
        raise CalibrationError(f"{where}.{name}: expected {expected}, got {json.dumps(value)}")
    return value


def read_points(path):
    """The points of a published-measurements file, checked field by field."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as e:
        raise CalibrationError(f"{path}: {e}") from e
    if not isinstance(document, dict) or not isinstance(document.get("points"), list):
        raise CalibrationError(f"{path}: points: missing required field (a list)")
    points = []
    for i, point in enumerate(document["points"]):
        where = f"{path}: points[{i}]"
        if not isinstance(point, dict):
            raise CalibrationError(f"{where}: expected an object")
        known = {"id", "quantity", "input_tokens", "output_tokens", "batch", "published", "setup",
                 "source", "models"}
        unknown = sorted(set(point) - known)
        if unknown:
            raise CalibrationError(f"{where}.{unknown[0]}: unknown field")
        p = {name: field(point, where, name, str) for name in ("id", "setup", "source")}
        p["quantity"] = field(point, where, "quantity", str)
        if p["quantity"] not in QUANTITIES:
            raise CalibrationError(f"{where}.quantity: expected one of {', '.join(QUANTITIES)}, "
                                   f"got \"{p['quantity']}\"")
        for name in ("input_tokens", "output_tokens", "batch"):
            p[name] = field(point, where, name, int)
        p["published"] = float(field(point, where, "published", (int, float)))
        models = point.get("models")
        if not isinstance(models, list) or not models:
            raise CalibrationError(f"{where}.models: expected a non-empty list of [profile, shape]")
        for j, model in enumerate(models):
            if (not isinstance(model, list) or len(model) != 2 or not all(isinstance(m, str) for m in model)
                    or model[1] not in SHAPES):
                raise CalibrationError(f"{where}.models[{j}]: expected [profile, shape] with shape one of "
                                       f"{', '.join(SHAPES)}, got {json.dumps(model)}")
            if model[1] == "prefill_only" and p["quantity"] != "prefill_s":
                raise CalibrationError(f"{where}.models[{j}]: shape prefill_only does not decode")
        p["models"] = [tuple(m) for m in models]
        points.append(p)
    return points


def trace_lines(point):
    """Mooncake-format JSONL: `batch` requests at t = 0, no block shared with another."""
    blocks = math.ceil(point["input_tokens"] / BLOCK_TOKENS)
    return [json.dumps({"timestamp": 0, "input_length": point["input_tokens"],
                        "output_length": point["output_tokens"],
                        "hash_ids": list(range(r * blocks, (r + 1) * blocks))})
            for r in range(point["batch"])]


def matrix(profile, shape):
    return {"name": "calibration", "strategies": ["least_loaded"],
            "clusters": [{"name": "one", "mode": "realistic", "profile": profile, "nodes": 1,
                          "shape": shape}],
            "traces": [{"name": "point", "file": "trace.jsonl"}]}


def modelled(point, profile, shape, kvbench):
    """What kvbench predicts for `point` on one node of `profile` in `shape`."""
    with tempfile.TemporaryDirectory(prefix="kvb_calibration_") as work:
        with open(os.path.join(work, "trace.jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(trace_lines(point)) + "\n")
        config = os.path.join(work, "matrix.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(matrix(profile, shape), f)
        out = os.path.join(work, "out.json")
        run = subprocess.run([kvbench, "--config", config, "--out", out, "--progress=false",
                              "--summary=false", "-j", "1"], capture_output=True, text=True)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise CalibrationError(f"point {point['id']}, {profile} {shape}: kvbench failed: {last}")
        cells = kvbresults.load(out).cells
        return float(cells.iloc[0][QUANTITIES[point["quantity"]]])


def rows(points, kvbench):
    out = []
    for p in points:
        for profile, shape in p["models"]:
            value = modelled(p, profile, shape, kvbench)
            out.append({"id": p["id"], "quantity": p["quantity"], "profile": profile, "shape": shape,
                        "published": p["published"], "modelled": value,
                        "ratio": value / p["published"], "source": p["source"], "setup": p["setup"]})
    return out


def markdown(table):
    lines = ["| point | quantity | profile | shape | published | modelled | modelled / published |",
             "|---|---|---|---|---|---|---|"]
    for r in table:
        scale, unit = (1e3, " ms") if r["quantity"] == "decode_step_s" else (1, " s")
        lines.append(f"| {r['id']} | {r['quantity']} | {r['profile']} | {r['shape']} | "
                     f"{r['published'] * scale:.4g}{unit} | {r['modelled'] * scale:.4g}{unit} | "
                     f"{r['ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def default_kvbench():
    for candidate in (os.environ.get("KVB_KVBENCH"), os.path.join(ROOT, "build/release/bench/kvbench"),
                      os.path.join(ROOT, "build/test/bench/kvbench")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("points", nargs="?", default=os.path.join(ROOT, "configs/calibration/published.json"))
    parser.add_argument("--kvbench", default=None, help="the kvbench binary (default: build/release's)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("-o", "--out", help="write here (atomically) instead of stdout")
    args = parser.parse_args(argv)
    try:
        kvbench = args.kvbench or default_kvbench()
        if not kvbench or not os.path.exists(kvbench):
            raise CalibrationError(f"--kvbench: no kvbench binary at {kvbench or 'build/release/bench/kvbench'}")
        table = rows(read_points(args.points), kvbench)
    except CalibrationError as e:
        print(f"calibration.py: {e}", file=sys.stderr)
        return 2
    text = markdown(table) if args.format == "markdown" else json.dumps(table, indent=1) + "\n"
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
