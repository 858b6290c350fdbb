#ifndef KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_
#define KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_

#include "core/replication/replication_policy.h"

namespace kvb {

// The registry table: one line per replication policy, in listing order. Policy `Name`'s
// own file defines `ReplicationInfo NameReplicationInfo()`.
#define KVB_REPLICATION_TABLE(X) \
  X(No)                          \
  X(Mooncake)                    \
  X(SeedDynamic)                 \
  X(SeedPredictive)              \
  X(Preble)                      \
  X(Budgeted)

#define KVB_DECLARE_REPLICATION_INFO(Name) ReplicationInfo Name##ReplicationInfo();
KVB_REPLICATION_TABLE(KVB_DECLARE_REPLICATION_INFO)
#undef KVB_DECLARE_REPLICATION_INFO

}  // namespace kvb

#endif  // KVB_CORE_REPLICATION_REPLICATION_REGISTRY_H_
