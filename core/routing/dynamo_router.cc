// dynamo: the node of least cost = overlap_weight x (the request's blocks left to prefill
// after the node's cached prefix + the node's active prefill blocks) + its active decode
// blocks; argmin with a uniform random tie-break, or, at temperature T > 0, softmax
// sampling over the min-max normalised costs. NVIDIA Dynamo's KV-aware router.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

constexpr ParamSpec kParams[] = {
    {"overlap_weight", 1, 0, 1000,
     "weight of the prefill blocks (new blocks + the node's active prefill) in the cost"},
    {"temperature", 0, 0, 1000,
     "0: least cost (random among ties); > 0: softmax sampling over normalised costs"},
};

// A uniform double in [0, 1) from 53 random bits (the same on every platform, unlike
// std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

class DynamoRouter final : public Router {
 public:
  DynamoRouter(double overlap_weight, double temperature, uint64_t seed)
      : overlap_weight_(overlap_weight), temperature_(temperature), rng_(seed) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    const uint64_t request_blocks = view.request().blocks.size();
    cost_.resize(n);
    double c_min = std::numeric_limits<double>::infinity();
    double c_max = -c_min;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t new_blocks = request_blocks - view.prefix_blocks(i);
      // Dynamo's decode term (the node's active decode blocks) is 0 here: kvbench's nodes
      // are a disaggregated prefill pool and run no decode.
      constexpr double kDecodeBlocks = 0;
      cost_[i] =
          overlap_weight_ * static_cast<double>(new_blocks + view.pending_prefill_blocks(i)) +
          kDecodeBlocks;
      c_min = std::min(c_min, cost_[i]);
      c_max = std::max(c_max, cost_[i]);
    }
    if (temperature_ > 0) return Sample(c_min, c_max);
    // Argmin, uniform among the nodes tied at the least cost.
    tied_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (cost_[i] == c_min) tied_.push_back(i);
    }
    return tied_.size() == 1 ? tied_[0] : tied_[rng_() % tied_.size()];
  }

 private:
  // P(i) proportional to exp(-(c_i - c_min) / ((c_max - c_min) T)); uniform if all equal.
  uint32_t Sample(double c_min, double c_max) {
    const size_t n = cost_.size();
    if (c_max == c_min) return static_cast<uint32_t>(rng_() % n);
    double total = 0;
    for (double& c : cost_) {
      c = std::exp(-(c - c_min) / ((c_max - c_min) * temperature_));  // cost -> weight
      total += c;
    }
    double u = Uniform01(rng_) * total;
    for (uint32_t i = 0; i < n; ++i) {
      u -= cost_[i];
      if (u < 0) return i;
    }
    // Rounding left u >= 0 after the last weight: the last node of positive weight.
    uint32_t last = static_cast<uint32_t>(n - 1);
    while (last > 0 && cost_[last] == 0) --last;
    return last;
  }

  double overlap_weight_;
  double temperature_;
  std::mt19937_64 rng_;
  std::vector<double> cost_;  // per node: cost, then (sampling) weight
  std::vector<uint32_t> tied_;
};

// Per node: a cost (or sampling weight) and a tie slot, reused across requests.
uint64_t DynamoStateBytes(const Params&, const PolicySizing& cell) {
  return cell.nodes * (sizeof(double) + sizeof(uint32_t));
}

}  // namespace

RouterInfo DynamoRouterInfo() {
  return {"dynamo",
          "least overlap_weight x (new + active prefill blocks) (+ decode blocks, 0 here); "
          "softmax sampling at temperature > 0",
          "NVIDIA Dynamo docs, KV cache routing (kv-overlap-score-weight, router-temperature)",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<DynamoRouter>(params.Get("overlap_weight"),
                                                  params.Get("temperature"), seed);
          },
          DynamoStateBytes};
}

}  // namespace kvb
