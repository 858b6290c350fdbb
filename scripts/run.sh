#!/usr/bin/env bash
# The main job: install what is missing, build Release, and print the statistics of the
# built-in workloads (every preset), saving them as JSON under results/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install_deps.sh
build=${KVB_BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_TESTING=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)"

mkdir -p results/latest
for preset in $("$build/bench/kvbench-trace" presets | awk '{print $1}'); do
  echo "== preset $preset =="
  "$build/bench/kvbench-trace" stats --preset "$preset"
  "$build/bench/kvbench-trace" stats --preset "$preset" --json -o "results/latest/trace_stats_$preset.json"
  echo
done
echo "JSON: results/latest/trace_stats_*.json"
