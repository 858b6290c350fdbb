// enhanced: the seed's Enhanced(alpha, beta): the node maximising
// alpha * hits / len - beta * load / mean_over_nodes(load) (raw load if the mean is 0).
// Seed mode: hits per block, load = queue / 100; realistic: hits = the contiguous prefix
// held, load = queued_work_s. Ties: lowest index.

#include <memory>
#include <vector>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

constexpr ParamSpec kParams[] = {
    {"alpha", 0.6, 0, 1000, "weight of the share of the request's blocks held"},
    {"beta", 1.2, 0, 1000, "weight of the load relative to the mean load over nodes"},
};

class EnhancedRouter final : public Router {
 public:
  EnhancedRouter(double alpha, double beta) : alpha_(alpha), beta_(beta) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t nodes = view.nodes();
    const bool seed = view.seed_mode();
    load_.resize(nodes);
    double total = 0;
    for (size_t n = 0; n < nodes; ++n) {
      load_[n] = seed ? static_cast<double>(view.queue_length(n)) / 100.0 : view.queued_work_s(n);
      total += load_[n];
    }
    const double mean = total / static_cast<double>(nodes);
    const double len = static_cast<double>(view.request().blocks.size());

    uint32_t best = 0;
    double best_score = 0;
    for (uint32_t n = 0; n < nodes; ++n) {
      const double hits = seed ? view.resident_blocks(n) : view.prefix_blocks(n);
      const double hit_term = len > 0 ? alpha_ * hits / len : 0;
      const double load_term = mean != 0 ? beta_ * load_[n] / mean : beta_ * load_[n];
      const double score = hit_term - load_term;
      if (n == 0 || score > best_score) {
        best = n;
        best_score = score;
      }
    }
    return best;
  }

 private:
  const double alpha_;
  const double beta_;
  std::vector<double> load_;  // per node, reused across requests
};

// Per node: a load, reused across requests.
uint64_t EnhancedStateBytes(const Params&, const PolicySizing& cell) {
  return cell.nodes * sizeof(double);
}

}  // namespace

RouterInfo EnhancedRouterInfo() {
  return {"enhanced",
          "share of blocks held minus load relative to the mean (the seed's Enhanced)",
          "the earlier Go simulator (docs/SEED_MODEL.md)",
          kParams,
          [](const Params& p, uint64_t) {
            return std::make_unique<EnhancedRouter>(p.Get("alpha"), p.Get("beta"));
          },
          EnhancedStateBytes};
}

}  // namespace kvb
