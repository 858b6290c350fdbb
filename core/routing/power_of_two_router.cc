// power_of_two: two distinct nodes drawn at random, the less loaded of them (queued work,
// then queue length; ties to the first drawn). Mitzenmacher's power of two choices.

#include <random>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

class PowerOfTwoRouter final : public Router {
 public:
  explicit PowerOfTwoRouter(uint64_t seed) : rng_(seed) {}
  RouteDecision Route(const ClusterView& view) override {
    const uint64_t n = view.nodes();
    if (n == 1) return 0;
    const auto a = static_cast<uint32_t>(rng_() % n);
    auto b = static_cast<uint32_t>(rng_() % (n - 1));
    if (b >= a) ++b;  // distinct from a, uniform over the others
    const bool b_less_loaded = view.queued_work_s(b) < view.queued_work_s(a) ||
                               (view.queued_work_s(b) == view.queued_work_s(a) &&
                                view.queue_length(b) < view.queue_length(a));
    return b_less_loaded ? b : a;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

RouterInfo PowerOfTwoRouterInfo() {
  return {"power_of_two",
          "the less loaded of two random nodes",
          "Mitzenmacher, The Power of Two Choices in Randomized Load Balancing (2001)",
          {},
          [](const Params&, uint64_t seed) { return std::make_unique<PowerOfTwoRouter>(seed); },
          NoPolicyState};
}

}  // namespace kvb
