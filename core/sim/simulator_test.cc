#include "core/sim/simulator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/testing/sim_testing.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
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
  EXPECT_NEAR(r.hit_rate, 5.0 / 13.0, kEps);
  EXPECT_NEAR(r.token_hit_rate, 20.0 / 52.0, kEps);
  EXPECT_NEAR(r.ttft_mean_s, (0.008 + 0.011 + 0.004 + 0.016) / 4, kEps);
  EXPECT_NEAR(r.ttft_max_s, 0.016, kEps);
  EXPECT_NEAR(r.queue_wait_mean_s, 0.007 / 4, kEps);
  // GPU: used 8 + 4 + 4 + 16 = 32 ms; without reuse 8 + 12 + 16 + 16 = 52 ms.
  EXPECT_NEAR(r.gpu_seconds, 0.032, kEps);
  EXPECT_NEAR(r.gpu_seconds_no_reuse, 0.052, kEps);
  EXPECT_NEAR(r.gpu_seconds_saved, 0.020, kEps);
  EXPECT_EQ(r.nodes[0].requests, 3u);
  EXPECT_EQ(r.nodes[1].requests, 1u);
  EXPECT_NEAR(r.concentration, 0.75, kEps);
  EXPECT_NEAR(r.makespan_s, 0.046, kEps);  // r3 starts at 30 ms, 16 ms
  EXPECT_EQ(r.fetched_blocks, 0u);
  EXPECT_EQ(r.evictions, 0u);
}

// The prediction routers see per node: prefill time / node speed, with the node's own
// reuse; asked alternately with two reuses, for nodes of one speed and of mixed speeds.
TEST(SimulatorTest, PredictedPrefillFollowsEachNodesSpeedAndReuse) {
  // r0: 8 tokens (blocks 1,2) on node 0, ends at 8 ms; r1 at 20 ms: 12 tokens (1,2,3).
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {20, 12, {1, 2, 3}}}, 4);
  for (const double middle_speed : {1.0, 2.0}) {
    SCOPED_TRACE(middle_speed);
    ScriptedRouter router({0, 1});
    SimConfig config = RealisticConfig(3, 100);
    config.cluster.nodes[1].speed = middle_speed;
    Simulate(*trace, config, router);
    ASSERT_EQ(router.views_.size(), 2u);
    const ScriptedRouter::Seen& r0 = router.views_[0];
    const ScriptedRouter::Seen& r1 = router.views_[1];
    // r0: nothing cached: 8 ms / speed on every node.
    const std::vector<double> r0_s{0.008, 0.008 / middle_speed, 0.008};
    // r1: node 0 reuses 2 blocks (8 tokens; loads cost nothing here): 4 ms; others 12 ms /
    // speed.
    const std::vector<double> r1_s{0.012, 0.012 / middle_speed, 0.012};
    const std::vector<double> r1_prefix_s{0.004, 0.012 / middle_speed, 0.012};
    for (size_t n = 0; n < 3; ++n) {
      EXPECT_NEAR(r0.prefill_s_without_reuse[n], r0_s[n], kEps) << n;
      EXPECT_NEAR(r0.prefill_s_with_prefix[n], r0_s[n], kEps) << n;
      EXPECT_NEAR(r1.prefill_s_without_reuse[n], r1_s[n], kEps) << n;
      EXPECT_NEAR(r1.prefill_s_with_prefix[n], r1_prefix_s[n], kEps) << n;
    }
  }
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
  // Per node: node 1 fetched the 4 blocks in, node 0 sent them out.
  EXPECT_EQ(global.nodes[1].fetched_blocks_in, 4u);
  EXPECT_EQ(global.nodes[0].fetched_blocks_out, 4u);
  EXPECT_EQ(global.nodes[0].fetched_blocks_in + global.nodes[1].fetched_blocks_out, 0u);
  EXPECT_EQ(global.peak_holders, 2u);
  // Network $: 32 bytes at the configured price per GB.
  EXPECT_NEAR(global.network_usd, 32e-9 * config.prices.network_dollars_per_gb, 1e-15);

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
  config.mode = SimMode::kSeedCompat;
  config.cluster.nodes = {NodeSpec{2, "lru", 1.0}};
  ScriptedRouter router({0, 0, 0});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.block_refs, 6u);
  EXPECT_EQ(r.hit_blocks, 2u);
  EXPECT_NEAR(r.hit_rate, 1.0 / 3.0, kEps);
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
  config.mode = SimMode::kSeedCompat;
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

// Where blocks went, per node, adds up to the cell's totals: every fetched block left one
// node and entered another, every copied block likewise.
TEST(SimulatorTest, PerNodeTransfersAddUpToTheTotals) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("toolagent")->spec, 2000, 9);
  SimConfig config = RealisticConfig(8, 300, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(trace->block_tokens());
  std::unique_ptr<Router> router = MakeRouter("random", 42);
  std::unique_ptr<ReplicationPolicy> replication = MakeReplicationPolicy("seed_dynamic", 42);
  const RunResult r = Simulate(*trace, config, *router, replication.get());
  uint64_t fetched_in = 0, fetched_out = 0, replica_in = 0, replica_out = 0;
  for (const NodeResult& n : r.nodes) {
    fetched_in += n.fetched_blocks_in;
    fetched_out += n.fetched_blocks_out;
    replica_in += n.replica_blocks_in;
    replica_out += n.replica_blocks_out;
  }
  EXPECT_GT(r.fetched_blocks, 0u);
  EXPECT_EQ(fetched_in, r.fetched_blocks);
  EXPECT_EQ(fetched_out, r.fetched_blocks);
  EXPECT_GT(r.copied_blocks, 0u);
  EXPECT_EQ(replica_in, r.copied_blocks);
  EXPECT_EQ(replica_out, r.copied_blocks);
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

TEST(SimulatorTest, HeatKeysRankByRequestsAndCountArrivalsPerWindow) {
  // Raw ids intern by first appearance: 10->0, 90->1, 30->2, 40->3, 50->4, 60->5. Requests
  // containing each: 10: 3, 90: 2, 30: 2, 40/50/60: 1. Ties go to the smaller interned id:
  // 90 before 30 (not raw order), 40 before 50, 60. Top 4: 10, 90, 30, 40.
  const auto trace = MakeTrace({{0, 8, {10, 90}},
                                {500, 4, {30}},  // rejected, still an arrival
                                {1200, 12, {10, 90, 40}},
                                {1500, 8, {10, 50}},
                                {2100, 8, {30, 60}}},
                               4);
  const std::vector<RawBlockId> ids = {10, 90, 30, 40};
  const std::vector<uint64_t> accesses = {3, 2, 2, 1};
  // Per window (1 s, or 2 requests in seed mode): {r0, r1}, {r2, r3}, {r4}.
  const std::vector<std::vector<uint32_t>> counts = {{1, 1, 1, 0}, {2, 1, 0, 1}, {0, 0, 1, 0}};
  SimConfig realistic = RealisticConfig(1, 100);
  realistic.window_s = 1;
  SimConfig seed;
  seed.mode = SimMode::kSeedCompat;
  seed.cluster.nodes = {NodeSpec{100, "lru", 1.0}};
  seed.requests_window = 2;
  for (SimConfig* config : {&realistic, &seed}) {
    SCOPED_TRACE(config == &seed ? "seed" : "realistic");
    config->heat_keys = 4;
    ScriptedRouter router({0, kRejectRequest, 0, 0, 0});
    const RunResult r = Simulate(*trace, *config, router);
    EXPECT_EQ(r.rejected, 1u);
    ASSERT_EQ(r.heat_keys.size(), 4u);
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(r.heat_keys[k].rank, k + 1);
      EXPECT_EQ(r.heat_keys[k].id, ids[k]);
      EXPECT_EQ(r.heat_keys[k].accesses, accesses[k]);
    }
    ASSERT_EQ(r.windows.size(), 3u);
    for (size_t w = 0; w < 3; ++w) {
      EXPECT_EQ(r.windows[w].heat_key_accesses, counts[w]) << "window " << w;
      EXPECT_DOUBLE_EQ(r.windows[w].start_s, config == &seed ? 2.0 * w : 1.0 * w);
    }

    // The default 20 is capped by the 6 distinct ids: 50 and 60 come last, by interned id.
    config->heat_keys = 20;
    ScriptedRouter all_router({0, kRejectRequest, 0, 0, 0});
    const RunResult all = Simulate(*trace, *config, all_router);
    ASSERT_EQ(all.heat_keys.size(), 6u);
    EXPECT_EQ(all.heat_keys[4].id, 50u);
    EXPECT_EQ(all.heat_keys[5].id, 60u);
    EXPECT_EQ(all.heat_keys[5].rank, 6u);
    EXPECT_EQ(all.windows[1].heat_key_accesses, (std::vector<uint32_t>{2, 1, 0, 1, 1, 0}));

    config->heat_keys = 0;
    ScriptedRouter none_router({0, kRejectRequest, 0, 0, 0});
    const RunResult none = Simulate(*trace, *config, none_router);
    EXPECT_TRUE(none.heat_keys.empty());
    for (const WindowRow& w : none.windows) EXPECT_TRUE(w.heat_key_accesses.empty());
  }
}

TEST(SimulatorTest, HeatKeysAreChainsOfIdsInTheSameRequests) {
  // Requests: {1, 2, 3, 4}, {1, 2, 3, 5}, {1, 2, 3}, {1, 6}, {7, 8}. Counts: 1: 4; 2, 3: 3;
  // 4, 5, 6, 7, 8: 1. 2 and 3 are in exactly the same requests (3 = 2's only child of equal
  // count): one chain ending at 3, of length 2; 7 -> 8 likewise. 1 (4 requests) has no child
  // in all of them and stands alone. Ranks: 1 (4), 3 (3), then the count-1 ends 4, 5, 6, 8.
  const auto trace = MakeTrace({{0, 16, {1, 2, 3, 4}},
                                {100, 16, {1, 2, 3, 5}},
                                {200, 12, {1, 2, 3}},
                                {300, 8, {1, 6}},
                                {1200, 8, {7, 8}}},
                               4);
  SimConfig config = RealisticConfig(1, 100);
  config.window_s = 1;
  config.heat_keys = 3;
  ScriptedRouter router({0, 0, 0, 0, 0});
  const RunResult r = Simulate(*trace, config, router);
  ASSERT_EQ(r.heat_keys.size(), 3u);
  EXPECT_EQ(r.heat_keys[0].id, 1u);
  EXPECT_EQ(r.heat_keys[0].chain_first_id, 1u);
  EXPECT_EQ(r.heat_keys[0].chain_length, 1u);
  EXPECT_EQ(r.heat_keys[0].accesses, 4u);
  EXPECT_EQ(r.heat_keys[1].id, 3u);
  EXPECT_EQ(r.heat_keys[1].chain_first_id, 2u);
  EXPECT_EQ(r.heat_keys[1].chain_length, 2u);
  EXPECT_EQ(r.heat_keys[1].accesses, 3u);
  EXPECT_EQ(r.heat_keys[2].id, 4u);  // the first count-1 end by interned id
  EXPECT_EQ(r.heat_keys[2].chain_length, 1u);
  // Window 0 holds the first four requests, window 1 the last.
  ASSERT_EQ(r.windows.size(), 2u);
  EXPECT_EQ(r.windows[0].heat_key_accesses, (std::vector<uint32_t>{4, 3, 1}));
  EXPECT_EQ(r.windows[1].heat_key_accesses, (std::vector<uint32_t>{0, 0, 0}));

  // All chain ends: 1, 3, 4, 5, 6, 8 (2 and 7 are absorbed by their children).
  config.heat_keys = 100;
  ScriptedRouter all_router({0, 0, 0, 0, 0});
  const RunResult all = Simulate(*trace, config, all_router);
  std::vector<RawBlockId> ends;
  for (const TrackedKey& k : all.heat_keys) ends.push_back(k.id);
  EXPECT_EQ(ends, (std::vector<RawBlockId>{1, 3, 4, 5, 6, 8}));
  EXPECT_EQ(all.heat_keys[5].chain_first_id, 7u);
  EXPECT_EQ(all.heat_keys[5].chain_length, 2u);
}

TEST(SimulatorTest, TtftPercentilesFollowTheNearestRankRule) {
  // One node, arrivals 100 ms apart, no reuse: TTFT = prefill = 12, 4, 20, 8, 16 ms. Sorted
  // 4, 8, 12, 16, 20: percentile p is rank max(1, ceil(5p / 100)), i.e. 4 ms x max(1, ceil(p /
  // 20)).
  const auto trace = MakeTrace({{0, 12, {1, 2, 3}},
                                {100, 4, {4}},
                                {200, 20, {5, 6, 7, 8, 9}},
                                {300, 8, {10, 11}},
                                {400, 16, {12, 13, 14, 15}}},
                               4);
  ScriptedRouter router({0, 0, 0, 0, 0});
  const RunResult r = Simulate(*trace, RealisticConfig(1, 100), router);
  ASSERT_EQ(r.ttft_percentiles.size(), 101u);
  for (int p = 0; p <= 100; ++p) {
    EXPECT_NEAR(r.ttft_percentiles[p], 0.004 * std::max(1, (p + 19) / 20), kEps) << "p" << p;
  }
  EXPECT_NEAR(r.ttft_percentiles[0], 0.004, kEps);  // the minimum
  EXPECT_NEAR(r.ttft_p50_s, 0.012, kEps);
  EXPECT_EQ(r.ttft_percentiles[50], r.ttft_p50_s);
  EXPECT_EQ(r.ttft_percentiles[90], r.ttft_p90_s);
  EXPECT_EQ(r.ttft_percentiles[99], r.ttft_p99_s);
  EXPECT_EQ(r.ttft_percentiles[100], r.ttft_max_s);
  EXPECT_NEAR(r.ttft_max_s, 0.020, kEps);

  // Seed mode has no time, hence no TTFTs.
  SimConfig seed;
  seed.mode = SimMode::kSeedCompat;
  seed.cluster.nodes = {NodeSpec{100, "lru", 1.0}};
  ScriptedRouter seed_router({0, 0, 0, 0, 0});
  EXPECT_TRUE(Simulate(*trace, seed, seed_router).ttft_percentiles.empty());
}

TEST(SimulatorTest, ReplicaBlocksMeanIsTheTimeAverageOfSecondCopies) {
  // As in GlobalScopeFetchesThePrefixAndPaysTheTransfer: r1 fetches 1..4 and ends at 112 ms,
  // when node 1 stores 1..5: 4 replica blocks from then on. r2 (block 6 on node 0, 4 ms)
  // ends the run at 204 ms. Mean = 4 x 92 / 204 blocks, of 4 tokens x 2 bytes each.
  const auto trace =
      MakeTrace({{0, 16, {1, 2, 3, 4}}, {100, 20, {1, 2, 3, 4, 5}}, {200, 4, {6}}}, 4);
  SimConfig config = RealisticConfig(2, 100, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(4, 8000);
  ScriptedRouter router({0, 1, 0});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.fetched_blocks, 4u);
  EXPECT_NEAR(r.makespan_s, 0.204, kEps);
  EXPECT_EQ(r.windows.back().replica_blocks, 4u);
  ASSERT_EQ(config.cost.BlockBytes(), 8u);
  EXPECT_NEAR(r.replica_blocks, 4 * 0.092 / 0.204, kEps);
  EXPECT_NEAR(r.replica_bytes, 8 * 4 * 0.092 / 0.204, kEps);
  // The same integral as the replica GB-hours, over the 204 ms.
  EXPECT_NEAR(r.replica_gb_hours * 1e9 * 3600 / 0.204, r.replica_bytes, 1e-9);

  // Everything on node 0: one copy of each block, no replicas.
  ScriptedRouter single({0, 0, 0});
  const RunResult none = Simulate(*trace, config, single);
  EXPECT_DOUBLE_EQ(none.replica_blocks, 0.0);
  EXPECT_DOUBLE_EQ(none.replica_bytes, 0.0);
}

TEST(SimulatorTest, SeedModeReplicaBlocksMeanAveragesOverRequests) {
  // Replica blocks after each request: r0 [1,2] on 0: 0. r1 [1,2,3] on 1 (1, 2 now on both
  // nodes): 2. r2 [4] on 0: 2. r3 [1,2,3] on 0 (3 joins node 0): 3. Mean (0+2+2+3)/4 = 7/4.
  const auto trace =
      MakeTrace({{0, 8, {1, 2}}, {1, 12, {1, 2, 3}}, {2, 4, {4}}, {3, 12, {1, 2, 3}}}, 4);
  SimConfig config;
  config.mode = SimMode::kSeedCompat;
  config.cluster.nodes.assign(2, NodeSpec{10, "lru", 1.0});
  ScriptedRouter router({0, 1, 0, 0});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_DOUBLE_EQ(r.replica_blocks, 7.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.replica_bytes, 0.0);  // seed mode has no bytes

  ScriptedRouter single({0, 0, 0, 0});
  EXPECT_DOUBLE_EQ(Simulate(*trace, config, single).replica_blocks, 0.0);
}

// A rejected request still counts, with the replicas held when it was turned away:
// after r0 on 0: 0; r1 on 1 (block 1 on both): 1; r2 rejected: 1. Mean 2/3.
TEST(SimulatorTest, SeedModeReplicaMeanCountsRejectedRequests) {
  const auto trace = MakeTrace({{0, 4, {1}}, {1, 4, {1}}, {2, 4, {1}}}, 4);
  SimConfig config;
  config.mode = SimMode::kSeedCompat;
  config.cluster.nodes.assign(2, NodeSpec{10, "lru", 1.0});
  ScriptedRouter router({0, 1, kRejectRequest});
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_DOUBLE_EQ(r.replica_blocks, 2.0 / 3.0);
}

// Every window has one count per heat key, arrivals or not; more than 1000 keys is refused.
TEST(SimulatorTest, EveryWindowHasACountPerHeatKey) {
  const auto trace = MakeTrace({{0, 8, {1, 2}}, {2500, 8, {1, 3}}}, 4);
  SimConfig config = RealisticConfig(1, 100);
  config.window_s = 1;
  ScriptedRouter router({0, 0});
  const RunResult r = Simulate(*trace, config, router);
  ASSERT_EQ(r.heat_keys.size(), 3u);
  ASSERT_GE(r.windows.size(), 3u);
  for (const WindowRow& w : r.windows) EXPECT_EQ(w.heat_key_accesses.size(), 3u);
  EXPECT_EQ(r.windows[1].heat_key_accesses, (std::vector<uint32_t>{0, 0, 0}));
  EXPECT_EQ(r.windows[2].heat_key_accesses, (std::vector<uint32_t>{1, 0, 1}));
  config.heat_keys = 1001;
  ScriptedRouter again({0, 0});
  EXPECT_THROW(Simulate(*trace, config, again), InputError);
}

TEST(SimulatorTest, ApplyPricesPricesGpuStorageAndNetwork) {
  Prices prices;
  prices.gpu_dollars_per_node_hour = 10;
  prices.storage_dollars_per_gb_hour = 0.5;
  prices.network_dollars_per_gb = 2;
  prices.storage_billing = StorageBilling::kOccupied;
  RunResult r;
  r.gpu_seconds = 7200;
  r.cached_gb_hours = 50;
  r.provisioned_gb_hours = 400;
  r.transfer_bytes = 3'000'000'000;
  r.served = 4;
  r.gpu_usd = 99;  // overwritten
  ApplyPrices(prices, r);
  // GPU 2 h x $10 = $20; storage 50 GB-h occupied x $0.5 = $25; network 3 GB x $2 = $6;
  // $51 over 4 requests = $12,750 per 1000.
  EXPECT_NEAR(r.gpu_usd, 20, kEps);
  EXPECT_NEAR(r.storage_usd, 25, kEps);
  EXPECT_NEAR(r.network_usd, 6, kEps);
  EXPECT_NEAR(r.usd_per_1k_requests, 12750, 1e-6);
  // Provisioned: 400 GB-h x $0.5 = $200; ($20 + $200 + $6) / 4 x 1000 = $56,500.
  prices.storage_billing = StorageBilling::kProvisioned;
  ApplyPrices(prices, r);
  EXPECT_NEAR(r.storage_usd, 200, kEps);
  EXPECT_NEAR(r.usd_per_1k_requests, 56500, 1e-6);
  prices.storage_billing = StorageBilling::kOccupied;
  r.served = 0;
  ApplyPrices(prices, r);
  EXPECT_NEAR(r.gpu_usd, 20, kEps);
  EXPECT_DOUBLE_EQ(r.usd_per_1k_requests, 0.0);

  // Simulate prices its run with config.prices. GlobalScopeFetches... run: GPU 16 ms (r0) +
  // 4 ms load + 4 ms compute (r1); node 0 holds 4 blocks of 8 bytes from 16 to 112 ms.
  const auto trace = MakeTrace({{0, 16, {1, 2, 3, 4}}, {100, 20, {1, 2, 3, 4, 5}}}, 4);
  SimConfig config = RealisticConfig(2, 100, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(4, 8000);
  config.prices = prices;
  ScriptedRouter router({0, 1});
  const RunResult run = Simulate(*trace, config, router);
  EXPECT_NEAR(run.gpu_seconds, 0.024, kEps);
  EXPECT_NEAR(run.cached_gb_hours, 4 * 8 * 0.096 / 3.6e12, 1e-24);
  // 2 nodes x 100 blocks x 8 bytes held for the 112 ms makespan.
  EXPECT_NEAR(run.provisioned_gb_hours, 2 * 100 * 8 * 0.112 / 3.6e12, 1e-24);
  EXPECT_EQ(run.transfer_bytes, 32u);
  EXPECT_NEAR(run.gpu_usd, 0.024 / 3600 * 10, 1e-15);
  RunResult repriced = run;
  repriced.gpu_usd = repriced.storage_usd = repriced.network_usd = 0;
  repriced.usd_per_1k_requests = 0;
  ApplyPrices(config.prices, repriced);
  EXPECT_GT(run.storage_usd, 0);
  EXPECT_GT(run.network_usd, 0);
  EXPECT_DOUBLE_EQ(run.gpu_usd, repriced.gpu_usd);
  EXPECT_DOUBLE_EQ(run.storage_usd, repriced.storage_usd);
  EXPECT_DOUBLE_EQ(run.network_usd, repriced.network_usd);
  EXPECT_DOUBLE_EQ(run.usd_per_1k_requests, repriced.usd_per_1k_requests);
}

// The check runs at every 256th step: a request in seed mode; an arrival or an event
// (completion, copy) in realistic mode, so a run whose arrivals are over still stops.
TEST(SimulatorTest, TimeLimitAndCancelStopTheRunEvery256Steps) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 400, 1);
  ASSERT_EQ(trace->size(), 400u);
  // The message of the SimulationStopped a run throws, or "" if it completes.
  auto stop_message = [](const Trace& t, const SimConfig& config) -> std::string {
    std::unique_ptr<Router> router = MakeRouter("random", 1);
    try {
      const RunResult r = Simulate(t, config, *router);
      EXPECT_EQ(r.served + r.rejected, t.size());
      return "";
    } catch (const SimulationStopped& e) {
      return e.what();
    }
  };
  SimConfig config = RealisticConfig(4, 500);
  config.mode = SimMode::kSeedCompat;
  config.cost = MillisecondPerTokenCost(trace->block_tokens());
  // Seed mode: the first check is before request 256 (index 255): 255 requests done.
  config.wall_time_limit_s = 1e-9;
  EXPECT_EQ(stop_message(*trace, config), "time limit of 1e-09 s passed after 255 of 400 requests");
  config.wall_time_limit_s = 0;
  std::atomic<bool> cancel{true};
  config.cancel = &cancel;
  EXPECT_EQ(stop_message(*trace, config), "cancelled after 255 of 400 requests");
  const auto short_trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 255, 1);
  EXPECT_EQ(stop_message(*short_trace, config), "");  // 255 requests never reach a check
  cancel = false;
  EXPECT_EQ(stop_message(*trace, config), "");

  // Realistic mode: 256 steps of arrivals and completions come before request 256.
  config.mode = SimMode::kRealistic;
  cancel = true;
  const std::string message = stop_message(*trace, config);
  int done = -1;
  ASSERT_EQ(std::sscanf(message.c_str(), "cancelled after %d of 400 requests", &done), 1)
      << message;
  EXPECT_GE(done, 128);  // each request is at most an arrival and a completion
  EXPECT_LT(done, 256);
  // 100 requests make at most 200 steps: no check.
  const auto hundred = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 100, 1);
  EXPECT_EQ(stop_message(*hundred, config), "");
  cancel = false;
  EXPECT_EQ(stop_message(*trace, config), "");
}

// A cluster that cannot keep up runs far past the last arrival: refused once its windows
// or samples would pass a million rows, instead of filling memory (1 node, 10^4 s per
// request, 200 requests: 2e6 s of work; 1 s windows).
TEST(SimulatorTest, ARunFarPastItsArrivalsIsRefusedBeforeItsRowsFillMemory) {
  std::vector<testing::Req> requests;
  for (int i = 0; i < 200; ++i)
    requests.push_back({i, 10'000'000, {static_cast<RawBlockId>(i + 1)}});
  const auto trace = MakeTrace(requests, 4);
  SimConfig config = RealisticConfig(1, 100);
  config.window_s = 1;
  config.replica_sample_s = 1e9;
  ScriptedRouter router(std::vector<uint32_t>(200, 0));
  try {
    Simulate(*trace, config, router);
    FAIL() << "ran 2e6 windows";
  } catch (const InputError& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("the cluster cannot keep up"));
  }
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
