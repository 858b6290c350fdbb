// Tier G3: local SSD under each node's DRAM, fed by what DRAM evicts. Checked against
// schedules worked out by hand and an independent count of the reusable blocks.

#include <map>
#include <memory>
#include <string>
#include <string_view>
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
using testing::MakeTrace;
using testing::MillisecondPerTokenCost;
using testing::ReusableBlocks;
using testing::ScriptedRouter;
using testing::SpacedOut;

// 4-token blocks, 1 ms per prefilled token, 2 KV bytes per token, free H2D; the SSD reads
// 200 B/s: 10 ms per token.
CostModel SsdCost() {
  const CostModel base = MillisecondPerTokenCost(4);
  HardwareProfile hw = base.hardware();
  hw.ssd_bytes = 1000;
  hw.ssd_read_bytes_per_s = 200;
  hw.ssd_dollars_per_gb_hour = 2;
  return CostModel(base.model(), hw, 4);
}

SimConfig OneNode(size_t dram_blocks, size_t ssd_blocks) {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.cluster.nodes.assign(1, NodeSpec{dram_blocks, "lru", 1.0, ssd_blocks, "lru"});
  config.cost = SsdCost();
  return config;
}

// DRAM of 2 blocks, SSD of 10. R0 (blocks 1 2) is done at 8 ms and stored: DRAM 2 then 1.
// R1 (3 4) done at 108 ms stores 4 (evicting 2 to SSD) and 3 (evicting 1 to SSD). R2
// (1 2 5, 12 tokens) at 200 ms finds 1 2 on SSD only: reads 8 tokens (80 ms), then
// computes 4 (4 ms).
TEST(SsdTierTest, ABlockDramEvictedIsReadFromSsd) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 8, {3, 4}}, {200, 12, {1, 2, 5}}}, 4);
  ScriptedRouter router({0, 0, 0});
  const RunResult r = Simulate(*trace, OneNode(2, 10), router);
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_EQ(r.ssd_hit_blocks, 2u);
  EXPECT_EQ(r.ssd_read_bytes, 16u);
  EXPECT_EQ(r.load_bytes, 16u);  // then loaded into HBM
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.008 + 0.084) / 3, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, 0.080 / 3, kEps);
  EXPECT_NEAR(r.makespan_s, 0.284, kEps);
  // The router saw the whole prefix, 2 blocks, and its price: 80 ms read + 4 ms.
  EXPECT_EQ(router.views_[2].prefix[0], 2u);
  EXPECT_NEAR(router.views_[2].prefill_s_with_prefix[0], 0.084, kEps);
  // Billed: 10 SSD blocks of 8 bytes for 0.284 s, at $2 per GB-hour.
  const double gb_hours = 10 * 8 * 0.284 / (1e9 * 3600);
  EXPECT_NEAR(r.ssd_provisioned_gb_hours, gb_hours, 1e-20);
  SimConfig priced = OneNode(2, 10);
  priced.prices.ssd_dollars_per_gb_hour = 2;
  ScriptedRouter again({0, 0, 0});
  const RunResult p = Simulate(*trace, priced, again);
  ScriptedRouter plain_router({0, 0, 0});
  SimConfig no_ssd_priced = OneNode(2, 0);
  no_ssd_priced.prices.ssd_dollars_per_gb_hour = 2;
  const RunResult plain = Simulate(*trace, no_ssd_priced, plain_router);
  // The same DRAM bill (makespans differ), plus the SSD's.
  EXPECT_NEAR(p.storage_usd - p.provisioned_gb_hours * priced.prices.storage_dollars_per_gb_hour,
              2 * gb_hours, 1e-18);
  // Without the SSD, R2 reuses nothing and computes 12 tokens.
  EXPECT_EQ(plain.hit_blocks, 0u);
  EXPECT_TRUE(!plain.ssd_tier);
  EXPECT_NEAR(plain.ttft_mean_s, (0.008 + 0.008 + 0.012) / 3, kEps);
}

// A prefix split between DRAM and SSD reads only the SSD's part: DRAM of 3 blocks. R0
// (1 2 3) stores 3 2 1; R1 (4 5, 8 tokens) stores 5 (evicting 3 to SSD) and 4 (evicting
// 2). R2 (1 2 3 6, 16 tokens): block 1 in DRAM, 2 3 on SSD: reads 8 tokens (80 ms) and
// computes 4.
TEST(SsdTierTest, APrefixSplitOverDramAndSsdReadsTheSsdPart) {
  const auto trace = MakeTrace({{0, 12, {1, 2, 3}}, {100, 8, {4, 5}}, {200, 16, {1, 2, 3, 6}}}, 4);
  ScriptedRouter router({0, 0, 0});
  const RunResult r = Simulate(*trace, OneNode(3, 10), router);
  EXPECT_EQ(r.hit_blocks, 3u);
  EXPECT_EQ(r.ssd_hit_blocks, 2u);
  EXPECT_EQ(r.ssd_read_bytes, 16u);
  EXPECT_EQ(r.load_bytes, 24u);  // 12 tokens into HBM, 8 of them read from SSD first
  EXPECT_NEAR(r.ttft_mean_s, (0.012 + 0.008 + 0.084) / 3, kEps);
}

// Dynamo credits the SSD part at disk_hit_weight = 0.25 (DRAM counts as the device without
// an HBM tier): the view exposes the split.
TEST(SsdTierTest, TheViewSplitsThePrefixAtTheMemoryRun) {
  const auto trace = MakeTrace({{0, 12, {1, 2, 3}}, {100, 8, {4, 5}}, {200, 16, {1, 2, 3, 6}}}, 4);
  class Recorder final : public Router {
   public:
    RouteDecision Route(const ClusterView& view) override {
      memory.push_back(view.memory_prefix_blocks(0));
      whole.push_back(view.prefix_blocks(0));
      ssd = view.ssd_tier();
      return 0;
    }
    std::vector<uint32_t> memory, whole;
    bool ssd = false;
  } recorder;
  Simulate(*trace, OneNode(3, 10), recorder);
  EXPECT_TRUE(recorder.ssd);
  EXPECT_EQ(recorder.memory, (std::vector<uint32_t>{0, 0, 1}));
  EXPECT_EQ(recorder.whole, (std::vector<uint32_t>{0, 0, 3}));
}

// DRAM of one block and an SSD larger than the workload, requests far apart: every
// reusable block (the leading blocks seen in any earlier request, counted here) is hit, and
// the hits beyond those DRAM alone gives are read from SSD (the SSD takes only what DRAM
// evicts, so DRAM holds the same blocks with or without it).
TEST(SsdTierTest, AnUnboundedSsdReachesTheReusableShare) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = SpacedOut(*GenerateWorkload(preset->spec, 200, 5), 1000000);
  const uint64_t reusable = ReusableBlocks(*trace);
  ASSERT_GT(reusable, 0u);
  for (const ClusterShape shape : {ClusterShape::kPrefillOnly, ClusterShape::kAggregated}) {
    SCOPED_TRACE(std::string(ClusterShapeName(shape)));
    SimConfig config;
    config.mode = SimMode::kRealistic;
    config.shape = shape;
    config.cluster.nodes.assign(1, NodeSpec{1, "lru", 1.0, size_t{1} << 30, "lru"});
    ScriptedRouter router(std::vector<uint32_t>(trace->size(), 0));
    const RunResult r = Simulate(*trace, config, router);
    EXPECT_EQ(r.hit_blocks, reusable);
    EXPECT_GT(r.ssd_hit_blocks, 0u);
    config.cluster.nodes[0].ssd_capacity_blocks = 0;
    ScriptedRouter plain(std::vector<uint32_t>(trace->size(), 0));
    EXPECT_EQ(Simulate(*trace, config, plain).hit_blocks, r.hit_blocks - r.ssd_hit_blocks);
  }
}

// Every router runs with DRAM and SSD, with and without HBM's cache, in both serving
// shapes, conserving requests, and the same run repeats exactly.
class EveryRouterOnTiers : public ::testing::TestWithParam<bool> {};
TEST_P(EveryRouterOnTiers, ConservesAndRepeats) {
  const bool hbm = GetParam();
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 300, 7);
  std::map<ClusterShape, uint64_t> ssd_hits;
  const auto make = [&](ClusterShape shape) {
    SimConfig config;
    config.mode = SimMode::kRealistic;
    config.shape = shape;
    if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
    CostProfile profile = DefaultProfile();  // 4,000 HBM blocks of 16 tokens: 125 of 512
    profile.serving->hbm_bytes_per_gpu = (141.2e9 + 64e9 + 4000.5 * 16 * 327680) / 8;
    config.cost = CostModel(profile);
    config.cluster.nodes.assign(4, NodeSpec{50, "lru", 1.0, 400, "s3fifo"});
    config.cluster.hbm_prefix_cache = hbm;
    config.rate_scale = 8;
    return config;
  };
  testing::ForEveryRouterAndShape(*trace, {ClusterShape::kAggregated, ClusterShape::kDisaggregated},
                                  make,
                                  [&](std::string_view, ClusterShape shape, const RunResult& r) {
                                    EXPECT_EQ(r.finished + r.rejected, trace->size());
                                    EXPECT_LE(r.hbm_hit_blocks + r.ssd_hit_blocks, r.hit_blocks);
                                    ssd_hits[shape] += r.ssd_hit_blocks;
                                  });
  // Without HBM's cache, DRAM's 50 blocks spill to SSD and the SSD serves hits. (HBM's
  // 125 blocks cover most of what DRAM evicts.)
  if (!hbm) {
    EXPECT_GT(ssd_hits[ClusterShape::kAggregated], 0u);
    EXPECT_GT(ssd_hits[ClusterShape::kDisaggregated], 0u);
  }
}
INSTANTIATE_TEST_SUITE_P(SsdTier, EveryRouterOnTiers, ::testing::Bool());

// The first schedule's three requests (R2 reuses blocks 1 and 2 from SSD), on OneNode(2,
// 10) whose SSD takes `latency_s` per read and writes at `write_bytes_per_s` (0: free).
RunResult FirstScheduleWith(double latency_s, double write_bytes_per_s, ScriptedRouter& router) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 8, {3, 4}}, {200, 12, {1, 2, 5}}}, 4);
  SimConfig config = OneNode(2, 10);
  HardwareProfile hw = config.cost.hardware();
  hw.ssd_read_latency_s = latency_s;
  hw.ssd_write_bytes_per_s = write_bytes_per_s;
  config.cost = CostModel(config.cost.model(), hw, 4);
  return Simulate(*trace, config, router);
}

// A read's latency is paid once, before its bytes: the first schedule with 5 ms per read
// ends R2 at 289 ms (5 + 80 ms read, 4 ms compute).
TEST(SsdTierTest, AReadPaysItsLatencyOnce) {
  ScriptedRouter router({0, 0, 0});
  const RunResult r = FirstScheduleWith(0.005, 0, router);
  EXPECT_EQ(r.ssd_hit_blocks, 2u);
  EXPECT_NEAR(r.makespan_s, 0.289, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, 0.085 / 3, kEps);
  EXPECT_NEAR(router.views_[2].prefill_s_with_prefix[0], 0.089, kEps);  // predicted too
}

// Demoted blocks hold the SSD at its write bandwidth, and a read queues behind them: the
// first schedule with writes at 16 B/s. R1 ends at 108 ms demoting blocks 1 and 2 (16
// bytes: the SSD writes until 1.108 s); R2 at 200 ms reads from 1.108 s to 1.188 s and
// computes 4 ms.
TEST(SsdTierTest, AReadWaitsForTheWritesBeforeIt) {
  ScriptedRouter router({0, 0, 0});
  const RunResult r = FirstScheduleWith(0, 16, router);
  EXPECT_EQ(r.ssd_hit_blocks, 2u);
  EXPECT_NEAR(r.makespan_s, 1.192, kEps);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.008 + 0.992) / 3, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, 0.988 / 3, kEps);  // 908 ms waiting, 80 ms reading
  // R2's own store at 1.192 s demotes 4, 3 and 5 (R2 stores 5 2 1 into 2 blocks of DRAM).
  EXPECT_EQ(r.ssd_write_bytes, 5u * 8);
}

// Occupied billing bills the SSD's resident bytes over time: blocks 1 and 2 from 108 ms to
// the end at 284 ms (R2's store at the end adds 3 more for no time).
TEST(SsdTierTest, OccupiedBillingBillsTheSsdsResidentBytes) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 8, {3, 4}}, {200, 12, {1, 2, 5}}}, 4);
  SimConfig config = OneNode(2, 10);
  config.prices.ssd_dollars_per_gb_hour = 2;
  config.prices.storage_dollars_per_gb_hour = 0;
  ScriptedRouter router({0, 0, 0});
  const RunResult provisioned = Simulate(*trace, config, router);
  const double occupied_gb_hours = 2 * 8 * (0.284 - 0.108) / (1e9 * 3600);
  EXPECT_NEAR(provisioned.ssd_cached_gb_hours, occupied_gb_hours, 1e-22);
  EXPECT_NEAR(provisioned.storage_usd, 2 * provisioned.ssd_provisioned_gb_hours, 1e-20);
  config.prices.storage_billing = StorageBilling::kOccupied;
  ScriptedRouter again({0, 0, 0});
  const RunResult occupied = Simulate(*trace, config, again);
  EXPECT_NEAR(occupied.storage_usd, 2 * occupied_gb_hours, 1e-22);
  EXPECT_LT(occupied.storage_usd, provisioned.storage_usd);
}

// On a serving engine two requests arriving together read their SSD blocks one after the
// other (one block: 1 s each). R0-R2 and R5 leave blocks 1, 2, 3 on SSD (DRAM holds 6); R3
// and R4 arrive at 10 s: R3 loads in 1 s + H2D, R4 waits 1 s more.
TEST(SsdTierTest, ReadsOnOneSsdQueue) {
  const auto trace = MakeTrace({{0, 16, {1}},
                                {0, 16, {2}},
                                {0, 16, {3}},
                                {5000, 16, {6}},
                                {10000, 32, {1, 4}},
                                {10000, 32, {2, 5}}},
                               16);
  CostProfile profile = HandServingProfile();
  profile.hardware.ssd_read_bytes_per_s = 16 * 327680;  // a block a second
  profile.hardware.ssd_read_latency_s = 0;
  profile.hardware.ssd_write_bytes_per_s = 0;
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.shape = ClusterShape::kAggregated;
  config.cost = CostModel(profile);
  config.cluster.nodes.assign(1, NodeSpec{1, "lru", 1.0, 10, "lru"});
  ScriptedRouter router(std::vector<uint32_t>(trace->size(), 0));
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.ssd_hit_blocks, 2u);
  const double h2d_s = 16 * 327680 / 100e9;
  EXPECT_NEAR(r.ttft_load_mean_s, (1 + h2d_s + 2 + h2d_s) / 6, kEps);
}

TEST(SsdTierTest, ConfigErrorsNameTheField) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}}, 4);
  SimConfig seed = OneNode(2, 10);
  seed.mode = SimMode::kSeedCompat;
  try {
    ValidateSimConfig(*trace, seed);
    ADD_FAILURE() << "seed mode has no SSD";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster.nodes[0].ssd"), std::string::npos) << e.what();
  }
  SimConfig no_bandwidth = OneNode(2, 10);
  no_bandwidth.cost = MillisecondPerTokenCost(4);  // no SSD in this profile
  try {
    ValidateSimConfig(*trace, no_bandwidth);
    ADD_FAILURE() << "an SSD needs a read bandwidth";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ssd_read_bytes_per_s"), std::string::npos) << e.what();
  }
  SimConfig bad_policy = OneNode(2, 10);
  bad_policy.cluster.nodes[0].ssd_eviction = "mru";
  EXPECT_THROW(ValidateSimConfig(*trace, bad_policy), InputError);
}

}  // namespace
}  // namespace kvb
