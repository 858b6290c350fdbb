#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test:
#   1. Release build: unit, fixture, real-trace (when ../shared/traces exists), CLI, MPI
#      (mpirun -np 2) and benchmark smoke tests;
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the unit tests of the concurrent code (index, hotspot tracker, matrix runner,
#      journal) under ThreadSanitizer;
#   4. each libFuzzer target for KVB_FUZZ_SECONDS (default 45) when clang is present;
#   5. clang's thread-safety analysis over every library and unit test (compile only).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install_deps.sh --test
jobs=$(nproc)
fuzz_seconds=${KVB_FUZZ_SECONDS:-45}

step() { printf '\n=== %s ===\n' "$*"; }

# The unit-test binaries of a configured build: the sanitizer builds compile only these
# (the programs, and the tests labelled cli or real_traces that run them, are built and run
# in the Release step).
unit_test_targets() {
  local non_unit
  non_unit=$(grep -rhoE 'kvb_cc_test\(NAME [a-z_0-9]+ .*LABELS [a-z_]+' --include=CMakeLists.txt \
    core bench tests | awk '{print $2}')
  ninja -C "$1" -t targets all | sed -n 's/^\([a-z_0-9]*_test\): phony$/\1/p' |
    grep -v '^cmake_' | grep -vxF -f <(echo "$non_unit")
}

step "Release build and tests"
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVB_WERROR=ON -DKVB_WITH_MPI=ON \
  >/dev/null
cmake --build build/test --parallel "$jobs"
ctest --test-dir build/test --output-on-failure --parallel "$jobs"

step "AddressSanitizer + UndefinedBehaviorSanitizer: unit tests"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVB_SANITIZE='address;undefined' \
  -DKVB_BUILD_BENCHMARKS=OFF >/dev/null
# shellcheck disable=SC2046
cmake --build build/asan --parallel "$jobs" --target $(unit_test_targets build/asan)
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build/asan --output-on-failure --parallel "$jobs" -L unit

step "ThreadSanitizer: unit tests of the code that shares memory between threads"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVB_SANITIZE=thread \
  -DKVB_BUILD_BENCHMARKS=OFF >/dev/null
# A simulation cell is single-threaded; threads share memory in the prefix index, the
# hotspot tracker, the matrix runner and the journal's writer: their tests run here.
# shellcheck disable=SC2046
cmake --build build/tsan --parallel "$jobs" --target $(unit_test_targets build/tsan |
  grep -E '^(prefix_index|hotspot_tracker|matrix|journal)')
ctest --test-dir build/tsan --output-on-failure --parallel "$jobs" -L unit

if command -v clang++ >/dev/null && [[ "$fuzz_seconds" -gt 0 ]]; then
  step "libFuzzer targets, ${fuzz_seconds}s each"
  cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKVB_FUZZ=ON -DKVB_SANITIZE='address;undefined' -DKVB_ENABLE_TESTING=OFF \
    -DKVB_BUILD_BENCHMARKS=OFF >/dev/null
  # Only the fuzzers and what they link: the programs and tests are built above.
  fuzz_targets=$(ninja -C build/fuzz -t targets all | sed -n 's/^\([a-z_]*_fuzzer\): phony$/\1/p' |
    grep -v '^cmake_')
  # shellcheck disable=SC2086
  cmake --build build/fuzz --parallel "$jobs" --target $fuzz_targets
  for fuzzer in build/fuzz/core/*/*_fuzzer build/fuzz/bench/*_fuzzer; do
    name=$(basename "$fuzzer")
    corpus_seed="tests/fuzz/${name%_fuzzer}_corpus"
    work=$(mktemp -d)
    [[ -d "$corpus_seed" ]] && cp -r "$corpus_seed"/. "$work"/
    echo "$name: ${fuzz_seconds}s"
    "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix=build/fuzz/ \
      "$work" 2>&1 | tail -n 12
    rm -rf "$work"
  done
else
  step "libFuzzer: skipped (clang++ not found or KVB_FUZZ_SECONDS=0)"
fi

if command -v clang++-14 >/dev/null; then
  step "clang -Wthread-safety: the lock annotations, checked (compile only)"
  # ABSL_GUARDED_BY & co. are checked by clang only; gcc ignores them. Build type None: no
  # optimisation or debug info, since only the analysis matters. Object files only, no
  # linking, and only the sources with something to check: those carrying annotations and
  # those including an annotated header (found by grep, so a new annotated file joins by
  # itself). Compiling every source took ~6 minutes of a CI run for nothing more.
  cmake -S . -B build/tsa -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=None \
    -DKVB_THREAD_SAFETY_ANALYSIS=ON -DKVB_BUILD_BENCHMARKS=OFF >/dev/null
  annotation='ABSL_(GUARDED_BY|PT_GUARDED_BY|EXCLUSIVE_LOCKS_REQUIRED|SHARED_LOCKS_REQUIRED|LOCKS_EXCLUDED|LOCKABLE|SCOPED_LOCKABLE|EXCLUSIVE_LOCK_FUNCTION|SHARED_LOCK_FUNCTION|UNLOCK_FUNCTION|ACQUIRED_(BEFORE|AFTER))'
  annotated=$(grep -rlE "$annotation" core bench --include='*.h' --include='*.cc')
  includes_annotated=$(grep -rlF -f <(sed 's/.*/#include "&"/' <<<"$annotated") core bench \
    --include='*.h' --include='*.cc' || true)
  checked=$(printf '%s\n' $annotated $includes_annotated | sort -u)
  # Object targets look like core/index/CMakeFiles/kvb_index.dir/prefix_index.cc.o.
  tsa_objects=$(ninja -C build/tsa -t targets all | sed -n 's/^\(.*\.o\): .*/\1/p' |
    while read -r object; do
      source=$(sed -E 's#CMakeFiles/[^/]+\.dir/##; s#\.o$##' <<<"$object")
      if grep -qxF "$source" <<<"$checked"; then echo "$object"; fi
    done)
  echo "thread-safety analysis over $(wc -w <<<"$tsa_objects") object files"
  # shellcheck disable=SC2086
  cmake --build build/tsa --parallel "$jobs" --target kvb_git_commit $tsa_objects
else
  step "clang -Wthread-safety: skipped (clang++-14 not found)"
fi

step "scripts: pytest (tables, plots, compare, report in headless Chromium)"
KVB_KVBENCH="$PWD/build/test/bench/kvbench" /usr/bin/python3 -m pytest -q scripts/tests

step "all tests passed"
