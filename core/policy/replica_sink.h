#ifndef KVB_CORE_POLICY_REPLICA_SINK_H_
#define KVB_CORE_POLICY_REPLICA_SINK_H_

#include <cstdint>

namespace kvb {

// Copies prefixes between nodes on behalf of a router or a replication policy. Seed-compat
// mode: at once, outside the target's memory budget (docs/SEED_MODEL.md). Realistic: over
// both nodes' links; the target stores the blocks when the transfer ends, evicting others.
class ReplicaSink {
 public:
  virtual ~ReplicaSink() = default;
  // Copies to `target` the first `blocks` blocks of the current request that `source`
  // holds as a contiguous prefix. Returns the blocks sent (0: nothing to send, or refused
  // by the cell's replica budget).
  virtual uint32_t CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) = 0;
};

}  // namespace kvb

#endif  // KVB_CORE_POLICY_REPLICA_SINK_H_
