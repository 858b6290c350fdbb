#!/usr/bin/env bash
# Profile kvbench where perf's cycle counters are not available (these VMs): instruction
# counts per function and per source line with valgrind's callgrind, heap memory with
# heaptrack. See docs/PROFILING.md for how to read the output.
#
#   scripts/profile.sh cpu    [CONFIG] [-- KVBENCH FLAGS...]   callgrind (default CONFIG: configs/profile/realistic.json)
#   scripts/profile.sh memory [CONFIG] [-- KVBENCH FLAGS...]   heaptrack (default CONFIG: configs/profile/memory.json)
#   scripts/profile.sh diff BASE.callgrind NEW.callgrind       total Ir of both and the functions that moved most
#
# Environment:
#   KVB_BUILD_DIR        build directory (default build/profile: RelWithDebInfo, -O2 -g)
#   KVB_KVBENCH          profile this kvbench binary instead; nothing is built
#   KVB_PROFILE_OUT      where the raw profiles and the reports go (default results/profile, git-ignored)
#   KVB_PROFILE_TOP      functions / lines listed (default 25)
#   KVB_PROFILE_FUNCS    functions whose hottest source lines are listed (default 3)
#   KVB_PROFILE_WIDTH    function names are cut to this many characters on the terminal (default 150)
#   KVB_CALLGRIND_OPTS   extra valgrind options, e.g. "--toggle-collect=kvb::RunMatrix*"
set -euo pipefail

prog=profile.sh
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat <<EOF
usage: scripts/profile.sh cpu|memory [CONFIG] [-- KVBENCH FLAGS...]
       scripts/profile.sh diff BASE.callgrind NEW.callgrind

cpu     runs kvbench --config CONFIG --threads 1 under valgrind --tool=callgrind (single
        thread: the instruction counts repeat run to run) and prints the total instructions
        (Ir), the top functions by self and by inclusive Ir, the hottest source lines, and
        the hottest lines of the top functions.
        Default CONFIG: configs/profile/realistic.json.
memory  runs the same under heaptrack and prints the peak heap, the allocation counts and
        the largest consumers at the peak. Default CONFIG: configs/profile/memory.json.
diff    compares two callgrind outputs (e.g. before and after a change): total Ir of each
        and the functions whose self Ir moved most.

Flags after -- go to kvbench as they are, relative to the current directory, e.g.
  scripts/profile.sh cpu configs/profile/seed.json -- --trace ../shared/traces/conversation_trace.jsonl

kvbench is built as RelWithDebInfo (-O2 -g) in build/profile unless KVB_KVBENCH names a
binary. Raw profiles and reports: results/profile/ (git-ignored). Environment:
KVB_BUILD_DIR, KVB_KVBENCH, KVB_PROFILE_OUT, KVB_PROFILE_TOP (25), KVB_PROFILE_FUNCS (3),
KVB_PROFILE_WIDTH (150), KVB_CALLGRIND_OPTS. See docs/PROFILING.md.
EOF
}

die() {
  echo "$prog: error: $*" >&2
  exit 2
}

need() {  # need TOOL DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install it with apt-get install $2"
}

top=${KVB_PROFILE_TOP:-25}
funcs=${KVB_PROFILE_FUNCS:-3}
width=${KVB_PROFILE_WIDTH:-150}
[[ $top =~ ^[0-9]+$ && $top -gt 0 ]] || die "KVB_PROFILE_TOP must be a positive integer, got '$top'"
[[ $funcs =~ ^[0-9]+$ ]] || die "KVB_PROFILE_FUNCS must be an integer, got '$funcs'"
[[ $width =~ ^[0-9]+$ && $width -ge 40 ]] || die "KVB_PROFILE_WIDTH must be an integer >= 40, got '$width'"

# A path as given if it exists from here, else relative to the repository root.
resolve() {
  if [[ -e $1 ]]; then
    realpath -- "$1"
  elif [[ $1 != /* && -e $root/$1 ]]; then
    realpath -- "$root/$1"
  else
    die "$1: no such file (looked in $PWD${root:+ and $root})"
  fi
}

# callgrind_annotate's function table (--show-percs=no) folded per function: the same
# function appears once per source file its instructions come from (inlined headers), so
# self counts are summed over files and inclusive counts take the largest entry (the
# inclusive figures of the parts overlap). Prints "count<TAB>function<TAB>files", sorted.
fold_functions() {  # fold_functions sum|max < annotate output
  awk -v how="$1" -v root="$root" "$awklib"'
    /^-+$/ { next }
    /^ *Ir *file:function *$/ { intable = 1; next }
    intable && match($0, /^ *[0-9,]+  /) {
      n = substr($0, 1, RLENGTH); gsub(/[ ,]/, "", n)
      rest = substr($0, RLENGTH + 1)
      sub(/ \[\/[^]]*\]$/, "", rest)          # the object file
      c = index(rest, ":")
      file = substr(rest, 1, c - 1); fn = substr(rest, c + 1)
      sub(/^\.\//, "", file); file = strip_root(file)
      if (!(fn in cost)) order[++k] = fn
      if (how == "sum") cost[fn] += n; else if (n + 0 > cost[fn] + 0) cost[fn] = n
      if (!((fn, file) in seen)) { seen[fn, file] = 1; files[fn] = files[fn] (files[fn] == "" ? "" : " ") file }
    }
    END { for (i = 1; i <= k; ++i) printf "%.0f\t%s\t%s\n", cost[order[i]], order[i], files[order[i]] }
  ' | sort -t$'\t' -k1,1nr
}

total_ir() {  # total_ir CALLGRIND_OUT: the "totals:" (or "summary:") line of the file
  awk '/^(totals|summary):/ { print $2; exit }' "$1"
}

# awk (Debian's default is mawk: no regex intervals, %d stops at 2^31) helpers.
awklib='
  function commas(x,   s, r) {
    s = sprintf("%.0f", x < 0 ? -x : x); r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return (x < 0 ? "-" : "") s r
  }
  function strip_root(path) { return index(path, root "/") == 1 ? substr(path, length(root) + 2) : path }
  function short(fn, w) {
    gsub(/std::__cxx11::/, "std::", fn); gsub(/, 18446744073709551615ul>/, ">", fn)
    return length(fn) > w ? substr(fn, 1, w - 3) "..." : fn
  }'

first() {  # first N: like head -n N, but reads all its input (no SIGPIPE under pipefail)
  awk -v n="$1" 'NR <= n'
}

group() {  # 1234567 -> 1,234,567
  awk -v x="$1" "$awklib"' BEGIN { print commas(x) }'
}

print_table() {  # print_table TOTAL < folded: "  Ir  %  function"
  awk -F'\t' -v total="$1" -v top="$top" -v width="$width" "$awklib"'
    NR > top { next }  # read all: an early exit would kill the writer with SIGPIPE (pipefail)
    { printf "%15s %6.2f%%  %s\n", commas($1), 100 * $1 / total, short($2, width) }'
}

# The hottest source lines of callgrind_annotate --auto=yes output:
# "count<TAB>file:line<TAB>source", sorted.
hot_lines() {
  awk -v root="$root" "$awklib"'
    /^-- Auto-annotated source: / { file = strip_root(substr($0, 27)); line = 0; next }
    /^-+$/ && line > 0 { file = ""; line = 0; next }  # the end of a file
    /^-- line [0-9]+ -+$/ { line = $3; next }
    /^-- / { next }
    file != "" && line > 0 && match($0, /^ *([0-9,]+ \( *[0-9.]+%\)|[0-9,]+|\.)  /) {
      n = substr($0, 1, RLENGTH); sub(/\(.*\)/, "", n); gsub(/[ ,]/, "", n)
      src = substr($0, RLENGTH + 1); gsub(/^[ \t]+/, "", src)
      if (src ~ /^=> /) next  # a call line (its callee'\''s inclusive cost), not a source line
      if (n != ".") printf "%.0f\t%s:%d\t%s\n", n, file, line, src
      ++line
    }
  ' | sort -t$'\t' -k1,1nr
}

# Self Ir per function and source line, read from the raw callgrind file (callgrind_annotate
# does not split a line's count by function): for the NF functions of highest self Ir, their
# NL hottest lines as "function / Ir / file:line / source". Inlined code counts at the
# header line it came from (fi=/fe=), in the function it was inlined into.
function_lines() {  # function_lines RAW NF NL
  awk -v nf="$2" -v nl="$3" -v root="$root" -v width="$width" "$awklib"'
    function name(kind, s,   id, rest) {  # "(id) name" defines, "(id)" refers
      if (match(s, /^\([0-9]+\)/)) {
        id = substr(s, 2, RLENGTH - 2); rest = substr(s, RLENGTH + 2)
        if (rest != "") names[kind, id] = rest
        return names[kind, id]
      }
      return s
    }
    function pos(p) {  # absolute, +N, -N or * (compressed positions)
      if (p == "*") return last
      if (p ~ /^\+/) return last + substr(p, 2)
      if (p ~ /^-/) return last - substr(p, 2)
      return p + 0
    }
    /^fl=/ { fl = name("f", substr($0, 4)); file = fl; next }
    /^(fi|fe)=/ { file = name("f", substr($0, 4)); next }
    /^fn=/ { fn = name("n", substr($0, 4)); file = fl; next }
    /^cfn=/ { name("n", substr($0, 5)); next }
    /^(cfi|cfl)=/ { name("f", substr($0, 5)); next }
    /^calls=/ { incall = 1; next }
    /^[0-9+*-]/ {
      last = pos($1)
      if (incall) { incall = 0; next }  # the inclusive cost of a call
      self[fn] += $2; at[fn, file, last] += $2
      if (!((fn, file, last) in seen)) { seen[fn, file, last] = 1; keys[fn] = keys[fn] SUBSEP file SUBSEP last }
      next
    }
    function source(f, l,   path, s, i) {
      path = f; if (path !~ /^\//) path = root "/" path
      if (!(f in loaded)) {
        loaded[f] = 1; i = 0
        while ((getline s < path) > 0) text[f, ++i] = s
        close(path)
      }
      s = text[f, l]; gsub(/^[ \t]+/, "", s)
      return s
    }
    END {
      for (f in self) order[++k] = f
      for (i = 1; i <= nf && i <= k; ++i) {  # selection: the nf largest
        best = i
        for (j = i + 1; j <= k; ++j) if (self[order[j]] > self[order[best]]) best = j
        t = order[i]; order[i] = order[best]; order[best] = t
        f = order[i]
        printf "%s  (self %s Ir)\n", short(f, width), commas(self[f])
        m = split(substr(keys[f], 2), parts, SUBSEP); nlines = 0
        for (p = 1; p + 1 <= m; p += 2) { lf[++nlines] = parts[p]; ll[nlines] = parts[p + 1]; lc[nlines] = at[f, parts[p], parts[p + 1]] }
        for (a = 1; a <= nl && a <= nlines; ++a) {
          b = a
          for (c = a + 1; c <= nlines; ++c) if (lc[c] > lc[b]) b = c
          t = lf[a]; lf[a] = lf[b]; lf[b] = t; t = ll[a]; ll[a] = ll[b]; ll[b] = t; t = lc[a]; lc[a] = lc[b]; lc[b] = t
          printf "  %13s %5.1f%%  %-40s %s\n", commas(lc[a]), 100 * lc[a] / self[f], strip_root(lf[a]) ":" ll[a],
            short(source(lf[a], ll[a]), width - 66)
        }
      }
    }
  ' "$1"
}

build_kvbench() {  # sets $kvbench
  if [[ -n ${KVB_KVBENCH:-} ]]; then
    kvbench=$(resolve "$KVB_KVBENCH")
    [[ -x $kvbench ]] || die "KVB_KVBENCH=$KVB_KVBENCH is not an executable"
    echo "== kvbench: $kvbench (KVB_KVBENCH, not rebuilt)"
    return
  fi
  need cmake cmake
  need ninja ninja-build
  local build=${KVB_BUILD_DIR:-build/profile}
  [[ $build == /* ]] || build=$root/$build
  mkdir -p "$build"
  local log=$build/profile-build.log
  echo "== building kvbench (RelWithDebInfo: -O2 -g) in $build"
  # The same options as scripts/run.sh's Release build, but with debug info for per-line
  # counts and readable inlined frames.
  if ! { cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVB_ENABLE_TESTING=OFF &&
      cmake --build "$build" --target kvbench --parallel "$(nproc)"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "build failed (full log: $log; missing libraries: ./scripts/install_deps.sh)"
  fi
  kvbench=$build/bench/kvbench
}

cpu() {
  need valgrind valgrind
  need callgrind_annotate valgrind
  build_kvbench
  local tag=$out/cpu-$name-$stamp
  local raw=$tag.callgrind
  echo "== callgrind: kvbench --config $config --threads 1 ${extra[*]}"
  local -a vg=(valgrind --tool=callgrind "--callgrind-out-file=$raw")
  # shellcheck disable=SC2206  # word splitting of the extra options is intended
  [[ -n ${KVB_CALLGRIND_OPTS:-} ]] && vg+=($KVB_CALLGRIND_OPTS)
  local t0=$SECONDS status=0
  "${vg[@]}" "$kvbench" --config "$config" --threads 1 --progress=false --out "$tag.result.json" \
    "${extra[@]}" >"$tag.kvbench.txt" 2>"$tag.valgrind.txt" || status=$?
  if [[ $status -ne 0 || ! -s $raw ]]; then
    grep -v '^==[0-9]*==' "$tag.valgrind.txt" | tail -n 20 >&2  # kvbench's stderr, not valgrind's
    die "kvbench under callgrind exited with status $status (its output: $tag.kvbench.txt, $tag.valgrind.txt)"
  fi
  local total
  total=$(total_ir "$raw")
  (cd "$root" && callgrind_annotate --show=Ir --sort=Ir --threshold=100 --auto=no --show-percs=no "$raw") >"$tag.self.txt"
  (cd "$root" && callgrind_annotate --show=Ir --sort=Ir --threshold=100 --auto=no --show-percs=no --inclusive=yes "$raw") >"$tag.inclusive.txt"
  (cd "$root" && callgrind_annotate --show=Ir --sort=Ir --auto=yes --show-percs=yes --context=3 --include="$root" "$raw") >"$tag.lines.txt"

  cat "$tag.kvbench.txt"
  echo
  echo "== total: $(group "$total") instructions (Ir) in $((SECONDS - t0)) s under callgrind"
  echo
  echo "== top $top functions by self Ir (summed over the source files inlined into them)"
  fold_functions sum <"$tag.self.txt" | print_table "$total"
  echo
  echo "== top $top functions by inclusive Ir (self + callees)"
  fold_functions max <"$tag.inclusive.txt" |
    awk -F'\t' '$2 !~ /^(0x[0-9a-f]+|\(below main\)|__libc_start_main.*)$/' | print_table "$total"
  echo
  echo "== top $top source lines by Ir (all functions inlining them)"
  hot_lines <"$tag.lines.txt" | first "$top" | awk -F'\t' -v total="$total" -v width="$width" "$awklib"'
    { printf "%15s %6.2f%%  %-36s %s\n", commas($1), 100 * $1 / total, $2, short($3, width - 62) }'
  if grep -q '^events:.*D1mr' "$raw"; then  # run with KVB_CALLGRIND_OPTS=--cache-sim=yes
    (cd "$root" && callgrind_annotate --show=Ir,Dr,D1mr,DLmr,Dw,D1mw,DLmw --sort=D1mr --auto=no "$raw") >"$tag.cache.txt"
    echo
    echo "== top $top functions by simulated D1 read misses (valgrind's cache model, not this CPU's)"
    awk '/PROGRAM TOTALS/ { totals = $0; next } /file:function/ { print; print totals; body = 1; next } body && !/^-*$/' "$tag.cache.txt" |
      first "$((top + 2))" | cut -c "1-$((width + 80))"
    echo "(estimated cycles, as KCachegrind's CEst: Ir + 10 x (I1mr + D1mr + D1mw) + 100 x (ILmr + DLmr + DLmw))"
  fi
  echo
  echo "== the hottest lines of the top $funcs functions by self Ir (% of the function's self Ir)"
  function_lines "$raw" "$funcs" 10 | tee "$tag.function-lines.txt"
  echo
  echo "raw:      $raw (callgrind_annotate [--inclusive=yes] [--tree=caller] $raw)"
  echo "reports:  $tag.self.txt, $tag.inclusive.txt, $tag.lines.txt (per source line),"
  echo "          $tag.function-lines.txt"
  echo "kvbench:  $tag.result.json (its context names the git commit profiled)"
}

heaptrack_noise() {  # kvbench's output without heaptrack's own lines
  grep -v -e '^heaptrack' -e '^starting application' -e '^/usr/lib/heaptrack' -e '^	' \
    -e '^Heaptrack finished' -e '^  heaptrack --analyze' | sed '/^$/N;/^\n$/D'
}

memory() {
  need heaptrack heaptrack
  need heaptrack_print heaptrack
  build_kvbench
  local tag=$out/memory-$name-$stamp
  echo "== heaptrack: kvbench --config $config --threads 1 ${extra[*]}"
  local status=0
  heaptrack -o "$tag.heaptrack" "$kvbench" --config "$config" --threads 1 --progress=false \
    --out "$tag.result.json" "${extra[@]}" >"$tag.kvbench.txt" 2>&1 || status=$?
  local raw="" f
  for f in "$tag".heaptrack.*; do [[ -f $f ]] && raw=$f; done  # .zst or .gz, by heaptrack's build
  if [[ $status -ne 0 || -z $raw ]]; then
    heaptrack_noise <"$tag.kvbench.txt" | tail -n 20 >&2
    die "kvbench under heaptrack exited with status $status (output: $tag.kvbench.txt)"
  fi
  heaptrack_print -f "$raw" --print-peaks=1 --print-allocators=1 --print-temporary=1 \
    --peak-limit 15 --sub-peak-limit 3 >"$tag.peaks.txt" 2>/dev/null
  # Unmerged backtraces (one entry per distinct call stack), innermost frame first.
  heaptrack_print -f "$raw" --print-peaks=1 --print-allocators=1 --print-temporary=0 \
    --merge-backtraces=0 --peak-limit "$((top * 4))" >"$tag.backtraces.txt" 2>/dev/null

  heaptrack_noise <"$tag.kvbench.txt"
  echo
  echo "== summary (heaptrack_print)"
  sed -n '/^total runtime/,$p' "$tag.peaks.txt"
  echo
  # Each backtrace is named by its innermost kvbench function (kvb::..., not the allocator)
  # with the line it allocates at, and the kvbench function that called that one.
  # shellcheck disable=SC2016  # an awk program
  local fold='
    function flush() {
      if (size != "") printf "%s\t%s\t%s%s\n", size, calls, (inner == "" ? "(outside kvbench)" : inner " " at),
        (outer == "" ? "" : "  <-  " outer)
      size = ""
    }
    /^[A-Z][A-Z ]+$/ { flush(); section = $0; next }
    section == want && / (peak memory consumed over|calls to allocation functions with) / {
      flush()
      if (want ~ /PEAK/) { size = $1; calls = $6 } else { calls = $1; size = $7 }
      inner = outer = at = ""; take_at = 0; next
    }
    size != "" && /^  [^ ]/ {
      fr = substr($0, 3); take_at = 0
      if (fr !~ /^kvb::/ || fr ~ /^kvb::HugePageAllocator/) next
      if (inner == "") { inner = fr; take_at = 1 } else if (outer == "" && fr != inner) outer = fr
      next
    }
    size != "" && take_at && /^    at / { at = "(" strip_root($2) ")"; take_at = 0 }
    END { flush() }'
  echo "== heap at the peak per call stack: size, allocations, innermost kvbench function (<- its caller)"
  awk -v want="PEAK MEMORY CONSUMERS" -v root="$root" "$awklib$fold" "$tag.backtraces.txt" | first "$top" |
    awk -F'\t' -v width="$width" "$awklib"'{ printf "%9s %7s  %s\n", $1, $2, short($3, width) }'
  echo
  echo "== most calls to allocation functions per call stack: calls, peak, innermost kvbench function (<- its caller)"
  awk -v want="MOST CALLS TO ALLOCATION FUNCTIONS" -v root="$root" "$awklib$fold" "$tag.backtraces.txt" |
    first "$top" | awk -F'\t' -v width="$width" "$awklib"'{ printf "%9s %7s  %s\n", $2, $1, short($3, width) }'
  echo
  echo "raw:      $raw (heaptrack_print -f $raw)"
  echo "reports:  $tag.peaks.txt (peak consumers, top allocators, temporary allocations: merged backtraces),"
  echo "          $tag.backtraces.txt (the same per distinct call stack)"
  echo "kvbench:  $tag.result.json (its context names the git commit profiled)"
}

diff_profiles() {  # diff_profiles BASE NEW
  need callgrind_annotate valgrind
  local base new
  base=$(resolve "$1")
  new=$(resolve "$2")
  local tb tn
  tb=$(total_ir "$base")
  tn=$(total_ir "$new")
  [[ -n $tb && -n $tn ]] || die "not a callgrind output: ${base} or ${new} has no totals line"
  echo "base  $(group "$tb") Ir  $base"
  echo "new   $(group "$tn") Ir  $new"
  awk -v a="$tb" -v b="$tn" "$awklib"' BEGIN { printf "change %+.3f%% (%s%s Ir)\n\n", 100 * (b - a) / a, (b > a ? "+" : ""), commas(b - a) }'
  echo "== top $top functions by change in self Ir (base -> new)"
  join -t$'\t' -a1 -a2 -e 0 -o 0,1.2,2.2 \
    <(cd "$root" && callgrind_annotate --show=Ir --sort=Ir --threshold=100 --auto=no --show-percs=no "$base" | fold_functions sum |
      awk -F'\t' '{ print $2 "\t" $1 }' | LC_ALL=C sort -t$'\t' -k1,1) \
    <(cd "$root" && callgrind_annotate --show=Ir --sort=Ir --threshold=100 --auto=no --show-percs=no "$new" | fold_functions sum |
      awk -F'\t' '{ print $2 "\t" $1 }' | LC_ALL=C sort -t$'\t' -k1,1) |
    awk -F'\t' -v top="$top" -v width="$width" -v total="$tb" '
      { d = $3 - $2; if (d != 0) printf "%.0f\t%.0f\t%.0f\t%.0f\t%s\n", (d < 0 ? -d : d), $2, $3, d, $1 }' |
    sort -t$'\t' -k1,1nr | first "$top" |
    awk -F'\t' -v width="$width" -v total="$tb" "$awklib"'
      BEGIN { printf "%15s %15s %15s %8s  %s\n", "base", "new", "change", "of total", "function" }
      { printf "%15s %15s %15s %+7.2f%%  %s\n", commas($2), commas($3), ($4 > 0 ? "+" : "") commas($4),
          100 * $4 / total, short($5, width) }'
}

[[ $# -ge 1 ]] || { usage >&2; exit 2; }
mode=$1
shift
case $mode in
  -h | --help) usage; exit 0 ;;
  cpu) config=configs/profile/realistic.json ;;
  memory) config=configs/profile/memory.json ;;
  diff)
    [[ $# -eq 2 ]] || die "diff takes two callgrind outputs (see --help)"
    diff_profiles "$1" "$2"
    exit 0
    ;;
  *) usage >&2; die "unknown mode '$mode': expected cpu, memory or diff" ;;
esac
if [[ $# -gt 0 && $1 != -- ]]; then
  config=$1
  shift
fi
extra=()
if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || die "unexpected argument '$1': kvbench flags go after -- (see --help)"
  shift
  extra=("$@")
fi
config=$(resolve "$config")
name=$(basename "$config" .json)
stamp=$(date +%Y%m%d-%H%M%S)
out=${KVB_PROFILE_OUT:-results/profile}
[[ $out == /* ]] || out=$root/$out
mkdir -p "$out"
out=$(realpath -- "$out")
"$mode"
