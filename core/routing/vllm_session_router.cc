// vllm_session: the vLLM production stack's session routing: a consistent hash of the
// request's session id picks the node. The Mooncake traces carry no session id: kvbench
// derives it from the request's first session_blocks blocks (an id names its prefix, so
// the id at that depth), which a conversation's turns share past a common system prompt;
// a shorter request has none and goes to the node of lowest request rate.

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/routing/hash_ring.h"
#include "core/routing/request_rate.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

// points_per_node 160: uhashring's ketama ring (40 vnodes x 4 replicas); our reading of its
// defaults, not checked against its code.
constexpr ParamSpec kParams[] = {
    {"session_blocks", 2, 1, 1e6, "leading blocks naming the session", true},
    {"qps_window_s", 60, 1e-3, 1e9, "window of the lowest-QPS fallback (no session id)"},
    {"points_per_node", 160, 1, 4096, "ring points per node", true},
};

class VllmSessionRouter final : public Router {
 public:
  explicit VllmSessionRouter(const Params& p)
      : session_blocks_(static_cast<size_t>(p.GetInt("session_blocks"))),
        points_(static_cast<uint32_t>(p.GetInt("points_per_node"))),
        rate_(p.Get("qps_window_s")) {}

  RouteDecision Route(const ClusterView& view) override {
    const uint32_t node = SessionOrLowestRate(view, session_blocks_, points_, ring_, rate_);
    rate_.Record(view, node);
    return node;
  }

 private:
  size_t session_blocks_;
  uint32_t points_;
  HashRing ring_;
  RequestRate rate_;
};

uint64_t VllmSessionStateBytes(const Params& params, const PolicySizing& cell) {
  return SessionRoutingStateBytes(static_cast<uint64_t>(params.GetInt("points_per_node")), cell);
}

}  // namespace

RouterInfo VllmSessionRouterInfo() {
  return {
      "vllm_session",
      "consistent hash of a session id (derived: the first session_blocks blocks)",
      "vLLM production stack router, session routing logic",
      kParams,
      [](const Params& params, uint64_t) { return std::make_unique<VllmSessionRouter>(params); },
      VllmSessionStateBytes,
      "vllm-project/production-stack@008a23bd src/vllm_router/routers/routing_logic.py"};
}

}  // namespace kvb
