// llm_d: the highest weighted sum of scorers, each clamped to [0, 1]: prefix match ratio
// (resident prefix / request blocks), queue score ((max_q - q) / (max_q - min_q), 1 if all
// queues are equal) and KV-cache headroom (1 - resident / capacity). Random tie-break.
// The llm-d inference scheduler's default scorers and max-score picker.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

// Weights: llm-d's default scheduling profile (prefix-cache-scorer 3, queue-scorer 2,
// kv-cache-utilization-scorer 2).
constexpr ParamSpec kParams[] = {
    {"prefix_weight", 3, 0, 1000, "weight of the prefix match ratio"},
    {"queue_weight", 2, 0, 1000, "weight of the min-max normalised queue score"},
    {"kv_weight", 2, 0, 1000, "weight of the free KV-cache fraction"},
};

double Clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

class LlmDRouter final : public Router {
 public:
  LlmDRouter(double prefix_weight, double queue_weight, double kv_weight, uint64_t seed)
      : prefix_weight_(prefix_weight),
        queue_weight_(queue_weight),
        kv_weight_(kv_weight),
        rng_(seed) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    size_t min_q = view.queue_length(0);
    size_t max_q = min_q;
    for (size_t i = 1; i < n; ++i) {
      min_q = std::min(min_q, view.queue_length(i));
      max_q = std::max(max_q, view.queue_length(i));
    }
    const size_t request_blocks = view.request().blocks.size();
    double best = -1;
    tied_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      const double prefix = request_blocks == 0 ? 0.0
                                                : static_cast<double>(view.prefix_blocks(i)) /
                                                      static_cast<double>(request_blocks);
      const double queue = max_q == min_q ? 1.0
                                          : static_cast<double>(max_q - view.queue_length(i)) /
                                                static_cast<double>(max_q - min_q);
      const size_t capacity = view.capacity(i);
      const double kv = capacity == 0 ? 0.0
                                      : 1.0 - static_cast<double>(view.resident(i)) /
                                                  static_cast<double>(capacity);
      const double score = prefix_weight_ * Clamp01(prefix) + queue_weight_ * Clamp01(queue) +
                           kv_weight_ * Clamp01(kv);
      if (score > best) {
        best = score;
        tied_.clear();
      }
      if (score == best) tied_.push_back(i);
    }
    return tied_.size() == 1 ? tied_[0] : tied_[rng_() % tied_.size()];
  }

 private:
  double prefix_weight_;
  double queue_weight_;
  double kv_weight_;
  std::mt19937_64 rng_;
  std::vector<uint32_t> tied_;
};

// Per node: a tie slot, reused across requests.
uint64_t LlmDStateBytes(const Params&, const PolicySizing& cell) {
  return cell.nodes * sizeof(uint32_t);
}

}  // namespace

RouterInfo LlmDRouterInfo() {
  return {"llm_d",
          "highest weighted sum of prefix match ratio, queue score and free KV-cache fraction",
          "llm-d inference scheduler (prefix-cache, queue and kv-cache-utilization scorers, "
          "max-score picker)",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<LlmDRouter>(params.Get("prefix_weight"),
                                                params.Get("queue_weight"), params.Get("kv_weight"),
                                                seed);
          },
          LlmDStateBytes};
}

}  // namespace kvb
