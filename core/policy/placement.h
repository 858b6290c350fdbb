#ifndef KVB_CORE_POLICY_PLACEMENT_H_
#define KVB_CORE_POLICY_PLACEMENT_H_

// Node choices shared by routers and replication policies: the least loaded node, and the
// earlier Go simulator's choice of copy source and targets (docs/SEED_MODEL.md).

#include <cstdint>
#include <optional>
#include <vector>

#include "core/policy/cluster_view.h"

namespace kvb {

// The least loaded node (queued work, then queue length, then lowest index).
uint32_t LeastLoadedNode(const ClusterView& view);

// The seed's copy source for the request's first `length` blocks: the node holding most of
// those ids, counted per id (first node on ties); nullopt if no node holds any.
std::optional<uint32_t> SeedCopySource(const ClusterView& view, uint32_t length);
// The seed's copy targets: every node but `source` by queue length + resident blocks / 500,
// ascending, ties in index order. The seed copies to the first r - 1 of them.
std::vector<uint32_t> SeedCopyTargets(const ClusterView& view, uint32_t source);

}  // namespace kvb

#endif  // KVB_CORE_POLICY_PLACEMENT_H_
