#include "core/index/sim_prefix_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <stdexcept>
#include <string>

namespace kvb {

SimPrefixIndex::SimPrefixIndex(size_t nodes, size_t shards)
    : nodes_(nodes), masked_(nodes <= kMaxMaskNodes) {
  if (nodes == 0 || nodes > kMaxPrefixIndexNodes) {
    throw std::invalid_argument("PrefixIndex: nodes must be in 1.." +
                                std::to_string(kMaxPrefixIndexNodes) + ", got " +
                                std::to_string(nodes));
  }
  if (shards != 0 && (!std::has_single_bit(shards) || shards > (size_t{1} << 16))) {
    throw std::invalid_argument("PrefixIndex: shards must be a power of two <= 65536, got " +
                                std::to_string(shards));
  }
}

size_t SimPrefixIndex::EstimateBytes(size_t nodes, size_t ids, size_t held) {
  if (nodes <= kMaxMaskNodes) return HugePageAllocator<uint64_t>::AllocatedBytes(ids);
  // An id in a set has two holders or more: at most held / 2 sets at once.
  const size_t sets = std::min(ids, held / 2);
  return HugePageAllocator<uint32_t>::AllocatedBytes(ids) +
         sets * (sizeof(HolderList) + sizeof(uint32_t));
}

void SimPrefixIndex::Reserve(size_t ids, size_t held) {
  if (masked_) {
    if (ids > masks_.size()) masks_.resize(ids, 0);
    return;
  }
  if (ids > words_.size()) words_.resize(ids, 0);
  const size_t sets = std::min(ids, held / 2);
  sets_.reserve(sets);
  free_.reserve(sets);
}

size_t SimPrefixIndex::AddToWord(NodeId node, BlockId id) {
  if (id >= words_.size()) words_.resize(std::max<size_t>(size_t{id} + 1, 2 * words_.size()), 0);
  const uint32_t word = words_[id];
  if (word == 0) {
    words_[id] = kSingle | node;
    ++ids_;
    ++entries_;
    return 1;
  }
  if ((word & kSingle) != 0) {
    const auto holder = static_cast<NodeId>(word & ~kSingle);
    if (holder == node) return 0;
    uint32_t index;
    if (free_.empty()) {
      if (sets_.size() + 1 >= kSingle) {
        throw std::length_error("PrefixIndex: more than 2^31 ids held by two nodes or more");
      }
      index = static_cast<uint32_t>(sets_.size());
      sets_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    HolderList& set = sets_[index];
    set.push_back(std::min(holder, node));
    set.push_back(std::max(holder, node));
    words_[id] = index + 1;
    ++entries_;
    return 1;
  }
  if (!prefix_index_internal::InsertHolder(sets_[word - 1], node)) return 0;
  ++entries_;
  return 1;
}

bool SimPrefixIndex::RemoveFromWord(NodeId node, BlockId id) {
  const uint32_t word = Word(id);
  if (word == 0) return false;
  if ((word & kSingle) != 0) {
    if ((word & ~kSingle) != node) return false;
    words_[id] = 0;
    --ids_;
    --entries_;
    return true;
  }
  HolderList& set = sets_[word - 1];
  if (!prefix_index_internal::EraseHolder(set, node)) return false;
  --entries_;
  if (set.size() == 1) {
    // Back to a single holder: the set returns to the pool (its heap storage freed).
    words_[id] = kSingle | set[0];
    set.clear();
    set.shrink_to_fit();
    free_.push_back(word - 1);
  }
  return true;
}

std::span<const NodeId> SimPrefixIndex::HoldersOf(BlockId id, NodeId& single) const {
  const uint32_t word = Word(id);
  if (word == 0) return {};
  if ((word & kSingle) != 0) {
    single = static_cast<NodeId>(word & ~kSingle);
    return {&single, 1};
  }
  const HolderList& set = sets_[word - 1];
  return {set.data(), set.size()};
}

HolderList SimPrefixIndex::Holders(BlockId id) const {
  HolderList holders;
  if (masked_) {
    for (uint64_t mask = Mask(id); mask != 0; mask &= mask - 1) {
      holders.push_back(static_cast<NodeId>(std::countr_zero(mask)));
    }
    return holders;
  }
  NodeId single = 0;
  const std::span<const NodeId> list = HoldersOf(id, single);
  holders.assign(list.begin(), list.end());
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
  const bool per_node = !prefix_per_node.empty();
  if (per_node) {
    CheckSpan("LongestPrefix", "prefix_per_node", prefix_per_node.size());
    std::fill(prefix_per_node.begin(), prefix_per_node.end(), 0);
  }
  if (ids.empty()) return LongestPrefixResult{};
  if (masked_) {
    // `alive`: nodes holding ids[0..k).
    uint64_t alive = Mask(ids[0]);
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
  NodeId single = 0;
  const std::span<const NodeId> first = HoldersOf(ids[0], single);
  if (first.empty()) return LongestPrefixResult{};
  LongestPrefixResult result;
  result.best_nodes.assign(first.begin(), first.end());
  // `alive`: nodes holding ids[0..k), ascending. The same walk as BasicPrefixIndex's, whose
  // lookups hold a lock (sharing the loop through a callback cost that index 12-14%).
  HolderList& alive = result.best_nodes;
  HolderList next;
  uint32_t k = 1;
  for (; k < ids.size(); ++k) {
    prefix_index_internal::IntersectHolders(alive, HoldersOf(ids[k], single), k, prefix_per_node,
                                            next);
    if (next.empty()) break;  // every alive node ends at k: they are the best
    alive.swap(next);
  }
  result.best_len = k;
  if (per_node) {
    for (NodeId a : alive) prefix_per_node[a] = k;
  }
  return result;
}

LongestPrefixResult SimPrefixIndex::LongestPrefixWith(std::span<const SimPrefixIndex* const> others,
                                                      std::span<const BlockId> ids,
                                                      std::span<uint32_t> prefix_per_node) const {
  for (const SimPrefixIndex* other : others) {
    if (other->nodes_ != nodes_) {
      throw std::invalid_argument(
          "PrefixIndex::LongestPrefixWith: the indexes' node counts differ");
    }
  }
  const bool per_node = !prefix_per_node.empty();
  if (per_node) {
    CheckSpan("LongestPrefixWith", "prefix_per_node", prefix_per_node.size());
    std::fill(prefix_per_node.begin(), prefix_per_node.end(), 0);
  }
  LongestPrefixResult result;
  if (ids.empty()) return result;
  if (masked_) {
    const auto holders = [&](BlockId id) {
      uint64_t mask = Mask(id);
      for (const SimPrefixIndex* other : others) mask |= other->Mask(id);
      return mask;
    };
    // `alive`: nodes holding each of ids[0..k) in some index.
    uint64_t alive = holders(ids[0]);
    if (alive == 0) return result;
    uint32_t k = 1;
    for (; k < ids.size(); ++k) {
      const uint64_t next = alive & holders(ids[k]);
      if (per_node) {
        for (uint64_t ended = alive & ~next; ended != 0; ended &= ended - 1) {
          prefix_per_node[std::countr_zero(ended)] = k;
        }
      }
      if (next == 0) break;
      alive = next;
    }
    result.best_len = k;
    for (; alive != 0; alive &= alive - 1) {
      const auto node = static_cast<NodeId>(std::countr_zero(alive));
      result.best_nodes.push_back(node);
      if (per_node) prefix_per_node[node] = k;
    }
    return result;
  }
  // Large clusters: a walk per node (tiered large clusters are rare).
  const auto holds = [&](BlockId id, size_t n) {
    if (Holds(id, n)) return true;
    for (const SimPrefixIndex* other : others) {
      if (other->Holds(id, n)) return true;
    }
    return false;
  };
  for (size_t n = 0; n < nodes_; ++n) {
    uint32_t k = 0;
    while (k < ids.size() && holds(ids[k], n)) ++k;
    if (per_node) prefix_per_node[n] = k;
    if (k == 0 || k < result.best_len) continue;
    if (k > result.best_len) {
      result.best_len = k;
      result.best_nodes.clear();
    }
    result.best_nodes.push_back(static_cast<NodeId>(n));
  }
  return result;
}

void SimPrefixIndex::ResidentCounts(std::span<const BlockId> ids,
                                    std::span<uint32_t> resident) const {
  CheckSpan("ResidentCounts", "resident", resident.size());
  std::fill(resident.begin(), resident.end(), 0);
  for (BlockId id : ids) {
    if (masked_) {
      for (uint64_t mask = Mask(id); mask != 0; mask &= mask - 1) {
        ++resident[std::countr_zero(mask)];
      }
    } else {
      NodeId single = 0;
      for (NodeId n : HoldersOf(id, single)) ++resident[n];
    }
  }
}

size_t SimPrefixIndex::MemoryBytes() const {
  return sizeof(SimPrefixIndex) + masks_.capacity() * sizeof(uint64_t) +
         words_.capacity() * sizeof(uint32_t) + sets_.capacity() * sizeof(HolderList) +
         free_.capacity() * sizeof(uint32_t);
}

}  // namespace kvb
