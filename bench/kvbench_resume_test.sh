#!/usr/bin/env bash
# A sweep killed part-way loses no finished cell: after SIGKILL, after SIGINT (which must
# write what is done, marked incomplete, and exit 130) and after two SIGINTs (exit at
# once), `--resume` finishes the rest and the result equals an uninterrupted run's.
#   kvbench_resume_test.sh KVBENCH CONFIG WORKDIR
set -euo pipefail
kvbench=$1 config=$2 work=$3
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"

"$kvbench" --config "$config" --out "$work/full.json" --summary=false
[[ ! -e "$work/full.json.journal" ]] || { echo "journal left after a complete run"; exit 1; }

# Starts a one-thread run and waits until the journal holds at least $2 cells.
start_and_wait() {
  local out=$1 cells=$2
  "$kvbench" --config "$config" --out "$out" --summary=false --threads 1 --grace 30 &
  pid=$!
  for _ in $(seq 1 1000); do
    if [[ -f "$out.journal" ]] && (( $(wc -l < "$out.journal") > cells )); then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "the run ended before $cells cells were journaled"; exit 1; }
    sleep 0.01
  done
  echo "no progress"; exit 1
}

resumed_cells() {
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"].get("resumed_cells", "0"))' "$1"
}

# 1. SIGKILL: nothing but the journal survives.
start_and_wait "$work/killed.json" 5
kill -KILL "$pid"; wait "$pid" || true
[[ ! -e "$work/killed.json" ]] || { echo "a killed run left a result file"; exit 1; }
"$kvbench" --config "$config" --out "$work/killed.json" --summary=false --resume
n=$(resumed_cells "$work/killed.json")
(( n >= 5 )) || { echo "resumed only $n cells after SIGKILL"; exit 1; }
/usr/bin/python3 "$here/check_result_json.py" "$work/killed.json" --same-metrics-as "$work/full.json"

# 2. SIGINT: running cells finish, the result of what is done is written, exit 130.
start_and_wait "$work/interrupted.json" 3
kill -INT "$pid"
status=0; wait "$pid" || status=$?
(( status == 130 )) || { echo "SIGINT: exit code $status, expected 130"; exit 1; }
grep -q '"incomplete": "interrupted by signal 2' "$work/interrupted.json" \
  || { echo "SIGINT: the result is not marked incomplete"; exit 1; }
"$kvbench" --config "$config" --out "$work/interrupted.json" --summary=false --resume
n=$(resumed_cells "$work/interrupted.json")
(( n >= 3 )) || { echo "resumed only $n cells after SIGINT"; exit 1; }
/usr/bin/python3 "$here/check_result_json.py" "$work/interrupted.json" --same-metrics-as "$work/full.json"
! grep -q '"incomplete"' "$work/interrupted.json" || { echo "still marked incomplete"; exit 1; }

# 3. A second SIGINT exits at once: no result file, the journal keeps what finished.
start_and_wait "$work/twice.json" 2
kill -INT "$pid"; kill -INT "$pid"
status=0; wait "$pid" || status=$?
(( status == 130 )) || { echo "second SIGINT: exit code $status, expected 130"; exit 1; }
"$kvbench" --config "$config" --out "$work/twice.json" --summary=false --resume
n=$(resumed_cells "$work/twice.json")
(( n >= 2 )) || { echo "resumed only $n cells after two SIGINTs"; exit 1; }
/usr/bin/python3 "$here/check_result_json.py" "$work/twice.json" --same-metrics-as "$work/full.json"

# 4. A journal of another config is refused, not mixed in.
start_and_wait "$work/other.json" 1
kill -KILL "$pid"; wait "$pid" || true
status=0
"$kvbench" --config "$config" --preset synthetic --requests 300 --out "$work/other.json" \
  --summary=false --resume 2> "$work/other.err" || status=$?
(( status == 2 )) && grep -q "not mixing them" "$work/other.err" \
  || { echo "a foreign journal was not refused: exit $status"; cat "$work/other.err"; exit 1; }
echo "kvbench_resume_test: SIGKILL and SIGINT runs resume to the uninterrupted result"
