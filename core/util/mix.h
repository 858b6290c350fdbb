#ifndef KVB_CORE_UTIL_MIX_H_
#define KVB_CORE_UTIL_MIX_H_

#include <cstdint>

namespace kvb {

// splitmix64's finalizer: a fixed, well-spread 64-bit mix. Unlike absl::Hash it is the same
// in every process, so shard choices and fingerprints are reproducible.
constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace kvb

#endif  // KVB_CORE_UTIL_MIX_H_
