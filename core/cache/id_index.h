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
// A direct array when affordable (universe * 4 bytes <= 64 MiB, or universe <= 16 *
// max_entries), otherwise a hash map whose size follows the entries, not the universe.
class IdIndex {
 public:
  static constexpr size_t kMaxDirectBytes = size_t{64} << 20;

  // Whether an index for these sizes uses the direct array.
  static bool ChoosesDirect(size_t universe, size_t max_entries) {
    return max_entries > 0 &&
           (universe * sizeof(Slot) <= kMaxDirectBytes || universe <= 16 * max_entries);
  }

  IdIndex(size_t universe, size_t max_entries) : direct_(ChoosesDirect(universe, max_entries)) {
    if (direct_) {
      array_.assign(universe, kNoSlot);
    } else {
      map_.reserve(max_entries);
    }
  }

  bool direct() const { return direct_; }

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
  bool direct_;
  HugeVector<Slot> array_;                  // direct: value per id
  absl::flat_hash_map<BlockId, Slot> map_;  // otherwise
};

}  // namespace kvb

#endif  // KVB_CORE_CACHE_ID_INDEX_H_
