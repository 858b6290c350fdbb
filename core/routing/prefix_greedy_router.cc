// prefix_greedy: the node holding the longest prefix of the request; ties go to the node
// predicted to be free soonest, then to the lowest index. A simple cache-aware baseline.

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

class PrefixGreedyRouter final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    uint32_t best = 0;
    for (uint32_t n = 1; n < view.nodes(); ++n) {
      if (view.prefix_blocks(n) > view.prefix_blocks(best) ||
          (view.prefix_blocks(n) == view.prefix_blocks(best) &&
           (view.queued_work_s(n) < view.queued_work_s(best) ||
            (view.queued_work_s(n) == view.queued_work_s(best) &&
             view.queue_length(n) < view.queue_length(best))))) {
        best = n;
      }
    }
    return best;
  }
};

}  // namespace

RouterInfo PrefixGreedyRouterInfo() {
  return {"prefix_greedy",
          "longest resident prefix; ties to the node free soonest, then the shorter queue",
          "kvbench baseline (the simplest cache-aware rule)",
          {},
          [](const Params&, uint64_t) { return std::make_unique<PrefixGreedyRouter>(); },
          NoPolicyState};
}

}  // namespace kvb
