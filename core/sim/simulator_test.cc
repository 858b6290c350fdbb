#include "core/sim/simulator.h"

#include <cmath>
#include <memory>
#include <vector>

#include "core/routing/router.h"
#include "core/sim/sim_testing.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::kEps;
using testing::MakeTrace;
using testing::MillisecondPerTokenCost;
using testing::RealisticConfig;
using testing::Req;
using testing::ScriptedRouter;

TEST(SimulatorTest, QueueingAndPrefixReuseByHand) {
  // Blocks of 4 tokens. r0 and r1 share blocks 1,2; r2 extends r1.
  const auto trace = MakeTrace({{0, 8, {1, 2}},           // t=0: node 0, 8 ms, ends at 8
                                {1, 12, {1, 2, 3}},       // t=1: node 0 busy until 8: waits 7
                                {30, 16, {1, 2, 3, 4}},   // t=30: node 0 holds 1,2,3: reuse 3
                                {30, 16, {1, 2, 3, 4}}},  // t=30: node 1 holds nothing
                               4);
  ScriptedRouter router({0, 0, 0, 1});
  const SimConfig config = RealisticConfig(2, 100);
  const RunResult r = Simulate(*trace, config, router);

  // What the router saw: nothing cached before r0 completed; r1 saw 7 ms of work left.
  ASSERT_EQ(router.views_.size(), 4u);
  EXPECT_EQ(router.views_[1].prefix, (std::vector<uint32_t>{0, 0}));
  EXPECT_NEAR(router.views_[1].queued_work_s[0], 0.007, kEps);
  EXPECT_EQ(router.views_[2].prefix, (std::vector<uint32_t>{3, 0}));
  EXPECT_EQ(router.views_[2].resident, (std::vector<uint32_t>{3, 0}));
  // r1 started at 8 ms: node 0 then held blocks 1,2 (stored at r0's completion): reuse 2,
  // prefill (12 - 8) = 4 ms, TTFT = 7 + 4 = 11 ms. r2: 16 - 12 = 4 ms. r3: 16 ms.
  // TTFTs: 8, 11, 4, 16 ms.
  EXPECT_EQ(r.served, 4u);
  EXPECT_EQ(r.block_refs, 2u + 3 + 4 + 4);
  EXPECT_EQ(r.hit_blocks, 0u + 2 + 3 + 0);
  EXPECT_EQ(r.hit_tokens, 0u + 8 + 12 + 0);
  EXPECT_NEAR(r.block_hit_rate, 5.0 / 13.0, kEps);
  EXPECT_NEAR(r.token_hit_rate, 20.0 / 52.0, kEps);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.011 + 0.004 + 0.016) / 4, kEps);
  EXPECT_NEAR(r.ttft_max_s, 0.016, kEps);
  EXPECT_NEAR(r.queue_wait_mean_s, 0.007 / 4, kEps);
  // GPU: used 8 + 4 + 4 + 16 = 32 ms; without reuse 8 + 12 + 16 + 16 = 52 ms.
  EXPECT_NEAR(r.gpu_busy_s, 0.032, kEps);
  EXPECT_NEAR(r.gpu_no_reuse_s, 0.052, kEps);
  EXPECT_NEAR(r.gpu_saved_s, 0.020, kEps);
  EXPECT_EQ(r.nodes[0].requests, 3u);
  EXPECT_EQ(r.nodes[1].requests, 1u);
  EXPECT_NEAR(r.concentration, 0.75, kEps);
  EXPECT_NEAR(r.makespan_s, 0.046, kEps);  // r3 starts at 30 ms, 16 ms
  EXPECT_EQ(r.fetched_blocks, 0u);
  EXPECT_EQ(r.evictions, 0u);
}

TEST(SimulatorTest, GlobalScopeFetchesThePrefixAndPaysTheTransfer) {
  // NIC of 8,000 bytes/s: one 4-token block (8 bytes) per ms, and loading a reused prefix
  // of p tokens takes p / 4 ms. r0 fills node 0 with blocks 1..4 (16 tokens, 16 ms). r1
  // (the same prefix + block 5, 20 tokens) is sent to node 1: fetching 4 blocks takes
  // 4 ms, then loading 16 tokens 4 ms and computing 4 tokens 4 ms: 12 ms < 20 ms.
  const auto trace = MakeTrace({{0, 16, {1, 2, 3, 4}}, {100, 20, {1, 2, 3, 4, 5}}}, 4);
  SimConfig config = RealisticConfig(2, 100, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(4, 8000);
  ScriptedRouter router({0, 1});
  const RunResult global = Simulate(*trace, config, router);
  EXPECT_EQ(global.fetched_blocks, 4u);
  EXPECT_EQ(global.hit_blocks, 4u);
  EXPECT_EQ(global.transfer_bytes, 4u * 8);
  EXPECT_NEAR(global.ttft_mean_s, (0.016 + 0.012) / 2, kEps);
  EXPECT_EQ(global.replicas_created, 4u);  // node 1 now holds copies of 1..4
  EXPECT_EQ(global.peak_holders, 2u);
  // Network $: 32 bytes at the configured price per GB.
  EXPECT_NEAR(global.network_dollars, 32e-9 * config.prices.network_dollars_per_gb, 1e-15);

  config.cluster.scope = CacheScope::kLocal;
  ScriptedRouter local_router({0, 1});
  const RunResult local = Simulate(*trace, config, local_router);
  EXPECT_EQ(local.fetched_blocks, 0u);
  EXPECT_EQ(local.hit_blocks, 0u);
  EXPECT_EQ(local.transfer_bytes, 0u);
  EXPECT_NEAR(local.ttft_mean_s, (0.016 + 0.020) / 2, kEps);
}

TEST(SimulatorTest, FetchIsSkippedWhenRecomputingIsCheaper) {
  // A NIC of 8 bytes/s: moving one block takes a second, recomputing it 4 ms.
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {100, 12, {1, 2, 3}}}, 4);
  SimConfig config = RealisticConfig(2, 100, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(4, 8);
  ScriptedRouter router({0, 1});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.fetched_blocks, 0u);
  EXPECT_EQ(r.transfer_bytes, 0u);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.012) / 2, kEps);
}

TEST(SimulatorTest, AdmissionControlRejectsWhenPredictedTtftExceedsTheSlo) {
  // Three 10 ms requests at t=0 on one node: predicted TTFTs 10, 20, 30 ms; SLO 25 ms.
  const auto trace = MakeTrace({{0, 40, {1}}, {0, 40, {2}}, {0, 40, {3}}}, 40);
  SimConfig config = RealisticConfig(1, 100);
  config.cost = MillisecondPerTokenCost(40);
  config.ttft_slo_s = 0.025;
  ScriptedRouter router({0, 0, 0});
  // 40 tokens = 40 ms each: predicted 40 ms > 25 ms for the first already.
  config.reject_over_slo = true;
  RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.rejected, 3u);
  EXPECT_EQ(r.served, 0u);
  EXPECT_DOUBLE_EQ(r.slo_attainment, 0.0);

  config.ttft_slo_s = 0.090;  // 40 and 80 fit; the third (120) is rejected
  ScriptedRouter router2({0, 0, 0});
  r = Simulate(*trace, config, router2);
  EXPECT_EQ(r.served, 2u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_NEAR(r.slo_attainment, 2.0 / 3.0, kEps);

  config.reject_over_slo = false;  // served anyway; the third misses its SLO
  ScriptedRouter router3({0, 0, 0});
  r = Simulate(*trace, config, router3);
  EXPECT_EQ(r.served, 3u);
  EXPECT_NEAR(r.slo_attainment, 2.0 / 3.0, kEps);
  EXPECT_NEAR(r.ttft_p99_s, 0.120, kEps);
}

TEST(SimulatorTest, SeedModeCountsHitsPerBlockWithoutTime) {
  // One node of 2 blocks, LRU. r0 [1,2]: 2 misses. r1 [1,3]: hit 1, miss 3 evicts 2.
  // r2 [1,2]: hit 1, miss 2 evicts 3. Per block: 2 hits of 6.
  const auto trace = MakeTrace({{0, 1024, {1, 2}}, {5, 1024, {1, 3}}, {9, 1024, {1, 2}}}, 512);
  SimConfig config;
  config.mode = SimMode::kSeed;
  config.cluster.nodes = {NodeSpec{2, "lru", 1.0}};
  ScriptedRouter router({0, 0, 0});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.block_refs, 6u);
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_NEAR(r.block_hit_rate, 1.0 / 3.0, kEps);
  EXPECT_EQ(r.evictions, 2u);
  EXPECT_DOUBLE_EQ(r.ttft_mean_s, 0.0);
  EXPECT_DOUBLE_EQ(r.concentration, 1.0);
  EXPECT_DOUBLE_EQ(r.traditional_score, 1.0 / 3.0);
}

TEST(SimulatorTest, SeedModeQueueSignalIsTheLast100RequestsAndSaturates) {
  std::vector<Req> requests;
  for (int i = 0; i < 130; ++i) requests.push_back({i, 512, {static_cast<RawBlockId>(i)}});
  const auto trace = MakeTrace(requests, 512);
  SimConfig config;
  config.mode = SimMode::kSeed;
  config.cluster.nodes.assign(2, NodeSpec{512, "lfu", 1.0});
  std::vector<uint32_t> script(130, 0);
  ScriptedRouter router(script);
  struct Probe : Router {
    ScriptedRouter* inner;
    std::vector<size_t> lengths;
    RouteDecision Route(const ClusterView& v) override {
      lengths.push_back(v.queue_length(0));
      return inner->Route(v);
    }
  } probe;
  probe.inner = &router;
  Simulate(*trace, config, probe);
  EXPECT_EQ(probe.lengths[0], 0u);
  EXPECT_EQ(probe.lengths[99], 99u);
  EXPECT_EQ(probe.lengths[100], 100u);
  EXPECT_EQ(probe.lengths[129], 100u);  // saturated for good
}

// Invariants on a generated trace under every eviction policy and both scopes.
TEST(SimulatorTest, InvariantsOnAGeneratedTrace) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 3000, 3);
  const TraceStats stats = ComputeTraceStats(*trace);
  for (const char* eviction : {"lru", "lfu", "fifo", "sieve", "s3fifo"}) {
    for (CacheScope scope : {CacheScope::kLocal, CacheScope::kGlobal}) {
      SimConfig config = RealisticConfig(4, 500, scope);
      for (NodeSpec& n : config.cluster.nodes) n.eviction = eviction;
      config.cost = MillisecondPerTokenCost(trace->block_tokens());
      std::unique_ptr<Router> router = MakeRouter("prefix_greedy", 1);
      const RunResult r = Simulate(*trace, config, *router);
      SCOPED_TRACE(eviction);
      EXPECT_EQ(r.served + r.rejected, trace->size());
      EXPECT_EQ(r.block_refs, trace->block_count());
      EXPECT_LE(r.hit_blocks, stats.reusable_blocks);
      uint64_t requests = 0;
      for (const NodeResult& n : r.nodes) {
        requests += n.requests;
        EXPECT_LE(n.resident_blocks_end, 500u);
      }
      EXPECT_EQ(requests, r.served);
      EXPECT_GE(r.ttft_p99_s, r.ttft_p50_s);
      EXPECT_GE(r.ttft_max_s, r.ttft_p99_s);
    }
  }
}

TEST(SimulatorTest, OneUnboundedNodeReachesTheTracesReusableShareExactly) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("synthetic")->spec, 2000, 5);
  const TraceStats stats = ComputeTraceStats(*trace);
  for (const char* eviction : {"lru", "lfu", "fifo", "sieve", "s3fifo"}) {
    SimConfig config = RealisticConfig(1, trace->distinct_blocks());
    config.cluster.nodes[0].eviction = eviction;
    config.cost = MillisecondPerTokenCost(trace->block_tokens());
    // One FCFS node: every request starts after all earlier ones have stored their blocks.
    std::unique_ptr<Router> router = MakeRouter("random", 1);
    const RunResult r = Simulate(*trace, config, *router);
    EXPECT_EQ(r.hit_blocks, stats.reusable_blocks) << eviction;
    EXPECT_EQ(r.evictions, 0u) << eviction;
  }
}

TEST(SimulatorTest, SameCellTwiceGivesTheSameResult) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("toolagent")->spec, 2000, 9);
  SimConfig config = RealisticConfig(8, 300, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(trace->block_tokens());
  auto run = [&] {
    std::unique_ptr<Router> router = MakeRouter("random", 42);
    return Simulate(*trace, config, *router);
  };
  const RunResult a = run();
  const RunResult b = run();
  EXPECT_EQ(a.hit_blocks, b.hit_blocks);
  EXPECT_EQ(a.fetched_blocks, b.fetched_blocks);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.ttft_mean_s, b.ttft_mean_s);
  EXPECT_EQ(a.ttft_p99_s, b.ttft_p99_s);
  EXPECT_EQ(a.cached_gb_hours, b.cached_gb_hours);
  ASSERT_EQ(a.windows.size(), b.windows.size());
  for (size_t w = 0; w < a.windows.size(); ++w) {
    EXPECT_EQ(a.windows[w].hit_blocks, b.windows[w].hit_blocks);
  }
  ASSERT_EQ(a.tracked_keys.size(), b.tracked_keys.size());
  for (size_t k = 0; k < a.tracked_keys.size(); ++k) {
    EXPECT_EQ(a.tracked_keys[k].holders, b.tracked_keys[k].holders);
  }
}

TEST(SimulatorTest, RoutersSeeTheHotspotTrackerOfEarlierRequestsOnly) {
  // Ids 1 and 2 in every request; the router records what the tracker knew each time.
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {10, 8, {1, 2}}, {20, 12, {1, 2, 3}}}, 4);
  struct Probe : Router {
    std::vector<double> seen_count_of_first_block;
    RouteDecision Route(const ClusterView& v) override {
      EXPECT_NE(v.hotspots(), nullptr);
      const auto stats = v.hotspots()->Lookup(v.request().blocks[0]);
      seen_count_of_first_block.push_back(stats ? stats->count : 0);
      return 0;
    }
  } probe;
  SimConfig config = RealisticConfig(1, 100);
  config.track_hotspots = true;
  const RunResult r = Simulate(*trace, config, probe);
  EXPECT_EQ(probe.seen_count_of_first_block, (std::vector<double>{0, 1, 2}));
  ASSERT_GE(r.hot_prefixes.size(), 3u);
  EXPECT_EQ(r.hot_prefixes[0].id, 1u);  // 3 requests; ties (id 2, also 3) by lower id
  EXPECT_DOUBLE_EQ(r.hot_prefixes[0].count, 3);
  EXPECT_DOUBLE_EQ(r.hot_prefixes[2].count, 1);  // id 3

  SimConfig untracked = RealisticConfig(1, 100);
  struct NoTracker : Router {
    RouteDecision Route(const ClusterView& v) override {
      EXPECT_EQ(v.hotspots(), nullptr);
      return 0;
    }
  } plain;
  EXPECT_TRUE(Simulate(*trace, untracked, plain).hot_prefixes.empty());
}

TEST(SimulatorTest, RateScaleCompressesArrivals) {
  // Two 10 ms requests 10 ms apart: no wait at scale 1; at scale 2 they arrive 5 ms apart
  // and the second waits 5 ms.
  const auto trace = MakeTrace({{0, 10, {1}}, {10, 10, {2}}}, 10);
  SimConfig config = RealisticConfig(1, 100);
  config.cost = MillisecondPerTokenCost(10);
  ScriptedRouter a({0, 0});
  EXPECT_NEAR(Simulate(*trace, config, a).queue_wait_mean_s, 0.0, kEps);
  config.rate_scale = 2;
  ScriptedRouter b({0, 0});
  EXPECT_NEAR(Simulate(*trace, config, b).queue_wait_mean_s, 0.005 / 2, kEps);
}

TEST(SimulatorTest, BadConfigIsAnInputError) {
  const auto trace = MakeTrace({{0, 4, {1}}}, 4);
  SimConfig config = RealisticConfig(1, 100);
  config.rate_scale = 0;
  ScriptedRouter router({0});
  EXPECT_THROW(Simulate(*trace, config, router), InputError);
  config = RealisticConfig(1, 100);
  config.cluster.nodes[0].eviction = "mru";
  EXPECT_THROW(Simulate(*trace, config, router), InputError);
  config.cluster.nodes.clear();
  EXPECT_THROW(Simulate(*trace, config, router), InputError);
  config = RealisticConfig(1, 100);
  config.cost = MillisecondPerTokenCost(8);  // the trace has 4-token blocks
  try {
    Simulate(*trace, config, router);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "profile.block_tokens: 8 differs from the trace's 4 tokens per block");
  }
}

}  // namespace
}  // namespace kvb
