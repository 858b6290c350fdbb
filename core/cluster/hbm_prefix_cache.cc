#include "core/cluster/hbm_prefix_cache.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

size_t CheckedNodes(const std::vector<std::string>& evictions) {
  if (evictions.empty()) throw InputError("hbm prefix cache: a cluster needs at least one node");
  return evictions.size();
}

}  // namespace

HbmPrefixCache::HbmPrefixCache(const std::vector<std::string>& evictions, size_t max_cached_blocks,
                               size_t universe, const std::string& config_path)
    : pins_(CheckedNodes(evictions)), holders_(evictions.size()) {
  cached_.reserve(evictions.size());
  for (const std::string& name : evictions) {
    const EvictionPolicyInfo& policy = RequireEvictionPolicy(name, config_path);
    cached_.emplace_back(max_cached_blocks, universe, policy.make(max_cached_blocks, universe));
  }
  holders_.Reserve(universe);
}

BlockCacheBytes HbmPrefixCache::EstimateBytes(const std::vector<std::string>& evictions,
                                              size_t max_cached_blocks, size_t universe) {
  BlockCacheBytes bytes;
  bytes.slots =
      evictions.size() * (sizeof(BlockCache) + sizeof(absl::flat_hash_map<BlockId, uint32_t>));
  for (const std::string& name : evictions) {
    bytes +=
        BlockCache::EstimateBytes(max_cached_blocks, universe, RequireEvictionPolicy(name, "hbm"));
  }
  bytes.index += SimPrefixIndex::EstimateBytes(evictions.size(), universe, SIZE_MAX);
  return bytes;
}

void HbmPrefixCache::Pin(size_t node, std::span<const BlockId> ids) {
  absl::flat_hash_map<BlockId, uint32_t>& pins = pins_[node];
  BlockCache& cached = cached_[node];
  for (const BlockId id : ids) {
    uint32_t& holders = pins[id];
    if (holders++ > 0) continue;
    if (cached.Contains(id)) {
      cached.Remove(id);  // in use again: out of the free queue
    } else {
      holders_.Add(node, id);
    }
  }
}

void HbmPrefixCache::Unpin(size_t node, std::span<const BlockId> ids, const OnEvict& on_evict) {
  absl::flat_hash_map<BlockId, uint32_t>& pins = pins_[node];
  BlockCache& cached = cached_[node];
  for (size_t i = ids.size(); i-- > 0;) {
    const auto it = pins.find(ids[i]);
    if (it == pins.end()) {
      throw std::logic_error(absl::StrCat("hbm prefix cache: block ", ids[i], " unpinned on node ",
                                          node, " where it is not pinned"));
    }
    if (--it->second > 0) continue;
    pins.erase(it);
    if (cached.slots() == 0) {
      Evicted(node, ids[i], on_evict);
      continue;
    }
    cached.Insert(ids[i], [&](BlockId victim) { Evicted(node, victim, on_evict); });
  }
}

void HbmPrefixCache::Fit(size_t node, size_t limit, const OnEvict& on_evict) {
  BlockCache& cached = cached_[node];
  while (cached.size() > limit) {
    cached.EvictOne([&](BlockId victim) { Evicted(node, victim, on_evict); });
  }
}

void HbmPrefixCache::Evicted(size_t node, BlockId id, const OnEvict& on_evict) {
  ++evictions_;
  holders_.Remove(node, id);
  if (on_evict) on_evict(node, id);
}

}  // namespace kvb
