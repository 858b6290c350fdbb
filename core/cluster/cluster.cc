#include "core/cluster/cluster.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

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

}  // namespace

Cluster::Cluster(const ClusterSpec& spec, const Trace& trace)
    : trace_(trace), holders_(CheckedNodeCount(spec)) {
  holders_.Reserve(trace.distinct_blocks());
  caches_.reserve(spec.nodes.size());
  for (size_t n = 0; n < spec.nodes.size(); ++n) {
    const EvictionPolicyInfo* policy = FindEvictionPolicy(spec.nodes[n].eviction);
    if (policy == nullptr) {
      const std::string known = JoinNames(EvictionPolicies());
      throw InputError(absl::StrCat("cluster.nodes[", n, "].eviction: unknown policy '",
                                    spec.nodes[n].eviction, "' (known: ", known, ")"));
    }
    caches_.emplace_back(spec.nodes[n].capacity_blocks, trace.distinct_blocks(),
                         policy->make(spec.nodes[n].capacity_blocks, trace.distinct_blocks()));
  }
}

void Cluster::OnEvicted(size_t node, BlockId id) {
  ++evictions_;
  const BlockId parent = trace_.parent(id);
  if (parent != kNoParent && !holders_.Holds(parent, node)) ++stranded_evictions_;
  holders_.Remove(node, id);
  --resident_blocks_;
  if (holders_.HolderCount(id) == 0) --distinct_resident_;
}

void Cluster::Insert(size_t node, BlockId id) {
  BlockCache& cache = caches_[node];
  if (cache.capacity() == 0) return;
  cache.Insert(id, [&](BlockId victim) { OnEvicted(node, victim); });
  const uint32_t before = holders_.HolderCount(id);
  holders_.Add(node, id);
  ++resident_blocks_;
  if (before == 0) {
    ++distinct_resident_;
  } else {
    ++replicas_created_;
  }
  peak_holders_ = std::max(peak_holders_, before + 1);
}

void Cluster::StorePrefix(size_t node, std::span<const BlockId> blocks) {
  for (size_t i = blocks.size(); i-- > 0;) {
    if (!Touch(node, blocks[i])) Insert(node, blocks[i]);
  }
}

}  // namespace kvb
