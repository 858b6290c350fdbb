#ifndef KVB_CORE_REPLICATION_STRATEGY_H_
#define KVB_CORE_REPLICATION_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/replication/replication_policy.h"
#include "core/routing/router.h"

namespace kvb {

// A router and a replication policy, made from "router[:k=v,...][+replication[:k=v,...]]".
struct Strategy {
  std::string spec;  // canonical: names plus non-default parameters; "+mooncake" omitted
  std::unique_ptr<Router> router;
  std::unique_ptr<ReplicationPolicy> replication;
};

// Throws InputError naming the strategy and the key at fault.
Strategy MakeStrategy(std::string_view spec, uint64_t seed);

}  // namespace kvb

#endif  // KVB_CORE_REPLICATION_STRATEGY_H_
