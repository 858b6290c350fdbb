#include "core/cache/lfu.h"

#include <algorithm>

namespace kvb {

LfuPolicy::LfuPolicy(size_t capacity) : links_(capacity), group_of_(capacity, kNoGroup) {
  groups_.reserve(capacity + 1);
}

LfuPolicy::GroupIndex LfuPolicy::NewGroupAbove(GroupIndex lower, uint64_t frequency) {
  GroupIndex index;
  if (!free_groups_.empty()) {
    index = free_groups_.back();
    free_groups_.pop_back();
  } else {
    index = static_cast<GroupIndex>(groups_.size());
    groups_.emplace_back();
  }
  Group& group = groups_[index];
  group.frequency = frequency;
  group.members = SlotList{};
  group.lower = lower;
  group.higher = lower == kNoGroup ? lowest_ : groups_[lower].higher;
  if (group.higher != kNoGroup) groups_[group.higher].lower = index;
  if (lower == kNoGroup) {
    lowest_ = index;
  } else {
    groups_[lower].higher = index;
  }
  return index;
}

void LfuPolicy::Leave(Slot slot) {
  const GroupIndex index = group_of_[slot];
  Group& group = groups_[index];
  links_.Unlink(group.members, slot);
  group_of_[slot] = kNoGroup;
  if (!group.members.empty()) return;
  if (group.lower != kNoGroup) {
    groups_[group.lower].higher = group.higher;
  } else {
    lowest_ = group.higher;
  }
  if (group.higher != kNoGroup) groups_[group.higher].lower = group.lower;
  free_groups_.push_back(index);
}

void LfuPolicy::OnInsert(Slot slot, BlockId /*id*/) {
  GroupIndex target = lowest_;
  if (target == kNoGroup || groups_[target].frequency != 1) target = NewGroupAbove(kNoGroup, 1);
  links_.PushBack(groups_[target].members, slot);
  group_of_[slot] = target;
}

void LfuPolicy::OnHit(Slot slot) {
  const GroupIndex current = group_of_[slot];
  const uint64_t next_frequency = groups_[current].frequency + 1;
  GroupIndex target = groups_[current].higher;
  if (target == kNoGroup || groups_[target].frequency != next_frequency) {
    if (groups_[current].members.size == 1) {  // alone: the group itself moves up
      groups_[current].frequency = next_frequency;
      return;
    }
    target = NewGroupAbove(current, next_frequency);
  }
  Leave(slot);
  links_.PushBack(groups_[target].members, slot);
  group_of_[slot] = target;
}

Slot LfuPolicy::Evict() {
  const Slot victim = groups_[lowest_].members.front;
  Leave(victim);
  return victim;
}

std::unique_ptr<EvictionPolicy> MakeLfuPolicy(size_t capacity, size_t universe) {
  return std::make_unique<LfuPolicy>(std::min(capacity, universe));
}

size_t LfuPolicyBytes(size_t capacity, size_t universe) {
  return LfuPolicy::EstimateBytes(std::min(capacity, universe));
}

}  // namespace kvb
