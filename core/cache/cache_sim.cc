#include "core/cache/cache_sim.h"

#include <span>

#include "core/cache/block_cache.h"
#include "core/cache/fifo.h"
#include "core/cache/lfu.h"
#include "core/cache/lru.h"
#include "core/cache/s3fifo.h"
#include "core/cache/sieve.h"

namespace kvb {
namespace {

// The replay loop, with the policy's concrete type known to the compiler when `Policy` is
// a final class (EvictionPolicy: any policy, through virtual calls).
template <typename Policy>
CacheSimResult Replay(const Trace& trace, BlockCache& cache, ReuseMode mode) {
  CacheSimResult result;
  result.requests = trace.size();
  const std::span<const BlockId> parents = trace.parents();
  auto on_evict = [&](BlockId victim) {
    const BlockId parent = parents[victim];
    if (parent != kNoParent && !cache.Contains(parent)) ++result.stranded_evictions;
  };
  if (mode == ReuseMode::kPerBlock) {
    for (const BlockId id : trace.all_blocks()) {
      if (cache.TouchAs<Policy>(id)) {
        ++result.hits;
      } else {
        ++result.misses;
        cache.InsertAs<Policy>(id, on_evict);
      }
    }
  } else {
    for (size_t r = 0; r < trace.size(); ++r) {
      const std::span<const BlockId> blocks = trace[r].blocks;
      size_t resident_prefix = 0;
      while (resident_prefix < blocks.size() && cache.Contains(blocks[resident_prefix])) {
        ++resident_prefix;
      }
      result.hits += resident_prefix;
      result.misses += blocks.size() - resident_prefix;
      for (size_t i = blocks.size(); i-- > 0;) {
        if (!cache.TouchAs<Policy>(blocks[i])) cache.InsertAs<Policy>(blocks[i], on_evict);
      }
    }
  }
  result.block_refs = result.hits + result.misses;
  result.evictions = cache.evictions();
  result.hit_rate = result.block_refs == 0
                        ? 0.0
                        : static_cast<double>(result.hits) / static_cast<double>(result.block_refs);
  return result;
}

template <typename First, typename... Rest>
CacheSimResult ReplayWithKnownType(const Trace& trace, BlockCache& cache, ReuseMode mode) {
  if (dynamic_cast<First*>(&cache.policy()) != nullptr) return Replay<First>(trace, cache, mode);
  if constexpr (sizeof...(Rest) > 0) {
    return ReplayWithKnownType<Rest...>(trace, cache, mode);
  } else {
    return Replay<EvictionPolicy>(trace, cache, mode);
  }
}

}  // namespace

std::string_view ReuseModeName(ReuseMode mode) {
  return mode == ReuseMode::kPerBlock ? "per-block" : "prefix";
}

CacheSimResult SimulateCache(const Trace& trace, const EvictionPolicyInfo& policy,
                             size_t capacity_blocks, ReuseMode mode) {
  const size_t universe = trace.distinct_blocks();
  BlockCache cache(capacity_blocks, universe, policy.make(capacity_blocks, universe));
  return ReplayWithKnownType<LruPolicy, LfuPolicy, FifoPolicy, SievePolicy, S3FifoPolicy>(
      trace, cache, mode);
}

}  // namespace kvb
