#ifndef KVB_CORE_CLUSTER_HOLDER_INDEX_H_
#define KVB_CORE_CLUSTER_HOLDER_INDEX_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/trace/trace.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

// Which nodes hold each block: one bitset of `nodes` bits per interned id. Single-threaded
// (the simulation's view); answers "longest resident prefix on every node" in one pass.
class HolderIndex {
 public:
  HolderIndex(size_t universe, size_t nodes);

  void Add(BlockId id, size_t node) { word(id, node) |= Bit(node); }
  void Remove(BlockId id, size_t node) { word(id, node) &= ~Bit(node); }
  bool Holds(BlockId id, size_t node) const { return (words_[Index(id, node)] & Bit(node)) != 0; }
  // Number of nodes holding `id`.
  uint32_t Count(BlockId id) const;

  // prefix[n] = how many leading blocks of `blocks` node n holds without a gap.
  void LongestPrefixes(std::span<const BlockId> blocks, std::span<uint32_t> prefix) const;
  // resident[n] = how many of `blocks` node n holds, counted per block.
  void ResidentCounts(std::span<const BlockId> blocks, std::span<uint32_t> resident) const;

  size_t nodes() const { return nodes_; }

 private:
  static uint64_t Bit(size_t node) { return uint64_t{1} << (node % 64); }
  size_t Index(BlockId id, size_t node) const { return size_t{id} * words_per_id_ + node / 64; }
  uint64_t& word(BlockId id, size_t node) { return words_[Index(id, node)]; }

  size_t nodes_;
  size_t words_per_id_;
  HugeVector<uint64_t> words_;
};

}  // namespace kvb

#endif  // KVB_CORE_CLUSTER_HOLDER_INDEX_H_
