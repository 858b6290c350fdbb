#ifndef KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_
#define KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_

// SimPrefixIndex: the simulation's index of which nodes hold which interned block id,
// with BasicPrefixIndex's interface and results. Single-threaded use: const methods may
// run concurrently with each other, never with a writer.
//
// Clusters of up to 64 nodes keep one 64-bit mask of holders per id (8 B per id): adding,
// removing and testing a holder are one bit operation, and LongestPrefix is an AND per
// id. Larger clusters keep a 32-bit word per id naming its holder when it has one, or
// else a holder set (HolderList, ascending) in a pool: 4 B per id, plus 28 B per id held
// by two nodes or more.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/index/prefix_index.h"
#include "core/trace/trace.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

class SimPrefixIndex {
 public:
  using KeyType = BlockId;
  // Clusters of at most this many nodes use holder masks.
  static constexpr size_t kMaxMaskNodes = 64;

  // `nodes` in 1..1024; `shards` a power of two <= 65536, ignored (always one shard).
  // Throws std::invalid_argument.
  explicit SimPrefixIndex(size_t nodes, size_t shards = 0);
  SimPrefixIndex(const SimPrefixIndex&) = delete;
  SimPrefixIndex& operator=(const SimPrefixIndex&) = delete;

  // Heap bytes of a SimPrefixIndex(nodes) after Reserve(ids, held), sets of more than
  // kInlineHolders holders (which move to the heap) aside.
  static size_t EstimateBytes(size_t nodes, size_t ids, size_t held);

  // Capacity hint for ids 0..ids-1, of which at most `held` (id, node) pairs are held at
  // once; changes no result, only time and memory.
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
  // LongestPrefix over tiers of the same nodes: a node matches ids[k] if it holds it here or
  // in one of `others` (each of the same node count, else std::invalid_argument).
  LongestPrefixResult LongestPrefixWith(std::span<const SimPrefixIndex* const> others,
                                        std::span<const BlockId> ids,
                                        std::span<uint32_t> prefix_per_node = {}) const;
  LongestPrefixResult LongestPrefixWith(const SimPrefixIndex& other, std::span<const BlockId> ids,
                                        std::span<uint32_t> prefix_per_node = {}) const {
    const SimPrefixIndex* const one[] = {&other};
    return LongestPrefixWith(one, ids, prefix_per_node);
  }
  void ResidentCounts(std::span<const BlockId> ids, std::span<uint32_t> resident) const;

  size_t size() const { return ids_; }
  size_t holder_entries() const { return entries_; }
  // Heap bytes of the entries, sets on the heap aside.
  size_t MemoryBytes() const;

  size_t nodes() const { return nodes_; }
  size_t shards() const { return 1; }
  // Whether this index keeps holder masks (nodes() <= kMaxMaskNodes).
  bool masked() const { return masked_; }

 private:
  // A word: 0 = no holder; kSingle | node = that one holder; otherwise 1 + the index in
  // sets_ of its holder set (two or more holders).
  static constexpr uint32_t kSingle = uint32_t{1} << 31;

  uint64_t Mask(BlockId id) const { return id < masks_.size() ? masks_[id] : 0; }
  uint32_t Word(BlockId id) const { return id < words_.size() ? words_[id] : 0; }
  // The holders of `id` (ascending); a single holder is written to `single`.
  std::span<const NodeId> HoldersOf(BlockId id, NodeId& single) const;
  uint64_t CheckedBit(size_t node) const;
  NodeId CheckedNode(size_t node) const;
  void CheckSpan(const char* method, const char* what, size_t size) const;
  size_t AddToWord(NodeId node, BlockId id);
  bool RemoveFromWord(NodeId node, BlockId id);

  size_t nodes_;
  bool masked_;
  size_t ids_ = 0;                // ids with a holder
  size_t entries_ = 0;            // (id, node) pairs held
  HugeVector<uint64_t> masks_;    // masked_: per id, bit n set iff node n holds it
  HugeVector<uint32_t> words_;    // !masked_: per id, a word (above)
  std::vector<HolderList> sets_;  // !masked_: sets in use, and cleared ones listed in free_
  std::vector<uint32_t> free_;    // !masked_: indexes of cleared sets
};

// ---------------------------------------------------------------------------------------
// Implementation of the hot methods.

inline uint64_t SimPrefixIndex::CheckedBit(size_t node) const {
  return uint64_t{1} << CheckedNode(node);
}

inline NodeId SimPrefixIndex::CheckedNode(size_t node) const {
  if (node >= nodes_) {
    throw std::out_of_range("PrefixIndex: node " + std::to_string(node) + " >= nodes " +
                            std::to_string(nodes_));
  }
  return static_cast<NodeId>(node);
}

inline size_t SimPrefixIndex::Add(size_t node, BlockId id) {
  if (!masked_) return AddToWord(CheckedNode(node), id);
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
  size_t added = 0;
  for (BlockId id : ids) added += Add(node, id);
  return added;
}

inline bool SimPrefixIndex::Remove(size_t node, BlockId id) {
  if (!masked_) return RemoveFromWord(CheckedNode(node), id);
  const uint64_t bit = CheckedBit(node);
  if ((Mask(id) & bit) == 0) return false;
  uint64_t& mask = masks_[id];
  mask &= ~bit;
  --entries_;
  ids_ -= mask == 0;
  return true;
}

inline bool SimPrefixIndex::Holds(BlockId id, size_t node) const {
  if (masked_) return (Mask(id) & CheckedBit(node)) != 0;
  const NodeId n = CheckedNode(node);
  const uint32_t word = Word(id);
  if (word == 0) return false;
  if ((word & kSingle) != 0) return (word & ~kSingle) == n;
  return prefix_index_internal::ContainsHolder(sets_[word - 1], n);
}

inline uint32_t SimPrefixIndex::HolderCount(BlockId id) const {
  if (masked_) return static_cast<uint32_t>(std::popcount(Mask(id)));
  const uint32_t word = Word(id);
  if (word == 0) return 0;
  if ((word & kSingle) != 0) return 1;
  return static_cast<uint32_t>(sets_[word - 1].size());
}

inline bool SimPrefixIndex::Held(BlockId id) const {
  return masked_ ? Mask(id) != 0 : Word(id) != 0;
}

}  // namespace kvb

#endif  // KVB_CORE_INDEX_SIM_PREFIX_INDEX_H_
