#!/usr/bin/env bash
# The main job: install what is missing, build Release, print the statistics of the
# built-in workloads (every preset) and one simulated cell of the conversation workload in
# each mode (the seed's model and the realistic one), saving everything as JSON under
# results/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install_deps.sh
build=${KVB_BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_ENABLE_TESTING=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)"
tool="$build/bench/kvbench-trace"

mkdir -p results/latest
for preset in $("$tool" presets | awk '{print $1}'); do
  echo "== preset $preset =="
  "$tool" stats --preset "$preset"
  "$tool" stats --preset "$preset" --json -o "results/latest/trace_stats_$preset.json"
  echo
done

for mode in seed realistic; do
  echo "== cell: conversation preset, $mode mode (defaults: see 'kvbench-trace simulate --help') =="
  "$tool" simulate --preset conversation --mode "$mode"
  "$tool" simulate --preset conversation --mode "$mode" --json -o "results/latest/cell_conversation_$mode.json"
  echo
done
echo "JSON: results/latest/"
