// Tier G1: the serving engine's HBM keeps finished requests' blocks as a prefix cache.
// Checked against schedules worked out by hand and against an independent count of the
// reusable blocks of a generated workload.

#include <algorithm>
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
using testing::ReusableBlocks;
using testing::SpacedOut;

constexpr double kLoadSPerToken = 327680 / 100e9;  // H2D at 100 GB/s

SimConfig Config(const CostProfile& profile, size_t dram_blocks, bool hbm) {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.shape = ClusterShape::kAggregated;
  config.cluster.nodes.assign(1, NodeSpec{dram_blocks, "lru", 1.0});
  config.cluster.hbm_prefix_cache = hbm;
  config.cost = CostModel(profile);
  return config;
}

struct Req {
  int64_t ms;
  uint32_t input;
  std::vector<RawBlockId> ids;
};

std::shared_ptr<const Trace> MakeTrace(const std::vector<Req>& requests) {
  TraceBuilder builder(16);
  for (const Req& r : requests) EXPECT_FALSE(builder.Add(r.ms, r.input, 1, r.ids).has_value());
  return builder.Finish();
}

class ToNodeZero final : public Router {
 public:
  RouteDecision Route(const ClusterView& view) override {
    hbm_prefix.push_back(view.hbm_prefix_blocks(0));
    prefix.push_back(view.prefix_blocks(0));
    return 0;
  }
  std::vector<uint32_t> hbm_prefix, prefix;
};

// A (32 tokens, blocks 1 2) at 0 is done at 1.32 s; B (48 tokens, 1 2 3) at 10 s finds
// both blocks in HBM: it loads nothing and computes 16 tokens (1.16 s).
TEST(HbmTierTest, AnHbmHitLoadsNothing) {
  const auto trace = MakeTrace({{0, 32, {1, 2}}, {10000, 48, {1, 2, 3}}});
  ToNodeZero router;
  const RunResult r = Simulate(*trace, Config(HandServingProfile(), 1000, true), router);
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_EQ(r.hbm_hit_blocks, 2u);
  EXPECT_NEAR(r.hbm_hit_rate, 2.0 / 5, kEps);  // 2 of 5 block references
  EXPECT_EQ(r.load_bytes, 0u);
  EXPECT_NEAR(r.ttft_mean_s, (1.32 + 1.16) / 2, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, 0, kEps);
  EXPECT_EQ(r.hbm_evictions, 0u);
  EXPECT_EQ(router.hbm_prefix, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(router.prefix, (std::vector<uint32_t>{0, 2}));
  // Without tier G1 the same prefix loads from host DRAM (32 tokens at 100 GB/s).
  ToNodeZero plain;
  const RunResult p = Simulate(*trace, Config(HandServingProfile(), 1000, false), plain);
  EXPECT_EQ(p.hit_blocks, 2u);
  EXPECT_EQ(p.load_bytes, 32u * 327680u);
  EXPECT_NEAR(p.ttft_mean_s, (1.32 + 1.16 + 32 * kLoadSPerToken) / 2, kEps);
  EXPECT_EQ(plain.hbm_prefix, (std::vector<uint32_t>{0, 0}));
}

// HBM of 4 blocks. A (1 2) finishes at 1.32 s: HBM caches 2 then 1 (1 the most recent).
// C (10 11 12, 48 tokens) runs 2 - 3.48 s; when it leaves, its blocks are cached (12, 11,
// 10: 10 the most recent) and the 4-block cache evicts 2, the least recent. B (1 2 3) at
// 5 s finds block 1 in HBM and block 2 in DRAM only: it loads 16 tokens, computes 16.
TEST(HbmTierTest, ABlockEvictedFromHbmLoadsFromDram) {
  const auto trace = MakeTrace({{0, 32, {1, 2}}, {2000, 48, {10, 11, 12}}, {5000, 48, {1, 2, 3}}});
  ToNodeZero router;
  const RunResult r = Simulate(*trace, Config(HandServingProfile(4), 1000, true), router);
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_EQ(r.hbm_hit_blocks, 1u);
  EXPECT_EQ(r.load_bytes, 16u * 327680u);
  EXPECT_NEAR(r.ttft_mean_s, (1.32 + 1.48 + 1.16 + 16 * kLoadSPerToken) / 3, kEps);
  EXPECT_EQ(router.hbm_prefix, (std::vector<uint32_t>{0, 0, 1}));
  EXPECT_EQ(router.prefix, (std::vector<uint32_t>{0, 0, 2}));
  // Evicted: 2 (when C left), then 12 and 11 when B's 3 2 1 joined the full cache.
  EXPECT_EQ(r.hbm_evictions, 3u);
}

// DRAM of one block. Write-through stores each prompt at its first token, the last
// stored first: DRAM ends with 1 after A, 10 after C, so B reuses block 1 only (from HBM)
// and computes 32 tokens. Write-back stores what HBM evicts: 2 (when C left), so B reuses
// 1 from HBM and 2 from DRAM.
TEST(HbmTierTest, WriteBackKeepsWhatHbmEvicts) {
  const auto trace = MakeTrace({{0, 32, {1, 2}}, {2000, 48, {10, 11, 12}}, {5000, 48, {1, 2, 3}}});
  ToNodeZero through_router;
  const RunResult through =
      Simulate(*trace, Config(HandServingProfile(4), 1, true), through_router);
  EXPECT_EQ(through.hit_blocks, 1u);
  EXPECT_EQ(through.load_bytes, 0u);
  EXPECT_NEAR(through.ttft_mean_s, (1.32 + 1.48 + 1.32) / 3, kEps);
  SimConfig back_config = Config(HandServingProfile(4), 1, true);
  back_config.cluster.dram_write = DramWrite::kBack;
  ToNodeZero back_router;
  const RunResult back = Simulate(*trace, back_config, back_router);
  EXPECT_EQ(back.hit_blocks, 2u);
  EXPECT_EQ(back.hbm_hit_blocks, 1u);
  EXPECT_EQ(back.load_bytes, 16u * 327680u);
  EXPECT_NEAR(back.ttft_mean_s, (1.32 + 1.48 + 1.16 + 16 * kLoadSPerToken) / 3, kEps);
}

// Two requests at once share nothing until the first one's prefill completes: the second
// of two identical prompts arriving together computes everything; a third arriving while
// the first decodes reuses its blocks from HBM.
TEST(HbmTierTest, BlocksJoinTheCacheWhenThePrefillCompletes) {
  TraceBuilder builder(16);
  const std::vector<RawBlockId> ab = {1, 2}, c = {1, 2, 3};
  ASSERT_FALSE(builder.Add(0, 32, 5, ab).has_value());    // prefilled 0 - 1.64 s, then decodes
  ASSERT_FALSE(builder.Add(0, 32, 1, ab).has_value());    // prefilled with A
  ASSERT_FALSE(builder.Add(2000, 48, 1, c).has_value());  // A still decoding
  const auto trace = builder.Finish();
  ToNodeZero router;
  const RunResult r = Simulate(*trace, Config(HandServingProfile(), 0, true), router);
  EXPECT_EQ(router.hbm_prefix, (std::vector<uint32_t>{0, 0, 2}));
  EXPECT_EQ(r.hbm_hit_blocks, 2u);
  EXPECT_EQ(r.hit_blocks, 2u);
}

// With HBM and DRAM larger than the workload and requests far apart (each done before
// the next arrives), the hits are exactly the reusable blocks: each request's leading
// blocks seen in any earlier request, counted independently here.
TEST(HbmTierTest, AnUnboundedHierarchyReachesTheReusableShare) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  // The preset's requests, one every 1,000 s (its own timestamps tie in 3 s ticks).
  const auto trace = SpacedOut(*GenerateWorkload(preset->spec, 200, 3), 1000000);
  const uint64_t reusable = ReusableBlocks(*trace);
  ASSERT_GT(reusable, 0u);
  CostProfile profile = DefaultProfile();
  profile.serving->hbm_bytes_per_gpu = 1e14;  // about 2.4 billion tokens of KV per node
  for (const size_t dram : {size_t{0}, size_t{1} << 30}) {
    SCOPED_TRACE(dram);
    SimConfig config = Config(profile, dram, true);
    ToNodeZero router;
    const RunResult r = Simulate(*trace, config, router);
    EXPECT_EQ(r.hit_blocks, reusable);
    EXPECT_EQ(r.hbm_hit_blocks, reusable);  // HBM never evicts: every hit is there
    EXPECT_EQ(r.hbm_evictions, 0u);
    EXPECT_EQ(r.load_bytes, 0u);
  }
  // DRAM alone reaches the same hits, loading every one.
  SimConfig dram_only = Config(profile, size_t{1} << 30, false);
  ToNodeZero router;
  const RunResult d = Simulate(*trace, dram_only, router);
  EXPECT_EQ(d.hit_blocks, reusable);
  EXPECT_GT(d.load_bytes, 0u);
}

// Routers see the HBM run apart from the whole prefix: Dynamo credits the host part at
// 0.75, llm-d's precise scorer at 0.8. Every router runs on G1 with both write rules, and
// conserves requests; the same run gives the same result.
TEST(HbmTierTest, EveryRouterRunsOnTheTierAndRepeats) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 300, 7);
  for (const ClusterShape shape : {ClusterShape::kAggregated, ClusterShape::kDisaggregated}) {
    for (const DramWrite write : {DramWrite::kThrough, DramWrite::kBack}) {
      for (const RouterInfo& info : Routers()) {
        SCOPED_TRACE(std::string(info.name) + " " + std::string(ClusterShapeName(shape)) +
                     (write == DramWrite::kBack ? " back" : " through"));
        SimConfig config;
        config.mode = SimMode::kRealistic;
        config.shape = shape;
        if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
        CostProfile profile = DefaultProfile();
        profile.serving->hbm_bytes_per_gpu = (141.2e9 + 64e9 + 4000.5 * 16 * 327680) / 8;
        config.cost = CostModel(profile);
        config.cluster.nodes.assign(4, NodeSpec{200, "lru", 1.0});
        config.cluster.hbm_prefix_cache = true;
        config.cluster.dram_write = write;
        config.rate_scale = 8;
        Strategy strategy = MakeStrategy(info.name, 1);
        const RunResult r = Simulate(*trace, config, strategy);
        EXPECT_EQ(r.finished + r.rejected, trace->size());
        EXPECT_LE(r.hbm_hit_blocks, r.hit_blocks);
        EXPECT_GT(r.hbm_evictions, 0u);  // 4000 HBM blocks: the cache turns over
        Strategy again = MakeStrategy(info.name, 1);
        const RunResult r2 = Simulate(*trace, config, again);
        EXPECT_EQ(r2.hit_blocks, r.hit_blocks);
        EXPECT_EQ(r2.hbm_hit_blocks, r.hbm_hit_blocks);
        EXPECT_EQ(r2.ttft_mean_s, r.ttft_mean_s);
      }
    }
  }
}

TEST(HbmTierTest, ConfigErrorsNameTheField) {
  const auto trace = MakeTrace({{0, 32, {1, 2}}});
  SimConfig prefill_only = Config(HandServingProfile(), 10, true);
  prefill_only.shape = ClusterShape::kPrefillOnly;
  try {
    ValidateSimConfig(*trace, prefill_only);
    ADD_FAILURE() << "a prefill_only cluster has no HBM cache";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster.hbm_cache"), std::string::npos) << e.what();
  }
  SimConfig bad_policy = Config(HandServingProfile(), 10, true);
  bad_policy.cluster.hbm_eviction = "mru";
  try {
    ValidateSimConfig(*trace, bad_policy);
    ADD_FAILURE() << "mru is no policy";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster.hbm_cache.eviction"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'mru'"), std::string::npos);
  }
  SimConfig back_alone = Config(HandServingProfile(), 10, false);
  back_alone.cluster.dram_write = DramWrite::kBack;
  EXPECT_THROW(ValidateSimConfig(*trace, back_alone), InputError);
}

}  // namespace
}  // namespace kvb
