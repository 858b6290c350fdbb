#ifndef KVB_CORE_UTIL_FUZZ_REQUIRE_H_
#define KVB_CORE_UTIL_FUZZ_REQUIRE_H_

// For libFuzzer targets: a broken invariant of accepted input is a finding.

#include <cstdio>
#include <cstdlib>

namespace kvb {

// Aborts (libFuzzer saves the input) with "invariant broken: what" unless `condition`.
inline void FuzzRequire(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace kvb

#endif  // KVB_CORE_UTIL_FUZZ_REQUIRE_H_
