#ifndef KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
#define KVB_CORE_ROUTING_ROUTER_REGISTRY_H_

#include "core/routing/router.h"

namespace kvb {

// One function per strategy file; router_registry.cc lists them in one table.
RouterInfo RandomRouterInfo();
RouterInfo RoundRobinRouterInfo();
RouterInfo LeastLoadedRouterInfo();
RouterInfo LoadBalanceRouterInfo();
RouterInfo PowerOfTwoRouterInfo();
RouterInfo PrefixGreedyRouterInfo();
RouterInfo LocalCacheAwareRouterInfo();
RouterInfo KvcacheCentricRouterInfo();
// The earlier Go simulator (docs/SEED_MODEL.md).
RouterInfo CacheAwareRouterInfo();
RouterInfo EnhancedRouterInfo();
RouterInfo PrefixAwareHotspotRouterInfo();
RouterInfo SeedPaperRouterInfo();
RouterInfo SeedOptimisedRouterInfo();
// Production routers.
RouterInfo DynamoRouterInfo();
RouterInfo SglangCacheAwareRouterInfo();
RouterInfo PrefixHashBoundedRouterInfo();
RouterInfo LlmDRouterInfo();
RouterInfo PrebleE2RouterInfo();

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
