#ifndef KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
#define KVB_CORE_ROUTING_ROUTER_REGISTRY_H_

#include <optional>
#include <vector>

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
// Seed simulator.
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

// The least loaded node (queued work, then queue length, then lowest index).
uint32_t LeastLoadedNode(const ClusterView& view);

// The seed's copy source for the request's first `length` blocks: the node holding most of
// those ids, counted per id (first node on ties); nullopt if no node holds any.
std::optional<uint32_t> SeedCopySource(const ClusterView& view, uint32_t length);
// The seed's copy targets: every node but `source` by queue length + resident blocks / 500,
// ascending, ties in index order. The seed copies to the first r - 1 of them.
std::vector<uint32_t> SeedCopyTargets(const ClusterView& view, uint32_t source);

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
