#ifndef KVB_CORE_SIM_TESTING_SIM_TESTING_H_
#define KVB_CORE_SIM_TESTING_SIM_TESTING_H_

// Helpers for tests that run cells with numbers easy to follow by hand.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/model/cost_model.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb::testing {

inline constexpr double kEps = 1e-9;

// A cost model whose numbers are easy by hand: a prefill of n tokens reusing p costs
// (n - p) ms; KV takes 2 bytes per token; loads and transfers move `nic_bytes_per_s`
// (by default so fast that they cost nothing measurable).
inline CostModel MillisecondPerTokenCost(uint32_t block_tokens, double nic_bytes_per_s = 1e18) {
  ModelProfile model;
  model.name = "unit";
  model.layers = 1;
  model.hidden = 1;
  model.a = 0;
  model.b = 1;  // flops(n) = n
  model.gqa = 1;
  model.bytes_per_element = 1;  // KV bytes per token = 1 * 2 * 1 * 1 = 2
  HardwareProfile hw;
  hw.name = "unit";
  hw.gpus = 1;
  hw.peak_flops_per_gpu = 1000;  // 1000 tokens per second
  hw.utilisation = 1;
  hw.prefill_overhead_s = 0;
  hw.host_to_device_bytes_per_s = 1e18;
  hw.nic_bytes_per_s = nic_bytes_per_s;
  hw.dram_bytes = 1 << 20;
  return CostModel(model, hw, block_tokens);
}

struct Req {
  int64_t ms;
  uint32_t input;
  std::vector<RawBlockId> ids;
};

inline std::shared_ptr<const Trace> MakeTrace(const std::vector<Req>& requests,
                                              uint32_t block_tokens) {
  TraceBuilder builder(block_tokens);
  for (const Req& r : requests) EXPECT_FALSE(builder.Add(r.ms, r.input, 1, r.ids).has_value());
  return builder.Finish();
}

// Routes request k to nodes[k] (the test's script) and records what each decision saw.
class ScriptedRouter final : public Router {
 public:
  explicit ScriptedRouter(std::vector<uint32_t> nodes) : nodes_(std::move(nodes)) {}
  RouteDecision Route(const ClusterView& view) override {
    views_.push_back({view.now_s(), {}, {}, {}, {}, {}});
    for (size_t n = 0; n < view.nodes(); ++n) {
      Seen& seen = views_.back();
      seen.prefix.push_back(view.prefix_blocks(n));
      seen.queued_work_s.push_back(view.queued_work_s(n));
      seen.resident.push_back(view.resident_blocks(n));
      if (!view.seed_mode()) {
        seen.prefill_s_without_reuse.push_back(view.predicted_prefill_s(n, 0));
        seen.prefill_s_with_prefix.push_back(view.predicted_prefill_s(n, view.prefix_blocks(n)));
      }
    }
    return nodes_.at(next_++);
  }
  struct Seen {
    double now_s;
    std::vector<uint32_t> prefix;
    std::vector<double> queued_work_s;
    std::vector<uint32_t> resident;
    std::vector<double> prefill_s_without_reuse;  // predicted_prefill_s(n, 0)
    std::vector<double> prefill_s_with_prefix;    // predicted_prefill_s(n, prefix[n])
  };
  std::vector<Seen> views_;

 private:
  std::vector<uint32_t> nodes_;
  size_t next_ = 0;
};

inline SimConfig RealisticConfig(size_t nodes, size_t capacity,
                                 CacheScope scope = CacheScope::kLocal) {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.cluster.scope = scope;
  config.cluster.nodes.assign(nodes, NodeSpec{capacity, "lru", 1.0});
  config.cost = MillisecondPerTokenCost(4);
  return config;
}

}  // namespace kvb::testing

#endif  // KVB_CORE_SIM_TESTING_SIM_TESTING_H_
