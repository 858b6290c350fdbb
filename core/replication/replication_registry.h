#ifndef KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_
#define KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_

#include "core/replication/replication_policy.h"

namespace kvb {

// One function per policy file; replication_registry.cc lists them in one table.
ReplicationInfo NoReplicationInfo();
ReplicationInfo MooncakeReplicationInfo();
ReplicationInfo SeedDynamicReplicationInfo();
ReplicationInfo SeedPredictiveReplicationInfo();
ReplicationInfo PrebleReplicationInfo();
ReplicationInfo BudgetedReplicationInfo();

}  // namespace kvb

#endif  // KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_
