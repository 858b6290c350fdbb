#include "core/index/sim_prefix_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <stdexcept>
#include <string>

namespace kvb {

SimPrefixIndex::SimPrefixIndex(size_t nodes, size_t shards)
    : nodes_(nodes), masked_(nodes <= kMaxMaskNodes), sets_(nodes, shards) {}

size_t SimPrefixIndex::EstimateBytes(size_t nodes, size_t ids, size_t held) {
  if (nodes <= kMaxMaskNodes) return HugePageAllocator<uint64_t>::AllocatedBytes(ids);
  return prefix_index_internal::DenseHolderStorage::EstimateBytes(ids, std::min(held, ids));
}

void SimPrefixIndex::Reserve(size_t ids, size_t held) {
  if (!masked_) {
    sets_.Reserve(ids, held);
  } else if (ids > masks_.size()) {
    masks_.resize(ids, 0);
  }
}

HolderList SimPrefixIndex::Holders(BlockId id) const {
  if (!masked_) return sets_.Holders(id);
  HolderList holders;
  for (uint64_t mask = Mask(id); mask != 0; mask &= mask - 1) {
    holders.push_back(static_cast<NodeId>(std::countr_zero(mask)));
  }
  return holders;
}

void SimPrefixIndex::CheckSpan(const char* method, const char* what, size_t size) const {
  if (size != nodes_) {
    throw std::invalid_argument(std::string("PrefixIndex::") + method + ": " + what + " has " +
                                std::to_string(size) + " entries, nodes " + std::to_string(nodes_));
  }
}

LongestPrefixResult SimPrefixIndex::LongestPrefix(std::span<const BlockId> ids,
                                                  std::span<uint32_t> prefix_per_node) const {
  if (!masked_) return sets_.LongestPrefix(ids, prefix_per_node);
  const bool per_node = !prefix_per_node.empty();
  if (per_node) {
    CheckSpan("LongestPrefix", "prefix_per_node", prefix_per_node.size());
    std::fill(prefix_per_node.begin(), prefix_per_node.end(), 0);
  }
  // `alive`: nodes holding ids[0..k).
  uint64_t alive = ids.empty() ? 0 : Mask(ids[0]);
  if (alive == 0) return LongestPrefixResult{};
  uint32_t k = 1;
  for (; k < ids.size(); ++k) {
    const uint64_t next = alive & Mask(ids[k]);
    if (per_node) {
      for (uint64_t ended = alive & ~next; ended != 0; ended &= ended - 1) {
        prefix_per_node[std::countr_zero(ended)] = k;
      }
    }
    if (next == 0) break;  // every alive node ends at k: they are the best
    alive = next;
  }
  LongestPrefixResult result;
  result.best_len = k;
  std::array<NodeId, kMaxMaskNodes> best;
  size_t count = 0;
  for (; alive != 0; alive &= alive - 1) {
    const auto node = static_cast<NodeId>(std::countr_zero(alive));
    best[count++] = node;
    if (per_node) prefix_per_node[node] = k;
  }
  result.best_nodes.assign(best.begin(), best.begin() + count);
  return result;
}

void SimPrefixIndex::ResidentCounts(std::span<const BlockId> ids,
                                    std::span<uint32_t> resident) const {
  if (!masked_) return sets_.ResidentCounts(ids, resident);
  CheckSpan("ResidentCounts", "resident", resident.size());
  std::fill(resident.begin(), resident.end(), 0);
  for (BlockId id : ids) {
    for (uint64_t mask = Mask(id); mask != 0; mask &= mask - 1) ++resident[std::countr_zero(mask)];
  }
}

size_t SimPrefixIndex::MemoryBytes() const {
  return sizeof(SimPrefixIndex) + masks_.capacity() * sizeof(uint64_t) + sets_.MemoryBytes();
}

}  // namespace kvb
