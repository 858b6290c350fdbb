#ifndef KVB_CORE_INDEX_BITSET_HOLDER_INDEX_H_
#define KVB_CORE_INDEX_BITSET_HOLDER_INDEX_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/trace/trace.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

// Test reference for PrefixIndex: which nodes hold each block as one bitset of `nodes` bits
// per interned id, written independently of PrefixIndex (masks instead of holder lists).
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

inline HolderIndex::HolderIndex(size_t universe, size_t nodes)
    : nodes_(nodes), words_per_id_((nodes + 63) / 64), words_(universe * words_per_id_, 0) {}

inline uint32_t HolderIndex::Count(BlockId id) const {
  uint32_t count = 0;
  for (size_t w = 0; w < words_per_id_; ++w) {
    count += std::popcount(words_[size_t{id} * words_per_id_ + w]);
  }
  return count;
}

inline void HolderIndex::LongestPrefixes(std::span<const BlockId> blocks,
                                         std::span<uint32_t> prefix) const {
  std::fill(prefix.begin(), prefix.end(), 0);
  for (size_t w = 0; w < words_per_id_; ++w) {
    // Nodes of this word still matching after k blocks.
    const size_t first_node = w * 64;
    const size_t node_count = std::min<size_t>(64, nodes_ - first_node);
    uint64_t alive = node_count == 64 ? ~uint64_t{0} : (uint64_t{1} << node_count) - 1;
    uint32_t k = 0;
    for (; k < blocks.size() && alive != 0; ++k) {
      const uint64_t holders = words_[size_t{blocks[k]} * words_per_id_ + w];
      uint64_t dropped = alive & ~holders;
      while (dropped != 0) {
        prefix[first_node + std::countr_zero(dropped)] = k;
        dropped &= dropped - 1;
      }
      alive &= holders;
    }
    while (alive != 0) {
      prefix[first_node + std::countr_zero(alive)] = k;
      alive &= alive - 1;
    }
  }
}

inline void HolderIndex::ResidentCounts(std::span<const BlockId> blocks,
                                        std::span<uint32_t> resident) const {
  std::fill(resident.begin(), resident.end(), 0);
  for (BlockId id : blocks) {
    for (size_t w = 0; w < words_per_id_; ++w) {
      uint64_t holders = words_[size_t{id} * words_per_id_ + w];
      while (holders != 0) {
        ++resident[w * 64 + std::countr_zero(holders)];
        holders &= holders - 1;
      }
    }
  }
}

}  // namespace kvb

#endif  // KVB_CORE_INDEX_BITSET_HOLDER_INDEX_H_
