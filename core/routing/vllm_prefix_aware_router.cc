// vllm_prefixaware: the vLLM production stack's prefixaware routing. The router's trie of
// what it sent where (no eviction) gives the nodes sharing the longest prefix with the
// request (every node when none does); one of them uniformly at random takes it, and the
// request is recorded under it. No load signal at all.

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

// The trie never evicts upstream ("we assume that there is no eviction of prefix cache").
constexpr size_t kNoEviction = SIZE_MAX;

class VllmPrefixAwareRouter final : public Router {
 public:
  explicit VllmPrefixAwareRouter(uint64_t seed) : rng_(seed) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (trees_.size() != n) trees_.assign(n, ApproxTree());
    const auto ids = view.request().blocks;
    uint32_t best = 0;
    matched_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t m = trees_[i].Match(ids);
      if (m > best) {
        best = m;
        matched_.clear();
      }
      if (m == best) matched_.push_back(i);
    }
    const uint32_t chosen = matched_[rng_() % matched_.size()];
    trees_[chosen].Touch(ids, kNoEviction);
    return chosen;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<ApproxTree> trees_;  // per node: the prefixes routed there
  std::vector<uint32_t> matched_;
};

// Per node a tree: together at most the trace's block references (each request's ids go
// into one tree), spread evenly; a tie slot per node.
uint64_t VllmPrefixAwareStateBytes(const Params&, const PolicySizing& cell) {
  const uint64_t per_tree =
      CeilDiv(std::min(cell.trace.block_refs, cell.nodes * cell.trace.distinct_blocks), cell.nodes);
  return cell.nodes * (sizeof(ApproxTree) + sizeof(uint32_t) +
                       IdIndex::HashTableBytes(IdIndex::HashCapacityGrown(per_tree)) +
                       Pow2Ceil(per_tree) * ApproxTree::slot_bytes());
}

}  // namespace

RouterInfo VllmPrefixAwareRouterInfo() {
  return {
      "vllm_prefixaware",
      "uniformly among the nodes sharing the longest routed prefix (all if none); no load",
      "vLLM production stack router, prefixaware routing logic",
      {},
      [](const Params&, uint64_t seed) { return std::make_unique<VllmPrefixAwareRouter>(seed); },
      VllmPrefixAwareStateBytes,
      "vllm-project/production-stack@008a23bd src/vllm_router/routers/routing_logic.py; "
      "prefix/hashtrie.py@35e4ad37"};
}

}  // namespace kvb
