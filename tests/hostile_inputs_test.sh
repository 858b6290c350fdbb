#!/usr/bin/env bash
# Hostile inputs, each with the outcome a demanding user expects: a one-line error naming
# the file / line / field and exit status 2, or a correct result (exit 0). Never a crash,
# a hang, a sanitizer report, an absurd number, or a machine eaten by one bad input.
#   hostile_inputs_test.sh KVBENCH KVBENCH_TRACE WORKDIR
# Every input is generated in WORKDIR. Each check prints one line:
#   PASS|FAIL|KNOWN <row>: <what happened> (<exit status>, <seconds>, <peak RSS>)
# and the script exits 1 if any check FAILed. A check listed in KNOWN_FAILURES is a
# kvbench bug not fixed yet: it still expects the right behaviour, prints KNOWN instead of
# FAIL and does not fail the test; once fixed it prints PASS with a reminder to remove it.
#
# Every command runs under a watchdog: SIGTERM after HOSTILE_TIMEOUT_S (60) seconds (like
# `timeout 60`, SIGKILL 5 s later), SIGKILL as soon as its peak RSS passes
# HOSTILE_RSS_LIMIT_MB (4096): a hostile input must not take the machine down with it.
set -euo pipefail

# kvbench bugs found by this test, each described above its names; remove a name once its
# check passes.
KNOWN_FAILURES=(
)

kvbench=$1 kvtrace=$2 work=$3
timeout_s=${HOSTILE_TIMEOUT_S:-60}
rss_limit_kb=$(( ${HOSTILE_RSS_LIMIT_MB:-4096} * 1024 ))
py=/usr/bin/python3

if [[ -d "$work" ]]; then chmod -R u+w "$work" 2>/dev/null || true; fi
rm -rf "$work" && mkdir -p "$work"
cd "$work"
test_start=$EPOCHREALTIME

# ---------------------------------------------------------------------------------------
# Running a command and judging its outcome.

child=""
cleanup() { if [[ -n "$child" ]]; then kill -KILL "$child" 2>/dev/null || true; fi; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

usec() { local t=${EPOCHREALTIME/./}; echo $(( 10#$t )); }

# run NAME CMD...: runs CMD (stdin /dev/null, stdout NAME.out, stderr NAME.err) under the
# watchdog. Sets RC, SECS ("12.34"), MS, RSS_MB (peak, sampled every 50 ms; "?" when the
# command ended before the first sample) and KILLED ("" or why it was killed).
run() {
  local name=$1; shift
  OUT="$work/$name.out" ERR="$work/$name.err"
  local t0 now hwm=0 k term_sent=0
  KILLED=""
  t0=$(usec)
  RC=0
  {  # the braces' 2>/dev/null keeps bash's "Killed" job notices out of the log
    "$@" </dev/null >"$OUT" 2>"$ERR" &
    child=$!
    while kill -0 "$child" 2>/dev/null; do
      k=$(awk '/^VmHWM:/ {print $2}' "/proc/$child/status" 2>/dev/null || true)
      if [[ -n "$k" ]] && (( k > hwm )); then hwm=$k; fi
      if (( hwm > rss_limit_kb )) && [[ -z "$KILLED" ]]; then
        KILLED="killed at peak RSS $(( hwm / 1024 )) MB > $(( rss_limit_kb / 1024 )) MB"
        kill -KILL "$child" 2>/dev/null || true
      fi
      now=$(usec)
      if (( now - t0 > timeout_s * 1000000 )) && (( term_sent == 0 )); then
        KILLED="hung: no exit after ${timeout_s} s"
        kill -TERM "$child" 2>/dev/null || true
        term_sent=1
      elif (( now - t0 > (timeout_s + 5) * 1000000 )); then
        kill -KILL "$child" 2>/dev/null || true
      fi
      sleep 0.05
    done
    wait "$child" || RC=$?
  } 2>/dev/null
  child=""
  MS=$(( ($(usec) - t0) / 1000 ))
  SECS=$(printf '%d.%02d' $(( MS / 1000 )) $(( MS % 1000 / 10 )))
  if (( hwm > 0 )); then RSS_MB=$(( hwm / 1024 )); else RSS_MB="?"; fi
}

failed=0 passed=0 known=0 fixed=()
is_known() { local n; for n in "${KNOWN_FAILURES[@]}"; do [[ "$n" == "$1" ]] && return 0; done; return 1; }

# verdict NAME OK MESSAGE
verdict() {
  local name=$1 ok=$2 msg=$3
  local stats="exit $RC, ${SECS} s, RSS ${RSS_MB} MB"
  if (( ok )); then
    passed=$(( passed + 1 ))
    if is_known "$name"; then
      echo "PASS $name: $msg ($stats) [listed in KNOWN_FAILURES: remove it]"
      fixed+=("$name")
    else
      echo "PASS $name: $msg ($stats)"
    fi
  elif is_known "$name"; then
    known=$(( known + 1 ))
    echo "KNOWN $name: $msg ($stats)"
  else
    failed=$(( failed + 1 ))
    echo "FAIL $name: $msg ($stats)"
  fi
}

# Why the last command did not end normally, or "".
abnormal() {
  if [[ -n "$KILLED" ]]; then echo "$KILLED"; return; fi
  if grep -qE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|runtime error:' "$ERR"; then
    echo "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' "$ERR" | cut -c1-160)"; return
  fi
  if (( RC >= 124 )); then echo "died: exit $RC (signal $(( RC > 128 ? RC - 128 : 0 )))"; return; fi
  echo ""
}

# The stderr line to show: the first naming an error, else the first non-empty one.
first_err() {
  { grep -m1 -iE 'error|failed' "$ERR" || grep -m1 -v '^$' "$ERR" || true; } 2>/dev/null | cut -c1-200
}

# expect_error NAME RC FRAGMENT... -- CMD...: CMD must exit RC with one stderr line
# (at most 1,000 characters) holding every fragment. Optional, reset after each call:
# max_s (the most seconds it may take) and post (a command line, run with eval after the
# refusal, that must succeed; its output is the reason when it does not).
max_s="" post=""
expect_error() {
  local name=$1 want=$2; shift 2
  local frags=() limit=$max_s after=$post
  max_s="" post=""
  while [[ "$1" != "--" ]]; do frags+=("$1"); shift; done
  shift
  run "$name" "$@"
  local why; why=$(abnormal)
  if [[ -n "$why" ]]; then verdict "$name" 0 "expected exit $want, $why; stderr: $(first_err)"; return; fi
  if (( RC != want )); then verdict "$name" 0 "expected exit $want, got $RC; stderr: $(first_err)"; return; fi
  local line found=""
  while IFS= read -r line; do
    local all=1 f
    for f in "${frags[@]}"; do [[ "$line" == *"$f"* ]] || { all=0; break; }; done
    if (( all )); then found=$line; break; fi
  done < "$ERR"
  local problem=""
  if [[ -n "$limit" ]] && (( MS > limit * 1000 )); then problem="took ${SECS} s (> ${limit} s)"; fi
  if [[ -z "$problem" && -n "$after" ]]; then problem=$(eval "$after" 2>&1 || true); fi
  if [[ -z "$found" ]]; then
    verdict "$name" 0 "no stderr line holds all of [${frags[*]}]; stderr: $(first_err)"
  elif (( ${#found} > 1000 )); then
    verdict "$name" 0 "the message is ${#found} characters long: ${found:0:120}..."
  elif [[ -n "$problem" ]]; then
    verdict "$name" 0 "$problem; stderr: ${found:0:200}"
  else
    verdict "$name" 1 "$found"
  fi
}

# expect_ok NAME CHECK -- CMD...: CMD must exit 0, then CHECK (a command line, run with
# eval) must succeed; its last output line is the message.
expect_ok() {
  local name=$1 check=$2; shift 3
  run "$name" "$@"
  local why; why=$(abnormal)
  if [[ -n "$why" ]]; then verdict "$name" 0 "expected success, $why; stderr: $(first_err)"; return; fi
  if (( RC != 0 )); then verdict "$name" 0 "expected exit 0, got $RC; stderr: $(first_err)"; return; fi
  local msg status=0
  msg=$(eval "$check" 2>&1) || status=$?
  verdict "$name" $(( status == 0 )) "$(tail -n1 <<<"$msg")"
}

# JSON checks. Every mode also requires every number in the file to be finite.
cat > check.py <<'EOF'
import json, math, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def nonfinite(x, where="$"):
    if isinstance(x, float) and not math.isfinite(x):
        return where
    if isinstance(x, dict):
        for k, v in x.items():
            bad = nonfinite(v, f"{where}.{k}")
            if bad: return bad
    if isinstance(x, list):
        for i, v in enumerate(x):
            bad = nonfinite(v, f"{where}[{i}]")
            if bad: return bad
    return None

def cells(d):
    return [b for b in d["benchmarks"] if not b["name"].endswith("/matrix")]

def main(mode, path, *rest):
    if mode == "listing":  # kvbench --list output: N lines, distinct hashes and names
        lines = open(path).read().splitlines()
        want = int(rest[0])
        hashes = {l.split()[0] for l in lines}
        names = {l.split()[1] for l in lines}
        if len(lines) != want or len(hashes) != want or len(names) != want:
            return f"{len(lines)} lines, {len(hashes)} hashes, {len(names)} names; expected {want}"
        return None, f"{want} cells listed, hashes and names distinct"
    d = load(path)
    bad = nonfinite(d)
    if bad:
        return f"non-finite number at {bad}"
    if mode == "expr":  # EXPR over the document d
        if not eval(rest[0], {"d": d, "math": math}):
            return f"not true: {rest[0]}"
        return None, f"{rest[0]}"
    if mode == "cells":  # EXPR over every cell c (a benchmark entry); no cell may fail
        cs = cells(d)
        if not cs:
            return "no cells"
        for c in cs:
            if c.get("error_occurred"):
                return f"{c['name']}: failed: {c.get('error_message')}"
            if not eval(rest[0], {"c": c, "math": math}):
                keys = [k for k in c if k in rest[0]]
                return f"{c['name']}: not true: {rest[0]} ({', '.join(f'{k}={c[k]}' for k in keys)})"
        return None, f"{len(cs)} cells: {rest[0]}"
    if mode == "same":  # the same cells, counters and details as another result file
        o = load(rest[0])
        strip = lambda cs: {c["name"]: {k: v for k, v in c.items() if k not in ("real_time", "cpu_time")} for c in cs}
        a, b = strip(cells(d)), strip(cells(o))
        if a != b:
            diff = [n for n in a if a.get(n) != b.get(n)] or ["(cell sets differ)"]
            return f"{len(diff)} cells differ, e.g. {diff[0]}"
        if d.get("kvbench") != o.get("kvbench"):
            return "the per-cell details differ"
        return None, f"{len(a)} cells identical"
    return f"unknown mode {mode}"

out = main(*sys.argv[1:])
if isinstance(out, tuple):
    print("ok: " + out[1])
    sys.exit(0)
print(out)
sys.exit(1)
EOF
check() { "$py" "$work/check.py" "$@"; }

# Writes a matrix file: its strategies x its clusters on one trace file.
matrix() {  # matrix FILE NAME STRATEGIES_JSON CLUSTERS_JSON TRACE_FILE [EXTRA_JSON_FIELDS]
  printf '{"name": "%s", "strategies": %s, "clusters": %s, "traces": [{"name": "t", "file": "%s"}]%s}\n' \
    "$2" "$3" "$4" "$5" "${6:+, $6}" > "$1"
}

# Small traces.
"$py" - <<'EOF'
import json
def write(name, rows):
    with open(name, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
# 200 requests, 4 blocks each, no id twice: nothing can be reused.
write("distinct.jsonl", [{"timestamp": i * 100, "input_length": 2048, "output_length": 10,
                          "hash_ids": [i * 4 + k for k in range(4)]} for i in range(200)])
# 100 identical requests, a minute apart.
write("same.jsonl", [{"timestamp": i * 60000, "input_length": 4096, "output_length": 10,
                      "hash_ids": list(range(8))} for i in range(100)])
# 300 requests at one instant: 20 sessions sharing a system block, growing prompts.
rows = []
for r in range(300):
    s, t = r % 20, r // 20
    ids = [0] + [1000 + s * 100 + k for k in range(1 + t % 6)]
    rows.append({"timestamp": 5, "input_length": 512 * len(ids), "output_length": 20, "hash_ids": ids})
write("equal_ts.jsonl", rows)
# One request of 10^6 blocks (512e6 tokens).
with open("million_blocks.jsonl", "w") as f:
    f.write('{"timestamp": 0, "input_length": 512000000, "output_length": 1, "hash_ids": ['
            + ",".join(map(str, range(1000000))) + "]}\n")
EOF

three_clusters='[{"name": "seed4", "mode": "seed"},
  {"name": "loc4", "mode": "realistic", "nodes": 4, "capacity": "40blocks"},
  {"name": "glob4", "mode": "realistic", "nodes": 4, "capacity": "40blocks", "scope": "global"}]'
one_node='[{"name": "seed1", "mode": "seed", "nodes": 1},
  {"name": "loc1", "mode": "realistic", "nodes": 1, "capacity": "64blocks"},
  {"name": "glob1", "mode": "realistic", "nodes": 1, "capacity": "64blocks", "scope": "global"}]'

# ---------------------------------------------------------------------------------------
# 1. A 2 GB single line without a newline (sparse: NUL bytes): refused within 30 s, naming
#    the file and line 1.
truncate -s 2G big.jsonl
matrix m_big.json big '["random"]' '[{"name": "r2", "mode": "realistic", "nodes": 2}]' distinct.jsonl
for cmd in stats validate; do
  max_s=30
  expect_error "1-2gb-line-$cmd" 2 "big.jsonl:1:" -- "$kvtrace" "$cmd" big.jsonl
done
max_s=30
expect_error 1-2gb-line-kvbench 2 "m_big.json" "big.jsonl:1:" -- \
  "$kvbench" --config m_big.json --trace big.jsonl --summary=false
rm -f big.jsonl

# ---------------------------------------------------------------------------------------
# 2. No id twice: hit rate 0 in every cell, router, mode and scope.
matrix m_distinct.json distinct '["*", "*+seed_dynamic", "kvcache_centric+preble", "prefix_aware_hotspot+budgeted:policy=seed_predictive,share=0.5"]' \
  "$three_clusters" distinct.jsonl
expect_ok 2-no-reuse-matrix \
  'check cells r_distinct.json "c[\"hit_rate\"] == 0 and c[\"hit_blocks\"] == 0 and c[\"token_hit_rate\"] == 0 and c[\"fetched_blocks\"] == 0 and c[\"served\"] == 200"' \
  -- "$kvbench" --config m_distinct.json --out r_distinct.json --summary=false
expect_ok 2-no-reuse-stats \
  'check expr 2-no-reuse-stats.out "d[\"stats\"][\"reusable_blocks\"] == 0 and d[\"stats\"][\"requests_with_reuse\"] == 0"' \
  -- "$kvtrace" stats distinct.jsonl --json
expect_ok 2-no-reuse-cachesim \
  'check expr 2-no-reuse-cachesim.out "d[\"hits\"] == 0 and d[\"hit_rate\"] == 0 and d[\"misses\"] == 800"' \
  -- "$kvtrace" cachesim distinct.jsonl --capacity 1000 --eviction lru --per-block --json

# ---------------------------------------------------------------------------------------
# 3. 100 identical requests on one node: every block but the first request's hits, 99/100.
matrix m_same.json same '["*"]' "$one_node" same.jsonl
expect_ok 3-same-request-matrix \
  'check cells r_same.json "abs(c[\"hit_rate\"] - 0.99) < 1e-9 and abs(c[\"token_hit_rate\"] - 0.99) < 1e-9 and c[\"block_refs\"] == 800"' \
  -- "$kvbench" --config m_same.json --out r_same.json --summary=false
expect_ok 3-same-request-cachesim \
  'check expr 3-same-request-cachesim.out "abs(d[\"hit_rate\"] - 0.99) < 1e-9 and d[\"evictions\"] == 0"' \
  -- "$kvtrace" cachesim same.jsonl --capacity 8 --eviction lru --prefix --json

# ---------------------------------------------------------------------------------------
# 4. 0 nodes: refused, naming the config and the field; 1 node runs.
matrix m_nodes0.json nodes0 '["random"]' '[{"name": "c", "mode": "realistic", "nodes": 0}]' same.jsonl
expect_error 4-nodes0-matrix 2 "m_nodes0.json" "clusters[0].nodes" -- "$kvbench" --config m_nodes0.json --list
matrix m_nodes1025.json nodes1025 '["random"]' '[{"name": "c", "mode": "seed", "nodes": 1025}]' same.jsonl
expect_error 4-nodes1025-matrix 2 "m_nodes1025.json" "clusters[0].nodes" -- "$kvbench" --config m_nodes1025.json --list
matrix m_nodes1.json nodes1 '["*"]' "$one_node" equal_ts.jsonl
expect_ok 4-nodes1-matrix \
  'check cells r_nodes1.json "c[\"served\"] == 300 and c[\"concentration\"] == 1 and c[\"jain_index\"] == 1 and c[\"load_cv\"] == 0"' \
  -- "$kvbench" --config m_nodes1.json --out r_nodes1.json --summary=false
expect_error 4-nodes0-simulate 2 "--nodes" -- "$kvtrace" simulate same.jsonl --nodes 0
expect_error 4-nodes-negative-simulate 2 "--nodes" -- "$kvtrace" simulate same.jsonl --nodes -1
expect_error 4-nodes-2pow32-simulate 2 "nodes" -- "$kvtrace" simulate same.jsonl --nodes 4294967297

# ---------------------------------------------------------------------------------------
# 5. Capacity 0 (or under one block): refused. More than the trace: runs, no evictions, and
#    on one node the hit rate is the trace's reusable share.
matrix m_cap0.json cap0 '["random"]' '[{"name": "c", "mode": "realistic", "nodes": 2, "capacity": "0blocks"}]' same.jsonl
expect_error 5-capacity0-matrix 2 "m_cap0.json" "clusters[0].capacity" -- "$kvbench" --config m_cap0.json --list
matrix m_cap_tokens.json captok '["random"]' '[{"name": "c", "mode": "seed", "capacity": "100tokens"}]' same.jsonl
expect_error 5-capacity-under-a-block-matrix 2 "m_cap_tokens.json" "clusters[0].capacity" -- "$kvbench" --config m_cap_tokens.json --list
expect_error 5-capacity0-simulate 2 "capacity" -- "$kvtrace" simulate same.jsonl --capacity 0blocks
expect_error 5-capacity0-cachesim 2 "capacity" -- "$kvtrace" cachesim same.jsonl --capacity 0 --eviction lru --prefix
# (-1, failing the check below, if stats itself fails)
reusable=$({ "$kvtrace" stats equal_ts.jsonl --json | "$py" -c 'import json,sys; print(repr(json.load(sys.stdin)["stats"]["reusable_share"]))'; } 2>/dev/null || echo -1)
matrix m_cap_huge.json caphuge '["*"]' '[{"name": "seed1", "mode": "seed", "nodes": 1, "capacity": "1Tblocks"},
  {"name": "r1", "mode": "realistic", "nodes": 1, "capacity": "1Tblocks"},
  {"name": "g4", "mode": "realistic", "nodes": 4, "capacity": "1TiB", "scope": "global"}]' equal_ts.jsonl
expect_ok 5-capacity-huge-matrix \
  "check cells r_cap_huge.json \"c['evictions'] == 0 and c['stranded_evictions'] == 0 and ('cluster=g4' in c['name'] or abs(c['hit_rate'] - $reusable) < 1e-12)\"" \
  -- "$kvbench" --config m_cap_huge.json --out r_cap_huge.json --summary=false

# ---------------------------------------------------------------------------------------
# 6. 300 requests at the same instant: queues build, and the run is deterministic.
matrix m_equal_ts.json equal_ts '["*", "kvcache_centric+seed_dynamic", "prefix_aware_hotspot+budgeted:policy=seed_predictive,share=0.1"]' \
  '[{"name": "seed4", "mode": "seed"},
    {"name": "loc4", "mode": "realistic", "nodes": 4, "capacity": "40blocks"},
    {"name": "glob4", "mode": "realistic", "nodes": 4, "capacity": "40blocks", "scope": "global", "track_hotspots": true}]' \
  equal_ts.jsonl '"seeds": [1, 2]'
expect_ok 6-equal-timestamps-queues \
  'check cells r_equal_ts1.json "c[\"served\"] == 300 and (\"cluster=seed4\" in c[\"name\"] or (c[\"queue_wait_mean_s\"] > 0 and c[\"ttft_max_s\"] > c[\"ttft_p50_s\"] > 0))"' \
  -- "$kvbench" --config m_equal_ts.json --out r_equal_ts1.json --summary=false --threads 1
expect_ok 6-equal-timestamps-deterministic \
  'check same r_equal_ts2.json r_equal_ts1.json' \
  -- "$kvbench" --config m_equal_ts.json --out r_equal_ts2.json --summary=false --threads 2
"$kvtrace" simulate equal_ts.jsonl --nodes 4 --strategy cache_aware --json > sim_equal_ts1.json 2>/dev/null || true
expect_ok 6-equal-timestamps-simulate-deterministic \
  'cmp -s sim_equal_ts1.json 6-equal-timestamps-simulate-deterministic.out && check expr sim_equal_ts1.json "d[\"result\"][\"served\"] == 300" && echo "ok: two runs, identical JSON"' \
  -- "$kvtrace" simulate equal_ts.jsonl --nodes 4 --strategy cache_aware --json

# ---------------------------------------------------------------------------------------
# 7. One request of 10^6 blocks (512e6 tokens): a correct run or a clear refusal, in 60 s.
M=million_blocks
expect_ok 7-million-blocks-stats \
  "check expr 7-million-blocks-stats.out 'd[\"stats\"][\"blocks\"] == 10**6 and d[\"stats\"][\"distinct_blocks\"] == 10**6 and d[\"stats\"][\"reusable_blocks\"] == 0'" \
  -- "$kvtrace" stats $M.jsonl --json
expect_ok 7-million-blocks-validate 'echo "ok: $(head -c 120 7-million-blocks-validate.out)"' \
  -- "$kvtrace" validate $M.jsonl
expect_ok 7-million-blocks-cachesim \
  'check expr 7-million-blocks-cachesim.out "d[\"misses\"] == 10**6 and d[\"hits\"] == 0"' \
  -- "$kvtrace" cachesim $M.jsonl --capacity 1000 --eviction lru --prefix --json
expect_ok 7-million-blocks-simulate-seed \
  'check expr 7-million-blocks-simulate-seed.out "d[\"result\"][\"cache\"][\"block_refs\"] == 10**6 and d[\"result\"][\"cache\"][\"hit_blocks\"] == 0"' \
  -- "$kvtrace" simulate $M.jsonl --mode seed --json
# Realistic mode: exit 0 with a correct result, or exit 2 with a one-line reason.
row7_realistic() {  # NAME RESULT_CHECK -- CMD...
  local name=$1 result_check=$2; shift 3
  run "$name" "$@"
  local why; why=$(abnormal)
  if [[ -n "$why" ]]; then verdict "$name" 0 "expected a run or a refusal within ${timeout_s} s, $why"; return; fi
  if (( RC == 2 )); then
    local line; line=$(grep -m1 'error' "$ERR" || true)
    if [[ -n "$line" && ${#line} -le 1000 && ( "$line" == *"$M"* || "$line" == *input_length* ||
          "$line" == *"cannot keep up"* ) ]]; then
      verdict "$name" 1 "refused: $line"
    else
      verdict "$name" 0 "exit 2 without a clear one-line reason: $(first_err)"
    fi
    return
  fi
  # kvbench: the config is valid but this run cannot finish: a failed cell (exit 1) whose
  # error in the result says why is the right outcome too.
  if (( RC == 1 )) && [[ -n "${failed_cell_check:-}" ]]; then
    local msg status=0
    msg=$(eval "$failed_cell_check" 2>&1) || status=$?
    verdict "$name" $(( status == 0 )) "failed cell: $(tail -n1 <<<"$msg")"
    return
  fi
  if (( RC != 0 )); then verdict "$name" 0 "expected exit 0 or 2, got $RC: $(first_err)"; return; fi
  local msg status=0
  msg=$(eval "$result_check" 2>&1) || status=$?
  verdict "$name" $(( status == 0 )) "$(tail -n1 <<<"$msg")"
}
row7_realistic 7-million-blocks-simulate-realistic \
  'check expr 7-million-blocks-simulate-realistic.out "d[\"result\"][\"served\"] == 1 and d[\"result\"][\"cache\"][\"block_refs\"] == 10**6 and d[\"result\"][\"latency\"][\"ttft_mean_s\"] > 0"' \
  -- "$kvtrace" simulate $M.jsonl --json
matrix m_million.json million '["prefix_greedy"]' '[{"name": "r4", "mode": "realistic", "nodes": 4}]' $M.jsonl '"cell_time_limit_s": 20'
failed_cell_check='grep -q "cannot keep up" r_million.json && echo "error recorded in r_million.json"' \
row7_realistic 7-million-blocks-kvbench-realistic \
  'check cells r_million.json "c[\"served\"] == 1 and c[\"block_refs\"] == 10**6"' \
  -- "$kvbench" --config m_million.json --out r_million.json --summary=false

# ---------------------------------------------------------------------------------------
# 8. Strategy parameters at their limits: refused with the parameter's range, or accepted.
expect_error 8-enhanced-alpha-negative-simulate 2 "router 'enhanced'" "key 'alpha'" "[0, 1000]" "'-1'" -- \
  "$kvtrace" simulate same.jsonl --strategy enhanced:alpha=-1
expect_error 8-kvcache-threshold-inf-simulate 2 "kvcache_balancing_threshold" "[1, 1000000000]" "'inf'" -- \
  "$kvtrace" simulate same.jsonl --strategy kvcache_centric:kvcache_balancing_threshold=inf
expect_error 8-dynamo-temperature-huge-simulate 2 "temperature" "[0, 1000]" -- \
  "$kvtrace" simulate same.jsonl --strategy dynamo:temperature=1e308
expect_error 8-dynamo-queue-policy-unknown-simulate 2 "router 'dynamo'" "key 'queue_policy'" "fcfs" -- \
  "$kvtrace" simulate same.jsonl --strategy dynamo:queue_policy=sjf
expect_error 8-dynamo-queue-threshold-nan-simulate 2 "key 'queue_threshold'" "[0, 1000]" -- \
  "$kvtrace" simulate same.jsonl --strategy dynamo:queue_threshold=nan
for spec in enhanced:alpha=-1 kvcache_centric:kvcache_balancing_threshold=nan \
            kvcache_centric:kvcache_balancing_threshold=inf kvcache_centric:kvcache_balancing_threshold=1e308 \
            "*+budgeted:share=nan" prefix_hash_bounded:virtual_nodes=1e308 llm_d:prefix_weight=-1e308; do
  slug=$(tr -c 'a-zA-Z0-9\n' '-' <<<"$spec" | tr -s '-'); slug=${slug#-}
  matrix "m_p_$slug.json" p "[\"random\", \"$spec\"]" "$three_clusters" same.jsonl
  key=${spec#*:}; key=${key%%=*}
  expect_error "8-matrix-$slug" 2 "m_p_$slug.json" "strategies[1]" "key '$key'" "expected" -- \
    "$kvbench" --config "m_p_$slug.json" --list
done
matrix m_p_limits.json limits '["enhanced:alpha=1000,beta=0", "kvcache_centric:kvcache_balancing_threshold=1e9,slo_s=1e9",
  "dynamo:temperature=1e-308,overlap_weight=1000", "dynamo:queue_threshold=1e-9,queue_policy=wspt",
  "cache_aware:queue_penalty=1000000,load_scale_s=1e-6",
  "prefix_hash_bounded:virtual_nodes=4096,load_factor=1000", "random+budgeted:share=1e-9"]' "$three_clusters" equal_ts.jsonl
expect_ok 8-in-range-limits-matrix \
  'check cells r_p_limits.json "0 <= c[\"hit_rate\"] <= 1 and c[\"served\"] + c[\"rejected\"] == 300 and c[\"ttft_max_s\"] < 1e6"' \
  -- "$kvbench" --config m_p_limits.json --out r_p_limits.json --summary=false
# Other numbers given on the command line: the same ranges as in a matrix file.
expect_error 8-rate-scale-inf-simulate 2 "rate" -- "$kvtrace" simulate same.jsonl --rate-scale inf
expect_error 8-slo-nan-simulate 2 "slo" -- "$kvtrace" simulate same.jsonl --slo nan
expect_error 8-cell-time-limit-nan-kvbench 2 "cell-time-limit" -- "$kvbench" --config m_same.json --cell-time-limit nan --summary=false
matrix m_rate_tiny.json tiny '["random"]' '[{"name": "r2", "mode": "realistic", "nodes": 2}]' distinct.jsonl '"rate_scales": [1e-300]'
expect_error 8-rate-scales-tiny-matrix 2 "m_rate_tiny.json" "rate_scales" -- "$kvbench" --config m_rate_tiny.json --summary=false

# ---------------------------------------------------------------------------------------
# 9. A matrix of 10^6 cells (1,000 rate scales x 1,000 seeds): listed within 60 s.
"$py" -c '
import json
json.dump({"name": "mega", "strategies": ["random"],
           "clusters": [{"name": "r2", "mode": "realistic", "nodes": 2, "capacity": "40blocks"}],
           "traces": [{"name": "t", "file": "distinct.jsonl"}],
           "rate_scales": [1 + i / 1000 for i in range(1000)], "seeds": list(range(1000))},
          open("m_mega.json", "w"))'
expect_ok 9-million-cells-list 'check listing 9-million-cells-list.out 1000000' \
  -- "$kvbench" --config m_mega.json --list
rm -f 9-million-cells-list.out  # 95 MB
expect_error 9-generator-requests-negative 2 "--requests" -- "$kvtrace" stats --preset conversation -n -1

# ---------------------------------------------------------------------------------------
# 10. Malformed trace lines: exit 2 naming file:line and the field.
good='{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]}'
printf '%s\n{"timestamp": 1, "input_length": 1024, "outp\n%s\n' "$good" "$good" > truncated_line.jsonl
printf '%s\n{"timestamp": 1, "input_length": 1024, "outp' "$good" > truncated_last.jsonl
printf '%s\n{"timestamp": "5", "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]}\n' "$good" > ts_string.jsonl
printf '{"timestamp": 1.5, "input_length": 1024, "output_length": 5, "hash_ids": [1, 2]}\n' > ts_float.jsonl
printf '%s\n%s\n{"timestamp": 0, "input_length": -5, "output_length": 5, "hash_ids": [1, 2]}\n' "$good" "$good" > negative_input.jsonl
printf '{"timestamp": 0, "input_length": 99999999999, "output_length": 5, "hash_ids": [1, 2]}\n' > huge_input.jsonl
printf '{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": 7}\n' > ids_number.jsonl
printf '{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": {"a": 1}}\n' > ids_object.jsonl
printf '{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [1, "2"]}\n' > ids_string_element.jsonl
printf '{"timestamp": 0, "input_length": 1024, "hash_ids": [1, 2]}\n' > missing_field.jsonl
printf '[1, 2, 3]\n' > array_line.jsonl
printf '%s\n{"timestamp": 0, "input_length": 1024, "output_length": 5\0, "hash_ids": [1, 2]}\n' "$good" > nul_byte.jsonl
printf '%s\n{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [2, 1]}\n' "$good" > broken_tree.jsonl
: > empty.jsonl
printf '\n  \n\r\n' > blank.jsonl
expect_error 10-truncated-line 2 "truncated_line.jsonl:2:" "invalid JSON" -- "$kvtrace" validate truncated_line.jsonl
expect_error 10-truncated-last-line 2 "truncated_last.jsonl:2:" "truncated last line" -- "$kvtrace" validate truncated_last.jsonl
expect_error 10-timestamp-string 2 "ts_string.jsonl:2:" "timestamp:" "string" -- "$kvtrace" validate ts_string.jsonl
expect_error 10-timestamp-float 2 "ts_float.jsonl:1:" "timestamp:" "1.5" -- "$kvtrace" validate ts_float.jsonl
expect_error 10-negative-input-length 2 "negative_input.jsonl:3:" "input_length:" "-5" -- "$kvtrace" validate negative_input.jsonl
expect_error 10-huge-input-length 2 "huge_input.jsonl:1:" "input_length:" "out of range" -- "$kvtrace" validate huge_input.jsonl
expect_error 10-hash-ids-number 2 "ids_number.jsonl:1:" "hash_ids:" "expected an array" -- "$kvtrace" validate ids_number.jsonl
expect_error 10-hash-ids-object 2 "ids_object.jsonl:1:" "hash_ids:" "expected an array" -- "$kvtrace" validate ids_object.jsonl
expect_error 10-hash-ids-string-element 2 "ids_string_element.jsonl:1:" "hash_ids[1]:" -- "$kvtrace" validate ids_string_element.jsonl
expect_error 10-missing-field 2 "missing_field.jsonl:1:" "output_length:" "missing" -- "$kvtrace" validate missing_field.jsonl
expect_error 10-array-line 2 "array_line.jsonl:1:" "expected a JSON object" -- "$kvtrace" validate array_line.jsonl
expect_error 10-nul-byte 2 "nul_byte.jsonl:2:" -- "$kvtrace" validate nul_byte.jsonl
expect_error 10-broken-prefix-tree 2 "broken_tree.jsonl:2:" "hash_ids[0]:" "prefix tree" -- "$kvtrace" validate broken_tree.jsonl
expect_error 10-empty-file 2 "empty.jsonl:" "empty" -- "$kvtrace" validate empty.jsonl
expect_error 10-blank-lines-only 2 "blank.jsonl:" "empty" -- "$kvtrace" validate blank.jsonl
expect_error 10-missing-file 2 "no_such.jsonl" -- "$kvtrace" validate no_such.jsonl
# The same messages through the other entry points.
expect_error 10-negative-input-length-simulate 2 "negative_input.jsonl:3:" "input_length:" -- \
  "$kvtrace" simulate negative_input.jsonl
expect_error 10-negative-input-length-kvbench 2 "m_big.json" "negative_input.jsonl:3:" "input_length:" -- \
  "$kvbench" --config m_big.json --trace negative_input.jsonl --summary=false
matrix m_ids_number.json ids '["random"]' '[{"name": "s", "mode": "seed"}]' ids_number.jsonl
expect_error 10-hash-ids-number-matrix 2 "m_ids_number.json" "traces[0]" "ids_number.jsonl:1:" "hash_ids:" -- \
  "$kvbench" --config m_ids_number.json --summary=false
expect_error 10-empty-file-kvbench 2 "empty.jsonl" "empty" -- "$kvbench" --config m_big.json --trace empty.jsonl --summary=false

# ---------------------------------------------------------------------------------------
# 11. Configs that are not matrix objects, or are nested 10^5 deep: exit 2, no crash.
valid_head='"name": "d", "strategies": ["random"], "clusters": [{"name": "c", "mode": "seed"}], "traces": [{"name": "t", "file": "same.jsonl"}]'
"$py" - "$valid_head" <<'EOF'
import sys
head = sys.argv[1]
deep = "[" * 100000 + "]" * 100000
open("c_array.json", "w").write('[{"name": "x"}]\n')
open("c_empty_object.json", "w").write("{}\n")
open("c_empty.json", "w").write("")
open("c_deep_open.json", "w").write("[" * 100000 + "\n")
open("c_deep_closed.json", "w").write(deep + "\n")
open("c_deep_description.json", "w").write('{"name": "d", "description": ' + deep + "}\n")
open("c_deep_unknown.json", "w").write("{" + head + ', "x": ' + '{"a": ' * 100000 + "1" + "}" * 100000 + "}\n")
open("c_deep_strategy.json", "w").write('{"name": "d", "strategies": [' + deep + "]}\n")
open("c_deep_rate_scale.json", "w").write("{" + head + ', "rate_scales": [' + deep + "]}\n")
open("c_deep_seed.json", "w").write("{" + head + ', "seeds": [' + deep + "]}\n")
open("c_big_strategy.json", "w").write('{"name": "d", "strategies": [[' + ",".join(["1"] * 1000000) + "]]}\n")
open("w_deep.json", "w").write('{"description": ' + deep + "}\n")
EOF
expect_error 11-array-config 2 "c_array.json" "(top level)" "object" -- "$kvbench" --config c_array.json --list
expect_error 11-empty-object-config 2 "c_empty_object.json" "name" "missing" -- "$kvbench" --config c_empty_object.json --list
expect_error 11-empty-file-config 2 "c_empty.json" "invalid JSON" -- "$kvbench" --config c_empty.json --list
expect_error 11-deep-unclosed-config 2 "c_deep_open.json" "invalid JSON" -- "$kvbench" --config c_deep_open.json --list
expect_error 11-deep-array-config 2 "c_deep_closed.json" "(top level)" -- "$kvbench" --config c_deep_closed.json --list
expect_error 11-deep-array-print-config 2 "c_deep_closed.json" -- "$kvbench" --print-config --config c_deep_closed.json
expect_error 11-deep-description-config 2 "c_deep_description.json" "description" -- "$kvbench" --config c_deep_description.json --list
expect_error 11-deep-unknown-field-config 2 "c_deep_unknown.json" "x: unknown field" -- "$kvbench" --config c_deep_unknown.json --list
expect_error 11-deep-strategy-config 2 "c_deep_strategy.json" "strategies[0]" -- "$kvbench" --config c_deep_strategy.json --list
expect_error 11-deep-rate-scale-config 2 "c_deep_rate_scale.json" "rate_scales[0]" -- "$kvbench" --config c_deep_rate_scale.json --list
expect_error 11-deep-seed-config 2 "c_deep_seed.json" "seeds[0]" -- "$kvbench" --config c_deep_seed.json --list
expect_error 11-big-strategy-config 2 "c_big_strategy.json" "strategies[0]" -- "$kvbench" --config c_big_strategy.json --list
expect_error 11-deep-workload 2 "w_deep.json" "description" -- "$kvtrace" stats --preset w_deep.json -n 10
expect_error 11-deep-profile 2 "c_deep_closed.json" -- "$kvtrace" simulate same.jsonl --profile c_deep_closed.json

# ---------------------------------------------------------------------------------------
# 12. --out where it cannot be written: exit 2 naming the path, before any work, leaving
#     the previous file intact and nothing behind.
matrix m_out.json out '["random"]' '[{"name": "c", "mode": "realistic", "nodes": 2, "capacity": "40blocks"}]' same.jsonl
post='if [[ -e nodir ]]; then echo "created nodir/"; fi'
expect_error 12-out-missing-dir 2 "nodir/sub/out.json" -- "$kvbench" --config m_out.json --out nodir/sub/out.json --summary=false
post='if [[ -e nodir ]]; then echo "created nodir/"; fi'
expect_error 12-out-missing-dir-timing 2 "nodir/sub/out.json" -- \
  "$kvbench" --config m_out.json --out nodir/sub/out.json --summary=false --mode timing --repetitions 1
mkdir -p isdir
post='if [[ -e isdir.journal ]]; then echo "left isdir.journal behind"; fi'
expect_error 12-out-is-directory 2 "isdir" -- "$kvbench" --config m_out.json --out isdir --summary=false
mkdir -p empty_out && cp m_out.json empty_out/ && cp same.jsonl empty_out/
cd empty_out
post='left=$(ls -A | grep -v -x -e m_out.json -e same.jsonl || true); if [[ -n "$left" ]]; then echo "left behind: $left"; fi'
expect_error 12-out-empty-path 2 "--out" -- "$kvbench" --config m_out.json --out "" --summary=false
cd "$work"
expect_error 12-trace-output-missing-dir 1 "nodir/sim.json" -- "$kvtrace" simulate same.jsonl --json -o nodir/sim.json
# Read-only directory: as root permissions do not apply, so run as nobody.
mkdir -p ro && echo '{"previous": true}' > ro/out.json && chmod 644 ro/out.json && chmod 555 ro
as_user=()
if (( EUID == 0 )); then
  if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
      test -x "$kvbench" -a -r m_out.json -a -r same.jsonl 2>/dev/null; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  else
    echo "SKIP 12-out-read-only-dir: running as root without a way to drop privileges"
  fi
fi
if (( EUID != 0 )) || (( ${#as_user[@]} > 0 )); then
  post='if [[ "$(cat ro/out.json)" != "{\"previous\": true}" || -n "$(ls -A ro | grep -v -x out.json || true)" ]]; then echo "ro/ changed: $(ls -A ro | tr "\n" " ")$(cat ro/out.json | head -c 80)"; fi'
  expect_error 12-out-read-only-dir 2 "ro/out.json" -- \
    "${as_user[@]}" "$kvbench" --config m_out.json --out ro/out.json --summary=false
fi
chmod 755 ro

# ---------------------------------------------------------------------------------------
# 13. Cells too big for the machine (issue 10): 1,024 nodes with 10^9 tokens of cache each.
#     On the trace of 10^6 distinct blocks every node gets 10^6 slots (the capacity clipped
#     to the distinct blocks): ~16.6 GB, refused before anything runs with the figure, under
#     --cell-memory-limit, the config's cell_memory_limit, or the default share (physical
#     memory / worker threads; 1,024 threads make it small on any machine). On a small trace
#     the same cluster costs ~10 MB and runs.
huge_cluster='[{"name": "huge", "mode": "realistic", "nodes": 1024, "capacity": "1000000000tokens"}]'
matrix m_huge_cache.json hugecache '["random"]' "$huge_cluster" $M.jsonl
max_s=20 post='if [[ -e r_huge_cache.json ]]; then echo "wrote r_huge_cache.json"; fi'
expect_error 13-huge-cache-refused 2 "m_huge_cache.json: cluster 'huge', trace 't': a cell needs an estimated 16.6 GB (" \
  "id indexes" "clipped to the trace's 1000000 distinct blocks" "> --cell-memory-limit 8GB; lower capacity or nodes" -- \
  "$kvbench" --config m_huge_cache.json --cell-memory-limit 8GB --out r_huge_cache.json --summary=false
max_s=20
expect_error 13-huge-cache-refused-default 2 "m_huge_cache.json" "16.6 GB" "> the default cell memory limit" \
  "/ 1024 worker threads" -- "$kvbench" --config m_huge_cache.json --threads 1024 --list
matrix m_huge_cache_limit.json hugecachelimit '["random"]' "$huge_cluster" $M.jsonl '"cell_memory_limit": "16GB"'
max_s=20
expect_error 13-huge-cache-refused-config 2 "m_huge_cache_limit.json" "16.6 GB" "> cell_memory_limit 16GB" -- \
  "$kvbench" --config m_huge_cache_limit.json --summary=false
matrix m_huge_cache_small.json hugecachesmall '["random", "kvcache_centric"]' "$huge_cluster" distinct.jsonl
expect_ok 13-huge-cache-small-trace-runs \
  'check cells r_huge_cache_small.json "c[\"served\"] == 200 and c[\"evictions\"] == 0"' \
  -- "$kvbench" --config m_huge_cache_small.json --out r_huge_cache_small.json --summary=false
expect_error 13-cell-memory-limit-bad-unit 2 "--cell-memory-limit" "5parsecs" -- \
  "$kvbench" --config m_huge_cache_small.json --cell-memory-limit 5parsecs --list
matrix m_mem_nan.json memnan '["random"]' "$huge_cluster" distinct.jsonl '"cell_memory_limit": "nanGB"'
expect_error 13-cell-memory-limit-nan-config 2 "m_mem_nan.json" "cell_memory_limit" "nanGB" -- \
  "$kvbench" --config m_mem_nan.json --list

# ---------------------------------------------------------------------------------------
# 14. Hostile "serving" sections of a cost profile (the engine's HBM, limits, step model):
#     exit 2 naming the profile file and the field.
"$py" - <<'PY'
import copy, json
base = {"name": "p", "notes": "test profile", "block_tokens": 512,
        "model": {"name": "m", "layers": 80, "hidden": 8192, "a": 4, "b": 22, "gqa": 8,
                  "bytes_per_element": 2},
        "hardware": {"name": "h", "gpus": 8, "peak_flops_per_gpu": 312e12, "utilisation": 0.5,
                     "prefill_overhead_s": 0.01, "host_to_device_bytes_per_s": 128e9,
                     "nic_bytes_per_s": 100e9, "dram_bytes": 983040000000,
                     "gpu_dollars_per_node_hour": 24},
        "serving": {"notes": "n", "hbm_bytes_per_gpu": 80e9, "weight_bytes": 141.2e9,
                    "activation_reserve_bytes": 64e9, "kv_block_tokens": 16,
                    "max_num_batched_tokens": 8192, "max_num_seqs": 256,
                    "chunked_prefill": True,
                    "step_model": {"name": "roofline", "params": {"mfu": 0.5}}}}
def profile(name, edit):
    p = copy.deepcopy(base)
    edit(p["serving"])
    with open(name, "w") as f:
        json.dump(p, f)
profile("p_ok.json", lambda s: None)
profile("p_unknown.json", lambda s: s.update(hbm_gb=80))
profile("p_no_room.json", lambda s: s.update(hbm_bytes_per_gpu=17e9))
profile("p_huge_hbm.json", lambda s: s.update(hbm_bytes_per_gpu=8e90))
profile("p_zero_seqs.json", lambda s: s.update(max_num_seqs=0))
profile("p_model.json", lambda s: s["step_model"].update(name="linear"))
profile("p_param_range.json", lambda s: s["step_model"]["params"].update(mbu=7))
profile("p_param_key.json", lambda s: s["step_model"]["params"].update(mfuu=0.5))
profile("p_param_text.json", lambda s: s["step_model"]["params"].update(mfu="high"))
profile("p_params_list.json", lambda s: s["step_model"].update(params=[0.5]))
profile("p_negative.json", lambda s: s.update(weight_bytes=-1))
with open("p_overflow.json", "w") as f:
    f.write(json.dumps(base).replace('"hbm_bytes_per_gpu": 80000000000.0', '"hbm_bytes_per_gpu": 1e400'))
PY
expect_ok 14-serving-profile-ok 'true' -- "$kvtrace" simulate same.jsonl --profile p_ok.json
expect_error 14-serving-unknown-field 2 "p_unknown.json" "serving.hbm_gb: unknown field" -- \
  "$kvtrace" simulate same.jsonl --profile p_unknown.json
expect_error 14-serving-no-room-for-kv 2 "p_no_room.json" "serving.hbm_bytes_per_gpu" "no room" -- \
  "$kvtrace" simulate same.jsonl --profile p_no_room.json
expect_error 14-serving-huge-hbm 2 "p_huge_hbm.json" "serving.hbm_bytes_per_gpu" "2^40" -- \
  "$kvtrace" simulate same.jsonl --profile p_huge_hbm.json
expect_error 14-serving-zero-seqs 2 "p_zero_seqs.json" "serving.max_num_seqs" -- \
  "$kvtrace" simulate same.jsonl --profile p_zero_seqs.json
expect_error 14-serving-unknown-step-model 2 "p_model.json" "serving.step_model.name" "linear" -- \
  "$kvtrace" simulate same.jsonl --profile p_model.json
expect_error 14-serving-param-out-of-range 2 "p_param_range.json" "serving.step_model.params" "mbu" -- \
  "$kvtrace" simulate same.jsonl --profile p_param_range.json
expect_error 14-serving-param-unknown-key 2 "p_param_key.json" "serving.step_model.params" "mfuu" -- \
  "$kvtrace" simulate same.jsonl --profile p_param_key.json
expect_error 14-serving-param-not-a-number 2 "p_param_text.json" "serving.step_model.params" "mfu" -- \
  "$kvtrace" simulate same.jsonl --profile p_param_text.json
expect_error 14-serving-params-not-an-object 2 "p_params_list.json" "params" -- \
  "$kvtrace" simulate same.jsonl --profile p_params_list.json
expect_error 14-serving-negative-weights 2 "p_negative.json" "serving.weight_bytes" -- \
  "$kvtrace" simulate same.jsonl --profile p_negative.json
expect_error 14-serving-overflowing-number 2 "p_overflow.json" "number overflow" -- \
  "$kvtrace" simulate same.jsonl --profile p_overflow.json

# ---------------------------------------------------------------------------------------
# 15. Hostile serving fields of a cluster (shape, decode pool, early rejection, SLOs,
#     signal staleness, predictor): exit 2 naming the config and the field; a serving
#     cluster that can run does, every request finishing with all its tokens.
serving() {  # serving FILE NAME CLUSTER_FIELDS_JSON (merged into a realistic 2-node cluster)
  matrix "$1" "$2" '["least_loaded"]' "[{\"name\": \"c\", \"mode\": \"realistic\", \"nodes\": 2, $3}]" same.jsonl
}
"$py" -c '
import json
p = {"name": "p", "notes": "no serving section", "block_tokens": 512,
     "model": {"name": "m", "layers": 80, "hidden": 8192, "a": 4, "b": 22, "gqa": 8, "bytes_per_element": 2},
     "hardware": {"name": "h", "gpus": 8, "peak_flops_per_gpu": 312e12, "utilisation": 0.5,
                  "prefill_overhead_s": 0.01, "host_to_device_bytes_per_s": 128e9,
                  "nic_bytes_per_s": 100e9, "dram_bytes": 983040000000, "gpu_dollars_per_node_hour": 24}}
json.dump(p, open("p_noserving.json", "w"))'
serving m_shape.json shape '"shape": "colocated"'
expect_error 15-shape-unknown 2 "m_shape.json" "clusters[0].shape" "colocated" -- "$kvbench" --config m_shape.json --list
matrix m_shape_seed.json shape_seed '["random"]' '[{"name": "c", "mode": "seed", "shape": "aggregated"}]' same.jsonl
expect_error 15-shape-in-seed-mode 2 "m_shape_seed.json" "clusters[0].shape" "realistic" -- "$kvbench" --config m_shape_seed.json --list
serving m_noserving.json noserving '"shape": "aggregated", "profile": "p_noserving.json"'
expect_error 15-shape-profile-without-serving 2 "m_noserving.json" "clusters[0].shape" "serving" -- "$kvbench" --config m_noserving.json --list
serving m_pd_nodes.json pd_nodes '"shape": "disaggregated"'
expect_error 15-disaggregated-without-decode-nodes 2 "m_pd_nodes.json" "clusters[0].decode_nodes" -- "$kvbench" --config m_pd_nodes.json --list
serving m_pd_zero.json pd_zero '"shape": "disaggregated", "decode_nodes": 0'
expect_error 15-zero-decode-nodes 2 "m_pd_zero.json" "clusters[0].decode_nodes" -- "$kvbench" --config m_pd_zero.json --list
serving m_pd_huge.json pd_huge '"shape": "disaggregated", "decode_nodes": 4294967296'
expect_error 15-decode-nodes-out-of-range 2 "m_pd_huge.json" "clusters[0].decode_nodes" -- "$kvbench" --config m_pd_huge.json --list
serving m_selector.json selector '"shape": "disaggregated", "decode_nodes": 1, "decode_selector": "fastest"'
expect_error 15-decode-selector-unknown 2 "m_selector.json" "clusters[0].decode_selector" "fastest" -- "$kvbench" --config m_selector.json --list
serving m_early.json early '"shape": "disaggregated", "decode_nodes": 1, "early_rejection": "current_load"'
expect_error 15-early-rejection-without-tbt-slo 2 "m_early.json" "clusters[0].early_rejection" "tbt_slo_s" -- "$kvbench" --config m_early.json --list
serving m_tbt.json tbt '"shape": "aggregated", "tbt_slo_s": -0.1'
expect_error 15-tbt-slo-negative 2 "m_tbt.json" "clusters[0].tbt_slo_s" -- "$kvbench" --config m_tbt.json --list
serving m_tbt_pre.json tbt_pre '"tbt_slo_s": 0.1'
expect_error 15-tbt-slo-on-prefill-only 2 "m_tbt_pre.json" "clusters[0].tbt_slo_s" -- "$kvbench" --config m_tbt_pre.json --list
serving m_refresh.json refresh '"shape": "aggregated", "signal_refresh_s": "fast"'
expect_error 15-signal-refresh-not-a-number 2 "m_refresh.json" "clusters[0].signal_refresh_s" -- "$kvbench" --config m_refresh.json --list
serving m_refresh_big.json refresh_big '"shape": "aggregated", "signal_refresh_s": 1e400'
expect_error 15-signal-refresh-overflow 2 "m_refresh_big.json" "number overflow" -- "$kvbench" --config m_refresh_big.json --list
serving m_bias.json bias '"shape": "aggregated", "predictor": {"bias": 0}'
expect_error 15-predictor-bias-zero 2 "m_bias.json" "clusters[0].predictor.bias" -- "$kvbench" --config m_bias.json --list
serving m_pred_field.json pred_field '"predictor": {"sigma": 1}'
expect_error 15-predictor-unknown-field 2 "m_pred_field.json" "clusters[0].predictor.sigma" -- "$kvbench" --config m_pred_field.json --list
serving m_pred_profile.json pred_profile '"predictor": {"profile": "nowhere"}'
expect_error 15-predictor-unknown-profile 2 "m_pred_profile.json" "clusters[0].predictor.profile" "nowhere" -- "$kvbench" --config m_pred_profile.json --list
serving m_agg_ok.json agg_ok '"shape": "aggregated", "predictor": {"bias": 1.5, "noise_sigma": 0.3}'
expect_ok 15-aggregated-runs \
  'check cells r_agg_ok.json "c[\"finished\"] == 100 and c[\"output_tokens\"] == 1000 and c[\"goodput\"] is None and c[\"prediction_error_mean\"] > 0"' \
  -- "$kvbench" --config m_agg_ok.json --out r_agg_ok.json --summary=false
serving m_pd_ok.json pd_ok '"shape": "disaggregated", "decode_nodes": 1, "decode_selector": "mooncake_tbt", "ttft_slo_s": 30, "tbt_slo_s": 1'
expect_ok 15-disaggregated-runs \
  'check cells r_pd_ok.json "c[\"finished\"] == 100 and c[\"pd_transfer_bytes\"] == 100 * 4096 * 327680 and c[\"goodput\"] == 1"' \
  -- "$kvbench" --config m_pd_ok.json --out r_pd_ok.json --summary=false

# ---------------------------------------------------------------------------------------
# 16. Trace dialects (issue 22): Qwen-Bailian lines, timestamp units, re-blocking, gzip.
#     Bad values name the file, line and field (or the config path); a gzip bomb of one
#     2 GiB line is refused like the plain one; a good Bailian file re-blocked runs.
bl() {  # bl TIMESTAMP IDS: a Qwen-Bailian line, 16-token ids
  printf '{"chat_id": 1, "parent_chat_id": -1, "timestamp": %s, "input_length": 48, "output_length": 2, "type": "text", "turn": 1, "hash_ids": [%s]}\n' "$1" "$2"
}
bl -1.5 '1, 2, 3' > q_negative.jsonl
bl 1e400 '1, 2, 3' > q_overflow.jsonl
bl '"0.5"' '1, 2, 3' > q_string.jsonl
{ for i in $(seq 0 199); do bl "$i.25" "1, 2, $(( 3 + i % 5 ))"; done; } > q_good.jsonl
gzip -c q_good.jsonl > q_good.jsonl.gz
head -c 600 q_good.jsonl.gz > q_truncated.jsonl.gz
cp q_good.jsonl q_plain.jsonl.gz
head -c 2147483648 /dev/zero | gzip -1 > bomb.jsonl.gz
expect_error 16-bailian-negative-seconds 2 "q_negative.jsonl:1:" "timestamp:" "non-negative number of s" -- \
  "$kvtrace" validate q_negative.jsonl --format bailian
expect_error 16-bailian-seconds-overflow 2 "q_overflow.jsonl:1:" -- "$kvtrace" validate q_overflow.jsonl --format bailian
expect_error 16-bailian-seconds-string 2 "q_string.jsonl:1:" "timestamp:" "a string" -- \
  "$kvtrace" validate q_string.jsonl --format bailian
expect_error 16-unit-unknown 2 "--timestamp-unit" "min" -- "$kvtrace" validate q_good.jsonl --timestamp-unit min
expect_error 16-format-unknown 2 "--format" "sharegpt" -- "$kvtrace" validate q_good.jsonl --format sharegpt
expect_error 16-reblock-not-a-multiple 2 "--reblock-tokens" "100" -- \
  "$kvtrace" validate q_good.jsonl --format bailian --reblock-tokens 100
expect_error 16-gzip-truncated 2 "q_truncated.jsonl.gz" "gzip: truncated" -- "$kvtrace" validate q_truncated.jsonl.gz --format bailian
expect_error 16-gzip-not-gzip 2 "q_plain.jsonl.gz" "gzip:" -- "$kvtrace" validate q_plain.jsonl.gz --format bailian
max_s=30
expect_error 16-gzip-bomb-line 2 "bomb.jsonl.gz:1:" "line longer than" -- "$kvtrace" validate bomb.jsonl.gz
rm -f bomb.jsonl.gz
printf '{"name": "q", "strategies": ["random"], "clusters": [{"name": "r", "mode": "realistic", "nodes": 2}], "traces": [{"name": "q", "file": "q_good.jsonl.gz", "format": "%s"%s}]}\n' \
  bailian ', "reblock_tokens": 500' > m_q_bad_reblock.json
expect_error 16-reblock-not-a-multiple-matrix 2 "m_q_bad_reblock.json" "traces[0].reblock_tokens" -- \
  "$kvbench" --config m_q_bad_reblock.json --list
printf '{"name": "q", "strategies": ["random"], "clusters": [{"name": "r", "mode": "realistic", "nodes": 2}], "traces": [{"name": "q", "file": "q_good.jsonl.gz", "format": "bailian", "timestamp_unit": "h"}]}\n' \
  > m_q_bad_unit.json
expect_error 16-timestamp-unit-unknown-matrix 2 "m_q_bad_unit.json" "traces[0].timestamp_unit" -- \
  "$kvbench" --config m_q_bad_unit.json --list
printf '{"name": "q", "strategies": ["random"], "clusters": [{"name": "r", "mode": "realistic", "nodes": 2}], "traces": [{"name": "q", "file": "q_good.jsonl.gz", "format": "bailian"}]}\n' \
  > m_q_unblocked.json
expect_error 16-bailian-unblocked-matrix 2 "m_q_unblocked.json" "reblock_tokens: 512" -- \
  "$kvbench" --config m_q_unblocked.json --list
printf '{"name": "q", "strategies": ["random"], "clusters": [{"name": "r", "mode": "realistic", "nodes": 2}], "traces": [{"name": "q", "file": "q_good.jsonl.gz", "format": "bailian", "reblock_tokens": 512}]}\n' \
  > m_q_ok.json
expect_ok 16-bailian-gzip-reblocked-runs \
  'check cells r_q_ok.json "c[\"served\"] == 200 and c[\"hit_rate\"] > 0"' \
  -- "$kvbench" --config m_q_ok.json --out r_q_ok.json --summary=false

# CSV traces without hashes (Azure LLM inference, BurstGPT): bad rows name the row and
# column; a good one runs on synthetic prefixes and says so.
{ echo 'TIMESTAMP,ContextTokens,GeneratedTokens'
  for i in $(seq 0 99); do printf '2023-11-16 18:%02d:%02d.2500000,%d,%d\n' $(( i / 60 )) $(( i % 60 )) $(( 500 + 37 * (i % 11) )) 20; done
} > azure_good.csv
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,12,4\n2023-13-45 99:00:00,12,4\n' > azure_bad_date.csv
printf 'TIMESTAMP,ContextTokens\n2023-11-16 18:00:00,12\n' > azure_no_column.csv
printf 'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,Conversation log\n6,ChatGPT,-3,18,490,Conversation log\n' > burst_negative.csv
printf 'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,"Conversation log\n' > burst_open_quote.csv
expect_error 16-azure-bad-date 2 "azure_bad_date.csv:3:" "TIMESTAMP:" -- "$kvtrace" validate azure_bad_date.csv --format azure
expect_error 16-azure-missing-column 2 "azure_no_column.csv:1:" "GeneratedTokens" -- "$kvtrace" validate azure_no_column.csv --format azure
expect_error 16-burstgpt-negative-tokens 2 "burst_negative.csv:3:" "Request tokens:" -- "$kvtrace" validate burst_negative.csv --format burstgpt
expect_error 16-burstgpt-open-quote 2 "burst_open_quote.csv:2:" "quoted" -- "$kvtrace" validate burst_open_quote.csv --format burstgpt
expect_error 16-csv-reblock 2 "--reblock-tokens" "azure" -- "$kvtrace" validate azure_good.csv --format azure --reblock-tokens 1024
expect_error 16-csv-unknown-prefixes 2 "chatbot" -- "$kvtrace" validate azure_good.csv --format azure --prefixes chatbot
expect_ok 16-azure-synthetic-prefixes-run \
  'check cells r_azure.json "c[\"served\"] == 100 and c[\"hit_rate\"] > 0" && grep -q "prefixes are synthetic" "$ERR"' \
  -- "$kvbench" --config m_q_ok.json --trace azure_good.csv --trace-format azure --prefixes toolagent --out r_azure.json --summary=false

# ---------------------------------------------------------------------------------------
# 17. Prices (issue 19): storage billing and the profile's DRAM price. Bad values name the
#     config path or the profile field; provisioned storage bills every node's capacity
#     over the makespan, occupied storage only what was resident.
prices() {  # prices FILE NAME PRICES_JSON: a realistic 2-node cluster on same.jsonl
  matrix "$1" "$2" '["least_loaded"]' '[{"name": "c", "mode": "realistic", "nodes": 2, "capacity": "100blocks"}]' same.jsonl "\"prices\": $3"
}
prices m_sb_bad.json sb_bad '[{"name": "x", "storage_billing": "used"}]'
expect_error 17-storage-billing-unknown 2 "m_sb_bad.json" "prices[0].storage_billing" "used" -- "$kvbench" --config m_sb_bad.json --list
prices m_sp_text.json sp_text '[{"name": "x", "storage_dollars_per_gb_hour": "cheap"}]'
expect_error 17-storage-price-text 2 "m_sp_text.json" "prices[0].storage_dollars_per_gb_hour" -- "$kvbench" --config m_sp_text.json --list
prices m_sp_neg.json sp_neg '[{"name": "x", "storage_dollars_per_gb_hour": -1}]'
expect_error 17-storage-price-negative 2 "m_sp_neg.json" "prices[0].storage_dollars_per_gb_hour" ">= 0" -- "$kvbench" --config m_sp_neg.json --list
"$py" - <<'PY'
import json
with open("p_ok.json") as f:
    p = json.load(f)
p["hardware"]["dram_dollars_per_gb_hour"] = -0.5
with open("p_dram_negative.json", "w") as f:
    json.dump(p, f)
PY
expect_error 17-profile-dram-price-negative 2 "p_dram_negative.json" "hardware.dram_dollars_per_gb_hour" -- \
  "$kvtrace" simulate same.jsonl --profile p_dram_negative.json
prices m_sb_ok.json sb_ok '[{"name": "prov", "storage_dollars_per_gb_hour": 1}, {"name": "occ", "storage_dollars_per_gb_hour": 1, "storage_billing": "occupied"}]'
expect_ok 17-provisioned-and-occupied-storage \
  'check cells r_sb_ok.json "c[\"provisioned_gb_hours\"] > c[\"cached_gb_hours\"] > 0 and abs(c[\"storage_usd\"] - (c[\"provisioned_gb_hours\"] if \"prices=prov\" in c[\"name\"] else c[\"cached_gb_hours\"])) < 1e-12 and c[\"network_usd\"] == 0"' \
  -- "$kvbench" --config m_sb_ok.json --out r_sb_ok.json --summary=false

# ---------------------------------------------------------------------------------------
# 18. HBM prefix cache (tier G1): a cluster's "hbm_cache" and "dram_write". Bad values exit
#     2 naming the config and the field; a serving cluster with both is accepted.
serving m_hbm_prefill.json hbm_prefill '"hbm_cache": {"eviction": "lru"}'
expect_error 18-hbm-cache-on-prefill-only 2 "m_hbm_prefill.json" "clusters[0].hbm_cache" "needs a serving shape" -- \
  "$kvbench" --config m_hbm_prefill.json --list
serving m_hbm_evict.json hbm_evict '"shape": "aggregated", "hbm_cache": {"eviction": "lruu"}'
expect_error 18-hbm-cache-eviction-unknown 2 "m_hbm_evict.json" "clusters[0].hbm_cache.eviction" "unknown policy 'lruu'" "did you mean 'lru'" -- \
  "$kvbench" --config m_hbm_evict.json --list
serving m_hbm_bool.json hbm_bool '"shape": "aggregated", "hbm_cache": true'
expect_error 18-hbm-cache-not-an-object 2 "m_hbm_bool.json" "clusters[0].hbm_cache" "expected an object" -- \
  "$kvbench" --config m_hbm_bool.json --list
serving m_hbm_field.json hbm_field '"shape": "aggregated", "hbm_cache": {"eviction": "lru", "capacity": "80GB"}'
expect_error 18-hbm-cache-unknown-field 2 "m_hbm_field.json" "clusters[0].hbm_cache.capacity" "unknown field" -- \
  "$kvbench" --config m_hbm_field.json --list
serving m_dram_write.json dram_write '"shape": "aggregated", "hbm_cache": {}, "dram_write": "sideways"'
expect_error 18-dram-write-unknown 2 "m_dram_write.json" "clusters[0].dram_write" "sideways" -- \
  "$kvbench" --config m_dram_write.json --list
serving m_dram_back.json dram_back '"shape": "aggregated", "dram_write": "back"'
expect_error 18-dram-write-back-without-hbm-cache 2 "m_dram_back.json" "clusters[0].dram_write" "needs hbm_cache" -- \
  "$kvbench" --config m_dram_back.json --list
serving m_hbm_ok.json hbm_ok '"shape": "aggregated", "hbm_cache": {"eviction": "s3fifo"}, "dram_write": "back"'
expect_ok 18-hbm-cache-accepted 'check listing 18-hbm-cache-accepted.out 1' \
  -- "$kvbench" --config m_hbm_ok.json --list

# ---------------------------------------------------------------------------------------
# 19. Local SSD (tier G3): a cluster's "ssd" (capacity, eviction) and the profile's
#     hardware.ssd_* fields. Bad values exit 2 naming the config or profile and the field; a
#     prefill_only cluster with an SSD is accepted.
matrix m_ssd_seed.json ssd_seed '["random"]' '[{"name": "c", "mode": "seed", "ssd": {}}]' same.jsonl
expect_error 19-ssd-on-seed-cluster 2 "m_ssd_seed.json" "clusters[0].ssd" 'needs mode "realistic"' -- \
  "$kvbench" --config m_ssd_seed.json --list
serving m_ssd_8b.json ssd_8b '"profile": "llama3-8b_1xh100", "ssd": {"capacity": "1Mtokens"}'
expect_error 19-ssd-profile-without-read-bandwidth 2 "m_ssd_8b.json" "clusters[0].ssd" "llama3-8b_1xh100" "has no hardware.ssd_read_bytes_per_s" -- \
  "$kvbench" --config m_ssd_8b.json --list
serving m_ssd_small.json ssd_small '"ssd": {"capacity": "511tokens"}'
expect_error 19-ssd-capacity-under-a-block 2 "m_ssd_small.json" "clusters[0].ssd.capacity" "less than one block" -- \
  "$kvbench" --config m_ssd_small.json --list
serving m_ssd_zero.json ssd_zero '"ssd": {"capacity": "0TB"}'
expect_error 19-ssd-capacity-zero 2 "m_ssd_zero.json" "clusters[0].ssd.capacity" "less than one block" -- \
  "$kvbench" --config m_ssd_zero.json --list
serving m_ssd_units.json ssd_units '"ssd": {"capacity": "15 parsecs"}'
expect_error 19-ssd-capacity-bad-unit 2 "m_ssd_units.json" "clusters[0].ssd.capacity" '"15 parsecs"' -- \
  "$kvbench" --config m_ssd_units.json --list
serving m_ssd_huge.json ssd_huge '"ssd": {"capacity": "1e30blocks"}'
expect_error 19-ssd-capacity-overflow 2 "m_ssd_huge.json" "clusters[0].ssd.capacity" '"1e30blocks"' -- \
  "$kvbench" --config m_ssd_huge.json --list
serving m_ssd_number.json ssd_number '"ssd": {"capacity": 15000000000000}'
expect_error 19-ssd-capacity-number 2 "m_ssd_number.json" "clusters[0].ssd.capacity" "expected a string" -- \
  "$kvbench" --config m_ssd_number.json --list
serving m_ssd_evict.json ssd_evict '"ssd": {"eviction": "lruu"}'
expect_error 19-ssd-eviction-unknown 2 "m_ssd_evict.json" "clusters[0].ssd.eviction" "unknown policy 'lruu'" "did you mean 'lru'" -- \
  "$kvbench" --config m_ssd_evict.json --list
serving m_ssd_field.json ssd_field '"ssd": {"capacity": "15TB", "read_bytes_per_s": 25e9}'
expect_error 19-ssd-unknown-field 2 "m_ssd_field.json" "clusters[0].ssd.read_bytes_per_s" "unknown field" -- \
  "$kvbench" --config m_ssd_field.json --list
serving m_ssd_bool.json ssd_bool '"ssd": true'
expect_error 19-ssd-not-an-object 2 "m_ssd_bool.json" "clusters[0].ssd" "expected an object" -- \
  "$kvbench" --config m_ssd_bool.json --list
serving m_ssd_text.json ssd_text '"ssd": "15TB"'
expect_error 19-ssd-string-not-an-object 2 "m_ssd_text.json" "clusters[0].ssd" "expected an object" -- \
  "$kvbench" --config m_ssd_text.json --list
"$py" - <<'PY'
import json
with open("p_ok.json") as f:
    base = json.load(f)
def profile(name, **hardware):
    p = json.loads(json.dumps(base))
    p["hardware"].update(hardware)
    with open(name, "w") as f:
        json.dump(p, f)
profile("p_ssd_no_read.json", ssd_bytes=15000000000000)
profile("p_ssd_zero_read.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=0)
profile("p_ssd_negative_read.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=-25e9)
profile("p_ssd_negative_price.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=25e9,
        ssd_dollars_per_gb_hour=-1)
profile("p_ssd_bytes_text.json", ssd_bytes="15TB", ssd_read_bytes_per_s=25e9)
profile("p_ssd_read_only.json", ssd_read_bytes_per_s=25e9)
profile("p_ssd_negative_latency.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=25e9,
        ssd_read_latency_s=-1e-4)
profile("p_ssd_write_text.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=25e9,
        ssd_write_bytes_per_s="15GB/s")
profile("p_ssd_negative_write.json", ssd_bytes=15000000000000, ssd_read_bytes_per_s=25e9,
        ssd_write_bytes_per_s=-1)
PY
expect_error 19-profile-ssd-negative-latency 2 "p_ssd_negative_latency.json" "hardware.ssd_read_latency_s" ">= 0" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_negative_latency.json
expect_error 19-profile-ssd-write-bandwidth-text 2 "p_ssd_write_text.json" "hardware.ssd_write_bytes_per_s" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_write_text.json
expect_error 19-profile-ssd-negative-write-bandwidth 2 "p_ssd_negative_write.json" "hardware.ssd_write_bytes_per_s" ">= 0" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_negative_write.json
expect_error 19-profile-ssd-without-read-bandwidth 2 "p_ssd_no_read.json" "hardware.ssd_read_bytes_per_s" "must be > 0 when hardware.ssd_bytes is set" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_no_read.json
expect_error 19-profile-ssd-zero-read-bandwidth 2 "p_ssd_zero_read.json" "hardware.ssd_read_bytes_per_s" "must be > 0 when hardware.ssd_bytes is set" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_zero_read.json
expect_error 19-profile-ssd-negative-read-bandwidth 2 "p_ssd_negative_read.json" "hardware.ssd_read_bytes_per_s" ">= 0" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_negative_read.json
expect_error 19-profile-ssd-negative-price 2 "p_ssd_negative_price.json" "hardware.ssd_dollars_per_gb_hour" ">= 0" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_negative_price.json
expect_error 19-profile-ssd-bytes-text 2 "p_ssd_bytes_text.json" "hardware.ssd_bytes" -- \
  "$kvtrace" simulate same.jsonl --profile p_ssd_bytes_text.json
serving m_ssd_profile.json ssd_profile '"profile": "p_ssd_no_read.json", "ssd": {}'
expect_error 19-ssd-profile-invalid-in-matrix 2 "p_ssd_no_read.json" "hardware.ssd_read_bytes_per_s" -- \
  "$kvbench" --config m_ssd_profile.json --list
serving m_ssd_no_bytes.json ssd_no_bytes '"profile": "p_ssd_read_only.json", "ssd": {}'
expect_error 19-ssd-capacity-missing-profile-without-ssd-bytes 2 "m_ssd_no_bytes.json" "clusters[0].ssd.capacity" "has no hardware.ssd_bytes" -- \
  "$kvbench" --config m_ssd_no_bytes.json --list
serving m_ssd_ok.json ssd_ok '"shape": "prefill_only", "ssd": {"capacity": "1Mtokens"}'
expect_ok 19-ssd-prefill-only-accepted 'check listing 19-ssd-prefill-only-accepted.out 1' \
  -- "$kvbench" --config m_ssd_ok.json --list
# One node, DRAM for 4 of the 8 blocks every request repeats: the SSD holds the 4 DRAM evicts,
# so 99 requests reuse all 8 (hit rate 0.99), 4 of them read from SSD (160 MiB each).
matrix m_ssd_run.json ssd_run '["least_loaded"]' '[{"name": "c", "mode": "realistic", "nodes": 1, "capacity": "4blocks", "ssd": {"capacity": "1Mtokens"}}]' same.jsonl
expect_ok 19-ssd-prefill-only-runs \
  'check cells r_ssd_run.json "c[\"served\"] == 100 and abs(c[\"hit_rate\"] - 0.99) < 1e-12 and c[\"ssd_hit_blocks\"] == 99 * 4 and c[\"ssd_read_bytes\"] == 99 * 4 * 512 * 327680"' \
  -- "$kvbench" --config m_ssd_run.json --out r_ssd_run.json --summary=false

# ---------------------------------------------------------------------------------------
# 20. Mooncake-Store pool scope: a cluster's "scope": "pool", its "pool_placement" and its
#     SSDs' "pooled". Bad
#     values exit 2 naming the config and the field; a prefill_only pool cluster is accepted.
matrix m_scope_bad.json scope_bad '["random"]' '[{"name": "c", "mode": "realistic", "nodes": 2, "scope": "cluster"}]' same.jsonl
expect_error 20-scope-unknown 2 "m_scope_bad.json" "clusters[0].scope" 'expected "local", "global" or "pool", got "cluster"' -- \
  "$kvbench" --config m_scope_bad.json --list
matrix m_pool_seed.json pool_seed '["random"]' '[{"name": "c", "mode": "seed", "scope": "pool"}]' same.jsonl
expect_error 20-pool-on-seed-cluster 2 "m_pool_seed.json" "clusters[0].scope" '"pool" needs mode "realistic"' -- \
  "$kvbench" --config m_pool_seed.json --list
serving m_pp_local.json pp_local '"pool_placement": "hashed"'
expect_error 20-pool-placement-without-pool-scope 2 "m_pp_local.json" "clusters[0].pool_placement" 'needs scope "pool"' -- \
  "$kvbench" --config m_pp_local.json --list
serving m_pp_global.json pp_global '"scope": "global", "pool_placement": "balanced"'
expect_error 20-pool-placement-on-global-scope 2 "m_pp_global.json" "clusters[0].pool_placement" 'needs scope "pool"' -- \
  "$kvbench" --config m_pp_global.json --list
serving m_pp_random.json pp_random '"scope": "pool", "pool_placement": "random"'
expect_error 20-pool-placement-unknown 2 "m_pp_random.json" "clusters[0].pool_placement" 'expected "local", "hashed" or "balanced", got "random"' -- \
  "$kvbench" --config m_pp_random.json --list
serving m_pp_number.json pp_number '"scope": "pool", "pool_placement": 1'
expect_error 20-pool-placement-not-a-string 2 "m_pp_number.json" "clusters[0].pool_placement" "expected a string" -- \
  "$kvbench" --config m_pp_number.json --list
serving m_pool_ok.json pool_ok '"shape": "prefill_only", "scope": "pool", "pool_placement": "balanced"'
expect_ok 20-pool-prefill-only-accepted 'check listing 20-pool-prefill-only-accepted.out 1' \
  -- "$kvbench" --config m_pool_ok.json --list
serving m_pssd_local.json pssd_local '"ssd": {"capacity": "1Mtokens", "pooled": true}'
expect_error 20-pooled-ssd-without-pool-scope 2 "m_pssd_local.json" "clusters[0].ssd.pooled" 'needs scope "pool"' -- \
  "$kvbench" --config m_pssd_local.json --list
serving m_pssd_text.json pssd_text '"scope": "pool", "ssd": {"pooled": "yes"}'
expect_error 20-pooled-ssd-not-a-boolean 2 "m_pssd_text.json" "clusters[0].ssd.pooled" "expected true or false" -- \
  "$kvbench" --config m_pssd_text.json --list
# Two nodes with DRAM for 4 of the 8 blocks every request repeats, hashed into the pool, their
# SSDs pooled: every request after the first reuses all 8 blocks (hit rate 0.99; 0.98375
# unpooled, when a node cannot read what the other's SSD holds).
matrix m_pssd_run.json pssd_run '["least_loaded"]' '[{"name": "c", "mode": "realistic", "nodes": 2, "capacity": "2blocks", "scope": "pool", "pool_placement": "hashed", "ssd": {"capacity": "1Mtokens", "pooled": true}}]' same.jsonl
expect_ok 20-pooled-ssd-runs \
  'check cells r_pssd_run.json "c[\"served\"] == 100 and abs(c[\"hit_rate\"] - 0.99) < 1e-12 and c[\"ssd_hit_blocks\"] > 0"' \
  -- "$kvbench" --config m_pssd_run.json --out r_pssd_run.json --summary=false

# ---------------------------------------------------------------------------------------
# 21. Arrival jitter (issue 21): a trace's "arrival_jitter_ms" and the matrix's
# "jitter_seeds". Bad values exit 2 naming the field; 300 requests at one instant spread
# over 3 s run, in a new order each (their reuse differs), and repeat at any thread count.
# Sets the arrival_jitter_ms of FILE's one trace (written by matrix) to VALUE.
jitter_trace() { sed -i "s/\"file\": \"equal_ts.jsonl\"}/\"file\": \"equal_ts.jsonl\", \"arrival_jitter_ms\": $2}/" "$1"; }
matrix m_jit_noseeds.json jit_noseeds '["random"]' '[{"name": "r", "mode": "realistic", "nodes": 4}]' equal_ts.jsonl
jitter_trace m_jit_noseeds.json 3000
expect_error 21-jitter-without-seeds 2 "m_jit_noseeds.json" "traces[0].arrival_jitter_ms" "needs the matrix's jitter_seeds" -- \
  "$kvbench" --config m_jit_noseeds.json --list
matrix m_jit_notrace.json jit_notrace '["random"]' '[{"name": "r", "mode": "realistic", "nodes": 4}]' equal_ts.jsonl '"jitter_seeds": [1]'
expect_error 21-jitter-seeds-without-a-jittered-trace 2 "m_jit_notrace.json" "jitter_seeds" "no trace sets arrival_jitter_ms" -- \
  "$kvbench" --config m_jit_notrace.json --list
matrix m_jit_huge.json jit_huge '["random"]' '[{"name": "r", "mode": "realistic", "nodes": 4}]' equal_ts.jsonl '"jitter_seeds": [1]'
jitter_trace m_jit_huge.json 1e300
expect_error 21-jitter-huge 2 "m_jit_huge.json" "traces[0].arrival_jitter_ms" -- "$kvbench" --config m_jit_huge.json --list
matrix m_jit_dup.json jit_dup '["random"]' '[{"name": "r", "mode": "realistic", "nodes": 4}]' equal_ts.jsonl '"jitter_seeds": [2, 2]'
jitter_trace m_jit_dup.json 3000
expect_error 21-jitter-seed-twice 2 "m_jit_dup.json" "jitter_seeds[1]" "appears twice" -- "$kvbench" --config m_jit_dup.json --list
matrix m_jit_run.json jit_run '["least_loaded"]' '[{"name": "r", "mode": "realistic", "nodes": 4, "capacity": "40blocks"}]' equal_ts.jsonl '"jitter_seeds": [0, 1, 2]'
jitter_trace m_jit_run.json 3000
expect_ok 21-jitter-runs \
  'check expr r_jit_run1.json "all(c[\"served\"] == 300 for c in d[\"benchmarks\"][:3]) and len({c[\"hit_blocks\"] for c in d[\"benchmarks\"][:3]}) == 3"' \
  -- "$kvbench" --config m_jit_run.json --out r_jit_run1.json --summary=false --threads 1
expect_ok 21-jitter-deterministic 'check same r_jit_run2.json r_jit_run1.json' \
  -- "$kvbench" --config m_jit_run.json --out r_jit_run2.json --summary=false --threads 2
# ---------------------------------------------------------------------------------------
total_ms=$(( ($(usec) - ${test_start/./}) / 1000 ))
echo "hostile_inputs_test: $passed passed, $failed failed, $known known failures in $(( total_ms / 1000 )) s"
if (( ${#fixed[@]} > 0 )); then
  echo "hostile_inputs_test: fixed, remove from KNOWN_FAILURES: ${fixed[*]}"
fi
(( failed == 0 ))
