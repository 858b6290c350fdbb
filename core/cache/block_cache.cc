#include "core/cache/block_cache.h"

#include <algorithm>
#include <cassert>

namespace kvb {

BlockCache::BlockCache(size_t capacity, size_t universe, std::unique_ptr<EvictionPolicy> policy)
    : capacity_(capacity),
      slots_(std::min(capacity, universe)),
      policy_(std::move(policy)),
      index_(universe, slots_),
      id_of_(slots_, 0) {
  assert(policy_ != nullptr);
}

BlockCacheBytes BlockCache::EstimateBytes(size_t capacity, size_t universe,
                                          const EvictionPolicyInfo& policy) {
  const size_t slots = std::min(capacity, universe);
  BlockCacheBytes bytes;
  bytes.slots = slots * sizeof(BlockId);
  bytes.index = IdIndex::EstimateBytes(universe, slots);
  bytes.policy = policy.estimate_bytes(capacity, universe);
  return bytes;
}

void BlockCache::Remove(BlockId id) {
  const Slot slot = index_.Find(id);
  assert(slot != kNoSlot);
  policy_->OnRemove(slot);
  index_.Erase(id);
  free_slots_.push_back(slot);
  --size_;
}

}  // namespace kvb
