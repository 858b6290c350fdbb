#include "core/cluster/cluster.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

size_t CheckedNodeCount(const ClusterSpec& spec) {
  if (spec.nodes.empty()) throw InputError("cluster.nodes: a cluster needs at least one node");
  if (spec.nodes.size() > kMaxPrefixIndexNodes) {
    throw InputError(absl::StrCat("cluster.nodes: at most ", kMaxPrefixIndexNodes, " nodes, got ",
                                  spec.nodes.size()));
  }
  return spec.nodes.size();
}

// Node n's DRAM (or SSD) eviction policy; InputError naming its config path if unknown.
const EvictionPolicyInfo& NodePolicy(const ClusterSpec& spec, size_t n, bool ssd) {
  return ssd ? RequireEvictionPolicy(spec.nodes[n].ssd_eviction,
                                     absl::StrCat("cluster.nodes[", n, "].ssd.eviction"))
             : RequireEvictionPolicy(spec.nodes[n].eviction,
                                     absl::StrCat("cluster.nodes[", n, "].eviction"));
}

}  // namespace

Cluster::Cluster(const ClusterSpec& spec, const Trace& trace, size_t seed_copy_limit)
    : trace_(trace),
      seed_copy_limit_(seed_copy_limit),
      seed_counted_(spec.nodes.size(), 0),
      holders_(CheckedNodeCount(spec)) {
  caches_.reserve(spec.nodes.size());
  for (size_t n = 0; n < spec.nodes.size(); ++n) {
    const EvictionPolicyInfo& policy = NodePolicy(spec, n, false);
    const size_t capacity = spec.nodes[n].capacity_blocks;
    const size_t slots = capacity == 0 ? 0 : capacity + seed_copy_limit;
    caches_.emplace_back(slots, trace.distinct_blocks(),
                         policy.make(slots, trace.distinct_blocks()));
    capacity_.push_back(capacity);
  }
  // (id, node) pairs held at once: at most every slot of every node.
  size_t slots = 0;
  for (const BlockCache& cache : caches_) slots += cache.slots();
  holders_.Reserve(trace.distinct_blocks(), slots);
  const bool ssd = std::any_of(spec.nodes.begin(), spec.nodes.end(),
                               [](const NodeSpec& n) { return n.ssd_capacity_blocks > 0; });
  if (!ssd) return;
  ssd_caches_.reserve(spec.nodes.size());
  for (size_t n = 0; n < spec.nodes.size(); ++n) {
    const size_t capacity = spec.nodes[n].ssd_capacity_blocks;
    ssd_caches_.emplace_back(capacity, trace.distinct_blocks(),
                             NodePolicy(spec, n, true).make(capacity, trace.distinct_blocks()));
  }
  ssd_holders_ = std::make_unique<SimPrefixIndex>(spec.nodes.size());
  ssd_holders_->Reserve(trace.distinct_blocks());
  ssd_writes_.assign(spec.nodes.size(), 0);
}

BlockCacheBytes Cluster::EstimateCacheBytes(const ClusterSpec& spec, size_t universe,
                                            size_t seed_copy_limit) {
  const size_t nodes = spec.nodes.size();
  BlockCacheBytes bytes;
  // caches_ (reserved), seed_counted_ (sized), capacity_ (grown by push_back: a power of two).
  size_t grown = 1;
  while (grown < nodes) grown *= 2;
  bytes.slots = nodes * (sizeof(BlockCache) + sizeof(size_t)) + grown * sizeof(size_t);
  for (size_t n = 0; n < nodes; ++n) {
    const EvictionPolicyInfo& policy = NodePolicy(spec, n, false);
    const size_t capacity = spec.nodes[n].capacity_blocks;
    const size_t slots = capacity == 0                           ? 0
                         : capacity > SIZE_MAX - seed_copy_limit ? SIZE_MAX
                                                                 : capacity + seed_copy_limit;
    bytes += BlockCache::EstimateBytes(slots, universe, policy);
  }
  // Tier G3: a cache per node and an index of holders, when any node has an SSD.
  if (std::any_of(spec.nodes.begin(), spec.nodes.end(),
                  [](const NodeSpec& n) { return n.ssd_capacity_blocks > 0; })) {
    bytes.slots += nodes * sizeof(BlockCache);
    for (size_t n = 0; n < nodes; ++n) {
      bytes += BlockCache::EstimateBytes(spec.nodes[n].ssd_capacity_blocks, universe,
                                         NodePolicy(spec, n, true));
    }
    bytes.index += SimPrefixIndex::EstimateBytes(nodes, universe, SIZE_MAX);
  }
  return bytes;
}

void Cluster::OnEvicted(size_t node, BlockId id) {
  ++evictions_;
  const BlockId parent = trace_.parent(id);
  if (parent != kNoParent && !holders_.Holds(parent, node)) ++stranded_evictions_;
  holders_.Remove(node, id);
  --resident_blocks_;
  if (!holders_.Held(id)) --distinct_resident_;
  if (ssd_holders_ != nullptr) Demote(node, id);
}

void Cluster::Demote(size_t node, BlockId id) {
  BlockCache& ssd = ssd_caches_[node];
  if (ssd.capacity() == 0 || ssd.Touch(id)) return;
  ssd.Insert(id, [&](BlockId victim) {
    ssd_holders_->Remove(node, victim);
    --ssd_resident_blocks_;
  });
  ssd_holders_->Add(node, id);
  ++ssd_resident_blocks_;
  ++ssd_written_blocks_;
  ++ssd_writes_[node];
  ssd_writes_pending_ = true;
}

void Cluster::Insert(size_t node, BlockId id) {
  BlockCache& cache = caches_[node];
  if (cache.capacity() == 0) return;
  cache.Insert(id, [&](BlockId victim) { OnEvicted(node, victim); });
  Admit(node, id);
}

void Cluster::SeedInsert(size_t node, BlockId id) {
  BlockCache& cache = caches_[node];
  if (capacity_[node] == 0) return;
  size_t& counted = seed_counted_[node];
  while (counted >= capacity_[node] && cache.size() > 0) {
    cache.EvictOne([&](BlockId victim) { OnEvicted(node, victim); });
    --counted;
  }
  cache.Insert(id, [&](BlockId victim) { OnEvicted(node, victim); });
  ++counted;
  Admit(node, id);
}

bool Cluster::SeedCopy(size_t node, BlockId id) {
  BlockCache& cache = caches_[node];
  if (capacity_[node] == 0 || cache.size() >= seed_copy_limit_) return false;
  if (cache.Contains(id)) {
    cache.Remove(id);  // re-inserted as new: the policy forgets its history
    cache.Insert(id);
    return true;
  }
  cache.Insert(id, [&](BlockId victim) { OnEvicted(node, victim); });
  Admit(node, id);
  return true;
}

void Cluster::Admit(size_t node, BlockId id) {
  const bool replica = holders_.Held(id);
  holders_.Add(node, id);
  ++resident_blocks_;
  if (!replica) {
    ++distinct_resident_;
    peak_holders_ = std::max(peak_holders_, uint32_t{1});
  } else {
    ++replicas_created_;
    peak_holders_ = std::max(peak_holders_, holders_.HolderCount(id));
  }
}

void Cluster::StorePrefix(size_t node, std::span<const BlockId> blocks) {
  for (size_t i = blocks.size(); i-- > 0;) {
    if (!Touch(node, blocks[i])) Insert(node, blocks[i]);
  }
}

}  // namespace kvb
