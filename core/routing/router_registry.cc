#include "core/routing/router_registry.h"

#include <vector>

#include "core/routing/router.h"
#include "core/util/names.h"

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
      KvcacheCentricRouterInfo(),
      // The earlier Go simulator (docs/SEED_MODEL.md).
      CacheAwareRouterInfo(),
      EnhancedRouterInfo(),
      PrefixAwareHotspotRouterInfo(),
      SeedPaperRouterInfo(),
      SeedOptimisedRouterInfo(),
      // Production routers.
      DynamoRouterInfo(),
      SglangCacheAwareRouterInfo(),
      PrefixHashBoundedRouterInfo(),
      LlmDRouterInfo(),
      PrebleE2RouterInfo(),
  };
  return routers;
}

const RouterInfo* FindRouter(std::string_view name) { return FindByName(Routers(), name); }

}  // namespace kvb
