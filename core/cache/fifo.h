#ifndef KVB_CORE_CACHE_FIFO_H_
#define KVB_CORE_CACHE_FIFO_H_

#include <cstddef>
#include <memory>

#include "core/cache/eviction_policy.h"
#include "core/cache/slot_list.h"

namespace kvb {

// FIFO: the victim is the oldest inserted block; hits change nothing.
class FifoPolicy final : public EvictionPolicy {
 public:
  explicit FifoPolicy(size_t capacity) : links_(capacity) {}

  // Heap bytes of a policy for `capacity` slots, the object included.
  static size_t EstimateBytes(size_t capacity) {
    return sizeof(FifoPolicy) + SlotLinks::EstimateBytes(capacity);
  }

  void OnInsert(Slot slot, BlockId /*id*/) override { links_.PushFront(queue_, slot); }
  void OnHit(Slot /*slot*/) override {}
  void OnRemove(Slot slot) override { links_.Unlink(queue_, slot); }
  Slot Evict() override {
    const Slot victim = queue_.back;
    links_.Unlink(queue_, victim);
    return victim;
  }

 private:
  SlotLinks links_;
  SlotList queue_;  // front = newest, back = oldest
};

// Factory for the registry: a policy for min(capacity, universe) slots.
std::unique_ptr<EvictionPolicy> MakeFifoPolicy(size_t capacity, size_t universe);
// Heap bytes of what MakeFifoPolicy(capacity, universe) returns.
size_t FifoPolicyBytes(size_t capacity, size_t universe);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_FIFO_H_
