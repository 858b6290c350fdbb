#include "core/cluster/holder_index.h"

#include <algorithm>

namespace kvb {

HolderIndex::HolderIndex(size_t universe, size_t nodes)
    : nodes_(nodes), words_per_id_((nodes + 63) / 64), words_(universe * words_per_id_, 0) {}

uint32_t HolderIndex::Count(BlockId id) const {
  uint32_t count = 0;
  for (size_t w = 0; w < words_per_id_; ++w) {
    count += std::popcount(words_[size_t{id} * words_per_id_ + w]);
  }
  return count;
}

void HolderIndex::LongestPrefixes(std::span<const BlockId> blocks,
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

void HolderIndex::ResidentCounts(std::span<const BlockId> blocks,
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
