#ifndef KVB_CORE_CACHE_SLOT_LIST_H_
#define KVB_CORE_CACHE_SLOT_LIST_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cache/eviction_policy.h"

namespace kvb {

// Doubly linked lists threaded through the slots 0..n-1 of one cache: each slot is in at
// most one list at a time, and a list is just its ends and size (SlotList). Front and back
// mean whatever the policy says; every operation is O(1).
struct SlotList {
  Slot front = kNoSlot;
  Slot back = kNoSlot;
  size_t size = 0;
  bool empty() const { return size == 0; }
};

class SlotLinks {
 public:
  explicit SlotLinks(size_t slots) : links_(slots) {}

  // Heap bytes of the links of `slots` slots (one allocation, made by the constructor).
  static size_t EstimateBytes(size_t slots) { return slots * sizeof(Link); }

  // The neighbour of `slot` toward the front / back of its list, or kNoSlot.
  Slot toward_front(Slot slot) const { return links_[slot].toward_front; }
  Slot toward_back(Slot slot) const { return links_[slot].toward_back; }

  // Precondition for both: `slot` is in no list.
  void PushFront(SlotList& list, Slot slot) {
    Link& link = links_[slot];
    link.toward_front = kNoSlot;
    link.toward_back = list.front;
    if (list.front != kNoSlot) {
      links_[list.front].toward_front = slot;
    } else {
      list.back = slot;
    }
    list.front = slot;
    ++list.size;
  }
  void PushBack(SlotList& list, Slot slot) {
    Link& link = links_[slot];
    link.toward_back = kNoSlot;
    link.toward_front = list.back;
    if (list.back != kNoSlot) {
      links_[list.back].toward_back = slot;
    } else {
      list.front = slot;
    }
    list.back = slot;
    ++list.size;
  }

  // Precondition: `slot` is in `list`.
  void Unlink(SlotList& list, Slot slot) {
    const Link link = links_[slot];
    if (link.toward_front != kNoSlot) {
      links_[link.toward_front].toward_back = link.toward_back;
    } else {
      list.front = link.toward_back;
    }
    if (link.toward_back != kNoSlot) {
      links_[link.toward_back].toward_front = link.toward_front;
    } else {
      list.back = link.toward_front;
    }
    --list.size;
  }

  // Moves `slot` (in `list`) to the list's front.
  void MoveToFront(SlotList& list, Slot slot) {
    if (list.front == slot) return;
    Unlink(list, slot);
    PushFront(list, slot);
  }

 private:
  struct Link {
    Slot toward_front = kNoSlot;
    Slot toward_back = kNoSlot;
  };
  std::vector<Link> links_;
};

}  // namespace kvb

#endif  // KVB_CORE_CACHE_SLOT_LIST_H_
