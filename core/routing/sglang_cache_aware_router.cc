// sglang_cache_aware: if the in-flight loads are imbalanced (max - min > abs threshold and
// max > rel threshold x min), the least loaded node; otherwise the node whose approximate
// tree (the router's record of what it sent there) matches the longest prefix of the
// request, if that match covers more than cache_threshold of it, else the least loaded.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/cache/id_index.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

// Defaults are SGLang's (cache_threshold 0.3, balance_abs_threshold 64, balance_rel_threshold
// 1.5). max_tree_blocks: SGLang's max_tree_size is 2^26 characters per worker; at ~4
// characters per token and kvbench's 512-token blocks that is 2^26 / 4 / 512 = 32768 blocks.
constexpr ParamSpec kParams[] = {
    {"cache_threshold", 0.3, 0, 1,
     "least match rate (matched / request blocks), exclusive, to route by cache"},
    {"balance_abs_threshold", 64, 0, 1e9, "imbalance needs max - min load above this", true},
    {"balance_rel_threshold", 1.5, 1, 1e9, "imbalance needs max load above this x min load"},
    {"max_tree_blocks", 32768, 1, 1e9,
     "block ids kept per node in the approximate tree (LRU-pruned beyond)", true},
};

// One node's approximate tree: a set of block ids (an id names its whole prefix, so the set
// is the tree) in LRU order, as an intrusive doubly linked list over a slot pool.
class ApproxTree {
 public:
  // Bytes of one id's slot in the pool (the memory estimate's unit).
  static constexpr size_t slot_bytes() { return sizeof(Slot); }

  // How many of `ids`, from the first, are in the tree.
  uint32_t Match(std::span<const BlockId> ids) const {
    uint32_t k = 0;
    while (k < ids.size() && slot_of_.contains(ids[k])) ++k;
    return k;
  }

  // Inserts or refreshes `ids`, deepest first, so that an id is always more recent than its
  // descendants and pruning removes leaves before their ancestors (like SGLang's leaf-first
  // eviction); then prunes the least recent ids down to `max_size`.
  void Touch(std::span<const BlockId> ids, size_t max_size) {
    for (size_t k = ids.size(); k-- > 0;) {
      const auto [it, inserted] = slot_of_.try_emplace(ids[k], kNil);
      if (inserted) {
        it->second = Allocate(ids[k]);
      } else {
        Unlink(it->second);
      }
      PushFront(it->second);
    }
    while (slot_of_.size() > max_size) {
      const uint32_t victim = tail_;
      Unlink(victim);
      slot_of_.erase(slots_[victim].id);
      slots_[victim].next = free_;
      free_ = victim;
    }
  }

  size_t size() const { return slot_of_.size(); }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    BlockId id = 0;
    uint32_t prev = kNil;  // towards the most recent
    uint32_t next = kNil;  // towards the least recent; free list link when free
  };

  uint32_t Allocate(BlockId id) {
    uint32_t s = free_;
    if (s != kNil) {
      free_ = slots_[s].next;
    } else {
      s = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[s] = Slot{id, kNil, kNil};
    return s;
  }
  void Unlink(uint32_t s) {
    Slot& slot = slots_[s];
    (slot.prev == kNil ? head_ : slots_[slot.prev].next) = slot.next;
    (slot.next == kNil ? tail_ : slots_[slot.next].prev) = slot.prev;
    slot.prev = slot.next = kNil;
  }
  void PushFront(uint32_t s) {
    slots_[s].prev = kNil;
    slots_[s].next = head_;
    (head_ == kNil ? tail_ : slots_[head_].prev) = s;
    head_ = s;
  }

  absl::flat_hash_map<BlockId, uint32_t> slot_of_;
  std::vector<Slot> slots_;
  uint32_t head_ = kNil;  // most recent
  uint32_t tail_ = kNil;  // least recent
  uint32_t free_ = kNil;
};

class SglangCacheAwareRouter final : public Router {
 public:
  SglangCacheAwareRouter(double cache_threshold, uint64_t balance_abs_threshold,
                         double balance_rel_threshold, size_t max_tree_blocks)
      : cache_threshold_(cache_threshold),
        balance_abs_threshold_(balance_abs_threshold),
        balance_rel_threshold_(balance_rel_threshold),
        max_tree_blocks_(max_tree_blocks) {}

  // O(nodes + request blocks + matched blocks) per decision: each node's match stops at
  // its first miss; the insertion touches each request id once (amortised O(1) each).
  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (trees_.size() != n) trees_.assign(n, ApproxTree());
    // Loads: in-flight requests (seed mode: the node's last-100-requests list).
    uint32_t least = 0;
    size_t max_load = view.queue_length(0);
    for (uint32_t i = 1; i < n; ++i) {
      if (view.queue_length(i) < view.queue_length(least)) least = i;
      max_load = std::max(max_load, view.queue_length(i));
    }
    const size_t min_load = view.queue_length(least);
    const bool imbalanced =
        max_load - min_load > balance_abs_threshold_ &&
        static_cast<double>(max_load) > balance_rel_threshold_ * static_cast<double>(min_load);
    const std::span<const BlockId> ids = view.request().blocks;
    uint32_t target = least;
    if (!imbalanced && !ids.empty()) {
      uint32_t best = 0;
      uint32_t best_match = trees_[0].Match(ids);
      for (uint32_t i = 1; i < n; ++i) {
        const uint32_t m = trees_[i].Match(ids);
        if (m > best_match || (m == best_match && view.queue_length(i) < view.queue_length(best))) {
          best = i;
          best_match = m;
        }
      }
      const double rate = static_cast<double>(best_match) / static_cast<double>(ids.size());
      if (rate > cache_threshold_) target = best;
    }
    // SGLang inserts the request into the chosen worker's tree on both paths.
    trees_[target].Touch(ids, max_tree_blocks_);
    return target;
  }

 private:
  double cache_threshold_;
  uint64_t balance_abs_threshold_;
  double balance_rel_threshold_;
  size_t max_tree_blocks_;
  std::vector<ApproxTree> trees_;
};

// One approximate tree per node holding at most max_tree_blocks ids (LRU-pruned beyond):
// each request's ids go into one tree, so all trees together hold at most the block
// references; spread evenly over the nodes. A tree's map and slot pool grow by doubling.
uint64_t SglangStateBytes(const Params& params, const PolicySizing& cell) {
  const uint64_t nodes = cell.nodes;
  const auto max_tree = static_cast<uint64_t>(params.GetInt("max_tree_blocks"));
  const uint64_t per_tree_cap = std::min(max_tree, cell.trace.distinct_blocks);
  const uint64_t total = std::min(cell.trace.block_refs, nodes * per_tree_cap);
  const uint64_t per_tree = CeilDiv(total, nodes);
  uint64_t capacity = IdIndex::HashCapacityGrown(per_tree);
  if (per_tree >= max_tree && per_tree > 0 && (per_tree - 1) * 32 > capacity * 25) {
    capacity = 2 * capacity + 1;  // pruning erases: tombstones make it double once
  }
  return nodes * (sizeof(ApproxTree) + IdIndex::HashTableBytes(capacity) +
                  Pow2Ceil(per_tree) * ApproxTree::slot_bytes());
}

}  // namespace

RouterInfo SglangCacheAwareRouterInfo() {
  return {"sglang_cache_aware",
          "least in-flight load when imbalanced, else the longest approximate-tree match above "
          "cache_threshold, else the least loaded",
          "SGLang router (sgl-router), cache-aware load-balancing policy",
          kParams,
          [](const Params& params, uint64_t) {
            return std::make_unique<SglangCacheAwareRouter>(
                params.Get("cache_threshold"),
                static_cast<uint64_t>(params.GetInt("balance_abs_threshold")),
                params.Get("balance_rel_threshold"),
                static_cast<size_t>(params.GetInt("max_tree_blocks")));
          },
          SglangStateBytes};
}

}  // namespace kvb
