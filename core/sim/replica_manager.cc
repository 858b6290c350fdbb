#include "core/sim/replica_manager.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kvb {

void CheckStrategyNode(uint32_t node, size_t nodes) {
  if (node >= nodes) {
    throw std::logic_error(absl::StrCat("strategy named node ", node, " of ", nodes));
  }
}

ReplicaManager::ReplicaManager(const SimConfig& config, Cluster& cluster, LinkSchedule& links,
                               RunResult& result, const ReplicationPolicy* replication,
                               std::function<void(double, uint64_t)> on_copy_started,
                               std::function<void()> on_copy_landed)
    : config_(config),
      cluster_(cluster),
      links_(links),
      result_(result),
      replication_(replication),
      on_copy_started_(std::move(on_copy_started)),
      on_copy_landed_(std::move(on_copy_landed)) {
  if (replication_ != nullptr && replication_->replica_budget_share() > 0) {
    uint64_t capacity = 0;
    for (const NodeSpec& n : config.cluster.nodes) capacity += n.capacity_blocks;
    max_replica_blocks_ = static_cast<uint64_t>(
        std::floor(replication_->replica_budget_share() * static_cast<double>(capacity)));
  }
}

uint32_t ReplicaManager::CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) {
  const size_t nodes = config_.cluster.nodes.size();
  CheckStrategyNode(source, nodes);
  CheckStrategyNode(target, nodes);
  if (source == target) return 0;
  const uint32_t length = std::min<uint32_t>(blocks, static_cast<uint32_t>(blocks_.size()));
  return config_.mode == SimMode::kSeedCompat ? SeedCopy(source, target, blocks_.first(length))
                                              : StartCopy(source, target, blocks_.first(length));
}

// The seed's copy: every id of the prefix the source holds, while the target holds fewer
// than the copy limit; at once, outside the target's memory. The view follows.
uint32_t ReplicaManager::SeedCopy(uint32_t source, uint32_t target,
                                  std::span<const BlockId> prefix) {
  uint32_t copied = 0;
  for (BlockId id : prefix) {
    if (!cluster_.Holds(source, id)) continue;
    if (OverReplicaBudget(cluster_.Holds(target, id) ? 0 : 1)) {
      ++result_.copies_refused;
      break;
    }
    if (!cluster_.SeedCopy(target, id)) break;
    ++copied;
  }
  if (copied > 0) {
    ++result_.copies;
    result_.copied_blocks += copied;
    result_.nodes[target].replica_blocks_in += copied;
    result_.nodes[source].replica_blocks_out += copied;
    on_copy_landed_();
  }
  return copied;
}

// A realistic copy of the source's contiguous part of `prefix`: both links are busy for
// the transfer; the target stores the blocks when it ends (CopyArrived).
uint32_t ReplicaManager::StartCopy(uint32_t source, uint32_t target,
                                   std::span<const BlockId> prefix) {
  uint32_t have = 0;
  while (have < prefix.size() && cluster_.Holds(source, prefix[have])) ++have;
  uint32_t missing = 0;
  for (uint32_t i = 0; i < have; ++i) missing += !cluster_.Holds(target, prefix[i]);
  if (missing == 0) return 0;
  const uint64_t key = (uint64_t{target} << 32) | prefix[have - 1];
  if (copies_in_flight_.contains(key)) return 0;
  if (OverReplicaBudget(missing)) {
    ++result_.copies_refused;
    return 0;
  }
  const uint64_t bytes = uint64_t{missing} * config_.cost.BlockBytes();
  const double end = links_.Reserve(source, target, now_s_, config_.cost.TransferSeconds(bytes));
  result_.transfer_bytes += bytes;
  ++result_.copies;
  result_.copied_blocks += missing;
  result_.nodes[target].replica_blocks_in += missing;
  result_.nodes[source].replica_blocks_out += missing;
  const uint64_t id = next_copy_++;
  pending_copies_.emplace(
      id, PendingCopy{target, std::vector<BlockId>(prefix.begin(), prefix.begin() + have), key,
                      missing});
  copies_in_flight_.insert(key);
  blocks_in_flight_ += missing;
  on_copy_started_(end, id);
  return missing;
}

void ReplicaManager::CopyArrived(uint64_t id) {
  auto it = pending_copies_.find(id);
  const PendingCopy& copy = it->second;
  cluster_.StorePrefix(copy.target, copy.prefix);
  copies_in_flight_.erase(copy.key);
  blocks_in_flight_ -= copy.missing_blocks;
  pending_copies_.erase(it);
}

bool ReplicaManager::OverReplicaBudget(uint64_t more) const {
  return cluster_.replica_blocks() + blocks_in_flight_ + more > max_replica_blocks_;
}

bool ReplicaManager::KeepsFetched(uint32_t fetched) const {
  const bool keeps = replication_ == nullptr || replication_->keeps_fetched();
  return keeps && !OverReplicaBudget(fetched);
}

}  // namespace kvb
