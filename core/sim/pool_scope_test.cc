// Pool scope (Mooncake Store): every node's DRAM is one pool; a prefix is assembled block
// by block from the nodes holding it. Checked against schedules worked out by hand.

#include <map>
#include <string>
#include <string_view>
#include <vector>

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

using testing::kEps;
using testing::MakeTrace;
using testing::MillisecondPerTokenCost;
using testing::ScriptedRouter;

// 4-token blocks of 8 bytes; 1 ms per prefilled token; the NIC moves a block per ms.
SimConfig Pool(size_t nodes, PoolPlacement placement = PoolPlacement::kLocal) {
  SimConfig config;
  config.mode = SimMode::kRealistic;
  config.cluster.scope = CacheScope::kPool;
  config.cluster.pool_placement = placement;
  config.cluster.nodes.assign(nodes, NodeSpec{100, "lru", 1.0});
  config.cost = MillisecondPerTokenCost(4, 8000);
  return config;
}

// A (block 1) on node 0; B (1 2) on node 1 fetches 1 from node 0 (1 ms) and keeps it; C
// (1 2 3) on node 2 fetches 1 from node 0 and 2 from node 1 (lowest holder of free links);
// D (1 2 3 4) on node 3 assembles three blocks from three holders: 1 from node 0, 2 from
// node 1, 3 from node 2, one after another on node 3's NIC (3 ms), then computes 4 tokens.
// E (1 5) on node 4 at the same instant needs block 1: node 0's link is busy until 301 ms
// (D's first part), nodes 1 and 2 later, so E reads it from node 0 at 301-302 ms.
// Pool(nodes) with DRAM of one block and an SSD of ten per node, read at `ssd_bytes_per_s`,
// pooled or not.
SimConfig SsdPool(size_t nodes, double ssd_bytes_per_s, bool pooled) {
  SimConfig config = Pool(nodes);
  config.cluster.nodes.assign(nodes, NodeSpec{1, "lru", 1.0, 10, "lru"});
  config.cluster.pool_ssd = pooled;
  HardwareProfile hw = config.cost.hardware();
  hw.ssd_read_bytes_per_s = ssd_bytes_per_s;
  config.cost = CostModel(config.cost.model(), hw, 4);
  return config;
}

TEST(PoolScopeTest, APrefixIsAssembledFromItsHolders) {
  const auto trace = MakeTrace({{0, 4, {1}},
                                {100, 8, {1, 2}},
                                {200, 12, {1, 2, 3}},
                                {300, 16, {1, 2, 3, 4}},
                                {300, 8, {1, 5}}},
                               4);
  ScriptedRouter router({0, 1, 2, 3, 4});
  const RunResult r = Simulate(*trace, Pool(5), router);
  // TTFT = transfer + load (a reused block loads in 1 ms: min(H2D, NIC)) + 4 ms of prefill:
  // A 0 + 0 + 4; B 1 + 1 + 4; C 2 + 2 + 4; D 3 + 3 + 4; E 2 (1 ms waiting for node 0) + 1 + 4.
  EXPECT_NEAR(r.ttft_mean_s, (0.004 + 0.006 + 0.008 + 0.010 + 0.007) / 5, kEps);
  EXPECT_NEAR(r.ttft_transfer_mean_s, (0.001 + 0.002 + 0.003 + 0.002) / 5, kEps);
  EXPECT_NEAR(r.ttft_load_mean_s, (0.001 + 0.002 + 0.003 + 0.001) / 5, kEps);
  EXPECT_EQ(r.hit_blocks, 0u + 1 + 2 + 3 + 1);
  EXPECT_EQ(r.fetched_blocks, 7u);
  EXPECT_EQ(r.fetch_bytes, 7u * 8);
  // Sent: node 0 block 1 to B, C, D and E; node 1 block 2 to C and D; node 2 block 3 to D.
  EXPECT_EQ(r.nodes[0].fetched_blocks_out, 4u);
  EXPECT_EQ(r.nodes[1].fetched_blocks_out, 2u);
  EXPECT_EQ(r.nodes[2].fetched_blocks_out, 1u);
  EXPECT_EQ(r.nodes[3].fetched_blocks_in, 3u);
  // A node's own prefix is what it holds: D's node held none of it.
  EXPECT_EQ(router.views_[3].prefix[3], 0u);
}

// Hashed and balanced placement put a request's new blocks on other nodes: a node then
// holds none of its own request, and the next request anywhere reads them over the pool.
TEST(PoolScopeTest, PlacementSpreadsNewBlocks) {
  const auto trace = MakeTrace({{0, 16, {1, 2, 3, 4}}, {100, 20, {1, 2, 3, 4, 5}}}, 4);
  for (const PoolPlacement placement : {PoolPlacement::kHashed, PoolPlacement::kBalanced}) {
    SCOPED_TRACE(static_cast<int>(placement));
    ScriptedRouter router({0, 0});
    const RunResult r = Simulate(*trace, Pool(4, placement), router);
    // The second request reuses all four blocks: those on node 0 locally, the rest fetched.
    EXPECT_EQ(r.hit_blocks, 4u);
    EXPECT_EQ(r.fetched_blocks + router.views_[1].prefix[0], 4u);  // local, or fetched
    if (placement == PoolPlacement::kBalanced) {
      // Balanced: four empty nodes take one block each, so node 0 holds one of the four.
      EXPECT_EQ(r.fetched_blocks, 3u);
    }
  }
}

// Every router, shape and placement: requests are conserved, a hit is never fetched twice,
// and the same run repeats exactly.
TEST(PoolScopeTest, EveryRouterRunsOnThePool) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 300, 7);
  for (const ClusterShape shape :
       {ClusterShape::kPrefillOnly, ClusterShape::kAggregated, ClusterShape::kDisaggregated}) {
    for (const PoolPlacement placement :
         {PoolPlacement::kLocal, PoolPlacement::kHashed, PoolPlacement::kBalanced}) {
      for (const RouterInfo& info : Routers()) {
        SCOPED_TRACE(std::string(info.name) + " " + std::string(ClusterShapeName(shape)) + " " +
                     std::to_string(static_cast<int>(placement)));
        SimConfig config;
        config.mode = SimMode::kRealistic;
        config.shape = shape;
        if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
        config.cluster.scope = CacheScope::kPool;
        config.cluster.pool_placement = placement;
        config.cluster.nodes.assign(4, NodeSpec{300, "lru", 1.0});
        config.rate_scale = 8;
        Strategy strategy = MakeStrategy(info.name, 1);
        const RunResult r = Simulate(*trace, config, strategy);
        EXPECT_EQ(r.served + r.rejected - r.rejected_decode, trace->size());
        EXPECT_LE(r.fetched_blocks, r.hit_blocks);
        Strategy again = MakeStrategy(info.name, 1);
        const RunResult r2 = Simulate(*trace, config, again);
        EXPECT_EQ(r2.hit_blocks, r.hit_blocks);
        EXPECT_EQ(r2.ttft_mean_s, r.ttft_mean_s);
      }
    }
  }
}

// Two nodes of one DRAM block and ten SSD blocks; SSDs read a block in 2 ms. A (1 2) on
// node 0 leaves 1 in its DRAM and 2 on its SSD. B (1 2 3) on node 1 at 100 ms: with the
// SSDs pooled it fetches 1 from node 0's DRAM (100-101 ms) and 2 from node 0's SSD (read
// 100-102 ms, sent 102-103 ms), loads 2 blocks (2 ms) and computes 4 tokens: TTFT 9 ms.
// Without them it fetches 1 only (1 ms), loads it (1 ms), computes 8 tokens: TTFT 10 ms.
TEST(PoolScopeTest, APooledSsdIsReadOnItsHolderThenSent) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 12, {1, 2, 3}}}, 4);
  for (const bool pooled : {true, false}) {
    SCOPED_TRACE(pooled);
    ScriptedRouter router({0, 1});
    const RunResult r = Simulate(*trace, SsdPool(2, 4000, pooled), router);  // 8 B in 2 ms
    EXPECT_EQ(router.views_[1].prefix[1], 0u);
    if (pooled) {
      EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.009) / 2, kEps);
      EXPECT_NEAR(r.ttft_transfer_mean_s, 0.003 / 2, kEps);
      EXPECT_EQ(r.fetched_blocks, 2u);
      EXPECT_EQ(r.ssd_hit_blocks, 1u);
      EXPECT_EQ(r.ssd_read_bytes, 8u);
      EXPECT_EQ(r.nodes[0].fetched_blocks_out, 2u);
    } else {
      EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.010) / 2, kEps);
      EXPECT_EQ(r.fetched_blocks, 1u);
      EXPECT_EQ(r.ssd_hit_blocks, 0u);
    }
  }
}

// The engine's rule weighs the pool's whole run, its SSD read included: at 10 ms per SSD
// block, fetching 1 and 2 (2 + 10 ms, then 2 ms of load and 4 of compute: 18 ms) loses to
// computing all 12 tokens (12 ms), so B fetches nothing. (Without the read it would win.)
TEST(PoolScopeTest, TheEngineRuleCountsTheSsdRead) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 12, {1, 2, 3}}}, 4);
  ScriptedRouter router({0, 1});
  const RunResult r = Simulate(*trace, SsdPool(2, 800, true), router);  // 8 B in 10 ms
  EXPECT_EQ(r.fetched_blocks, 0u);
  EXPECT_EQ(r.ssd_hit_blocks, 0u);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.012) / 2, kEps);
}

// Every router on a pool of DRAM and SSDs, in every shape: conserved and repeatable.
TEST(PoolScopeTest, EveryRouterRunsOnAPoolWithSsds) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const auto trace = GenerateWorkload(preset->spec, 300, 7);
  std::map<ClusterShape, uint64_t> ssd_hits;
  const auto make = [](ClusterShape shape) {
    SimConfig config;
    config.mode = SimMode::kRealistic;
    config.shape = shape;
    if (shape == ClusterShape::kDisaggregated) config.decode_nodes = 2;
    config.cluster.scope = CacheScope::kPool;
    config.cluster.pool_placement = PoolPlacement::kHashed;
    config.cluster.pool_ssd = true;
    config.cluster.nodes.assign(4, NodeSpec{30, "lru", 1.0, 300, "lru"});
    config.rate_scale = 8;
    return config;
  };
  testing::ForEveryRouterAndShape(
      *trace, {ClusterShape::kPrefillOnly, ClusterShape::kAggregated, ClusterShape::kDisaggregated},
      make, [&](std::string_view, ClusterShape shape, const RunResult& r) {
        EXPECT_LE(r.fetched_blocks, r.hit_blocks);
        EXPECT_LE(r.ssd_hit_blocks, r.hit_blocks);
        ssd_hits[shape] += r.ssd_hit_blocks;
      });
  for (const auto& [shape, hits] : ssd_hits) EXPECT_GT(hits, 0u) << ClusterShapeName(shape);
}

TEST(PoolScopeTest, PooledSsdsNeedThePoolAndAnSsd) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}}, 4);
  SimConfig no_ssd = Pool(2);
  no_ssd.cluster.pool_ssd = true;
  EXPECT_THROW(ValidateSimConfig(*trace, no_ssd), InputError);
  SimConfig local = SsdPool(2, 4000, true);
  local.cluster.scope = CacheScope::kGlobal;
  EXPECT_THROW(ValidateSimConfig(*trace, local), InputError);
  local.cluster.scope = CacheScope::kPool;
  EXPECT_NO_THROW(ValidateSimConfig(*trace, local));
}

TEST(PoolScopeTest, ThePoolNeedsTheRealisticMode) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}}, 4);
  SimConfig seed = Pool(2);
  seed.mode = SimMode::kSeedCompat;
  EXPECT_THROW(ValidateSimConfig(*trace, seed), InputError);
}

}  // namespace
}  // namespace kvb
