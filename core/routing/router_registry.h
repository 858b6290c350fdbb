#ifndef KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
#define KVB_CORE_ROUTING_ROUTER_REGISTRY_H_

#include "core/routing/router.h"

namespace kvb {

// The registry table: one line per router, in listing order. Router `Name`'s own file
// defines `RouterInfo NameRouterInfo()`; Routers() lists the entries in this order.
#define KVB_ROUTER_TABLE(X)                            \
  /* Baselines. */                                     \
  X(Random)                                            \
  X(RoundRobin)                                        \
  X(LeastLoaded)                                       \
  X(PowerOfTwo)                                        \
  X(PrefixGreedy)                                      \
  /* Mooncake (FAST'25). */                            \
  X(LoadBalance)                                       \
  X(LocalCacheAware)                                   \
  X(KvcacheCentric)                                    \
  /* The earlier Go simulator (docs/SEED_MODEL.md). */ \
  X(CacheAware)                                        \
  X(Enhanced)                                          \
  X(PrefixAwareHotspot)                                \
  X(SeedPaper)                                         \
  X(SeedOptimised)                                     \
  /* Production routers. */                            \
  X(Dynamo)                                            \
  X(SglangCacheAware)                                  \
  X(PrefixHashBounded)                                 \
  X(LlmD)                                              \
  X(PrebleE2)                                          \
  X(VllmPrefixAware)                                   \
  X(VllmKvAware)                                       \
  X(VllmSession)                                       \
  X(AibrixPrefixCache)                                 \
  X(RayPrefixAffinity)

#define KVB_DECLARE_ROUTER_INFO(Name) RouterInfo Name##RouterInfo();
KVB_ROUTER_TABLE(KVB_DECLARE_ROUTER_INFO)
#undef KVB_DECLARE_ROUTER_INFO

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_REGISTRY_H_
