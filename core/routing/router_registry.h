#ifndef KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
#define KVB_CORE_ROUTING_ROUTER_REGISTRY_H_

#include "core/routing/router.h"

namespace kvb {

// One function per strategy file; router_registry.cc lists them in one table.
RouterInfo RandomRouterInfo();
RouterInfo PrefixGreedyRouterInfo();

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
