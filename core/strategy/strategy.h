#ifndef KVB_CORE_STRATEGY_STRATEGY_H_
#define KVB_CORE_STRATEGY_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/policy/policy_sizing.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/util/params.h"

namespace kvb {

// A router and a replication policy, made from "router[:k=v,...][+replication[:k=v,...]]".
struct Strategy {
  std::string spec;  // canonical: names plus non-default parameters; "+mooncake" omitted
  std::unique_ptr<Router> router;
  std::unique_ptr<ReplicationPolicy> replication;
};

// A strategy spec resolved against the registries: the entries and their full parameters,
// without making the policies.
struct ResolvedStrategy {
  const RouterInfo* router = nullptr;
  Params router_params;
  const ReplicationInfo* replication = nullptr;
  Params replication_params;
  std::string spec;  // canonical, as Strategy::spec
};

// Both throw InputError naming the strategy and the key at fault.
ResolvedStrategy ResolveStrategy(std::string_view spec);
Strategy MakeStrategy(std::string_view spec, uint64_t seed);

// The heap the strategy's two policies keep at most in a cell (their registry estimates).
uint64_t StrategyStateBytes(const ResolvedStrategy& strategy, const PolicySizing& cell);

}  // namespace kvb

#endif  // KVB_CORE_STRATEGY_STRATEGY_H_
