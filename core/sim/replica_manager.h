#ifndef KVB_CORE_SIM_REPLICA_MANAGER_H_
#define KVB_CORE_SIM_REPLICA_MANAGER_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/cluster/cluster.h"
#include "core/policy/replica_sink.h"
#include "core/replication/replication_policy.h"
#include "core/sim/link_schedule.h"
#include "core/sim/run_result.h"
#include "core/sim/simulator.h"
#include "core/trace/trace.h"

namespace kvb {

// Throws std::logic_error unless `node` < `nodes` (a policy named a node that is not there).
void CheckStrategyNode(uint32_t node, size_t nodes);

// Carries out the copies routers and replication policies ask for (ReplicaSink), and the
// cell's replica budget. Seed-compat: a copy lands at once, outside the target's memory.
// Realistic: a copy holds both nodes' links; the engine calls CopyArrived when it ends.
class ReplicaManager final : public ReplicaSink {
 public:
  // `on_copy_started(end_s, id)`: realistic, a copy will land at end_s (the engine
  // schedules CopyArrived(id) then). `on_copy_landed()`: seed-compat, a copy changed the
  // current request's holders. The references must outlive the manager.
  ReplicaManager(const SimConfig& config, Cluster& cluster, LinkSchedule& links, RunResult& result,
                 const ReplicationPolicy* replication,
                 std::function<void(double end_s, uint64_t id)> on_copy_started,
                 std::function<void()> on_copy_landed);

  // The request whose leading blocks copies take, at the engine's clock `now_s`.
  void BeginRequest(std::span<const BlockId> blocks, double now_s) {
    blocks_ = blocks;
    now_s_ = now_s;
  }

  uint32_t CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) override;

  // The copy `id` reached its target: the target stores the blocks.
  void CopyArrived(uint64_t id);

  // Whether a node that fetched `fetched` blocks keeps them (the replication policy's
  // choice, within the replica budget).
  bool KeepsFetched(uint32_t fetched) const;

 private:
  // A replica on its way to a node: stored when the transfer ends.
  struct PendingCopy {
    uint32_t target;
    std::vector<BlockId> prefix;
    uint64_t key;  // in-flight key: (target, last id of the prefix)
    uint32_t missing_blocks;
  };

  uint32_t SeedCopy(uint32_t source, uint32_t target, std::span<const BlockId> prefix);
  uint32_t StartCopy(uint32_t source, uint32_t target, std::span<const BlockId> prefix);
  // Whether `more` replica blocks (besides those in flight) would exceed the budget.
  bool OverReplicaBudget(uint64_t more) const;

  const SimConfig& config_;
  Cluster& cluster_;
  LinkSchedule& links_;
  RunResult& result_;
  const ReplicationPolicy* replication_;  // nullptr: fetched prefixes stay, no other copies
  std::function<void(double, uint64_t)> on_copy_started_;
  std::function<void()> on_copy_landed_;
  std::span<const BlockId> blocks_;
  double now_s_ = 0;
  absl::flat_hash_map<uint64_t, PendingCopy> pending_copies_;
  absl::flat_hash_set<uint64_t> copies_in_flight_;
  uint64_t blocks_in_flight_ = 0;  // missing blocks of copies in flight
  uint64_t next_copy_ = 0;
  uint64_t max_replica_blocks_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace kvb

#endif  // KVB_CORE_SIM_REPLICA_MANAGER_H_
