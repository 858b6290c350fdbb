// The aggregated shape: cells whose nodes run the serving engine, checked against
// schedules computed by hand and against conservation on generated workloads.

#include <cmath>
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
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::HandServingProfile;
using testing::kEps;

SimConfig AggregatedConfig(const CostProfile& profile, size_t nodes) {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.shape = ClusterShape::kAggregated;
  config.cluster.nodes.assign(nodes, NodeSpec{1000, "lru", 1.0});
  config.cost = CostModel(profile);
  return config;
}

struct Req {
  int64_t ms;
  uint32_t input, output;
  std::vector<RawBlockId> ids;
};

std::shared_ptr<const Trace> MakeTrace(const std::vector<Req>& requests) {
  TraceBuilder builder(16);
  for (const Req& r : requests) {
    EXPECT_FALSE(builder.Add(r.ms, r.input, r.output, r.ids).has_value());
  }
  return builder.Finish();
}

// Sends every request to node 0 and records the serving signals each decision saw.
class SignalRecorder final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    seen.push_back({view.running_requests(0), view.waiting_requests(0), view.active_kv_blocks(0),
                    view.queued_prefill_tokens(0), view.queued_work_s(0), view.kv_utilisation(0)});
    return 0;
  }
  struct Seen {
    uint32_t running, waiting;
    uint64_t active_kv, prefill_tokens;
    double queued_work_s, kv_utilisation;
  };
  std::vector<Seen> seen;
};

// A (10-token prompt, 3 tokens out) at 0 and B (100 tokens, 1 out) at 0.5 s on one node:
// step 1 [0, 1.1] A's prompt; step 2 [1.1, 2.73] A's decode + 63 of B's tokens; step 3
// [2.73, 4.1] A's last decode + B's last 37 tokens.
TEST(AggregatedShapeTest, TwoRequestsOnOneNodeByHand) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}, {500, 100, 1, {2, 3, 4, 5, 6, 7, 8}}});
  SimConfig config = AggregatedConfig(HandServingProfile(), 1);
  config.ttft_slo_s = 2;
  SignalRecorder router;
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.served, 2u);
  EXPECT_EQ(r.finished, 2u);
  EXPECT_EQ(r.output_tokens, 4u);
  // TTFT: A 1.1, B 4.1 - 0.5 = 3.6. B waited 0.6 s for step 2, then prefilled for 3 s.
  EXPECT_NEAR(r.ttft_mean_s, (1.1 + 3.6) / 2, kEps);
  EXPECT_NEAR(r.ttft_queue_mean_s, 0.6 / 2, kEps);
  EXPECT_NEAR(r.ttft_prefill_mean_s, (1.1 + 3.0) / 2, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, 0, kEps);
  // A's gaps 1.63 and 1.37: mean 1.5 (B has one token, no gap).
  EXPECT_NEAR(r.tbt_mean_s, 1.5, kEps);
  EXPECT_NEAR(r.tbt_slowest10_mean_s, 1.63, kEps);  // ceil(10% of 2 gaps) = the slower one
  EXPECT_NEAR(r.tbt_slowest10_p90_s, 1.63, kEps);
  EXPECT_NEAR(r.tbt_max_s, 1.63, kEps);
  EXPECT_NEAR(r.itl_p50_s, 1.37, 1.37 * 0.005);
  EXPECT_NEAR(r.itl_p99_s, 1.63, 1.63 * 0.005);
  EXPECT_NEAR(r.e2e_mean_s, (4.1 + 3.6) / 2, kEps);
  EXPECT_NEAR(r.makespan_s, 4.1, kEps);
  EXPECT_NEAR(r.output_tokens_per_s, 4 / 4.1, kEps);
  EXPECT_NEAR(r.gpu_seconds, 4.1, kEps);  // busy in every step
  EXPECT_NEAR(r.node_seconds, 4.1, kEps);
  // Steps of 1, 2 and 2 requests for 1.1, 1.63 and 1.37 s.
  EXPECT_NEAR(r.batch_size_mean, (1.1 + 2 * 1.63 + 2 * 1.37) / 4.1, kEps);
  // HBM blocks in use: 1 in step 1 (A's 10 tokens), 1 + 4 in step 2 (B's first 63 tokens),
  // 1 + 7 in step 3 (B's 100): 20.21 block-seconds over 82,931 blocks and 4.1 s.
  const double hbm = (1 * 1.1 + 5 * 1.63 + 8 * 1.37) / (82931 * 4.1);
  EXPECT_NEAR(r.hbm_utilisation_mean, hbm, 1e-15);
  ASSERT_EQ(r.windows.size(), 1u);
  EXPECT_NEAR(r.windows[0].hbm_utilisation, hbm, 1e-15);
  EXPECT_NEAR(r.windows[0].batch_size, r.batch_size_mean, kEps);
  EXPECT_EQ(r.windows[0].queue_length.size(), 1u);
  // Only A meets the 2 s TTFT SLO.
  EXPECT_NEAR(r.goodput, 0.5, kEps);
  EXPECT_NEAR(r.slo_attainment, 0.5, kEps);
  // At B's arrival A is running (its 10 tokens in one block, its prompt scheduled) and
  // its predicted prefill (1.1 s) is the node's queued work.
  ASSERT_EQ(router.seen.size(), 2u);
  EXPECT_EQ(router.seen[0].running, 0u);
  EXPECT_EQ(router.seen[1].running, 1u);
  EXPECT_EQ(router.seen[1].waiting, 0u);
  EXPECT_EQ(router.seen[1].active_kv, 1u);
  EXPECT_EQ(router.seen[1].prefill_tokens, 0u);
  EXPECT_NEAR(router.seen[1].queued_work_s, 1.1, kEps);
  EXPECT_NEAR(router.seen[1].kv_utilisation, 1.0 / 82931, 1e-12);
  // A TBT SLO of 1.6 s fails A as well (its slowest gap is 1.63 s).
  config.tbt_slo_s = 1.6;
  SignalRecorder again;
  EXPECT_NEAR(Simulate(*trace, config, again).goodput, 0, kEps);
}

// A prefix stored at the first token is loaded from host DRAM by the next request.
TEST(AggregatedShapeTest, AReusedPrefixLoadsFromHostMemory) {
  const auto trace = MakeTrace({{0, 32, 1, {1, 2}}, {10000, 48, 1, {1, 2, 3}}});
  SimConfig config = AggregatedConfig(HandServingProfile(), 1);
  SignalRecorder router;
  const RunResult r = Simulate(*trace, config, router);
  const double load_s = 32 * 327680 / 100e9;  // two blocks of 16 tokens
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_EQ(r.load_bytes, 32u * 327680u);
  // The first: 32 tokens, 1.32 s; the second computes 16 tokens (1.16 s) once loaded.
  EXPECT_NEAR(r.ttft_mean_s, (1.32 + load_s + 1.16) / 2, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, load_s / 2, kEps);
  EXPECT_NEAR(r.makespan_s, 10 + load_s + 1.16, kEps);
  // Reuse saved 16 tokens of prefill: 0.16 s... as the step model prices a prompt alone:
  // 1.48 s for 48 tokens against 1.16 s.
  EXPECT_NEAR(r.gpu_seconds_saved, 1.48 - 1.16, kEps);
  // Loaded layer by layer under its 1.16 s prefill, the 105 us load delays nothing.
  config.overlap_load = true;
  SignalRecorder overlapped;
  const RunResult o = Simulate(*trace, config, overlapped);
  EXPECT_NEAR(o.ttft_mean_s, (1.32 + 1.16) / 2, kEps);
  EXPECT_NEAR(o.ttft_load_mean_s, 0, kEps);
  EXPECT_EQ(o.load_bytes, r.load_bytes);
}

// Admission against the TTFT SLO counts its rejections apart from the router's.
TEST(AggregatedShapeTest, AdmissionRejectsOnPredictedTtft) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}, {500, 100, 1, {2, 3, 4, 5, 6, 7, 8}}});
  SimConfig config = AggregatedConfig(HandServingProfile(), 1);
  config.ttft_slo_s = 1.5;
  config.reject_over_slo = true;
  SignalRecorder router;
  // B: 1.1 s queued + 3.0 s predicted > 1.5 s.
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.rejected_admission, 1u);
  EXPECT_EQ(r.rejected_router, 0u);
  EXPECT_EQ(r.finished, 1u);
  EXPECT_NEAR(r.goodput, 0.5, kEps);
}

// A node of 10 HBM blocks (160 tokens): a 200-token prompt never fits and is refused; two
// requests needing 8 blocks each cannot both run: one is preempted and recomputed.
TEST(AggregatedShapeTest, HbmLimitsRefuseAndPreempt) {
  CostProfile profile = HandServingProfile();
  profile.serving->hbm_bytes_per_gpu = (141.2e9 + 64e9 + 10.5 * 16 * 327680) / 8;
  std::vector<RawBlockId> long_ids;
  for (RawBlockId id = 100; id < 113; ++id) long_ids.push_back(id);
  const auto trace =
      MakeTrace({{0, 64, 60, {1, 2, 3, 4}}, {0, 64, 60, {5, 6, 7, 8}}, {100, 200, 1, long_ids}});
  SimConfig config = AggregatedConfig(profile, 1);
  SignalRecorder router;
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.rejected_engine, 1u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.finished, 2u);
  EXPECT_EQ(r.output_tokens, 120u);
  EXPECT_GE(r.preemptions, 1u);
}

SimConfig DisaggregatedConfig(const CostProfile& profile, size_t prefill, size_t decode) {
  SimConfig config = AggregatedConfig(profile, prefill);
  config.shape = ClusterShape::kDisaggregated;
  config.decode_nodes = decode;
  return config;
}

// A (10 tokens, 3 out) on one prefill and one decode node: the prefill [0, 1.1] yields
// the first token; 10 tokens of KV (3,276,800 bytes at 100 GB/s) reach the decode node
// 32.768 us later; its step computing the first token's KV (1.01 s) yields the second,
// a decode (1 s) the third. B (1 token out) never leaves its prefill node.
TEST(DisaggregatedShapeTest, APrefillThenATransferThenDecodesByHand) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}, {10000, 20, 1, {2, 3}}});
  SimConfig config = DisaggregatedConfig(HandServingProfile(), 1, 1);
  SignalRecorder router;
  const RunResult r = Simulate(*trace, config, router);
  const double transfer_s = 10 * 327680 / 100e9;
  EXPECT_EQ(r.finished, 2u);
  EXPECT_EQ(r.output_tokens, 4u);
  EXPECT_EQ(r.pd_transfer_bytes, 10u * 327680u);
  EXPECT_EQ(r.transfer_bytes, 10u * 327680u);
  EXPECT_NEAR(r.ttft_mean_s, (1.1 + 1.2) / 2, kEps);
  // A's gaps: 1.1 -> 2.11 + transfer, then 1 s; B has none.
  EXPECT_NEAR(r.tbt_mean_s, (1.01 + transfer_s + 1.0) / 2, kEps);
  EXPECT_NEAR(r.tbt_slowest10_mean_s, 1.01 + transfer_s, kEps);
  EXPECT_NEAR(r.tbt_max_s, 1.01 + transfer_s, kEps);
  EXPECT_NEAR(r.e2e_mean_s, (3.11 + transfer_s + 1.2) / 2, kEps);
  // Prefill node busy 1.1 + 1.2 s, decode node 2.01 s; two nodes for 11.2 s.
  EXPECT_NEAR(r.gpu_seconds, 1.1 + 1.2 + 2.01, kEps);
  EXPECT_NEAR(r.nodes[0].busy_s, 2.3, kEps);
  EXPECT_NEAR(r.makespan_s, 11.2, kEps);
  EXPECT_NEAR(r.node_seconds, 2 * 11.2, kEps);
  // Streamed from the prefill's start, the KV is there when the first token is: the second
  // token comes 1.01 s after the first.
  config.stream_kv = true;
  SignalRecorder streamed;
  const RunResult s = Simulate(*trace, config, streamed);
  EXPECT_NEAR(s.tbt_slowest10_mean_s, 1.01, kEps);
  EXPECT_NEAR(s.e2e_mean_s, (3.11 + 1.2) / 2, kEps);
  EXPECT_EQ(s.pd_transfer_bytes, r.pd_transfer_bytes);
  // The window lists both nodes' queues: the prefill node's, then the decode node's.
  ASSERT_EQ(r.windows.size(), 1u);
  EXPECT_EQ(r.windows[0].queue_length.size(), 2u);
  EXPECT_GT(r.windows[0].batch_size, 0);
}

// The decode pool cannot keep a 0.5 s TBT (every step takes 1 s): mooncake_tbt refuses
// after the prefill (its 1.1 s wasted); early rejection refuses at arrival instead.
TEST(DisaggregatedShapeTest, RejectionAfterPrefillAndEarlyRejection) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}});
  SimConfig config = DisaggregatedConfig(HandServingProfile(), 1, 2);
  config.decode_selector = "mooncake_tbt";
  config.tbt_slo_s = 0.5;
  SignalRecorder router;
  RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.served, 1u);
  EXPECT_EQ(r.finished, 0u);
  EXPECT_EQ(r.rejected_decode, 1u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_NEAR(r.wasted_prefill_s, 1.1, kEps);
  EXPECT_EQ(r.pd_transfer_bytes, 0u);
  EXPECT_NEAR(r.goodput, 0, kEps);
  for (const EarlyRejection rule : {EarlyRejection::kCurrentLoad, EarlyRejection::kPredictedLoad}) {
    config.early_rejection = rule;
    SignalRecorder early;
    r = Simulate(*trace, config, early);
    EXPECT_EQ(r.served, 0u);
    EXPECT_EQ(r.rejected_admission, 1u);
    EXPECT_EQ(r.rejected_decode, 0u);
    EXPECT_NEAR(r.wasted_prefill_s, 0, kEps);
  }
  // With a 2 s TBT SLO the request goes through.
  config.tbt_slo_s = 2;
  SignalRecorder fine;
  r = Simulate(*trace, config, fine);
  EXPECT_EQ(r.finished, 1u);
  EXPECT_NEAR(r.goodput, 1, kEps);
}

// Routers and admission see the predictor; the engine keeps the truth.
TEST(PredictorTest, BiasAndNoiseChangePredictionsNotTime) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}, {500, 100, 1, {2, 3, 4, 5, 6, 7, 8}}});
  SimConfig config = AggregatedConfig(HandServingProfile(), 1);
  SignalRecorder exact;
  const RunResult truth = Simulate(*trace, config, exact);
  // Alone, A's prefill takes 1.1 s and B's 3.0 s, as they did: no error.
  EXPECT_NEAR(truth.prediction_error_mean, 0, kEps);
  EXPECT_NEAR(exact.seen[1].queued_work_s, 1.1, kEps);
  config.predictor.bias = 2;
  SignalRecorder biased;
  const RunResult r = Simulate(*trace, config, biased);
  EXPECT_NEAR(biased.seen[1].queued_work_s, 2.2, kEps);  // A's prefill, predicted twice as long
  EXPECT_NEAR(r.prediction_error_mean, 1.0, kEps);       // |2 x t / t - 1| for both
  EXPECT_NEAR(r.prediction_error_p90, 1.0, 0.005);
  EXPECT_EQ(r.ttft_mean_s, truth.ttft_mean_s);  // time runs on the truth
  EXPECT_EQ(r.makespan_s, truth.makespan_s);
  // Noise: the same draw for the same seed, another for another seed.
  config.predictor.bias = 1;
  config.predictor.noise_sigma = 0.5;
  SignalRecorder a, b, c;
  const double error_a = Simulate(*trace, config, a).prediction_error_mean;
  EXPECT_EQ(Simulate(*trace, config, b).prediction_error_mean, error_a);
  EXPECT_GT(error_a, 0);
  config.seed = 2;
  EXPECT_NE(Simulate(*trace, config, c).prediction_error_mean, error_a);
  EXPECT_EQ(a.seen[1].queued_work_s, b.seen[1].queued_work_s);
  EXPECT_NE(a.seen[1].queued_work_s, c.seen[1].queued_work_s);
  // Another profile's model: an 8xH800 node predicts the A800 node's prefills faster.
  config = AggregatedConfig(HandServingProfile(), 1);
  CostProfile other = DefaultProfile();
  other.block_tokens = 16;
  config.predictor.model = CostModel(other);
  SignalRecorder fitted;
  const RunResult f = Simulate(*trace, config, fitted);
  EXPECT_LT(fitted.seen[1].queued_work_s, 0.1);  // the roofline: tens of ms for 10 tokens
  EXPECT_GT(f.prediction_error_mean, 0.9);
  EXPECT_EQ(f.ttft_mean_s, truth.ttft_mean_s);
}

// prefill_only cells: the predicted prefill is the cost model's times the bias.
TEST(PredictorTest, PrefillOnlyAdmissionUsesThePrediction) {
  const auto trace = testing::MakeTrace({{0, 1000, {1, 2}}, {100, 1000, {3, 4}}}, 512);
  SimConfig config = testing::RealisticConfig(1, 100);
  config.cost = testing::MillisecondPerTokenCost(512);
  config.ttft_slo_s = 2;
  config.reject_over_slo = true;
  // Exact: A predicted 1 s; B, arriving at 0.1 s, 0.9 s queued + 1 s: both admitted.
  testing::ScriptedRouter exact({0, 0});
  const RunResult e = Simulate(*trace, config, exact);
  EXPECT_EQ(e.rejected, 0u);
  EXPECT_NEAR(e.prediction_error_mean, 0, kEps);
  // Twice: A's 2 s is within the SLO, B's 0.9 + 2 s is not.
  config.predictor.bias = 2;
  testing::ScriptedRouter biased({0, 0});
  const RunResult r = Simulate(*trace, config, biased);
  EXPECT_EQ(r.rejected_admission, 1u);
  EXPECT_NEAR(r.prediction_error_mean, 1.0, kEps);  // A: 2 s predicted, 1 s taken
  // Three times: both refused.
  config.predictor.bias = 3;
  testing::ScriptedRouter both({0, 0});
  EXPECT_EQ(Simulate(*trace, config, both).rejected_admission, 2u);
  config.predictor.bias = 0;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config.predictor.bias = 1;
  config.predictor.noise_sigma = 7;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
}

TEST(AggregatedShapeTest, ConfigsThatCannotRunAreRefused) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}});
  SimConfig config = AggregatedConfig(HandServingProfile(), 1);
  config.mode = SimMode::kSeedCompat;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  CostProfile no_serving = HandServingProfile();
  no_serving.serving.reset();
  config.cost = CostModel(no_serving);
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  config.cluster.nodes[0].speed = 2;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  config.shape = ClusterShape::kPrefillOnly;
  config.tbt_slo_s = 0.1;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config.tbt_slo_s = 0;
  config.signal_refresh_s = 1;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = DisaggregatedConfig(HandServingProfile(), 1, 0);  // no decode pool
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  config.decode_nodes = 2;  // decode nodes without disaggregation
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = DisaggregatedConfig(HandServingProfile(), 1, 1);
  config.decode_selector = "fastest";
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = DisaggregatedConfig(HandServingProfile(), 1, 1);
  config.early_rejection = EarlyRejection::kCurrentLoad;  // no TBT SLO to judge by
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  config.stream_kv = true;  // nothing to stream to
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
  config = AggregatedConfig(HandServingProfile(), 1);
  config.shape = ClusterShape::kPrefillOnly;
  config.overlap_load = true;
  EXPECT_THROW(ValidateSimConfig(*trace, config), InputError);
}

// Every router runs an aggregated cluster on a generated workload; every request is
// refused or finishes once, with all its tokens; signal staleness changes nothing of that.
TEST(AggregatedShapeTest, EveryRouterConservesRequestsAndTokens) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 300, 7);
  uint64_t tokens = 0;
  for (size_t i = 0; i < trace->size(); ++i)
    tokens += std::max<uint32_t>((*trace)[i].output_tokens, 1);
  for (const ClusterShape shape : {ClusterShape::kAggregated, ClusterShape::kDisaggregated}) {
    for (const double refresh_s : {0.0, 2.0}) {
      for (const RouterInfo& info : Routers()) {
        SCOPED_TRACE(std::string(info.name) + " refresh " + std::to_string(refresh_s) + " " +
                     std::string(ClusterShapeName(shape)));
        SimConfig config;
        config.mode = SimMode::kRealistic;
        config.shape = shape;
        if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
        config.cluster.nodes.assign(4, NodeSpec{2000, "lru", 1.0});
        config.rate_scale = 8;  // busy enough to batch
        config.signal_refresh_s = refresh_s;
        Strategy strategy = MakeStrategy(info.name, 1);
        const RunResult r = Simulate(*trace, config, strategy);
        EXPECT_EQ(r.finished + r.rejected, trace->size());
        EXPECT_EQ(r.served, r.finished + r.rejected_decode);
        EXPECT_EQ(r.rejected,
                  r.rejected_router + r.rejected_admission + r.rejected_engine + r.rejected_decode);
        if (r.rejected == 0) {
          EXPECT_EQ(r.output_tokens, tokens);
        }
        EXPECT_GT(r.tbt_mean_s, 0);
        EXPECT_GE(r.itl_p99_s, r.itl_p50_s);
        EXPECT_GE(r.e2e_mean_s, r.ttft_mean_s);
        EXPECT_GT(r.batch_size_mean, 1);
        EXPECT_TRUE(std::isnan(r.goodput));  // no SLO set
        // TTFT is its parts.
        EXPECT_NEAR(r.ttft_mean_s,
                    r.ttft_queue_mean_s + r.ttft_transfer_mean_s + r.ttft_load_mean_s +
                        r.ttft_prefill_mean_s,
                    1e-9 * r.ttft_mean_s);
      }
    }
  }
}

// Records the milestones the simulator reports to a router; everything goes to node 0.
class MilestoneRecorder final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    log.push_back({'R', view.request_index(), 0, view.now_s()});
    return 0;
  }
  void OnFirstToken(const RoutedRequest& r) override {
    log.push_back({'F', r.request, r.node, r.t_s});
  }
  void OnFinished(const RoutedRequest& r) override {
    log.push_back({'D', r.request, r.node, r.t_s});
  }
  struct Entry {
    char what;
    uint32_t request, node;
    double t_s;
  };
  std::vector<Entry> log;
};

// The by-hand disaggregated schedule above, as the router hears it: A routed at 0, first
// token at 1.1, done at 3.11 + transfer on its decode node (reported against prefill node
// 0); B routed at 10, first and last token at 11.2. A refused after its prefill is done
// at its first token.
TEST(DisaggregatedShapeTest, RoutersHearFirstTokenAndFinishInTimeOrder) {
  const auto trace = MakeTrace({{0, 10, 3, {1}}, {10000, 20, 1, {2, 3}}});
  SimConfig config = DisaggregatedConfig(HandServingProfile(), 1, 1);
  MilestoneRecorder router;
  Simulate(*trace, config, router);
  const double transfer_s = 10 * 327680 / 100e9;
  const std::vector<MilestoneRecorder::Entry> want = {
      {'R', 0, 0, 0},  {'F', 0, 0, 1.1},  {'D', 0, 0, 3.11 + transfer_s},
      {'R', 1, 0, 10}, {'F', 1, 0, 11.2}, {'D', 1, 0, 11.2}};
  ASSERT_EQ(router.log.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(router.log[k].what, want[k].what) << k;
    EXPECT_EQ(router.log[k].request, want[k].request) << k;
    EXPECT_EQ(router.log[k].node, want[k].node) << k;
    EXPECT_NEAR(router.log[k].t_s, want[k].t_s, kEps) << k;
  }
  config.decode_selector = "mooncake_tbt";
  config.tbt_slo_s = 0.5;
  MilestoneRecorder refused;
  Simulate(*MakeTrace({{0, 10, 3, {1}}}), config, refused);
  ASSERT_EQ(refused.log.size(), 3u);
  EXPECT_EQ(refused.log[2].what, 'D');
  EXPECT_NEAR(refused.log[2].t_s, 1.1, kEps);
}

// Aggregated and prefill_only: the router hears of every request it placed exactly once
// as finished, after its first token, and of none it refused itself.
TEST(AggregatedShapeTest, EveryRoutedRequestFinishesOnceForTheRouter) {
  for (const ClusterShape shape : {ClusterShape::kAggregated, ClusterShape::kPrefillOnly}) {
    std::vector<Req> requests;
    for (int k = 0; k < 40; ++k) {
      requests.push_back({k * 50, 3000u + static_cast<uint32_t>(k % 7), 4, {RawBlockId(k % 5)}});
    }
    const auto trace = MakeTrace(requests);
    SimConfig config = AggregatedConfig(HandServingProfile(), 1);
    config.shape = shape;
    config.ttft_slo_s = 8;
    config.reject_over_slo = true;  // some are refused after routing
    MilestoneRecorder router;
    const RunResult r = Simulate(*trace, config, router);
    std::vector<int> first(requests.size(), 0), done(requests.size(), 0);
    double last_t = 0;
    for (const auto& e : router.log) {
      EXPECT_GE(e.t_s, last_t - kEps);
      last_t = e.t_s;
      if (e.what == 'F') {
        EXPECT_EQ(done[e.request], 0);
        ++first[e.request];
      }
      if (e.what == 'D') ++done[e.request];
    }
    size_t refused = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(done[i], 1) << i;
      EXPECT_LE(first[i], 1) << i;
      refused += first[i] == 0;
    }
    EXPECT_EQ(refused, r.rejected_admission) << static_cast<int>(shape);
    EXPECT_GT(refused, 0u) << static_cast<int>(shape) << " served " << r.served;
  }
}

}  // namespace
}  // namespace kvb
