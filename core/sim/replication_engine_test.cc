// Fetch plans, replica copies and replication policies through the engine, by hand
// (1 ms per token, 4-token blocks of 8 bytes).

#include <memory>
#include <random>
#include <vector>

#include "core/hotspot/hotspot_tracker.h"
#include "core/policy/testing/cluster_view_for_test.h"
#include "core/replication/replication_policy.h"
#include "core/sim/simulator.h"
#include "core/sim/testing/sim_testing.h"
#include "core/strategy/strategy.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::kEps;
using testing::MakeTrace;
using testing::MillisecondPerTokenCost;
using testing::RealisticConfig;
using testing::Req;
using testing::ScriptedRouter;

// Before request `at` is routed, copies its first `blocks` blocks from `source` to `target`.
class CopyOnce final : public ReplicationPolicy {
 public:
  CopyOnce(size_t at, uint32_t source, uint32_t target, uint32_t blocks, double share = 0)
      : at_(at), source_(source), target_(target), blocks_(blocks), share_(share) {}
  void BeforeRoute(const ClusterView& view) override {
    if (seen_++ == at_) sent = view.replicas().CopyPrefix(source_, target_, blocks_);
  }
  bool keeps_fetched() const override { return true; }
  double replica_budget_share() const override { return share_; }
  uint32_t sent = 0;

 private:
  size_t at_, seen_ = 0;
  uint32_t source_, target_, blocks_;
  double share_;
};

// NIC of 32,000 bytes/s: a 4-block transfer (32 bytes) takes 1 ms, loading p reused
// tokens p / 16 ms.
//   r0 t=0  [1,2,3,4] 16 tok: both nodes empty, tie -> node 0, served 0..16 ms.
//   r1 t=20 [10..19] 40 tok: node 0 (tie), busy 20..60 ms.
//   r2 t=30 [1..6]   24 tok: node 0: 30 ms queued + 8 ms + 1 ms load = 39 ms;
//                            node 1 fetching 4 blocks: 1 + 0 + 8 + 1 = 10 ms -> node 1.
const std::vector<Req> kFetchTrace = {{0, 16, {1, 2, 3, 4}},
                                      {20, 40, {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}},
                                      {30, 24, {1, 2, 3, 4, 5, 6}}};

RunResult RunFetchTrace(const char* spec, CacheScope scope) {
  const auto trace = MakeTrace(kFetchTrace, 4);
  SimConfig config = RealisticConfig(2, 100, scope);
  config.cost = MillisecondPerTokenCost(4, 32000);
  Strategy strategy = MakeStrategy(spec, 1);
  return Simulate(*trace, config, strategy);
}

TEST(ReplicationEngineTest, KvcacheCentricFetchesWhereLocalCacheAwareRecomputes) {
  const RunResult centric = RunFetchTrace("kvcache_centric", CacheScope::kGlobal);
  EXPECT_EQ(centric.fetched_blocks, 4u);
  EXPECT_EQ(centric.transfer_bytes, 32u);
  EXPECT_EQ(centric.nodes[1].requests, 1u);
  EXPECT_NEAR(centric.ttft_mean_s, (0.016 + 0.040 + 0.010) / 3, kEps);
  EXPECT_EQ(centric.nodes[1].resident_blocks_end, 6u);  // mooncake: the fetch stays

  // Without fetches, node 1 recomputes all 24 tokens: 24 ms.
  const RunResult local = RunFetchTrace("local_cache_aware", CacheScope::kGlobal);
  EXPECT_EQ(local.fetched_blocks, 0u);
  EXPECT_EQ(local.nodes[1].requests, 1u);
  EXPECT_NEAR(local.ttft_mean_s, (0.016 + 0.040 + 0.024) / 3, kEps);

  // In a local-scope cluster kvcache_centric cannot fetch: the same as local_cache_aware.
  const RunResult centric_local = RunFetchTrace("kvcache_centric", CacheScope::kLocal);
  EXPECT_EQ(centric_local.fetched_blocks, 0u);
  EXPECT_NEAR(centric_local.ttft_mean_s, local.ttft_mean_s, kEps);
}

// A queued request's predicted prefill counts the fetch its router planned (Mooncake's
// queue estimate), not only the node's own prefix. r0 fills node 0 with [1..4] by 16 ms;
// r1 keeps node 1 busy 20..60 ms; r2 (t=30) queues on node 1 planning to fetch [1..4]
// from node 0; at r3 (t=31) node 1's queued work is 29 ms left of r1 + r2's prefill
// reusing 4 blocks.
TEST(ReplicationEngineTest, QueuedWorkCountsThePlannedFetch) {
  class Planner final : public Router {
   public:
    RouteDecision Route(const ClusterView& view) override {
      switch (view.request_index()) {
        case 0:
          return 0;
        case 1:
          return 1;
        case 2:
          with_fetch_s = view.predicted_prefill_s(1, 4);
          without_fetch_s = view.predicted_prefill_s(1, 0);
          return RouteDecision(1, 0, 4);
        default:
          seen_s = view.queued_work_s(1);
          return 0;
      }
    }
    double with_fetch_s = 0, without_fetch_s = 0, seen_s = 0;
  };
  const auto trace = MakeTrace({{0, 16, {1, 2, 3, 4}},
                                {20, 40, {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}},
                                {30, 24, {1, 2, 3, 4, 5, 6}},
                                {31, 4, {30}}},
                               4);
  SimConfig config = RealisticConfig(2, 100, CacheScope::kGlobal);
  config.cost = MillisecondPerTokenCost(4, 32000);
  Planner router;
  const RunResult r = Simulate(*trace, config, router);
  EXPECT_EQ(r.fetched_blocks, 4u);
  EXPECT_LT(router.with_fetch_s, router.without_fetch_s);
  EXPECT_NEAR(router.seen_s, 0.029 + router.with_fetch_s, kEps);
}

TEST(ReplicationEngineTest, NoneBorrowsTheFetchedPrefixAndKeepsNothingOfIt) {
  const RunResult none = RunFetchTrace("kvcache_centric+none", CacheScope::kGlobal);
  EXPECT_EQ(none.fetched_blocks, 4u);
  EXPECT_EQ(none.fetches_dropped, 1u);
  EXPECT_EQ(none.nodes[1].resident_blocks_end, 0u);
  EXPECT_EQ(none.replicas_created, 0u);
  EXPECT_NEAR(none.ttft_mean_s, (0.016 + 0.040 + 0.010) / 3, kEps);
}

TEST(ReplicationEngineTest, KvcacheCentricDecisionFollowsAlgorithmOne) {
  // Node 0 holds [0..3], node 1 holds [0], node 0 has 1 s of queued work. Request [0..5],
  // 24 tokens; the test view predicts (24 - 4 x reused) ms and 1 ms per block moved.
  ClusterViewForTest v(2);
  v.global_cache = true;
  v.Hold(0, {0, 1, 2, 3});
  v.Hold(1, {0});
  v.SetRequest({0, 1, 2, 3, 4, 5}, 24);
  v.queued_work_s = {1.0, 0.0};
  // Node 1: best_len 4 / own 1 = 4 > 1: fetch 3 blocks: 3 + 8 = 11 ms < 1008 ms.
  RouteDecision d = MakeRouter("kvcache_centric", 1)->Route(v.view());
  EXPECT_EQ(d.node, 1u);
  EXPECT_EQ(d.fetch_from, 0u);
  EXPECT_EQ(d.fetch_to, 4u);
  // Threshold 5: 4 / 1 is not above it: node 1 uses its own block: 20 ms, no fetch.
  d = MakeRouter("kvcache_centric:kvcache_balancing_threshold=5", 1)->Route(v.view());
  EXPECT_EQ(d.node, 1u);
  EXPECT_EQ(d.fetch_from, kNoFetch);
  // SLO 10 ms: the best prediction (11 ms) misses it: rejected.
  d = MakeRouter("kvcache_centric:slo_s=0.010", 1)->Route(v.view());
  EXPECT_EQ(d.node, kRejectRequest);
  d = MakeRouter("kvcache_centric:slo_s=0.011", 1)->Route(v.view());
  EXPECT_EQ(d.node, 1u);
  // Local scope: no fetch is ever planned.
  v.global_cache = false;
  d = MakeRouter("kvcache_centric", 1)->Route(v.view());
  EXPECT_EQ(d.fetch_from, kNoFetch);
}

// The fetch comes from the holder of the longest prefix with the least queued work, not
// the lowest index: nodes 0 and 1 hold [0..3] with 1 s and 0.5 s queued; idle node 2
// wins (4 ms transfer + 8 ms prefill) and fetches from node 1.
TEST(ReplicationEngineTest, KvcacheCentricFetchesFromTheLeastLoadedHolder) {
  ClusterViewForTest v(3);
  v.global_cache = true;
  v.Hold(0, {0, 1, 2, 3});
  v.Hold(1, {0, 1, 2, 3});
  v.SetRequest({0, 1, 2, 3, 4, 5}, 24);
  v.queued_work_s = {1.0, 0.5, 0.0};
  RouteDecision d = MakeRouter("kvcache_centric", 1)->Route(v.view());
  EXPECT_EQ(d.node, 2u);
  EXPECT_EQ(d.fetch_from, 1u);
  EXPECT_EQ(d.fetch_to, 4u);
  // Equal queues: the lowest index.
  v.queued_work_s = {0.5, 0.5, 0.0};
  d = MakeRouter("kvcache_centric", 1)->Route(v.view());
  EXPECT_EQ(d.fetch_from, 0u);
}

// kvcache_centric scores the nodes holding none of the prefix with the two terms they
// share, computed once, when nodes have one speed: the decisions must equal the any-speed
// path's, node by node, including exact ties of queued work (lowest index wins) and cold
// nodes at node 0, for clusters of 1..70 nodes, both scopes and several thresholds.
TEST(ReplicationEngineTest, KvcacheCentricSharedTermsDecideAsEveryNodeScoredAlone) {
  std::mt19937_64 rng(3);
  const char* const routers[] = {"kvcache_centric", "kvcache_centric:kvcache_balancing_threshold=2",
                                 "kvcache_centric:slo_s=0.02"};
  int fetches = 0, cold_choices = 0, decisions = 0;
  for (int round = 0; round < 400; ++round) {
    const size_t nodes = 1 + rng() % 70;
    ClusterViewForTest v(nodes);
    v.global_cache = rng() % 4 != 0;
    // Chains of one request's ids 0..7; a few nodes hold a prefix of them.
    const size_t holders = 1 + rng() % 4;
    for (size_t h = 0; h < holders; ++h) {
      std::vector<BlockId> ids(1 + rng() % 8);
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<BlockId>(i);
      v.Hold(static_cast<uint32_t>(rng() % nodes), ids);
    }
    v.SetRequest({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 40);
    // Queued work from a few values, so that equal scores are common.
    for (double& q : v.queued_work_s) q = 0.005 * static_cast<double>(rng() % 8);
    for (const char* name : routers) {
      v.uniform_speed = true;
      const RouteDecision shared = MakeRouter(name, 1)->Route(v.view());
      v.uniform_speed = false;
      const RouteDecision alone = MakeRouter(name, 1)->Route(v.view());
      ASSERT_EQ(shared.node, alone.node) << name << " round " << round;
      ASSERT_EQ(shared.fetch_from, alone.fetch_from) << name << " round " << round;
      ASSERT_EQ(shared.fetch_to, alone.fetch_to) << name << " round " << round;
      ++decisions;
      fetches += alone.fetch_from < nodes;
      cold_choices += alone.node < nodes && v.view().prefix_blocks(alone.node) == 0;
    }
  }
  // The rounds exercised fetching cold nodes and chosen cold nodes, not only holders.
  EXPECT_GT(fetches, decisions / 10);
  EXPECT_GT(cold_choices, decisions / 10);
}

// NIC of 8,000 bytes/s: one block per ms. Node 1 (capacity 2) serves rx = [8, 9] at t=0;
// node 0 serves r0 = [1, 2]. Before r1 (t=10 ms) is routed, [1, 2] is copied from node 0 to
// node 1: 2 ms on both links, landing at 12 ms and evicting 8 and 9. r2 = [1, 2, 4] on
// node 1 reuses the copy only if it starts after 12 ms.
RunResult RunCopy(int64_t r2_ms, double share = 0, uint32_t* sent = nullptr) {
  const auto trace =
      MakeTrace({{0, 8, {8, 9}}, {0, 8, {1, 2}}, {10, 12, {1, 2, 3}}, {r2_ms, 12, {1, 2, 4}}}, 4);
  SimConfig config = RealisticConfig(2, 10);
  config.cluster.nodes[1].capacity_blocks = 2;
  config.cost = MillisecondPerTokenCost(4, 8000);
  ScriptedRouter router({1, 0, 0, 1});
  CopyOnce policy(2, 0, 1, 2, share);
  RunResult r = Simulate(*trace, config, router, &policy);
  if (sent != nullptr) *sent = policy.sent;
  return r;
}

TEST(ReplicationEngineTest, ARealisticCopyCostsLinkTimeBytesAndMemory) {
  uint32_t sent = 0;
  const RunResult late = RunCopy(13, 0, &sent);
  EXPECT_EQ(sent, 2u);
  EXPECT_EQ(late.copies, 1u);
  EXPECT_EQ(late.copied_blocks, 2u);
  EXPECT_EQ(late.transfer_bytes, 16u);
  // The copy evicts 8 and 9 and makes 2 replicas. Storing r2 = [1, 2, 4] on the 2-block
  // node (last to first) then evicts 2, 1 and 4 in turn and re-inserts 2 and 1: 2 more.
  EXPECT_EQ(late.replicas_created, 4u);
  EXPECT_EQ(late.evictions, 5u);
  EXPECT_GT(late.replica_gb_hours, 0);
  EXPECT_EQ(late.hit_blocks, 2u + 2u);  // r1 on node 0, r2 on node 1 (from the copy)

  const RunResult early = RunCopy(11);  // r2 starts while the copy is on the wire
  EXPECT_EQ(early.copies, 1u);
  EXPECT_EQ(early.hit_blocks, 2u);  // r1 only
}

TEST(ReplicationEngineTest, TheReplicaBudgetRefusesCopiesBeyondIt) {
  // Capacity 10 + 2 blocks, share 0.1: at most 1 replica block; the copy needs 2.
  uint32_t sent = 0;
  const RunResult r = RunCopy(13, 0.1, &sent);
  EXPECT_EQ(sent, 0u);
  EXPECT_EQ(r.copies, 0u);
  EXPECT_EQ(r.copies_refused, 1u);
  EXPECT_EQ(r.transfer_bytes, 0u);
  EXPECT_EQ(r.hit_blocks, 2u);
  // Share 0.2: 2 replica blocks allowed.
  EXPECT_EQ(RunCopy(13, 0.2, &sent).copies, 1u);
  EXPECT_EQ(sent, 2u);
}

// Seed mode, LFU, memory 2 blocks per node, copy limit 500. r0 = [1, 2] on node 0; before
// r1 = [1, 2] is routed, [1, 2] is copied to node 1 (uncounted). Then on node 1:
//   r1 [1, 2]    hits 2 (1 and 2 at frequency 2)
//   r2 [3, 4]    2 misses: counted memory 0 -> 2, the node now holds 4 blocks
//   r3 [5]       memory full: evict the oldest of frequency 1 (3); insert 5
//   r4 [1, 2, 6] hits 2; 6 misses: evict 4 (frequency 1, older than 5)
TEST(ReplicationEngineTest, SeedCopiesAreImmediateAndOutsideMemory) {
  const auto trace = MakeTrace(
      {{0, 8, {1, 2}}, {0, 8, {1, 2}}, {0, 8, {3, 4}}, {0, 4, {5}}, {0, 12, {1, 2, 6}}}, 4);
  SimConfig config;
  config.mode = SimMode::kSeedCompat;
  config.cluster.nodes.assign(2, NodeSpec{2, "lfu", 1.0});
  ScriptedRouter router({0, 1, 1, 1, 1});
  CopyOnce policy(1, 0, 1, 2);
  const RunResult r = Simulate(*trace, config, router, &policy);
  EXPECT_EQ(policy.sent, 2u);
  EXPECT_EQ(r.copies, 1u);
  EXPECT_EQ(r.transfer_bytes, 0u);  // the seed's copies are free
  EXPECT_EQ(r.hit_blocks, 4u);
  EXPECT_EQ(r.nodes[1].hit_blocks, 4u);
  EXPECT_EQ(r.evictions, 2u);
  EXPECT_EQ(r.nodes[1].resident_blocks_end, 4u);  // 1, 2, 5, 6: above its memory of 2
  EXPECT_EQ(r.replicas_created, 2u);
}

// seed_dynamic on a hand-made view: prefix [0, 1] is in every request the tracker saw, so
// its intensity is 1 > theta and r = 1 + min(3, 3) = 4 on 4 nodes.
TEST(ReplicationEngineTest, SeedDynamicTopsAHotPrefixUpToItsReplicationFactor) {
  HotspotConfig hot;
  hot.nodes = 4;
  HotspotTracker tracker(hot);
  const std::vector<BlockId> prefix = {0, 1, 2};
  for (int i = 0; i < 10; ++i) tracker.RecordRequest(prefix);
  ClusterViewForTest v(4);
  v.hotspots = &tracker;
  v.Hold(0, {0, 1, 2});
  v.Hold(1, {0, 1});
  v.SetRequest({0, 1, 2}, 12);
  v.queued_work_s = {0.0, 0.0, 2.0, 1.0};
  std::unique_ptr<ReplicationPolicy> policy = MakeReplicationPolicy("seed_dynamic", 1);
  policy->BeforeRoute(v.view());
  // L = 3 is held by node 0 only: three more holders, least queued work first (nodes 1, 3,
  // 2), each sent the 3 blocks. L = 2 is then covered: node 1 holds it, and nodes 2 and 3
  // already get the longer copy in this request.
  ASSERT_EQ(v.sink.copies.size(), 3u);
  const uint32_t realistic_targets[] = {1, 3, 2};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(v.sink.copies[i].source, 0u) << i;
    EXPECT_EQ(v.sink.copies[i].target, realistic_targets[i]) << i;
    EXPECT_EQ(v.sink.copies[i].blocks, 3u) << i;
  }
  // At theta 1 nothing is hot (intensity 1 is not above it).
  ClusterViewForTest quiet(4);
  quiet.hotspots = &tracker;
  quiet.Hold(0, {0, 1, 2});
  quiet.SetRequest({0, 1, 2}, 12);
  MakeReplicationPolicy("seed_dynamic:theta=1", 1)->BeforeRoute(quiet.view());
  EXPECT_TRUE(quiet.sink.copies.empty());

  // Seed mode: the seed's targets, every time: the 3 other nodes by queue + blocks/500.
  ClusterViewForTest s(4);
  s.seed_mode = true;
  s.hotspots = &tracker;
  s.Hold(0, {0, 1, 2});
  s.SetRequest({0, 1, 2}, 12);
  s.queue_length = {5, 3, 1, 2};
  policy->BeforeRoute(s.view());
  // L = 3 then L = 2, each to nodes 2, 3, 1 (loads 1, 2, 3), from node 0.
  ASSERT_EQ(s.sink.copies.size(), 6u);
  const uint32_t targets[] = {2, 3, 1, 2, 3, 1};
  const uint32_t lengths[] = {3, 3, 3, 2, 2, 2};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.sink.copies[i].source, 0u) << i;
    EXPECT_EQ(s.sink.copies[i].target, targets[i]) << i;
    EXPECT_EQ(s.sink.copies[i].blocks, lengths[i]) << i;
  }
}

}  // namespace
}  // namespace kvb
