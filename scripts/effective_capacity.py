#!/usr/bin/python3
"""Effective request capacity: the highest rate scale at which one cell's goodput stays at or
above a target, found by bisection over rate scales (the Mooncake paper's measure: the load
a cluster serves within its TTFT and TBT SLOs).

    /usr/bin/python3 scripts/effective_capacity.py --config configs/repro/serving_aggregated.json \\
        --strategy dynamo --cluster agg16 [--trace ../shared/traces/conversation_trace.jsonl] \\
        [--target 0.9] [--lo 0.25] [--hi 16] [--tolerance 0.02]

Each probe runs kvbench on a copy of the config holding only the chosen strategy, cluster,
trace (the config's first unless --trace-name) and one rate scale; the copy sits beside the
config so that its relative paths resolve, and is removed afterwards. Goodput is assumed to
fall as the rate grows. Prints one line per probe and the answer; --json writes them as JSON.
Exit status: 0 with an answer, 1 when the target is missed even at --lo or met even at --hi
(the answer is then a bound, said so), 2 on bad input or a failed run.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile


class CapacityError(Exception):
    pass


def pick(entries, name, what):
    """The entry called `name` (the first when name is None) of a config list."""
    if not entries:
        raise CapacityError(f"the config has no {what}")
    if name is None:
        return entries[0]
    for e in entries:
        if (isinstance(e, dict) and e.get("name") == name) or e == name:
            return e
    names = ", ".join(str(e.get("name", e)) if isinstance(e, dict) else str(e) for e in entries)
    raise CapacityError(f"no {what[:-1]} '{name}' in the config (it has: {names})")


def pick_seed(config, key, chosen, flag):
    """[chosen] (which the config's `key` list must hold), or the list's first; None if absent."""
    seeds = config.get(key)
    if chosen is None:
        return seeds[:1] if seeds else None
    if not seeds or chosen not in seeds:
        raise CapacityError(f"{flag} {chosen}: the config's {key} is {json.dumps(seeds)}")
    return [chosen]


def probe_config(config, strategy, cluster, trace_name, rate_scale, seed=None, jitter_seed=None):
    """A copy of `config` with one strategy, cluster, trace, rate scale, strategy seed and
    arrival jitter (the given ones, or the config's first)."""
    out = {k: v for k, v in config.items() if k not in ("exclude", "cells", "rate_scales",
                                                        "seeds", "jitter_seeds", "prices")}
    out["strategies"] = [strategy]
    out["clusters"] = [pick(config.get("clusters", []), cluster, "clusters")]
    out["traces"] = [pick(config.get("traces", []), trace_name, "traces")]
    out["rate_scales"] = [rate_scale]
    for key, chosen, flag in (("seeds", seed, "--seed"), ("jitter_seeds", jitter_seed, "--jitter-seed")):
        picked = pick_seed(config, key, chosen, flag)
        if picked is not None:
            out[key] = picked
    if "prices" in config:
        out["prices"] = config["prices"][:1]
    return out


def run_probe(args, config, rate_scale):
    """Goodput of the one cell at `rate_scale` (NaN when the cell sets no SLO)."""
    probe = probe_config(config, args.strategy, args.cluster, args.trace_name, rate_scale,
                         args.seed, args.jitter_seed)
    folder = os.path.dirname(os.path.abspath(args.config))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "probe.json")
        fd, path = tempfile.mkstemp(prefix=".capacity-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(probe, f)
            command = [args.kvbench, "--config", path, "--out", out, "--summary=false",
                       "--progress=false", "--threads", "1"]
            if args.trace:
                command += ["--trace", args.trace]
            done = subprocess.run(command, capture_output=True, text=True)
        finally:
            os.unlink(path)
        if done.returncode != 0:
            raise CapacityError(f"kvbench failed at rate scale {rate_scale} (exit "
                                f"{done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
        with open(out, encoding="utf-8") as f:
            result = json.load(f)
    cells = [b for b in result["benchmarks"] if "/strategy=" in b.get("name", "")
             and b.get("run_type", "iteration") == "iteration"]
    if len(cells) != 1:
        raise CapacityError(f"expected one cell at rate scale {rate_scale}, got {len(cells)}")
    cell = cells[0]
    if cell.get("error_occurred"):
        raise CapacityError(f"the cell failed at rate scale {rate_scale}: "
                            f"{cell.get('error_message')}")
    goodput = cell.get(args.metric)
    if goodput is None:
        raise CapacityError(f"{args.metric} is null: the cluster sets no SLO "
                            "(give it ttft_slo_s and/or tbt_slo_s)")
    return float(goodput), cell


def bisect(args, config, report):
    """The highest rate scale meeting the target, within the tolerance (geometric)."""
    lo, hi = args.lo, args.hi
    g_lo, _ = run_probe(args, config, lo)
    report(lo, g_lo)
    if g_lo < args.target:
        return lo, "below"
    g_hi, _ = run_probe(args, config, hi)
    report(hi, g_hi)
    if g_hi >= args.target:
        return hi, "above"
    while hi / lo > 1 + args.tolerance:
        mid = math.sqrt(lo * hi)
        g, _ = run_probe(args, config, mid)
        report(mid, g)
        if g >= args.target:
            lo = mid
        else:
            hi = mid
    return lo, "found"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="matrix config (JSON)")
    parser.add_argument("--strategy", required=True, help="strategy as the config writes it")
    parser.add_argument("--cluster", required=True, help="cluster name in the config")
    parser.add_argument("--trace-name", default=None, help="trace name (default: the first)")
    parser.add_argument("--trace", default=None, help="a trace file replacing the config's")
    parser.add_argument("--seed", type=int, default=None,
                        help="strategy seed among the config's seeds (default: its first)")
    parser.add_argument("--jitter-seed", type=int, default=None,
                        help="arrival jitter among the config's jitter_seeds (default: its first)")
    parser.add_argument("--kvbench", default=os.path.join("build", "release", "bench", "kvbench"))
    parser.add_argument("--metric", default="goodput", help="the share to hold (default goodput)")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--lo", type=float, default=0.25, help="lowest rate scale probed")
    parser.add_argument("--hi", type=float, default=16.0, help="highest rate scale probed")
    parser.add_argument("--tolerance", type=float, default=0.02,
                        help="stop when hi / lo <= 1 + this")
    parser.add_argument("--json", default=None, help="also write the probes and answer here")
    args = parser.parse_args(argv)
    name = "effective_capacity.py"
    try:
        if not 0 < args.target <= 1:
            raise CapacityError(f"--target: a share in (0, 1], got {args.target}")
        if not 0 < args.lo < args.hi:
            raise CapacityError(f"--lo and --hi: need 0 < lo < hi, got {args.lo} and {args.hi}")
        if not args.tolerance > 0:
            raise CapacityError(f"--tolerance: must be > 0, got {args.tolerance}")
        if not os.path.exists(args.kvbench):
            raise CapacityError(f"--kvbench: no file {args.kvbench} (build it, or give its path)")
        try:
            with open(args.config, encoding="utf-8") as f:
                config = json.load(f)
        except (OSError, ValueError) as e:
            raise CapacityError(f"{args.config}: cannot read: {e}") from None
        probes = []

        def report(rate_scale, goodput):
            probes.append({"rate_scale": rate_scale, args.metric: goodput})
            print(f"rate_scale {rate_scale:.4g}: {args.metric} {goodput:.4f}"
                  f" ({'meets' if goodput >= args.target else 'misses'} {args.target})")

        answer, where = bisect(args, config, report)
    except CapacityError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 2
    text = {"found": f"effective capacity: rate scale {answer:.4g} (within {args.tolerance:.0%})",
            "below": f"the target is missed even at rate scale {answer:.4g}: capacity < {answer:.4g}",
            "above": f"the target is met even at rate scale {answer:.4g}: capacity >= {answer:.4g}"}
    print(text[where])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"strategy": args.strategy, "cluster": args.cluster, "metric": args.metric,
                       "target": args.target, "rate_scale": answer, "bound": where,
                       "probes": probes}, f, indent=1)
    return 0 if where == "found" else 1


if __name__ == "__main__":
    sys.exit(main())
