#ifndef KVB_CORE_CACHE_LRU_H_
#define KVB_CORE_CACHE_LRU_H_

#include <cstddef>
#include <memory>

#include "core/cache/eviction_policy.h"
#include "core/cache/slot_list.h"

namespace kvb {

// LRU: the victim is the least recently inserted-or-hit block.
class LruPolicy final : public EvictionPolicy {
 public:
  explicit LruPolicy(size_t capacity) : links_(capacity) {}

  // Heap bytes of a policy for `capacity` slots, the object included.
  static size_t EstimateBytes(size_t capacity) {
    return sizeof(LruPolicy) + SlotLinks::EstimateBytes(capacity);
  }

  void OnInsert(Slot slot, BlockId /*id*/) override { links_.PushFront(recency_, slot); }
  void OnHit(Slot slot) override { links_.MoveToFront(recency_, slot); }
  void OnRemove(Slot slot) override { links_.Unlink(recency_, slot); }
  Slot Evict() override {
    const Slot victim = recency_.back;
    links_.Unlink(recency_, victim);
    return victim;
  }

 private:
  SlotLinks links_;
  SlotList recency_;  // front = most recently used, back = least
};

// Factory for the registry: a policy for min(capacity, universe) slots.
std::unique_ptr<EvictionPolicy> MakeLruPolicy(size_t capacity, size_t universe);
// Heap bytes of what MakeLruPolicy(capacity, universe) returns.
size_t LruPolicyBytes(size_t capacity, size_t universe);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_LRU_H_
