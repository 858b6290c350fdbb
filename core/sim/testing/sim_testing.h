#ifndef KVB_CORE_SIM_TESTING_SIM_TESTING_H_
#define KVB_CORE_SIM_TESTING_SIM_TESTING_H_

// Helpers for tests that run cells with numbers easy to follow by hand.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/model/cost_model.h"
#include "core/model/model_profile.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/strategy/strategy.h"
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

// The default 70B node with 16-token blocks and the engine's hand model: a step takes 1 s
// plus 10 ms per prefill token; 64 tokens per step, 8 requests. KV: 327,680 bytes per token,
// loaded at 100 GB/s (min of H2D and NIC). `hbm_blocks` > 0: that many HBM KV blocks.
inline CostProfile HandServingProfile(double hbm_blocks = 0) {
  CostProfile p = DefaultProfile();
  p.block_tokens = 16;
  p.serving->step_model = "polynomial";
  p.serving->step_model_params = {
      {"c0", 1}, {"c_prefill", 0.01}, {"c_decode", 0}, {"c_kv", 0}, {"c_pair", 0}};
  p.serving->max_num_batched_tokens = 64;
  p.serving->max_num_seqs = 8;
  if (hbm_blocks > 0) {
    // Weights and reserve as the profile has them, plus hbm_blocks + 1/2 blocks of KV.
    p.serving->hbm_bytes_per_gpu = (141.2e9 + 64e9 + (hbm_blocks + 0.5) * 16 * 327680) / 8;
  }
  return p;
}

// `trace`'s requests one every `gap_ms` (each done before the next arrives), ids kept.
inline std::shared_ptr<const Trace> SpacedOut(const Trace& trace, int64_t gap_ms) {
  TraceBuilder builder(trace.block_tokens());
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    const std::vector<RawBlockId> ids(r.blocks.begin(), r.blocks.end());
    EXPECT_FALSE(builder.Add(static_cast<int64_t>(i) * gap_ms, r.input_tokens, r.output_tokens, ids)
                     .has_value());
  }
  return builder.Finish();
}

// The blocks an unbounded cache would reuse: each request's leading blocks seen in any
// earlier request (an independent count, for checking hit_blocks).
inline uint64_t ReusableBlocks(const Trace& trace) {
  uint64_t reusable = 0;
  std::unordered_set<BlockId> seen;
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    size_t k = 0;
    while (k < r.blocks.size() && seen.count(r.blocks[k]) > 0) ++k;
    reusable += k;
    seen.insert(r.blocks.begin(), r.blocks.end());
  }
  return reusable;
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

// Every registered router in each shape, on `make(shape)`'s config: each run conserves the
// trace's requests and repeats exactly; `check(router, shape, result)` adds the caller's.
template <typename MakeConfig, typename Check>
void ForEveryRouterAndShape(const Trace& trace, std::initializer_list<ClusterShape> shapes,
                            MakeConfig make, Check check) {
  for (const ClusterShape shape : shapes) {
    for (const RouterInfo& info : Routers()) {
      SCOPED_TRACE(std::string(info.name) + " " + std::string(ClusterShapeName(shape)));
      const SimConfig config = make(shape);
      Strategy strategy = MakeStrategy(info.name, 1);
      const RunResult r = Simulate(trace, config, strategy);
      EXPECT_EQ(r.served + r.rejected - r.rejected_decode, trace.size());
      Strategy again = MakeStrategy(info.name, 1);
      const RunResult r2 = Simulate(trace, config, again);
      EXPECT_EQ(r2.hit_blocks, r.hit_blocks);
      EXPECT_EQ(r2.ttft_mean_s, r.ttft_mean_s);
      check(info.name, shape, r);
    }
  }
}

}  // namespace kvb::testing

#endif  // KVB_CORE_SIM_TESTING_SIM_TESTING_H_
