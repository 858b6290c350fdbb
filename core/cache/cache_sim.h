#ifndef KVB_CORE_CACHE_CACHE_SIM_H_
#define KVB_CORE_CACHE_CACHE_SIM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/cache/eviction_policy.h"
#include "core/trace/trace.h"

namespace kvb {

// How a request reuses cached blocks.
enum class ReuseMode {
  // The seed's model: every resident block of a request hits, contiguous or not.
  kPerBlock,
  // Realistic: only the longest resident leading run of a request's blocks hits.
  kPrefix,
};

// "per-block" or "prefix".
std::string_view ReuseModeName(ReuseMode mode);

struct CacheSimResult {
  uint64_t requests = 0;
  uint64_t block_refs = 0;  // hits + misses
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  // Evicted blocks of depth > 0 whose parent was not resident then: memory that no later
  // request could have reused in prefix mode. LRU in prefix mode has none as long as the
  // capacity is at least the longest request.
  uint64_t stranded_evictions = 0;
  double hit_rate = 0;  // hits / block_refs; 0 when there are no references
};

// Replays every request of `trace`, in order, through one cache of `capacity_blocks`
// blocks with the given eviction policy.
// - kPerBlock: for each block in order: resident -> hit (touched), else miss -> inserted.
// - kPrefix: the longest resident leading run b0..b(k-1) hits, the other n-k blocks miss;
//   then blocks b(n-1) down to b0 are touched if resident, else inserted (so recency-based
//   policies keep parents more recent than their children).
CacheSimResult SimulateCache(const Trace& trace, const EvictionPolicyInfo& policy,
                             size_t capacity_blocks, ReuseMode mode);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_CACHE_SIM_H_
