// local_cache_aware: the node minimising predicted queue time + predicted prefill time
// reusing the prefix it holds itself (Mooncake's Algorithm 1 without remote fetches).
// Ties: lowest index.

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

class LocalCacheAwareRouter final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    uint32_t best = 0;
    double best_s = Predicted(view, 0);
    for (uint32_t n = 1; n < view.nodes(); ++n) {
      const double s = Predicted(view, n);
      if (s < best_s) {
        best = n;
        best_s = s;
      }
    }
    return RouteDecision(best, kNoFetch, 0);  // never fetches, even in a global cache
  }

 private:
  static double Predicted(const ClusterView& view, uint32_t n) {
    return view.queued_work_s(n) + view.predicted_prefill_s(n, view.prefix_blocks(n));
  }
};

}  // namespace

RouterInfo LocalCacheAwareRouterInfo() {
  return {"local_cache_aware",
          "least predicted queue + prefill time with the node's own prefix",
          "Mooncake (FAST'25), local cache-aware scheduler (Algorithm 1 without fetches)",
          {},
          [](const Params&, uint64_t) { return std::make_unique<LocalCacheAwareRouter>(); },
          NoPolicyState};
}

}  // namespace kvb
