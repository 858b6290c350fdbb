#ifndef KVB_CORE_REPLICATION_REPLICATION_POLICY_H_
#define KVB_CORE_REPLICATION_REPLICATION_POLICY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "core/policy/cluster_view.h"
#include "core/policy/policy_sizing.h"
#include "core/trace/trace.h"
#include "core/util/params.h"

namespace kvb {

// Decides which prefixes get copies beyond those serving makes, composable with any
// router ("router+replication"). Copies go through view.replicas(), which charges what
// they cost (realistic mode: link time, bytes, memory on the target). One instance serves
// one cell, single-threaded, deterministically.
class ReplicationPolicy {
 public:
  virtual ~ReplicationPolicy() = default;
  // Before each request is routed (the seed's order: detect and copy, then route).
  virtual void BeforeRoute(const ClusterView& view) { (void)view; }
  // A request's prefill started on `node`, `ttft_s` after its arrival (realistic mode).
  virtual void OnServed(const Request& request, uint32_t node, double ttft_s) {
    (void)request, (void)node, (void)ttft_s;
  }
  // Whether blocks fetched from another node stay on the node that fetched them (with the
  // suffix computed on them). If not, a fetched prefix serves one request and is dropped.
  virtual bool keeps_fetched() const = 0;
  // Cap on replica blocks (copies beyond the first of each block) as a share of the
  // cluster's capacity; copies and kept fetches beyond it are refused. <= 0: no cap.
  virtual double replica_budget_share() const { return 0; }
  // Whether the policy reads view.hotspots() (the cell then tracks hot spots).
  virtual bool needs_hotspots() const { return false; }
  // Whether the policy copies prefixes through view.replicas() (replicas beyond those
  // serving makes: the memory guard then bounds holders by slots, not block references).
  virtual bool copies_prefixes() const { return false; }
};

// Registry entry of a replication policy (one file per policy fills one entry).
struct ReplicationInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;
  std::span<const ParamSpec> params;
  std::function<std::unique_ptr<ReplicationPolicy>(const Params& params, uint64_t seed)> make;
  // The policy's own heap at most (NoPolicyState if it keeps none): the memory guard's
  // share for it. Required: registry_test fails on an entry without one.
  PolicyStateBytesFn state_bytes = nullptr;
};

std::span<const ReplicationInfo> ReplicationPolicies();
const ReplicationInfo* FindReplicationPolicy(std::string_view name);
// A policy from "name[:key=value,...]"; InputError names the policy and the key.
std::unique_ptr<ReplicationPolicy> MakeReplicationPolicy(std::string_view spec, uint64_t seed);

// The replication of a strategy spec without "+...": fetched prefixes stay (Mooncake).
inline constexpr std::string_view kDefaultReplication = "mooncake";

}  // namespace kvb

#endif  // KVB_CORE_REPLICATION_REPLICATION_POLICY_H_
