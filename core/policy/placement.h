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

// The seed's copy source for the request's first L blocks: the node holding most of those
// ids, counted per id (first node on ties); nullopt if no node holds any. Counts every
// L <= top in one pass; a copy changes holdings, so Recount after one.
class SeedCopySources {
 public:
  void Recount(const ClusterView& view, uint32_t top);
  // Precondition: length <= the last Recount's top.
  std::optional<uint32_t> For(uint32_t length) const;

 private:
  uint32_t nodes_ = 0;
  std::vector<uint32_t> held_;  // held_[L * nodes_ + n]: how many of the first L ids n holds
};
// The seed's copy targets: every node but `source` by queue length + resident blocks / 500,
// ascending, ties in index order. The seed copies to the first r - 1 of them.
std::vector<uint32_t> SeedCopyTargets(const ClusterView& view, uint32_t source);

}  // namespace kvb

#endif  // KVB_CORE_POLICY_PLACEMENT_H_
