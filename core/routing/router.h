#ifndef KVB_CORE_ROUTING_ROUTER_H_
#define KVB_CORE_ROUTING_ROUTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "core/policy/cluster_view.h"
#include "core/policy/policy_sizing.h"
#include "core/policy/route_decision.h"
#include "core/util/params.h"

namespace kvb {

// A request a router placed: its trace index, the node the router chose, and when.
struct RoutedRequest {
  uint32_t request = 0;
  uint32_t node = 0;
  double t_s = 0;
};

// Places requests on nodes. One instance serves one cell, single-threaded; it may keep
// state and must be deterministic given its seed.
class Router {
 public:
  virtual ~Router() = default;
  virtual RouteDecision Route(const ClusterView& view) = 0;
  // Whether the router reads view.hotspots() (the cell then tracks hot spots).
  virtual bool needs_hotspots() const { return false; }
  // Whether the router copies prefixes through view.replicas() (replicas beyond those
  // serving makes: the memory guard then bounds holders by slots, not block references).
  virtual bool copies_prefixes() const { return false; }

  // Milestones of the requests this router placed, in simulated-time order (realistic
  // mode only): for routers that keep their own in-flight state, as gateways do.
  // First token: the prompt is done (prefill_only: the request's only token).
  virtual void OnFirstToken(const RoutedRequest& /*r*/) {}
  // The request left the cluster: its last token, or rejected after it was routed.
  virtual void OnFinished(const RoutedRequest& /*r*/) {}

  // A router queue (Dynamo's SchedulerQueue), realistic mode only: whether the request in
  // `view` must wait at the router now. Asked on arrival when none waits (one that arrives
  // behind a waiting request waits too), and for the first waiting one after each milestone.
  virtual bool Holds(const ClusterView& /*view*/) { return false; }
  // Rank of a request that starts waiting (lowest released first; ties in arrival order).
  virtual double HoldRank(const ClusterView& /*view*/) { return 0; }
};

// Registry entry of a routing strategy (one file per strategy fills one entry).
struct RouterInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;       // where the rule comes from
  std::span<const ParamSpec> params;
  std::function<std::unique_ptr<Router>(const Params& params, uint64_t seed)> make;
  // The router's own heap at most (NoPolicyState if it keeps none): the memory guard's
  // share for it. Required: registry_test fails on an entry without one.
  PolicyStateBytesFn state_bytes = nullptr;
  // The upstream version followed ("owner/repo@commit path" or a paper); "" if none.
  std::string_view upstream = "";
};

std::span<const RouterInfo> Routers();
const RouterInfo* FindRouter(std::string_view name);
// A router from "name[:key=value,...]"; InputError names the router and the key.
std::unique_ptr<Router> MakeRouter(std::string_view spec, uint64_t seed);

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_H_
