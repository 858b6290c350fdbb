#ifndef KVB_CORE_CACHE_SIEVE_H_
#define KVB_CORE_CACHE_SIEVE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/cache/slot_list.h"

namespace kvb {

// SIEVE (NSDI'24): FIFO + a visited bit set by hits; a lasting hand evicts the first unvisited.
//
// New blocks enter at the head. The hand moves from its place (initially the tail) toward
// the head, clearing set bits, and evicts the first block whose bit is clear; it keeps its
// place between evictions and wraps from the head to the tail.
class SievePolicy final : public EvictionPolicy {
 public:
  explicit SievePolicy(size_t capacity) : links_(capacity), visited_(capacity, 0) {}

  // Heap bytes of a policy for `capacity` slots, the object included.
  static size_t EstimateBytes(size_t capacity) {
    return sizeof(SievePolicy) + SlotLinks::EstimateBytes(capacity) + capacity * sizeof(uint8_t);
  }

  void OnInsert(Slot slot, BlockId /*id*/) override {
    visited_[slot] = 0;
    links_.PushFront(queue_, slot);
  }
  void OnHit(Slot slot) override { visited_[slot] = 1; }
  void OnRemove(Slot slot) override {
    if (hand_ == slot) hand_ = links_.toward_front(slot);
    links_.Unlink(queue_, slot);
  }
  Slot Evict() override {
    Slot candidate = hand_ != kNoSlot ? hand_ : queue_.back;
    while (visited_[candidate] != 0) {
      visited_[candidate] = 0;
      candidate = links_.toward_front(candidate);
      if (candidate == kNoSlot) candidate = queue_.back;
    }
    hand_ = links_.toward_front(candidate);  // kNoSlot: the next sweep starts at the tail
    links_.Unlink(queue_, candidate);
    return candidate;
  }

 private:
  SlotLinks links_;
  SlotList queue_;  // front = head (newest), back = tail (oldest)
  std::vector<uint8_t> visited_;
  Slot hand_ = kNoSlot;  // next block the hand looks at; kNoSlot = the tail
};

// Factory for the registry: a policy for min(capacity, universe) slots.
std::unique_ptr<EvictionPolicy> MakeSievePolicy(size_t capacity, size_t universe);
// Heap bytes of what MakeSievePolicy(capacity, universe) returns.
size_t SievePolicyBytes(size_t capacity, size_t universe);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_SIEVE_H_
