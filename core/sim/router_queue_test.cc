// The router queue (Router::Holds): requests wait at the router and are routed when a
// milestone releases them, checked against schedules computed by hand in every shape.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/cost_model.h"
#include "core/model/model_profile.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/sim/testing/sim_testing.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::HandServingProfile;
using testing::kEps;

// One output token each; 16-token blocks are HandServingProfile's.
std::shared_ptr<const Trace> MakeTrace(const std::vector<testing::Req>& requests,
                                       uint32_t block_tokens = 16) {
  return testing::MakeTrace(requests, block_tokens);
}

// One aggregated node of HandServingProfile: a step takes 1 s + 10 ms per prompt token,
// 64 tokens per step.
SimConfig OneAggregatedNode() {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.shape = ClusterShape::kAggregated;
  config.cluster.nodes.assign(1, NodeSpec{1000, "lru", 1.0});
  config.cost = CostModel(HandServingProfile());
  return config;
}

RunResult RunDynamo(const Trace& trace, const SimConfig& config, const std::string& spec) {
  Strategy strategy = MakeStrategy(spec, 1);
  return Simulate(trace, config, strategy);
}

// A (100 tokens) at 0 and B (10 tokens) at 0.5 s. Without the queue B joins A's second
// step: [0, 1.64] 64 of A's tokens, [1.64, 3.10] A's last 36 and B's 10. With
// queue_threshold 0.5 (32 tokens) A's 100 tokens make the node busy: B waits at the router
// until A's first token at 1.64 + 1.36 = 3.00, then prefills alone in [3.00, 4.10].
TEST(RouterQueueTest, DynamoHoldsUntilTheFirstTokenByHand) {
  const auto trace = MakeTrace({{0, 100, {1, 2, 3, 4, 5, 6, 7}}, {500, 10, {8}}});
  const RunResult plain = RunDynamo(*trace, OneAggregatedNode(), "dynamo");
  EXPECT_EQ(plain.router_held, 0u);
  EXPECT_NEAR(plain.ttft_mean_s, (3.10 + 2.60) / 2, kEps);

  const RunResult r = RunDynamo(*trace, OneAggregatedNode(), "dynamo:queue_threshold=0.5");
  EXPECT_EQ(r.served, 2u);
  EXPECT_EQ(r.router_held, 1u);
  EXPECT_NEAR(r.router_wait_mean_s, 2.5, kEps);
  EXPECT_NEAR(r.ttft_mean_s, (3.00 + 3.60) / 2, kEps);
  // The wait at the router is queueing: TTFT's parts still add up.
  EXPECT_NEAR(r.ttft_queue_mean_s, 2.5 / 2, kEps);
  EXPECT_NEAR(
      r.ttft_queue_mean_s + r.ttft_transfer_mean_s + r.ttft_load_mean_s + r.ttft_prefill_mean_s,
      r.ttft_mean_s, kEps);
}

struct PolicyCase {
  const char* policy;
  double ttft_mean_s;
  double wait_mean_s;
};

// A (100 tokens) at 0 holds the node until 3.00; B (20), C (34) and D (30 tokens) arrive at
// 0.5, 0.6 and 0.7 s and wait. At 3.00 the queue releases in its order until the node's
// prefill tokens pass 32; the rest waits for that step's first tokens:
//   fcfs: B, C (54) in [3.00, 4.54]; D in [4.54, 5.84];
//   lcfs: D, C (64) in [3.00, 4.64]; B in [4.64, 5.84];
//   wspt: B, D (50) in [3.00, 4.50]; C in [4.50, 5.84].
class RouterQueuePolicy : public ::testing::TestWithParam<PolicyCase> {};
TEST_P(RouterQueuePolicy, ReleasesInItsOrderByHand) {
  const PolicyCase& c = GetParam();
  const auto trace = MakeTrace({{0, 100, {1, 2, 3, 4, 5, 6, 7}},
                                {500, 20, {8, 9}},
                                {600, 34, {10, 11, 12}},
                                {700, 30, {13, 14}}});
  const RunResult r = RunDynamo(*trace, OneAggregatedNode(),
                                std::string("dynamo:queue_threshold=0.5,queue_policy=") + c.policy);
  EXPECT_EQ(r.served, 4u);
  EXPECT_EQ(r.router_held, 3u);
  EXPECT_NEAR(r.ttft_mean_s, c.ttft_mean_s, kEps);
  EXPECT_NEAR(r.router_wait_mean_s, c.wait_mean_s, kEps);
}
INSTANTIATE_TEST_SUITE_P(
    Policies, RouterQueuePolicy,
    ::testing::Values(
        // TTFT: A 3.00 and B, C, D; waits: B, C, D.
        PolicyCase{"fcfs", (3.00 + 4.04 + 3.94 + 5.14) / 4, (2.50 + 2.40 + 3.84) / 3},
        PolicyCase{"lcfs", (3.00 + 5.34 + 4.04 + 3.94) / 4, (4.14 + 2.40 + 2.30) / 3},
        PolicyCase{"wspt", (3.00 + 4.00 + 5.24 + 3.80) / 4, (2.50 + 3.90 + 2.30) / 3}),
    [](const ::testing::TestParamInfo<PolicyCase>& param_info) { return param_info.param.policy; });

// Holds every request while one it routed has not reached its first token; sends all to
// node 0.
class OneAtATime final : public Router {
 public:
  RouteDecision Route(const ClusterView&) override {
    ++prefilling_;
    return 0;
  }
  void OnFirstToken(const RoutedRequest&) override { --prefilling_; }
  bool Holds(const ClusterView&) override { return prefilling_ > 0; }

 private:
  int prefilling_ = 0;
};

// prefill_only (a prefill of n tokens costs n ms): A (8 tokens) at 0 ends at 8 ms; B (4) at
// 2 ms and C (4) at 3 ms wait at the router; B goes at 8 ms (ends 12), C at 12 (ends 16).
TEST(RouterQueueTest, PrefillOnlyReleasesAtEachCompletionByHand) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {2, 4, {3}}, {3, 4, {4}}}, 4);
  OneAtATime router;
  const RunResult r = Simulate(*trace, testing::RealisticConfig(2, 100), router);
  EXPECT_EQ(r.served, 3u);
  EXPECT_EQ(r.router_held, 2u);
  EXPECT_NEAR(r.router_wait_mean_s, (0.006 + 0.009) / 2, kEps);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.010 + 0.013) / 3, kEps);
  EXPECT_NEAR(r.ttft_queue_mean_s, (0.006 + 0.009) / 3, kEps);
}

// A conversation workload at 8x its rate, four nodes, each shape, signals fresh or (serving
// shapes) polled every second: requests are conserved, some wait, runs repeat; a threshold no node
// reaches changes nothing.
TEST(RouterQueueTest, EveryShapeConservesAndRepeats) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 400, 3);
  for (const ClusterShape shape :
       {ClusterShape::kPrefillOnly, ClusterShape::kAggregated, ClusterShape::kDisaggregated}) {
    for (const double refresh_s : {0.0, 1.0}) {
      if (shape == ClusterShape::kPrefillOnly && refresh_s > 0) continue;  // serving only
      SCOPED_TRACE(std::string(ClusterShapeName(shape)) + " refresh " + std::to_string(refresh_s));
      SimConfig config;
      config.mode = SimMode::kRealistic;
      config.shape = shape;
      if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
      config.cluster.nodes.assign(4, NodeSpec{400, "lru", 1.0});
      config.rate_scale = 8;
      config.signal_refresh_s = refresh_s;
      const RunResult plain = RunDynamo(*trace, config, "dynamo");
      const RunResult never = RunDynamo(*trace, config, "dynamo:queue_threshold=1000");
      EXPECT_EQ(never.router_held, 0u);
      EXPECT_EQ(never.ttft_mean_s, plain.ttft_mean_s);
      EXPECT_EQ(never.hit_blocks, plain.hit_blocks);
      const std::string spec = "dynamo:queue_threshold=0.5,queue_policy=wspt";
      const RunResult r = RunDynamo(*trace, config, spec);
      EXPECT_EQ(r.served + r.rejected - r.rejected_decode, trace->size());
      EXPECT_GT(r.router_held, 0u);
      EXPECT_GT(r.router_wait_mean_s, 0);
      const RunResult again = RunDynamo(*trace, config, spec);
      EXPECT_EQ(again.ttft_mean_s, r.ttft_mean_s);
      EXPECT_EQ(again.router_wait_mean_s, r.router_wait_mean_s);
    }
  }
}

}  // namespace
}  // namespace kvb
