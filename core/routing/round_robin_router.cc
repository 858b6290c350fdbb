// round_robin: nodes in turn, 0, 1, ..., N-1, 0, ... (a load-blind baseline).

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

class RoundRobinRouter final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    return static_cast<uint32_t>(next_++ % view.nodes());
  }

 private:
  uint64_t next_ = 0;
};

}  // namespace

RouterInfo RoundRobinRouterInfo() {
  return {"round_robin",
          "nodes in turn, blind to load and cache",
          "common baseline",
          {},
          [](const Params&, uint64_t) { return std::make_unique<RoundRobinRouter>(); },
          NoPolicyState};
}

}  // namespace kvb
