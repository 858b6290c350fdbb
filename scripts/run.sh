#!/usr/bin/env bash
# The main job: install what is missing, build Release, print the statistics of the
# built-in workloads, then run the default strategy matrix (configs/default.json: every
# registered strategy on the built-in conversation workload, seed mode with 4 nodes and
# realistic mode with 16 nodes, local and global cache) and print its comparison tables.
# Results: results/latest.json (Google Benchmark JSON + kvbench's per-cell details),
# results/report.html (tables and plots, self-contained) and results/latest/ (trace
# statistics).
#   KVB_BUILD_DIR   build directory (default build/release)
#   KVB_CONFIG      matrix file (default configs/default.json)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install_deps.sh
build=${KVB_BUILD_DIR:-build/release}
config=${KVB_CONFIG:-configs/default.json}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_TESTING=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)"

mkdir -p results/latest
for preset in $("$build/bench/kvbench-trace" presets | awk '{print $1}'); do
  echo "== workload: preset $preset =="
  "$build/bench/kvbench-trace" stats --preset "$preset"
  "$build/bench/kvbench-trace" stats --preset "$preset" --json -o "results/latest/trace_stats_$preset.json"
  echo
done

echo "== strategy matrix: $config =="
status=0
"$build/bench/kvbench" --config "$config" --out results/latest.json --summary=false || status=$?
/usr/bin/python3 scripts/report.py results/latest.json -o results/report.html
/usr/bin/python3 scripts/tables.py results/latest.json
/usr/bin/python3 scripts/verdict.py results/latest.json
echo "JSON: results/latest.json, results/latest/; report: results/report.html"
exit "$status"
