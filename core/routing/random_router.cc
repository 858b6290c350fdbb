// random: a uniformly random node per request (the seed's Random; Mooncake's baseline).

#include <random>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

class RandomRouter final : public Router {
 public:
  explicit RandomRouter(uint64_t seed) : rng_(seed) {}
  RouteDecision Route(const ClusterView& view) override {
    // A 64-bit draw modulo the node count: the bias is negligible for any cluster size,
    // and the draw is the same on every platform (std::mt19937_64 is fully specified).
    return static_cast<uint32_t>(rng_() % view.nodes());
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

RouterInfo RandomRouterInfo() {
  return {"random",
          "a uniformly random node",
          "seed simulator; Mooncake (FAST'25) baseline",
          {},
          [](const Params&, uint64_t seed) { return std::make_unique<RandomRouter>(seed); },
          NoPolicyState};
}

}  // namespace kvb
