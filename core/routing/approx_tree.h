#ifndef KVB_CORE_ROUTING_APPROX_TREE_H_
#define KVB_CORE_ROUTING_APPROX_TREE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/trace/trace.h"

namespace kvb {

// A router's record of the prefixes it sent to one node (SGLang's approximate radix tree,
// llm-d's and vLLM's prefix indexes): a set of block ids (an id names its whole prefix, so
// the set is the tree) in LRU order, as an intrusive doubly linked list over a slot pool.
class ApproxTree {
 public:
  // Bytes of one id's slot in the pool (the memory estimate's unit).
  static constexpr size_t slot_bytes() { return sizeof(Slot); }

  // How many of `ids`, from the first, are in the tree.
  uint32_t Match(std::span<const BlockId> ids) const {
    uint32_t k = 0;
    while (k < ids.size() && slot_of_.contains(ids[k])) ++k;
    return k;
  }

  // Inserts or refreshes `ids`, deepest first, so that an id is always more recent than its
  // descendants and pruning removes leaves before their ancestors (like SGLang's leaf-first
  // eviction); then prunes the least recent ids down to `max_size`.
  void Touch(std::span<const BlockId> ids, size_t max_size) {
    for (size_t k = ids.size(); k-- > 0;) {
      const auto [it, inserted] = slot_of_.try_emplace(ids[k], kNil);
      if (inserted) {
        it->second = Allocate(ids[k]);
      } else {
        Unlink(it->second);
      }
      PushFront(it->second);
    }
    while (slot_of_.size() > max_size) {
      const uint32_t victim = tail_;
      Unlink(victim);
      slot_of_.erase(slots_[victim].id);
      slots_[victim].next = free_;
      free_ = victim;
    }
  }

  size_t size() const { return slot_of_.size(); }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    BlockId id = 0;
    uint32_t prev = kNil;  // towards the most recent
    uint32_t next = kNil;  // towards the least recent; free list link when free
  };

  uint32_t Allocate(BlockId id) {
    uint32_t s = free_;
    if (s != kNil) {
      free_ = slots_[s].next;
    } else {
      s = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[s] = Slot{id, kNil, kNil};
    return s;
  }
  void Unlink(uint32_t s) {
    Slot& slot = slots_[s];
    (slot.prev == kNil ? head_ : slots_[slot.prev].next) = slot.next;
    (slot.next == kNil ? tail_ : slots_[slot.next].prev) = slot.prev;
    slot.prev = slot.next = kNil;
  }
  void PushFront(uint32_t s) {
    slots_[s].prev = kNil;
    slots_[s].next = head_;
    (head_ == kNil ? tail_ : slots_[head_].prev) = s;
    head_ = s;
  }

  absl::flat_hash_map<BlockId, uint32_t> slot_of_;
  std::vector<Slot> slots_;
  uint32_t head_ = kNil;  // most recent
  uint32_t tail_ = kNil;  // least recent
  uint32_t free_ = kNil;
};

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_APPROX_TREE_H_
