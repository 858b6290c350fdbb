// sglang_cache_aware: SGLang's model gateway (smg) cache-aware policy. The router's
// approximate tree of what it sent where names the nodes holding the longest prefix of the
// request; if that match covers more than cache_threshold of it, those holders not under
// count pressure (load > rel x mean and > mean + abs) are the candidates, else (a miss, or
// every holder pressured) every unpressured node; the candidate of least expected wait
// wins, exact ties uniformly at random. Expected wait = (queued uncached prompt tokens +
// tokens routed since the last load poll) / throughput + kv_pressure_weight x k / (1 - k),
// k the KV utilisation. Load: the gateway's count of requests routed and not finished.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "core/cache/id_index.h"
#include "core/routing/approx_tree.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

// Defaults: smg's CLI (cache_threshold 0.3, balance_abs_threshold 64, balance_rel_threshold
// 1.5) and least_load.rs (kv_pressure_weight 0.15 s, default_throughput 2000 tokens/s).
// max_tree_blocks: smg bounds the tree at max_tree_size 2^26 characters shared by all
// workers; at ~4 characters per token and 512-token blocks, 32768 blocks, kept per node.
constexpr ParamSpec kParams[] = {
    {"cache_threshold", 0.3, 0, 1,
     "least match rate (matched / request blocks), exclusive, to route by cache"},
    {"balance_abs_threshold", 64, 0, 1e9,
     "pressured: load above mean + this (and above rel x mean)", true},
    {"balance_rel_threshold", 1.5, 1, 1e9,
     "pressured: load above this x mean (and above mean + abs)"},
    {"max_tree_blocks", 32768, 1, 1e9,
     "block ids kept per node in the approximate tree (LRU-pruned beyond)", true},
    {"kv_pressure_weight", 0.15, 0, 1e6, "seconds weight of the KV barrier k / (1 - k)"},
    {"throughput", 2000, 1e-9, 1e12, "tokens/s turning queued tokens into expected wait"},
};

class SglangCacheAwareRouter final : public Router {
 public:
  SglangCacheAwareRouter(const Params& p, uint64_t seed)
      : cache_threshold_(p.Get("cache_threshold")),
        balance_abs_threshold_(static_cast<double>(p.GetInt("balance_abs_threshold"))),
        balance_rel_threshold_(p.Get("balance_rel_threshold")),
        max_tree_blocks_(static_cast<size_t>(p.GetInt("max_tree_blocks"))),
        kv_pressure_weight_(p.Get("kv_pressure_weight")),
        throughput_(p.Get("throughput")),
        rng_(seed) {}

  // O(nodes + request blocks + matched blocks) per decision: each node's match stops at
  // its first miss; the insertion touches each request id once (amortised O(1) each).
  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (trees_.size() != n) {
      trees_.assign(n, ApproxTree());
      since_poll_tokens_.assign(n, 0);
    }
    if (view.signals_as_of_s() != poll_s_) {  // a new load poll: its snapshot has the work
      poll_s_ = view.signals_as_of_s();
      std::fill(since_poll_tokens_.begin(), since_poll_tokens_.end(), 0);
    }
    double mean = 0;
    for (uint32_t i = 0; i < n; ++i) mean += Load(view, i);
    mean /= static_cast<double>(n);
    const std::span<const BlockId> ids = view.request().blocks;
    // The tree's deepest match and its tenants: the nodes whose trees hold that prefix.
    uint32_t best_match = 0;
    match_.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      match_[i] = trees_[i].Match(ids);
      best_match = std::max(best_match, match_[i]);
    }
    const double rate =
        ids.empty() ? 0 : static_cast<double>(best_match) / static_cast<double>(ids.size());
    candidates_.clear();
    if (rate > cache_threshold_) {
      for (uint32_t i = 0; i < n; ++i) {
        if (match_[i] == best_match && !Pressured(view, i, mean)) candidates_.push_back(i);
      }
    }
    if (candidates_.empty()) {  // a miss, or every holder pressured: spill
      for (uint32_t i = 0; i < n; ++i) {
        if (!Pressured(view, i, mean)) candidates_.push_back(i);
      }
    }
    if (candidates_.empty()) {
      for (uint32_t i = 0; i < n; ++i) candidates_.push_back(i);
    }
    const uint32_t target = LeastExpectedWait(view);
    // The gateway records the request under the chosen node on every path.
    trees_[target].Touch(ids, max_tree_blocks_);
    since_poll_tokens_[target] += view.request().input_tokens;
    return target;
  }

 private:
  // Requests routed to the node and not finished (seed mode: its last-100-requests list).
  static double Load(const ClusterView& view, uint32_t i) {
    return static_cast<double>(view.in_flight(i));
  }
  bool Pressured(const ClusterView& view, uint32_t i, double mean) const {
    const double load = Load(view, i);
    return load > mean * balance_rel_threshold_ && load > mean + balance_abs_threshold_;
  }
  // Seed mode has no token signals: the load stands for the queued work.
  double ExpectedWait(const ClusterView& view, uint32_t i) const {
    if (view.seed_mode()) return Load(view, i);
    const double k = std::clamp(view.kv_utilisation(i), 0.0, 0.999);
    const auto tokens = static_cast<double>(view.queued_prefill_tokens(i) + since_poll_tokens_[i]);
    return tokens / throughput_ + kv_pressure_weight_ * k / (1 - k);
  }
  // Argmin over candidates_, uniform among exact ties (reservoir sampling, as upstream).
  uint32_t LeastExpectedWait(const ClusterView& view) {
    uint32_t best = candidates_[0];
    double best_s = ExpectedWait(view, best);
    uint64_t tied = 1;
    for (size_t c = 1; c < candidates_.size(); ++c) {
      const double s = ExpectedWait(view, candidates_[c]);
      if (s < best_s) {
        best = candidates_[c];
        best_s = s;
        tied = 1;
      } else if (s == best_s && rng_() % ++tied == 0) {
        best = candidates_[c];
      }
    }
    return best;
  }

  double cache_threshold_;
  double balance_abs_threshold_;
  double balance_rel_threshold_;
  size_t max_tree_blocks_;
  double kv_pressure_weight_;
  double throughput_;
  std::mt19937_64 rng_;
  double poll_s_ = -1;
  std::vector<ApproxTree> trees_;
  std::vector<uint64_t> since_poll_tokens_;  // per node: prompt tokens routed since the poll
  std::vector<uint32_t> match_;
  std::vector<uint32_t> candidates_;
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
  // Per node also a since-poll tally, a match and a candidate slot.
  return nodes * (sizeof(ApproxTree) + IdIndex::HashTableBytes(capacity) + sizeof(uint64_t) +
                  2 * sizeof(uint32_t) + Pow2Ceil(per_tree) * ApproxTree::slot_bytes());
}

}  // namespace

RouterInfo SglangCacheAwareRouterInfo() {
  return {"sglang_cache_aware",
          "longest approximate-tree match above cache_threshold among unpressured holders, "
          "else any unpressured node; least expected wait among them",
          "SGLang model gateway (smg) cache_aware policy with least_load expected wait",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<SglangCacheAwareRouter>(params, seed);
          },
          SglangStateBytes,
          "smg-project/smg@04def283 model_gateway/src/policies/cache_aware.rs; "
          "least_load.rs@11b1fe08"};
}

}  // namespace kvb
