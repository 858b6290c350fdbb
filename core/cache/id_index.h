#ifndef KVB_CORE_CACHE_ID_INDEX_H_
#define KVB_CORE_CACHE_ID_INDEX_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "core/cache/eviction_policy.h"
#include "core/trace/trace.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

// A map from the ids 0..universe-1 to at most `max_entries` values (slots), absent = kNoSlot.
// A direct array when affordable (universe * 4 bytes <= 1 MiB, or universe <= 16 *
// max_entries: at most 64 bytes per entry), otherwise a hash map whose size follows the
// entries, not the universe. A cluster has one per node: the bound holds for 1,024 nodes.
class IdIndex {
 public:
  static constexpr size_t kSmallDirectBytes = size_t{1} << 20;

  // Whether an index for these sizes uses the direct array.
  static bool ChoosesDirect(size_t universe, size_t max_entries) {
    return max_entries > 0 &&
           (universe * sizeof(Slot) <= kSmallDirectBytes || universe <= 16 * max_entries);
  }

  IdIndex(size_t universe, size_t max_entries) : direct_(ChoosesDirect(universe, max_entries)) {
    if (direct_) {
      array_.assign(universe, kNoSlot);
    } else {
      map_.reserve(max_entries);
    }
  }

  bool direct() const { return direct_; }

  // Heap bytes of an index for these sizes once it has been used: the direct array, or the
  // hash map reserved for `max_entries` and, if inserts and erases can make it double (see
  // HashCapacityAfterChurn), doubled.
  static size_t EstimateBytes(size_t universe, size_t max_entries) {
    if (ChoosesDirect(universe, max_entries)) {
      return HugePageAllocator<Slot>::AllocatedBytes(universe);
    }
    if (max_entries == 0) return 0;  // reserve(0) allocates nothing; nothing is ever set
    return HashTableBytes(HashCapacityAfterChurn(max_entries));
  }

  // Sizing rules of absl::flat_hash_map (abseil 20220623, Debian 12; SSE2 groups of 16
  // slots), for this map and other maps of 4-byte keys and values (HashTableBytes takes
  // other slot sizes): a capacity is 2^k - 1 slots, of which at most 7/8 are filled
  // (all of them below 15); the backing array holds capacity + 16 control bytes, rounded up
  // to the slot alignment, then the slots.
  static size_t HashGrowth(size_t capacity) { return capacity - capacity / 8; }
  // The capacity after reserve(entries).
  static size_t HashCapacityReserved(size_t entries) {
    if (entries == 0) return 0;
    return NextCapacity(entries + (entries - 1) / 7);
  }
  // The capacity of a map that grew by inserts (no reserve) to `entries` entries: it
  // doubles (to 2c + 1) when an insert finds no room.
  static size_t HashCapacityGrown(size_t entries) {
    if (entries == 0) return 0;
    size_t capacity = 1;
    while (HashGrowth(capacity) < entries) capacity = 2 * capacity + 1;
    return capacity;
  }
  // The capacity of a map reserved for `entries` that then sees inserts and erases with at
  // most `entries` live (a full cache): erased slots become tombstones, and once they use up
  // the free room the map rehashes in place if (entries - 1) * 32 <= capacity * 25, else
  // doubles.
  static size_t HashCapacityAfterChurn(size_t entries) {
    const size_t capacity = HashCapacityReserved(entries);
    return (entries - 1) * 32 <= capacity * 25 ? capacity : 2 * capacity + 1;
  }
  // Bytes of the backing array of `capacity` slots of `slot_size` bytes.
  static size_t HashTableBytes(size_t capacity, size_t slot_size = sizeof(BlockId) + sizeof(Slot),
                               size_t slot_align = alignof(Slot)) {
    if (capacity == 0) return 0;
    const size_t control = capacity + 1 + 15;
    return (control + slot_align - 1) / slot_align * slot_align + capacity * slot_size;
  }

  Slot Find(BlockId id) const {
    if (direct_) return array_[id];
    const auto it = map_.find(id);
    return it == map_.end() ? kNoSlot : it->second;
  }
  void Set(BlockId id, Slot value) {
    if (direct_) {
      array_[id] = value;
    } else {
      map_[id] = value;
    }
  }
  void Erase(BlockId id) {
    if (direct_) {
      array_[id] = kNoSlot;
    } else {
      map_.erase(id);
    }
  }

 private:
  // The smallest 2^k - 1 >= n (n >= 1).
  static size_t NextCapacity(size_t n) {
    size_t capacity = 1;
    while (capacity < n) capacity = 2 * capacity + 1;
    return capacity;
  }

  bool direct_;
  HugeVector<Slot> array_;                  // direct: value per id
  absl::flat_hash_map<BlockId, Slot> map_;  // otherwise
};

}  // namespace kvb

#endif  // KVB_CORE_CACHE_ID_INDEX_H_
