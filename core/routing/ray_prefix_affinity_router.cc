// ray_prefix_affinity: Ray Serve's PrefixCacheAffinityRouter. If the nodes' queues differ
// by more than imbalanced_threshold, power of two choices. Else the router's prefix tree of
// the prompts it routed gives the match rate of the deepest matched prefix; at or above
// match_rate_threshold its tenants (the nodes holding it) are the candidates, below it the
// nodes whose trees are smallest; the candidate with the shortest queue takes the request
// (uniformly among equals), and its prompt is inserted under it.

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

// Defaults: initialize_state (imbalanced_threshold inf: 1e9 here, never reached;
// match_rate_threshold 0.1; eviction off).
constexpr ParamSpec kParams[] = {
    {"imbalanced_threshold", 1e9, 0, 1e9, "power of two when max - min queue exceeds this"},
    {"match_rate_threshold", 0.1, 0, 1, "least match rate to route by the tree"},
};

// The tree is never pruned (upstream's eviction is off by default).
constexpr size_t kNoEviction = SIZE_MAX;

class RayPrefixAffinityRouter final : public Router {
 public:
  RayPrefixAffinityRouter(const Params& p, uint64_t seed)
      : imbalanced_threshold_(p.Get("imbalanced_threshold")),
        match_rate_threshold_(p.Get("match_rate_threshold")),
        rng_(seed) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (trees_.size() != n) trees_.assign(n, ApproxTree());
    uint32_t lo = view.in_flight(0), hi = lo;
    for (uint32_t i = 1; i < n; ++i) {
      lo = std::min(lo, view.in_flight(i));
      hi = std::max(hi, view.in_flight(i));
    }
    const auto ids = view.request().blocks;
    uint32_t chosen;
    if (static_cast<double>(hi - lo) > imbalanced_threshold_ || ids.empty()) {
      chosen = PowerOfTwo(view);
    } else {
      uint32_t best = 0;
      match_.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        match_[i] = trees_[i].Match(ids);
        best = std::max(best, match_[i]);
      }
      candidates_.clear();
      if (static_cast<double>(best) / static_cast<double>(ids.size()) >= match_rate_threshold_) {
        for (uint32_t i = 0; i < n; ++i) {
          if (match_[i] == best) candidates_.push_back(i);
        }
      } else {  // the smallest tenants
        size_t smallest = SIZE_MAX;
        for (uint32_t i = 0; i < n; ++i) smallest = std::min(smallest, trees_[i].size());
        for (uint32_t i = 0; i < n; ++i) {
          if (trees_[i].size() == smallest) candidates_.push_back(i);
        }
      }
      chosen = ShortestQueue(view);
    }
    trees_[chosen].Touch(ids, kNoEviction);
    return chosen;
  }

 private:
  // Uniformly among the candidates of fewest requests in flight.
  uint32_t ShortestQueue(const ClusterView& view) {
    uint32_t best = candidates_[0];
    uint64_t tied = 1;
    for (size_t c = 1; c < candidates_.size(); ++c) {
      const uint32_t i = candidates_[c];
      if (view.in_flight(i) < view.in_flight(best)) {
        best = i;
        tied = 1;
      } else if (view.in_flight(i) == view.in_flight(best) && rng_() % ++tied == 0) {
        best = i;
      }
    }
    return best;
  }
  // Two distinct nodes at random, the shorter queue (the first drawn on equals).
  uint32_t PowerOfTwo(const ClusterView& view) {
    const size_t n = view.nodes();
    if (n == 1) return 0;
    const auto a = static_cast<uint32_t>(rng_() % n);
    auto b = static_cast<uint32_t>(rng_() % (n - 1));
    if (b >= a) ++b;
    return view.in_flight(b) < view.in_flight(a) ? b : a;
  }

  double imbalanced_threshold_;
  double match_rate_threshold_;
  std::mt19937_64 rng_;
  std::vector<ApproxTree> trees_;  // per node: the prompts routed there
  std::vector<uint32_t> match_;
  std::vector<uint32_t> candidates_;
};

// Per node a tree: together at most the trace's block references, spread evenly; a match
// and a candidate slot per node.
uint64_t RayStateBytes(const Params&, const PolicySizing& cell) {
  const uint64_t per_tree =
      CeilDiv(std::min(cell.trace.block_refs, cell.nodes * cell.trace.distinct_blocks), cell.nodes);
  return cell.nodes * (sizeof(ApproxTree) + 2 * sizeof(uint32_t) +
                       IdIndex::HashTableBytes(IdIndex::HashCapacityGrown(per_tree)) +
                       Pow2Ceil(per_tree) * ApproxTree::slot_bytes());
}

}  // namespace

RouterInfo RayPrefixAffinityRouterInfo() {
  return {"ray_prefix_affinity",
          "power of two when imbalanced; else the tree's matching tenants (or the smallest "
          "trees below a 10% match), shortest queue among them",
          "Ray Serve LLM PrefixCacheAffinityRouter",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<RayPrefixAffinityRouter>(params, seed);
          },
          RayStateBytes,
          "ray-project/ray@06c16f2f python/ray/llm/_internal/serve/routing_policies/"
          "prefix_aware/prefix_aware_router.py"};
}

}  // namespace kvb
