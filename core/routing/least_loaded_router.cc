// least_loaded: the node predicted to be free soonest (least queued prefill work); in seed
// mode, where there is no time, the shortest last-100-requests list. Ties: lowest index.
// Registered twice: as the common baseline and as Mooncake's "load-balancing" scheduler
// (the same rule: T_queue only).

#include "core/policy/placement.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {

namespace {

class LeastLoadedRouter final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override { return LeastLoadedNode(view); }
};

std::unique_ptr<Router> MakeLeastLoaded(const Params&, uint64_t) {
  return std::make_unique<LeastLoadedRouter>();
}

}  // namespace

RouterInfo LeastLoadedRouterInfo() {
  return {"least_loaded",    "least predicted queued work (seed mode: shortest request list)",
          "common baseline", {},
          MakeLeastLoaded,   NoPolicyState};
}

RouterInfo LoadBalanceRouterInfo() {
  return {"load_balance",
          "least predicted queued work T_queue (the same rule as least_loaded)",
          "Mooncake (FAST'25), load-balancing scheduler",
          {},
          MakeLeastLoaded,
          NoPolicyState};
}

}  // namespace kvb
