// vllm_kvaware: the vLLM production stack's kvaware routing. The KV controller (LMCache)
// names the instance holding the longest cached prefix of the prompt; the request goes
// there unless it matched fewer than (prompt tokens - threshold_tokens) tokens, in which
// case it falls back to the session hash (kvbench's derived session id, as vllm_session),
// or without one to the node of lowest request rate.

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/routing/hash_ring.h"
#include "core/routing/request_rate.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

// threshold_tokens 2000: the production stack's kv_aware_threshold default.
constexpr ParamSpec kParams[] = {
    {"threshold_tokens", 2000, 0, 1e9, "fall back when matched < prompt - this", true},
    {"session_blocks", 2, 1, 1e6, "leading blocks naming the session (the fallback)", true},
    {"qps_window_s", 60, 1e-3, 1e9, "window of the lowest-QPS fallback (no session id)"},
    {"points_per_node", 160, 1, 4096, "ring points per node (the fallback)", true},
};

class VllmKvAwareRouter final : public Router {
 public:
  explicit VllmKvAwareRouter(const Params& p)
      : threshold_tokens_(static_cast<double>(p.GetInt("threshold_tokens"))),
        session_blocks_(static_cast<size_t>(p.GetInt("session_blocks"))),
        points_(static_cast<uint32_t>(p.GetInt("points_per_node"))),
        rate_(p.Get("qps_window_s")) {}

  RouteDecision Route(const ClusterView& view) override {
    const Request& r = view.request();
    // The controller's answer: the longest cached prefix and its holder (the lowest index
    // of equals: LMCache reports the first instance of its layout).
    const double matched = std::min<double>(
        static_cast<double>(view.longest_prefix_blocks()) * view.block_tokens(), r.input_tokens);
    const uint32_t node =
        view.longest_prefix_blocks() > 0 &&
                matched >= std::max(static_cast<double>(r.input_tokens) - threshold_tokens_, 0.0)
            ? view.longest_prefix_node()
            : SessionOrLowestRate(view, session_blocks_, points_, ring_, rate_);
    rate_.Record(view, node);
    return node;
  }

 private:
  double threshold_tokens_;
  size_t session_blocks_;
  uint32_t points_;
  HashRing ring_;
  RequestRate rate_;
};

uint64_t VllmKvAwareStateBytes(const Params& params, const PolicySizing& cell) {
  return SessionRoutingStateBytes(static_cast<uint64_t>(params.GetInt("points_per_node")), cell);
}

}  // namespace

RouterInfo VllmKvAwareRouterInfo() {
  return {
      "vllm_kvaware",
      "the holder of the longest cached prefix unless it misses more than threshold "
      "tokens, else the session hash",
      "vLLM production stack router, kvaware routing logic (LMCache controller lookup)",
      kParams,
      [](const Params& params, uint64_t) { return std::make_unique<VllmKvAwareRouter>(params); },
      VllmKvAwareStateBytes,
      "vllm-project/production-stack@008a23bd src/vllm_router/routers/routing_logic.py"};
}

}  // namespace kvb
