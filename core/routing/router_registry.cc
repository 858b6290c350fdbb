#include "core/routing/router_registry.h"

#include <vector>

#include "core/routing/router.h"

namespace kvb {

std::span<const RouterInfo> Routers() {
  static const std::vector<RouterInfo> routers = {
      // Baselines.
      RandomRouterInfo(),
      RoundRobinRouterInfo(),
      LeastLoadedRouterInfo(),
      PowerOfTwoRouterInfo(),
      PrefixGreedyRouterInfo(),
      // Mooncake (FAST'25).
      LoadBalanceRouterInfo(),
      LocalCacheAwareRouterInfo(),
      // Seed simulator (seed-model.md).
      // Production routers.
  };
  return routers;
}

const RouterInfo* FindRouter(std::string_view name) {
  for (const RouterInfo& r : Routers()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace kvb
