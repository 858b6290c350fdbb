#ifndef KVB_CORE_CACHE_LFU_H_
#define KVB_CORE_CACHE_LFU_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/cache/slot_list.h"

namespace kvb {

// LFU (the seed's): evict the oldest block of the lowest frequency (1 on insert, +1 per hit).
//
// "Oldest" is FIFO order within a frequency group: a hit moves a block to the back of its
// new group. O(1): the groups of equal frequency form a list ordered by frequency.
class LfuPolicy final : public EvictionPolicy {
 public:
  explicit LfuPolicy(size_t capacity);

  // Heap bytes of a policy for `capacity` slots, the object included: links, a group per
  // slot and the group pool reserved for capacity + 1 (the list of freed groups, usually a
  // few entries, is left out).
  static size_t EstimateBytes(size_t capacity) {
    return sizeof(LfuPolicy) + SlotLinks::EstimateBytes(capacity) + capacity * sizeof(GroupIndex) +
           (capacity + 1) * sizeof(Group);
  }

  void OnInsert(Slot slot, BlockId id) override;
  void OnHit(Slot slot) override;
  void OnRemove(Slot slot) override { Leave(slot); }
  Slot Evict() override;

  // The frequency of a resident slot.
  uint64_t frequency(Slot slot) const { return groups_[group_of_[slot]].frequency; }

 private:
  using GroupIndex = uint32_t;
  static constexpr GroupIndex kNoGroup = std::numeric_limits<GroupIndex>::max();
  struct Group {
    uint64_t frequency = 0;
    SlotList members;  // front = oldest arrival in the group (next victim), back = newest
    GroupIndex lower = kNoGroup;
    GroupIndex higher = kNoGroup;
  };

  // A new empty group placed just above `lower` (kNoGroup: at the bottom).
  GroupIndex NewGroupAbove(GroupIndex lower, uint64_t frequency);
  // Takes `slot` out of its group, freeing the group if it empties.
  void Leave(Slot slot);

  SlotLinks links_;
  std::vector<GroupIndex> group_of_;  // per slot
  std::vector<Group> groups_;         // pool; at most capacity + 1 in use
  std::vector<GroupIndex> free_groups_;
  GroupIndex lowest_ = kNoGroup;  // the group of lowest frequency
};

// Factory for the registry: a policy for min(capacity, universe) slots.
std::unique_ptr<EvictionPolicy> MakeLfuPolicy(size_t capacity, size_t universe);
// Heap bytes of what MakeLfuPolicy(capacity, universe) returns.
size_t LfuPolicyBytes(size_t capacity, size_t universe);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_LFU_H_
