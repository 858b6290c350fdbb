// aibrix_prefix_cache: AIBrix's prefix-cache routing. Loads are the nodes' running
// requests (the gateway's count). If the busiest node has at least min_gap more than the
// idlest (and, when imbalance_factor > 0, more than imbalance_factor x (mean + 1)), only
// the idlest nodes may match.
// Among the nodes whose routed-prefix index matches the request's first block or more,
// ordered by match percent (descending), then load (ascending), then at random, the first
// whose load is within mean + stddev_factor x the standard deviation takes it; otherwise
// (or without a match) the least loaded node. The request's blocks are then indexed
// under the chosen node.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/cache/id_index.h"
#include "core/routing/approx_tree.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

// Defaults: prefix_cache.go at vllm-project/aibrix@e3e10f9e (getTargetPodListOnLoadImbalance:
// max - min > AIBRIX_PREFIX_CACHE_POD_RUNNING_REQUEST_IMBALANCE_ABS_COUNT 8, i.e. >= 9;
// _STANDARD_DEVIATION_FACTOR 1; the factor gate of 01de8a51 is imbalance_factor=2,min_gap=8)
// and prefixcacheindexer/hash.go (an LRU of 200,000 blocks
// of 4 characters shared by all pods: 800,000 characters, ~200,000 tokens at 4 characters
// per token, 390 blocks of 512 tokens; kvbench splits it evenly over the nodes).
constexpr ParamSpec kParams[] = {
    {"min_gap", 9, 0, 1e9, "gate when max - min load >= this (upstream main: > 8)", true},
    {"imbalance_factor", 0, 0, 1e9, "> 0: gate only if also max load > this x (mean + 1)"},
    {"stddev_factor", 1, 0, 1e9, "a matched node's load must be <= mean + this x stddev"},
    {"index_blocks", 390, 1, 1e9, "blocks the routed-prefix index keeps (all nodes)", true},
};

class AibrixPrefixCacheRouter final : public Router {
 public:
  AibrixPrefixCacheRouter(const Params& p, uint64_t seed)
      : imbalance_factor_(p.Get("imbalance_factor")),
        min_gap_(static_cast<double>(p.GetInt("min_gap"))),
        stddev_factor_(p.Get("stddev_factor")),
        index_blocks_(static_cast<size_t>(p.GetInt("index_blocks"))),
        rng_(seed) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (index_.size() != n) index_.assign(n, ApproxTree());
    double sum = 0, sum_sq = 0, lo = INFINITY, hi = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const double c = view.in_flight(i);
      sum += c;
      sum_sq += c * c;
      lo = std::min(lo, c);
      hi = std::max(hi, c);
    }
    const double mean = sum / static_cast<double>(n);
    const double stddev = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean));
    const bool gated =
        hi - lo >= min_gap_ && (imbalance_factor_ <= 0 || hi > imbalance_factor_ * (mean + 1));
    const auto ids = view.request().blocks;
    matched_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (gated && view.in_flight(i) != lo) continue;
      const uint32_t m = index_[i].Match(ids);
      // Match percent as upstream: integer (blocks x 100 / request blocks).
      if (m > 0) matched_.push_back({i, static_cast<uint32_t>(uint64_t{m} * 100 / ids.size()), 0});
    }
    // A random order, then a stable sort: equals stay in random order.
    for (Candidate& c : matched_) c.draw = rng_();
    std::sort(matched_.begin(), matched_.end(), [&](const Candidate& a, const Candidate& b) {
      if (a.percent != b.percent) return a.percent > b.percent;
      if (view.in_flight(a.node) != view.in_flight(b.node)) {
        return view.in_flight(a.node) < view.in_flight(b.node);
      }
      return a.draw < b.draw;
    });
    uint32_t chosen = UINT32_MAX;
    for (const Candidate& c : matched_) {
      if (view.in_flight(c.node) <= mean + stddev_factor_ * stddev) {
        chosen = c.node;
        break;
      }
    }
    if (chosen == UINT32_MAX) chosen = LeastRequests(view, lo);
    index_[chosen].Touch(ids, std::max<size_t>(1, index_blocks_ / n));
    return chosen;
  }

 private:
  struct Candidate {
    uint32_t node;
    uint32_t percent;
    uint64_t draw;
  };

  // Uniformly among the nodes of least load (our reading of least-request selection).
  uint32_t LeastRequests(const ClusterView& view, double lo) {
    tied_.clear();
    for (uint32_t i = 0; i < view.nodes(); ++i) {
      if (view.in_flight(i) == lo) tied_.push_back(i);
    }
    return tied_[rng_() % tied_.size()];
  }

  double imbalance_factor_;
  double min_gap_;
  double stddev_factor_;
  size_t index_blocks_;
  std::mt19937_64 rng_;
  std::vector<ApproxTree> index_;  // per node: its share of the routed-prefix LRU
  std::vector<Candidate> matched_;
  std::vector<uint32_t> tied_;
};

// Per node an index of at most index_blocks / nodes ids (and the trace's distinct ids), a
// candidate and a tie slot.
uint64_t AibrixStateBytes(const Params& params, const PolicySizing& cell) {
  const uint64_t share = std::max<uint64_t>(
      1, static_cast<uint64_t>(params.GetInt("index_blocks")) / std::max<uint64_t>(1, cell.nodes));
  const uint64_t per_node = std::min<uint64_t>(share, cell.trace.distinct_blocks);
  const uint64_t capacity = 2 * IdIndex::HashCapacityGrown(per_node) + 1;  // pruning tombstones
  return cell.nodes * (sizeof(ApproxTree) + IdIndex::HashTableBytes(capacity) +
                       Pow2Ceil(per_node) * ApproxTree::slot_bytes() + 16 + sizeof(uint32_t));
}

}  // namespace

RouterInfo AibrixPrefixCacheRouterInfo() {
  return {"aibrix_prefix_cache",
          "imbalance gate, then the best routed-prefix match whose load is within mean + "
          "stddev, else the least loaded",
          "AIBrix gateway prefix-cache routing algorithm",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<AibrixPrefixCacheRouter>(params, seed);
          },
          AibrixStateBytes,
          "vllm-project/aibrix@e3e10f9e pkg/plugins/gateway/algorithms/prefix_cache.go; "
          "pkg/utils/prefixcacheindexer/hash.go@0871c212"};
}

}  // namespace kvb
