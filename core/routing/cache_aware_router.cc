// cache_aware: the seed's CacheAware. Seed mode: the node maximising
// hits - queue_penalty * queue / 100 (hits per block, queue = the last-100-requests list).
// Realistic: the contiguous prefix held minus queue_penalty * queued_work_s / load_scale_s.
// Ties: lowest index.

#include <memory>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

constexpr ParamSpec kParams[] = {
    {"queue_penalty", 10, 0, 1e6, "blocks a full load (seed: 100 requests listed) costs"},
    {"load_scale_s", 1, 1e-6, 1e6,
     "realistic mode: seconds of queued work that count as a full load (the seed's q/100 = 1)"},
};

class CacheAwareRouter final : public Router {
 public:
  CacheAwareRouter(double queue_penalty, double load_scale_s)
      : queue_penalty_(queue_penalty), load_scale_s_(load_scale_s) {}

  RouteDecision Route(const ClusterView& view) override {
    uint32_t best = 0;
    double best_score = Score(view, 0);
    for (uint32_t n = 1; n < view.nodes(); ++n) {
      const double score = Score(view, n);
      if (score > best_score) {
        best = n;
        best_score = score;
      }
    }
    return best;
  }

 private:
  double Score(const ClusterView& view, uint32_t n) const {
    if (view.seed_mode()) {
      // The seed: hits_on_node - 10 * queue / 100, evaluated left to right.
      return static_cast<double>(view.resident_blocks(n)) -
             queue_penalty_ * static_cast<double>(view.queue_length(n)) / 100.0;
    }
    // Realistic signals: only a contiguous prefix is reused, and the seed's saturating
    // q/100 becomes queued_work_s / load_scale_s (unbounded: a node twice as far behind
    // pays twice as much). With the defaults 1 s of queued work costs 10 reused blocks.
    return static_cast<double>(view.prefix_blocks(n)) -
           queue_penalty_ * (view.queued_work_s(n) / load_scale_s_);
  }

  const double queue_penalty_;
  const double load_scale_s_;
};

}  // namespace

RouterInfo CacheAwareRouterInfo() {
  return {"cache_aware",
          "most blocks held minus a penalty for load (the seed's CacheAware)",
          "the earlier Go simulator (docs/SEED_MODEL.md)",
          kParams,
          [](const Params& p, uint64_t) {
            return std::make_unique<CacheAwareRouter>(p.Get("queue_penalty"),
                                                      p.Get("load_scale_s"));
          },
          NoPolicyState};
}

}  // namespace kvb
