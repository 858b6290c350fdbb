#!/usr/bin/env bash
# Every reproduction config (configs/repro/*.json) parses, runs on a small generated
# workload and gives tables: kvbench --preset conversation --requests 300 (which replaces
# the configs' traces), then scripts/tables.py must exit 0 with the expected tables.
# The full-size runs are documented in docs/FINDINGS.md, not run here.
#   repro_smoke_test.sh KVBENCH SOURCE_DIR WORKDIR
set -euo pipefail
kvbench=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"

shopt -s nullglob
configs=("$src"/configs/repro/*.json)
(( ${#configs[@]} >= 7 )) || { echo "expected the seven configs in $src/configs/repro, found ${#configs[@]}"; exit 1; }

for config in "${configs[@]}"; do
  name=$(basename "$config" .json)
  out="$work/$name.json"
  echo "== $name"
  "$kvbench" --config "$config" --preset conversation --requests 300 --out "$out" \
    --summary=false --progress=false \
    || { echo "FAIL: kvbench on $config (exit $?)"; exit 1; }
  /usr/bin/python3 "$src/scripts/tables.py" "$out" > "$work/$name.md" \
    || { echo "FAIL: tables.py on the result of $config (exit $?)"; exit 1; }
  # The tables came out: the seed's tables for seed mode, the full table for every config.
  grep -q '^## Full table' "$work/$name.md" || { echo "FAIL: no full table for $config"; exit 1; }
  if [[ $name == seed ]]; then
    grep -q '^### Traditional score' "$work/$name.md" || { echo "FAIL: no seed table for $config"; exit 1; }
    grep -q '^### GPU-weighted net benefit' "$work/$name.md" || { echo "FAIL: no net-benefit table for $config"; exit 1; }
  fi
  # No cell may fail.
  failed=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"].get("cells_failed", "0"))' "$out")
  [[ $failed == 0 ]] || { echo "FAIL: $failed cells failed in $config"; exit 1; }
done
echo "all ${#configs[@]} repro configs ran and gave tables"
