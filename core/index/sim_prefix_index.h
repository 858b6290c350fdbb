#ifndef KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_
#define KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_

// SimPrefixIndex: the simulation's index of which nodes hold which interned block id,
// with BasicPrefixIndex's interface and results. Single-threaded use: const methods may
// run concurrently with each other, never with a writer.
//
// Clusters of up to 64 nodes keep one 64-bit mask of holders per id (8 B per id): adding,
// removing and testing a holder are one bit operation, and LongestPrefix is an AND per
// id. Larger clusters keep DenseSetPrefixIndex's holder sets (core/index/prefix_index.h).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/index/prefix_index.h"
#include "core/trace/trace.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

class SimPrefixIndex {
 public:
  using KeyType = BlockId;
  // Clusters of at most this many nodes use holder masks.
  static constexpr size_t kMaxMaskNodes = 64;

  // `nodes` in 1..1024; `shards` as BasicPrefixIndex's (a power of two), always one shard.
  // Throws std::invalid_argument.
  explicit SimPrefixIndex(size_t nodes, size_t shards = 0);
  SimPrefixIndex(const SimPrefixIndex&) = delete;
  SimPrefixIndex& operator=(const SimPrefixIndex&) = delete;

  // Heap bytes of a SimPrefixIndex(nodes) after Reserve(ids, held), holder sets of more
  // than kInlineHolders nodes aside (nodes > 64 only).
  static size_t EstimateBytes(size_t nodes, size_t ids, size_t held);

  // Capacity hint for ids 0..ids-1, of which at most `held` have holders at once; changes
  // no result, only time and memory.
  void Reserve(size_t ids, size_t held = SIZE_MAX);

  // BasicPrefixIndex's contracts (core/index/prefix_index.h).
  size_t Add(size_t node, std::span<const BlockId> ids);
  size_t Add(size_t node, BlockId id);
  bool Remove(size_t node, BlockId id);
  HolderList Holders(BlockId id) const;
  bool Holds(BlockId id, size_t node) const;
  uint32_t HolderCount(BlockId id) const;
  // Whether any node holds `id`.
  bool Held(BlockId id) const;
  LongestPrefixResult LongestPrefix(std::span<const BlockId> ids,
                                    std::span<uint32_t> prefix_per_node = {}) const;
  void ResidentCounts(std::span<const BlockId> ids, std::span<uint32_t> resident) const;

  size_t size() const { return masked_ ? ids_ : sets_.size(); }
  size_t holder_entries() const { return masked_ ? entries_ : sets_.holder_entries(); }
  // Approximate heap bytes of the entries.
  size_t MemoryBytes() const;

  size_t nodes() const { return nodes_; }
  size_t shards() const { return 1; }
  // Whether this index keeps holder masks (nodes() <= kMaxMaskNodes).
  bool masked() const { return masked_; }

 private:
  uint64_t Mask(BlockId id) const { return id < masks_.size() ? masks_[id] : 0; }
  uint64_t CheckedBit(size_t node) const;
  void CheckSpan(const char* method, const char* what, size_t size) const;

  size_t nodes_;
  bool masked_;
  HugeVector<uint64_t> masks_;  // masked_: per id, bit n set iff node n holds it
  size_t ids_ = 0;              // masked_: ids with a non-zero mask
  size_t entries_ = 0;          // masked_: bits set over all masks
  DenseSetPrefixIndex sets_;    // !masked_: the holder sets
};

// ---------------------------------------------------------------------------------------
// Implementation of the hot methods.

inline uint64_t SimPrefixIndex::CheckedBit(size_t node) const {
  if (node >= nodes_) {
    throw std::out_of_range("PrefixIndex: node " + std::to_string(node) + " >= nodes " +
                            std::to_string(nodes_));
  }
  return uint64_t{1} << node;
}

inline size_t SimPrefixIndex::Add(size_t node, BlockId id) {
  if (!masked_) return sets_.Add(node, id);
  const uint64_t bit = CheckedBit(node);
  if (id >= masks_.size()) masks_.resize(std::max<size_t>(size_t{id} + 1, 2 * masks_.size()), 0);
  uint64_t& mask = masks_[id];
  if ((mask & bit) != 0) return 0;
  ids_ += mask == 0;
  ++entries_;
  mask |= bit;
  return 1;
}

inline size_t SimPrefixIndex::Add(size_t node, std::span<const BlockId> ids) {
  if (!masked_) return sets_.Add(node, ids);
  size_t added = 0;
  for (BlockId id : ids) added += Add(node, id);
  return added;
}

inline bool SimPrefixIndex::Remove(size_t node, BlockId id) {
  if (!masked_) return sets_.Remove(node, id);
  const uint64_t bit = CheckedBit(node);
  if ((Mask(id) & bit) == 0) return false;
  uint64_t& mask = masks_[id];
  mask &= ~bit;
  --entries_;
  ids_ -= mask == 0;
  return true;
}

inline bool SimPrefixIndex::Holds(BlockId id, size_t node) const {
  if (!masked_) return sets_.Holds(id, node);
  return (Mask(id) & CheckedBit(node)) != 0;
}

inline uint32_t SimPrefixIndex::HolderCount(BlockId id) const {
  if (!masked_) return sets_.HolderCount(id);
  return static_cast<uint32_t>(std::popcount(Mask(id)));
}

inline bool SimPrefixIndex::Held(BlockId id) const {
  if (!masked_) return sets_.HolderCount(id) != 0;
  return Mask(id) != 0;
}

}  // namespace kvb

#endif  // KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_
