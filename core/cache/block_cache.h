#ifndef KVB_CORE_CACHE_BLOCK_CACHE_H_
#define KVB_CORE_CACHE_BLOCK_CACHE_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/cache/id_index.h"
#include "core/trace/trace.h"

namespace kvb {

// Heap bytes of a BlockCache by part (BlockCache::EstimateBytes).
struct BlockCacheBytes {
  size_t slots = 0;   // slot -> id
  size_t index = 0;   // id -> slot (IdIndex)
  size_t policy = 0;  // the eviction policy, its object included
  size_t total() const { return slots + index + policy; }
  BlockCacheBytes& operator+=(const BlockCacheBytes& o) {
    slots += o.slots;
    index += o.index;
    policy += o.policy;
    return *this;
  }
};

// One node's KV cache: at most capacity() resident blocks of a trace's id universe, with
// an eviction policy. Memory grows with the capacity, not with the universe (except a
// direct id -> slot array, used when the universe is small enough to afford it).
// Capacity 0: nothing is ever resident; Insert does nothing (no eviction, no callback).
class BlockCache {
 public:
  // `universe` = trace.distinct_blocks(); capacity may exceed it (nothing is ever evicted).
  // `policy` must have been made for (capacity, universe).
  BlockCache(size_t capacity, size_t universe, std::unique_ptr<EvictionPolicy> policy);

  // Heap bytes of a cache of `capacity` blocks over ids 0..universe-1 with `policy`, as
  // allocated by the constructor (min(capacity, universe) slots: a capacity beyond the
  // universe costs nothing) and after use (an id index's hash map may double once). Not
  // counted: the object itself and its list of freed slots (Remove / EvictOne; a few
  // entries in the seed's accounting).
  static BlockCacheBytes EstimateBytes(size_t capacity, size_t universe,
                                       const EvictionPolicyInfo& policy);

  bool Contains(BlockId id) const { return index_.Find(id) != kNoSlot; }
  // If resident, tells the policy of the access and returns true; otherwise false.
  bool Touch(BlockId id) { return TouchAs<EvictionPolicy>(id); }
  // Makes a non-resident block resident, evicting as many victims as needed, each passed
  // to on_evict(BlockId) before its slot is reused (the victim is no longer resident
  // then). Precondition: !Contains(id).
  template <typename OnEvict>
  void Insert(BlockId id, OnEvict&& on_evict) {
    InsertAs<EvictionPolicy>(id, on_evict);
  }
  void Insert(BlockId id) {
    Insert(id, [](BlockId) {});
  }
  // Drops a resident block (not an eviction: the policy is told OnRemove).
  // Precondition: Contains(id).
  void Remove(BlockId id);
  // Evicts the policy's victim, passed to on_evict(BlockId) once no longer resident.
  // Precondition: size() > 0.
  template <typename OnEvict>
  void EvictOne(OnEvict&& on_evict);

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Blocks that can ever be resident: min(capacity, universe).
  size_t slots() const { return slots_; }
  uint64_t evictions() const { return evictions_; }

  // Touch and Insert calling the policy through its concrete type `Policy` (a final class,
  // so the calls inline: no virtual call per reference). Precondition: policy() is a Policy.
  template <typename Policy>
  bool TouchAs(BlockId id);
  template <typename Policy, typename OnEvict>
  void InsertAs(BlockId id, OnEvict&& on_evict);

  EvictionPolicy& policy() { return *policy_; }
  // Whether id -> slot is a direct array (true) or a hash map (false).
  bool uses_direct_index() const { return index_.direct(); }

 private:
  size_t capacity_;
  size_t slots_;  // min(capacity, universe): more can never be resident
  std::unique_ptr<EvictionPolicy> policy_;
  IdIndex index_;                 // id -> slot of resident blocks
  std::vector<BlockId> id_of_;    // slot -> id, valid for occupied slots
  std::vector<Slot> free_slots_;  // slots freed by Remove
  Slot never_used_ = 0;           // slots never_used_..slots_-1 were never occupied
  size_t size_ = 0;
  uint64_t evictions_ = 0;
};

template <typename Policy>
bool BlockCache::TouchAs(BlockId id) {
  const Slot slot = index_.Find(id);
  if (slot == kNoSlot) return false;
  static_cast<Policy&>(*policy_).OnHit(slot);
  return true;
}

template <typename Policy, typename OnEvict>
void BlockCache::InsertAs(BlockId id, OnEvict&& on_evict) {
  assert(!Contains(id));
  if (slots_ == 0) return;
  Policy& policy = static_cast<Policy&>(*policy_);
  Slot slot;
  if (size_ < slots_) {
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = never_used_++;
    }
    ++size_;
  } else {
    slot = policy.Evict();
    const BlockId victim = id_of_[slot];
    index_.Erase(victim);
    ++evictions_;
    on_evict(victim);
  }
  id_of_[slot] = id;
  index_.Set(id, slot);
  policy.OnInsert(slot, id);
}

template <typename OnEvict>
void BlockCache::EvictOne(OnEvict&& on_evict) {
  assert(size_ > 0);
  const Slot slot = policy_->Evict();
  const BlockId victim = id_of_[slot];
  index_.Erase(victim);
  free_slots_.push_back(slot);
  --size_;
  ++evictions_;
  on_evict(victim);
}

}  // namespace kvb

#endif  // KVB_CORE_CACHE_BLOCK_CACHE_H_
