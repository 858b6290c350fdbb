// Tests of the production routers (dynamo, sglang_cache_aware, prefix_hash_bounded, llm_d,
// preble_e2): hand-computed scenarios where each router's rule alone decides, sampling
// frequencies against their formulas, determinism, and parameter errors.
//
// ClusterViewForTest predicts a prefill of (input tokens - 4 x reused blocks) ms.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/index/sim_prefix_index.h"
#include "core/policy/cluster_view.h"
#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/routing/testing/router_testing.h"
#include "core/util/input_error.h"
#include "core/util/mix.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::Concat;
using testing::ExpectBinomial;
using testing::FreshCounts;
using testing::Ids;
using testing::RouteNode;

// ---- dynamo ----
// block_tokens=4 makes a cost block one trace block of the test view.

TEST(DynamoRouterTest, CostIsScaledPrefillAfterCreditPlusActiveBlocks) {
  auto router = MakeRouter("dynamo:block_tokens=4", 1);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 6));  // prefix 6
  c.Hold(1, Ids(1, 2));  // prefix 2
  // r0: costs 10 - 6 = 4, 8, 10 -> node 0, which then has 16 prompt tokens to prefill and
  // 10 blocks.
  c.request_index = 0;
  EXPECT_EQ(RouteNode(*router, c), 0u);
  // r1: node 0: (40 + 16) / 4 - 6 + 10 = 18; node 1: 8; node 2: 10 -> node 1 (32 tokens).
  c.request_index = 1;
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // r0's first token: node 0 keeps its 10 blocks, not its prefill: 4 + 10 = 14; node 1:
  // (40 + 32) / 4 - 2 + 10 = 26; node 2: 10 -> node 2.
  router->OnFirstToken({0, 0, 1.0});
  c.request_index = 2;
  EXPECT_EQ(RouteNode(*router, c), 2u);
  // r0 finished: node 0 costs 4 again.
  router->OnFinished({0, 0, 2.0});
  c.request_index = 3;
  EXPECT_EQ(RouteNode(*router, c), 0u);
}

TEST(DynamoRouterTest, PrefillLoadScaleAndOverlapCreditChangeDecisions) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 6));
  // Node 0 gets r0 (cost 4) and keeps 10 blocks after its first token.
  auto decide = [&](const std::string& spec) {
    auto router = MakeRouter(spec, 1);
    c.request_index = 0;
    EXPECT_EQ(RouteNode(*router, c), 0u);
    router->OnFirstToken({0, 0, 1.0});
    c.request_index = 1;
    return RouteNode(*router, c);
  };
  // Scale 1: node 0 = 4 + 10 = 14 > node 1 = 10 (node 2 ties node 1: the lower draw).
  EXPECT_NE(decide("dynamo:block_tokens=4"), 0u);
  // Scale 3: node 0 = 12 + 10 = 22 < 30.
  EXPECT_EQ(decide("dynamo:block_tokens=4,prefill_load_scale=3"), 0u);
  // The legacy overlap_weight sets the scale.
  EXPECT_EQ(decide("dynamo:block_tokens=4,overlap_weight=3"), 0u);
  // Credit 0.5 of node 0's 6 cached blocks: 10 - 3 = 7 < 10.
  EXPECT_EQ(RouteNode(*MakeRouter("dynamo:block_tokens=4,overlap_credit=0.5", 1), c), 0u);
  // Credit 0: the cache is worth nothing: all three tie.
  const std::vector<int> counts = FreshCounts("dynamo:block_tokens=4,overlap_credit=0", c, 3000);
  for (int k : counts) ExpectBinomial(k, 3000, 1.0 / 3);
}

TEST(DynamoRouterTest, APrefillPoolFreesBlocksAtTheFirstToken) {
  auto router = MakeRouter("dynamo:block_tokens=4", 1);
  ClusterViewForTest c(2);
  c.prefill_pool = true;
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 6));
  c.request_index = 0;
  EXPECT_EQ(RouteNode(*router, c), 0u);
  router->OnFirstToken({0, 0, 1.0});  // nothing stays on node 0: cost 4 again
  c.request_index = 1;
  EXPECT_EQ(RouteNode(*router, c), 0u);
  router->OnFirstToken({1, 0, 2.0});
  router->OnFinished({0, 0, 5.0});  // the decodes' ends change nothing more
  router->OnFinished({1, 0, 6.0});
  // Without the pool, r2 keeps its 10 blocks after its first token: node 0 then costs 14.
  c.prefill_pool = false;
  c.request_index = 2;
  EXPECT_EQ(RouteNode(*router, c), 0u);
  router->OnFirstToken({2, 0, 7.0});
  c.request_index = 3;
  EXPECT_EQ(RouteNode(*router, c), 1u);
}

TEST(DynamoRouterTest, ActiveRequestWeightChargesEachRequest) {
  auto router = MakeRouter("dynamo:block_tokens=4,active_request_weight=100", 1);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 2), 8);
  c.Hold(0, Ids(1, 2));
  c.request_index = 0;
  EXPECT_EQ(RouteNode(*router, c), 0u);  // 0 vs 2
  router->OnFirstToken({0, 0, 1.0});
  c.request_index = 1;  // node 0: 0 + 2 blocks + 100 > node 1: 2
  EXPECT_EQ(RouteNode(*router, c), 1u);
}

// Router queue (queue_threshold x max_num_batched_tokens = 0.5 x 64 = 32 tokens): hold
// while every node's uncached prompt tokens before their first token exceed 32.
TEST(DynamoRouterTest, QueueHoldsWhileEveryNodeIsPrefillBusy) {
  auto router = MakeRouter("dynamo:block_tokens=4,queue_threshold=0.5", 1);
  ClusterViewForTest c(2);
  c.max_batched_tokens = 64;
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(1, Ids(1, 2));  // node 1 caches 8 of the 40 tokens
  EXPECT_FALSE(router->Holds(c.view()));
  c.request_index = 0;
  EXPECT_EQ(RouteNode(*router, c), 1u);  // node 1: 32 uncached tokens, 32 <= 32: not busy
  EXPECT_FALSE(router->Holds(c.view()));
  c.request_index = 1;
  EXPECT_EQ(RouteNode(*router, c), 0u);   // node 0: 40 tokens > 32: busy
  EXPECT_FALSE(router->Holds(c.view()));  // node 1 is at the threshold, not over it
  c.request_index = 2;
  EXPECT_EQ(RouteNode(*router, c), 1u);  // node 1: 32 + 32 = 64
  EXPECT_TRUE(router->Holds(c.view()));
  router->OnFirstToken({1, 0, 1.0});  // node 0's prefill is done: it has room again
  EXPECT_FALSE(router->Holds(c.view()));
  // Without a threshold (upstream's default) or without a batch size (Dynamo then assumes
  // 10 M tokens) nothing waits.
  EXPECT_FALSE(MakeRouter("dynamo:block_tokens=4", 1)->Holds(c.view()));
  auto unconfigured = MakeRouter("dynamo:block_tokens=4,queue_threshold=0.5", 1);
  c.max_batched_tokens = 0;
  c.request_index = 3;
  EXPECT_EQ(RouteNode(*unconfigured, c), 1u);
  EXPECT_FALSE(unconfigured->Holds(c.view()));
}

// Queue order: fcfs by arrival, lcfs latest first, wspt by uncached tokens against the
// best node's cache (at least 1), lowest released first.
TEST(DynamoRouterTest, QueuePolicyRanksWaitingRequests) {
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(1, Ids(1, 6));  // 24 tokens cached on node 1
  c.now_s = 2.5;
  EXPECT_EQ(MakeRouter("dynamo:queue_threshold=1", 1)->HoldRank(c.view()), 2.5);
  EXPECT_EQ(MakeRouter("dynamo:queue_threshold=1,queue_policy=lcfs", 1)->HoldRank(c.view()), -2.5);
  auto wspt = MakeRouter("dynamo:queue_threshold=1,queue_policy=wspt", 1);
  EXPECT_EQ(wspt->HoldRank(c.view()), 16);
  c.Hold(0, Ids(1, 10));  // fully cached: the rank is clamped to 1 token
  EXPECT_EQ(wspt->HoldRank(c.view()), 1);
  EXPECT_THROW(MakeRouter("dynamo:queue_policy=sjf", 1), InputError);
}

TEST(DynamoRouterTest, TiesAreBrokenUniformlyAtRandom) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(2, Ids(1, 1));  // costs 10, 10, 9: node 2 always
  const std::vector<int> one = FreshCounts("dynamo:block_tokens=4", c, 200);
  EXPECT_EQ(one[2], 200);
  ClusterViewForTest idle(3);
  idle.SetRequest(Ids(1, 10), 40);
  const int draws = 3000;
  const std::vector<int> counts = FreshCounts("dynamo:block_tokens=4", idle, draws);
  for (int k : counts) ExpectBinomial(k, draws, 1.0 / 3);
}

TEST(DynamoRouterTest, TemperatureSamplesTheSoftmaxOfNormalisedCosts) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(1, Ids(1, 5));
  c.Hold(2, Ids(1, 10));  // costs 10, 5, 0 -> normalised 1, 0.5, 0
  // T = 1: weights e^-1, e^-0.5, 1.
  const double w[3] = {std::exp(-1.0), std::exp(-0.5), 1};
  const double total = w[0] + w[1] + w[2];
  const int draws = 20000;
  const std::vector<int> counts = FreshCounts("dynamo:block_tokens=4,temperature=1", c, draws);
  for (int i = 0; i < 3; ++i) ExpectBinomial(counts[i], draws, w[i] / total);
  // T = 0.25: weights e^-4, e^-2, 1.
  const double v[3] = {std::exp(-4.0), std::exp(-2.0), 1};
  const double v_total = v[0] + v[1] + v[2];
  const std::vector<int> cold = FreshCounts("dynamo:block_tokens=4,temperature=0.25", c, draws);
  for (int i = 0; i < 3; ++i) ExpectBinomial(cold[i], draws, v[i] / v_total);
}

// ---- sglang_cache_aware ----
// Expected wait here: (4 x pending blocks + since-poll tokens) / 2000 + 0.15 k / (1 - k).

// A router whose node 0 tree holds ids 1..10: routed there while node 1 had a queue.
std::unique_ptr<Router> SglangWithTenOnNodeZero(const std::string& spec = "sglang_cache_aware") {
  auto router = MakeRouter(spec, 1);
  ClusterViewForTest c(2);
  c.pending_prefill_blocks = {0, 5};
  c.SetRequest(Ids(1, 10), 40);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  return router;
}

TEST(SglangCacheAwareRouterTest, AMissGoesToTheLeastExpectedWait) {
  auto router = MakeRouter("sglang_cache_aware", 1);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 4), 16);
  c.pending_prefill_blocks = {10, 5};  // 40 vs 20 queued tokens
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // KV pressure: k = 0.5 costs 0.15 s; 250 queued blocks (1000 tokens) cost 0.5 s.
  c.now_s = 1;  // a new poll: the since-poll tallies restart
  c.SetRequest(Ids(100, 4), 16);
  c.pending_prefill_blocks = {0, 0};
  c.active_kv_blocks = {50, 0};
  c.kv_capacity_blocks = {100, 100};
  EXPECT_EQ(RouteNode(*router, c), 1u);
  c.now_s = 2;
  c.SetRequest(Ids(200, 4), 16);
  c.pending_prefill_blocks = {0, 250};
  EXPECT_EQ(RouteNode(*router, c), 0u);
}

TEST(SglangCacheAwareRouterTest, ExactTiesAreBrokenUniformlyAtRandom) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 4), 16);
  std::vector<int> counts(3, 0);
  const int draws = 3000;
  for (int seed = 1; seed <= draws; ++seed) {
    ++counts.at(RouteNode(*MakeRouter("sglang_cache_aware", seed), c));
  }
  for (int k : counts) ExpectBinomial(k, draws, 1.0 / 3);
}

TEST(SglangCacheAwareRouterTest, TokensRoutedSinceThePollCountUntilTheNextPoll) {
  auto router = MakeRouter("sglang_cache_aware", 7);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 4), 16);
  const uint32_t first = RouteNode(*router, c);
  // Same poll: the first node carries 16 routed tokens, so a cold request goes elsewhere.
  c.SetRequest(Ids(100, 4), 16);
  EXPECT_EQ(RouteNode(*router, c), 1 - first);
  c.SetRequest(Ids(200, 4), 16);  // 16 and 16: a tie again; then 32 vs 16
  const uint32_t third = RouteNode(*router, c);
  c.SetRequest(Ids(300, 4), 16);
  EXPECT_EQ(RouteNode(*router, c), 1 - third);
  // With stale signals (a poll at 5 s seen at 6 s) the tallies restart only at the poll.
  c.signals_as_of_s = 5;
  c.now_s = 6;
  c.pending_prefill_blocks = {0, 1};  // node 0 is 4 tokens ahead
  c.SetRequest(Ids(400, 4), 16);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  c.SetRequest(Ids(500, 4), 16);  // node 0: 16 routed since the poll > node 1's 4
  EXPECT_EQ(RouteNode(*router, c), 1u);
}

TEST(SglangCacheAwareRouterTest, CacheThresholdIsExclusive) {
  auto router = SglangWithTenOnNodeZero();
  ClusterViewForTest c(2);
  c.now_s = 1;
  c.pending_prefill_blocks = {5, 0};  // node 1 waits less
  // The same ten ids: match 10/10 > 0.3: node 0, its only holder.
  c.SetRequest(Ids(1, 10), 40);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  // Ids 1, 2, 3, 200..206: 3 of 10 = 0.3, not > 0.3: least wait, node 1.
  c.now_s = 2;
  c.SetRequest(Concat(Ids(1, 3), Ids(200, 7)), 40);
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // Ids 1..4, 300..305: node 0 matches 4 of 10 = 0.4 > 0.3 (node 1: 3): node 0.
  c.now_s = 3;
  c.SetRequest(Concat(Ids(1, 4), Ids(300, 6)), 40);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  // With cache_threshold=0.45 the same request goes to the least wait.
  auto strict = SglangWithTenOnNodeZero("sglang_cache_aware:cache_threshold=0.45");
  EXPECT_EQ(RouteNode(*strict, c), 1u);
}

TEST(SglangCacheAwareRouterTest, AMatchChoosesAmongEveryHolderOfTheDeepestPrefix) {
  auto router = MakeRouter("sglang_cache_aware", 1);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.pending_prefill_blocks = {0, 9, 9};
  EXPECT_EQ(RouteNode(*router, c), 0u);  // tree 0 = {1..10}
  // Node 0 pressured (300 > 1.5 x 100 and > 100 + 64): spill to node 2, which waits least
  // of the others; tree 2 = {1..10}.
  c.now_s = 1;
  c.in_flight = {300, 0, 0};
  c.pending_prefill_blocks = {0, 9, 0};
  EXPECT_EQ(RouteNode(*router, c), 2u);
  // Nodes 0 and 2 hold the deepest prefix: the least wait of the two, not node 1's.
  c.now_s = 2;
  c.in_flight = {0, 0, 0};
  c.pending_prefill_blocks = {9, 0, 5};
  EXPECT_EQ(RouteNode(*router, c), 2u);
  c.now_s = 3;
  c.pending_prefill_blocks = {0, 0, 5};
  EXPECT_EQ(RouteNode(*router, c), 0u);
}

TEST(SglangCacheAwareRouterTest, PressuredHoldersSpillToTheUnpressured) {
  // Node 0 holds the prefix. Mean load 100 over 3 nodes: node 0 is pressured above both
  // 1.5 x 100 = 150 and 100 + 64 = 164.
  auto router = SglangWithTenOnNodeZero();
  ClusterViewForTest c(3);
  c.now_s = 1;
  c.SetRequest(Ids(1, 10), 40);
  c.pending_prefill_blocks = {0, 3, 1};
  c.in_flight = {164, 0, 136};  // 164 is not above 164: not pressured
  EXPECT_EQ(RouteNode(*router, c), 0u);
  c.in_flight = {165, 0, 135};  // pressured: the least wait of nodes 1 and 2
  EXPECT_EQ(RouteNode(*router, c), 2u);
  // The relative margin alone: 300 vs mean 200 is not above 1.5 x 200.
  auto two = SglangWithTenOnNodeZero();
  ClusterViewForTest d(2);
  d.now_s = 1;
  d.SetRequest(Ids(1, 10), 40);
  d.pending_prefill_blocks = {9, 0};
  d.in_flight = {300, 100};
  EXPECT_EQ(RouteNode(*two, d), 0u);
  d.in_flight = {301, 99};  // 301 > 300 and > 264
  EXPECT_EQ(RouteNode(*two, d), 1u);
}

TEST(SglangCacheAwareRouterTest, TreeIsPrunedLeastRecentlyUsedAtMaxTreeBlocks) {
  auto router = MakeRouter("sglang_cache_aware:max_tree_blocks=4", 1);
  ClusterViewForTest c(2);
  auto route = [&](std::vector<BlockId> ids) {
    c.now_s += 1;  // a poll per request: no since-poll tallies
    const auto tokens = static_cast<uint32_t>(4 * ids.size());
    c.SetRequest(std::move(ids), tokens);
    return RouteNode(*router, c);
  };
  c.pending_prefill_blocks = {0, 5};  // node 0 waits less: unmatched requests go there
  // Tree 0 in LRU order, most recent first (a request's ids are touched deepest first).
  EXPECT_EQ(route({1, 2}), 0u);  // 1 2
  EXPECT_EQ(route({3, 4}), 0u);  // 3 4 1 2
  EXPECT_EQ(route({1, 2}), 0u);  // refreshed: 1 2 3 4
  EXPECT_EQ(route({5}), 0u);     // 5 1 2 3 4 -> 5 ids > 4: evict 4 -> 5 1 2 3
  // Probes: node 1 now waits less, so a probe lands on node 0 only if its tree matches.
  c.pending_prefill_blocks = {5, 0};
  EXPECT_EQ(route({4}), 1u);     // 4 was evicted
  EXPECT_EQ(route({1, 2}), 0u);  // kept by the refresh (without it, 1 and 2 go)
  EXPECT_EQ(route({3}), 0u);
  EXPECT_EQ(route({5}), 0u);
}

// ---- prefix_hash_bounded ----

// The distinct nodes met walking the ring clockwise from the hash of `id`, as the router
// documents it: key = Mix64(id + 0x9E3779B97F4A7C15), points Mix64((node << 32 | replica)
// ^ 0xD1B54A32D192ED03), sorted by (hash, node).
std::vector<uint32_t> ClockwiseNodes(BlockId id, uint32_t nodes, uint32_t virtual_nodes) {
  std::vector<std::pair<uint64_t, uint32_t>> ring;
  for (uint32_t n = 0; n < nodes; ++n) {
    for (uint32_t r = 0; r < virtual_nodes; ++r) {
      ring.emplace_back(Mix64(((uint64_t{n} << 32) | r) ^ 0xD1B54A32D192ED03ULL), n);
    }
  }
  std::sort(ring.begin(), ring.end());
  const uint64_t key = Mix64(uint64_t{id} + 0x9E3779B97F4A7C15ULL);
  size_t p =
      std::lower_bound(ring.begin(), ring.end(), std::make_pair(key, uint32_t{0})) - ring.begin();
  std::vector<uint32_t> order;
  for (size_t step = 0; step < ring.size(); ++step, ++p) {
    const uint32_t n = ring[p % ring.size()].second;
    if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
  }
  return order;
}

TEST(PrefixHashBoundedRouterTest, TheFirstBlockPicksTheRingNode) {
  auto router = MakeRouter("prefix_hash_bounded:load_factor=1000", 1);
  ClusterViewForTest c(4);
  c.queue_length = {10, 0, 3, 7};
  // k = 1 (smg's 256 tokens fall in the first block): id 1 decides.
  const std::vector<uint32_t> order = ClockwiseNodes(1, 4, 150);
  ASSERT_EQ(order.size(), 4u);
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  c.SetRequest(Concat({1}, Ids(50, 5)), 24);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  // prefix_blocks=4: the id at position 3 (id 4) names the first four blocks; two blocks
  // only: the id at position 1.
  auto k4 = MakeRouter("prefix_hash_bounded:prefix_blocks=4,load_factor=1000", 1);
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*k4, c), ClockwiseNodes(4, 4, 150)[0]);
  c.SetRequest(Ids(1, 2), 8);
  EXPECT_EQ(RouteNode(*k4, c), ClockwiseNodes(2, 4, 150)[0]);
}

TEST(PrefixHashBoundedRouterTest, OverTheBoundGoesToTheLeastLoadedWithinIt) {
  auto router = MakeRouter("prefix_hash_bounded", 1);
  const std::vector<uint32_t> order = ClockwiseNodes(1, 4, 150);  // a, b, c, d
  ClusterViewForTest c(4);
  c.SetRequest(Ids(1, 6), 24);
  auto set_loads = [&](uint32_t a, uint32_t b, uint32_t cc, uint32_t d) {
    c.in_flight.assign(4, 0);
    c.in_flight[order[0]] = a;
    c.in_flight[order[1]] = b;
    c.in_flight[order[2]] = cc;
    c.in_flight[order[3]] = d;
  };
  // Total 39: avg 40 / 4 = 10; bound max(12.5, 10 + 10) = 20.
  set_loads(20, 9, 5, 5);  // a at the bound: a
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  set_loads(21, 8, 5, 5);  // a over it: the least loaded within it, c and d tie: lower index
  EXPECT_EQ(RouteNode(*router, c), std::min(order[2], order[3]));
  // Large loads: the relative margin decides. Total 399: avg 100, bound max(125, 110).
  set_loads(126, 100, 90, 83);
  EXPECT_EQ(RouteNode(*router, c), order[3]);
  set_loads(125, 100, 90, 84);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  // All idle: the ring's node.
  set_loads(0, 0, 0, 0);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
}

TEST(PrefixHashBoundedRouterTest, WalkSkipsNodesOverTheBoundClockwise) {
  auto router = MakeRouter("prefix_hash_bounded:overflow=walk,virtual_nodes=64,prefix_blocks=4", 1);
  const std::vector<uint32_t> order = ClockwiseNodes(4, 4, 64);  // a, b, c, d
  ASSERT_EQ(order.size(), 4u);
  ClusterViewForTest c(4);
  c.SetRequest(Ids(1, 6), 24);
  auto set_loads = [&](size_t a, size_t b, size_t cc, size_t d) {
    c.queue_length[order[0]] = a;
    c.queue_length[order[1]] = b;
    c.queue_length[order[2]] = cc;
    c.queue_length[order[3]] = d;
  };
  // Total 11: capacity ceil(1.25 x 12 / 4) = ceil(3.75) = 4.
  set_loads(3, 5, 1, 2);  // a: 3 + 1 = 4 <= 4, taken (at the bound)
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  set_loads(4, 5, 0, 2);  // a: 5 > 4, b: 6 > 4 skipped; c: 1 <= 4
  EXPECT_EQ(RouteNode(*router, c), order[2]);
  set_loads(4, 3, 2, 2);  // a: 5 > 4 skipped; b: 4 <= 4
  EXPECT_EQ(RouteNode(*router, c), order[1]);
  // All idle: capacity ceil(1.25 x 1 / 4) = 1 (the ceiling lets a node take it).
  set_loads(0, 0, 0, 0);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
}

// ---- llm_d ----

TEST(LlmDRouterTest, WeightedSumOfScorers) {
  const std::string base = "llm_d:prefix_source=cache,max_prefix_blocks=10";
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 10));             // prefix 1.0
  c.Hold(1, Ids(1, 5));              // prefix 0.5
  c.waiting_requests = {8, 0, 4};    // queue scores (8 - w) / 8: 0, 1, 0.5
  c.active_kv_blocks = {90, 0, 50};  // kv scores: 0.1, 1, 0.5
  c.kv_capacity_blocks = {100, 100, 100};
  // node 0: 3 x 1 + 2 x 0 + 2 x 0.1 = 3.2; node 1: 3 x 0.5 + 2 x 1 + 2 x 1 = 5.5;
  // node 2: 0 + 2 x 0.5 + 2 x 0.5 = 2 -> node 1.
  EXPECT_EQ(RouteNode(*MakeRouter(base, 1), c), 1u);
  // prefix_weight 10: node 0 = 10.2, node 1 = 9, node 2 = 2 -> node 0.
  EXPECT_EQ(RouteNode(*MakeRouter(base + ",prefix_weight=10", 1), c), 0u);
  // kv_weight 0, queue_weight 5: node 0 = 3, node 1 = 6.5, node 2 = 2.5 -> node 1;
  // queue_weight 0, kv 0: prefix alone -> node 0.
  EXPECT_EQ(RouteNode(*MakeRouter(base + ",kv_weight=0,queue_weight=5", 1), c), 1u);
  EXPECT_EQ(RouteNode(*MakeRouter(base + ",kv_weight=0,queue_weight=0", 1), c), 0u);
  // The prefix score is capped at max_prefix_blocks: with 5, nodes 0 and 1 both match 5/5.
  const std::vector<int> capped = FreshCounts(
      "llm_d:prefix_source=cache,max_prefix_blocks=5,kv_weight=0,queue_weight=0", c, 2000);
  EXPECT_EQ(capped[2], 0);
  ExpectBinomial(capped[0], 2000, 0.5);
}

TEST(LlmDRouterTest, TheQueueScorerCountsWaitingRequestsOnly) {
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 4), 16);
  c.queue_length = {12, 2};  // running differs...
  c.running_requests = {10, 0};
  c.waiting_requests = {2, 2};  // ...waiting does not: a tie
  const std::vector<int> counts = FreshCounts("llm_d", c, 2000);
  for (int k : counts) ExpectBinomial(k, 2000, 0.5);
  c.waiting_requests = {2, 3};
  EXPECT_EQ(RouteNode(*MakeRouter("llm_d", 1), c), 0u);
}

TEST(LlmDRouterTest, KvUtilisationIsClampedToOne) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 1));  // prefix 0.1 (cache source)
  c.active_kv_blocks = {150, 100, 100};
  c.kv_capacity_blocks = {100, 100, 100};
  // node 0: kv 1 - min(1.5, 1) = 0: 3 x 0.1 + 2 + 0 = 2.3 (unclamped: 1.3); nodes 1, 2: 2.
  EXPECT_EQ(RouteNode(*MakeRouter("llm_d:prefix_source=cache,max_prefix_blocks=10", 1), c), 0u);
}

TEST(LlmDRouterTest, TheRoutedIndexRemembersWhatWentWhereWithinItsLru) {
  // Waiting queues steer the writes: node 0 scores 2 more on the queue.
  for (const bool small : {false, true}) {
    auto router = MakeRouter(small ? "llm_d:lru_blocks=4" : "llm_d", 1);
    ClusterViewForTest c(3);
    c.waiting_requests = {0, 5, 5};
    c.SetRequest(Ids(1, 4), 16);
    EXPECT_EQ(RouteNode(*router, c), 0u);  // index 0: 1 2 3 4
    c.SetRequest(Ids(50, 2), 8);
    EXPECT_EQ(RouteNode(*router, c), 0u);  // 50 51 1 2 3 4; lru 4 evicts 4, then 3
    // Node 1 now scores 2 more on the queue. Node 0 with all four ids: 3 + 0 + 2 = 5 > 4;
    // with 1, 2 only: 1.5 + 0 + 2 = 3.5 < 4.
    c.waiting_requests = {5, 0, 5};
    c.SetRequest(Ids(1, 4), 16);
    EXPECT_EQ(RouteNode(*router, c), small ? 1u : 0u);
  }
}

TEST(LlmDRouterTest, TiesAreBrokenUniformlyAtRandom) {
  ClusterViewForTest c(4);
  c.SetRequest(Ids(1, 10), 40);
  c.active_kv_blocks = {10, 10, 10, 90};  // node 3 scores 2 x 0.8 lower
  c.kv_capacity_blocks = {100, 100, 100, 100};
  const int draws = 6000;
  const std::vector<int> counts = FreshCounts("llm_d", c, draws);
  EXPECT_EQ(counts[3], 0);
  for (int i = 0; i < 3; ++i) ExpectBinomial(counts[i], draws, 1.0 / 3);
}

TEST(LlmDRouterTest, LoadAwareScorerHalvesFromAnEmptyQueueToTheThreshold) {
  // Scores 0.5 (no waiting request), 0.5 x (1 - 64 / 128) = 0.25, and 0 (200 capped at 128).
  const std::string only =
      "llm_d:prefix_source=cache,max_prefix_blocks=4,queue_weight=0,kv_weight=0,"
      "load_aware_weight=1";
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 4), 16);
  c.waiting_requests = {0, 64, 200};
  c.Hold(1, Ids(1, 4));
  c.Hold(2, Ids(1, 4));
  // node 1 with its whole prefix: 0.24 + 0.25 = 0.49 < 0.5 -> node 0; 0.26 -> node 1.
  EXPECT_EQ(RouteNode(*MakeRouter(only + ",prefix_weight=0.24", 1), c), 0u);
  EXPECT_EQ(RouteNode(*MakeRouter(only + ",prefix_weight=0.26", 1), c), 1u);
  // Node 2 scores 0 whatever its queue past the threshold: with threshold 400 it scores
  // 0.5 x (1 - 200 / 400) = 0.25 and node 1 0.5 x (1 - 64 / 400) = 0.42.
  EXPECT_EQ(RouteNode(*MakeRouter(only + ",prefix_weight=0.09,load_threshold=400", 1), c), 1u);
  // Off by default: the default profile (queue min-max over 0..200, kv 1 everywhere) gives
  // node 0 2 + 2 = 4, node 1 3 + 2 x 0.68 + 2 = 6.36, node 2 3 + 0 + 2 = 5 -> node 1.
  EXPECT_EQ(RouteNode(*MakeRouter("llm_d:prefix_source=cache,max_prefix_blocks=4", 1), c), 1u);
}

TEST(LlmDRouterTest, ActiveRequestScorerCountsUntilTheFirstTokenOrTheEnd) {
  const std::string only =
      "llm_d:prefix_weight=0,queue_weight=0,kv_weight=0,active_request_weight=1";
  for (const bool until_finish : {false, true}) {
    SCOPED_TRACE(until_finish ? "finish" : "first_token");
    auto router = MakeRouter(only + (until_finish ? ",active_until=finish" : ""), 7);
    ClusterViewForTest c(3);
    c.SetRequest(Ids(1, 4), 16);
    // Each new request avoids the nodes with one in flight: (1 - 1) / 1 = 0 against 1.
    std::vector<uint32_t> node;
    for (uint32_t k = 0; k < 3; ++k) {
      c.request_index = k;
      node.push_back(RouteNode(*router, c));
    }
    EXPECT_EQ(std::set<uint32_t>(node.begin(), node.end()).size(), 3u);
    router->OnFirstToken({0, node[0], 1.0});
    if (until_finish) {
      // First tokens do not count down; only request 2's end frees its node (the
      // first_token rule would have freed all three: a tie).
      router->OnFirstToken({1, node[1], 1.5});
      router->OnFinished({2, node[2], 2.0});
    }
    c.request_index = 3;
    EXPECT_EQ(RouteNode(*router, c), until_finish ? node[2] : node[0]);
  }
}

TEST(LlmDRouterTest, ActiveRequestsExpireAtTheSweepAfterTheirTimeout) {
  // Two nodes, timeout 10 s: sweeps at 10, 20, ... drop requests routed a timeout or more
  // before. Over 20 seeds, so that a tie (the wrong rule) would show.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto router = MakeRouter(
        "llm_d:prefix_weight=0,queue_weight=0,kv_weight=0,active_request_weight=1,"
        "active_request_timeout_s=10",
        seed);
    ClusterViewForTest c(2);
    c.SetRequest(Ids(1, 4), 16);
    auto route = [&](uint32_t request, double t) {
      c.request_index = request;
      c.now_s = t;
      return RouteNode(*router, c);
    };
    const uint32_t a = route(0, 0);
    const uint32_t b = route(1, 1);
    ASSERT_NE(a, b);
    router->OnFirstToken({0, a, 2});
    // At 15 request 1 is past its timeout (1 + 10) but the sweep at 10 kept it: b counts 1,
    // a 0 -> a (an exact expiry would make this a tie).
    EXPECT_EQ(route(2, 15), a);
    // The sweep at 20 drops request 1; request 2 (routed at 15) still counts -> b (without
    // expiry: a tie).
    EXPECT_EQ(route(3, 20), b);
  }
}

// Session affinity alone: 1 for the node that answered the session's last response (its
// token), 0 elsewhere. The session is the id at depth 2 (block 2 of Ids(1, 4)). Over 20
// seeds, so that a tie (no affinity) would show.
TEST(LlmDRouterTest, SessionAffinityFollowsTheLastResponsesNode) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto router =
        MakeRouter("llm_d:prefix_weight=0,queue_weight=0,kv_weight=0,session_weight=1", seed);
    ClusterViewForTest c(4);
    auto route = [&](uint32_t request, std::vector<BlockId> ids) {
      c.request_index = request;
      c.SetRequest(std::move(ids), 16 * 4);
      return RouteNode(*router, c);
    };
    const uint32_t first = route(0, Ids(1, 4));
    router->OnFinished({0, first, 1.0});
    // The same session (same first two blocks, another tail) goes back to it.
    EXPECT_EQ(route(1, {1, 2, 9, 10}), first);
    // Its response ends on another node (as if a queue had moved it): the token follows.
    const uint32_t other = (first + 1) % 4;
    router->OnFinished({1, other, 2.0});
    EXPECT_EQ(route(2, Ids(1, 3)), other);
    router->OnFinished({2, other, 3.0});
  }
  // A token exists only after a response ends, and a request too short to name a session
  // carries none: over 40 seeds each lands on every node (ties), never pinned.
  std::set<uint32_t> unanswered, sessionless;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    auto router =
        MakeRouter("llm_d:prefix_weight=0,queue_weight=0,kv_weight=0,session_weight=1", seed);
    ClusterViewForTest c(4);
    c.SetRequest(Ids(1, 4), 16 * 4);
    c.request_index = 0;
    const uint32_t first = RouteNode(*router, c);
    c.request_index = 1;
    unanswered.insert(RouteNode(*router, c) == first ? 0 : 1);
    router->OnFinished({0, first, 1.0});
    c.SetRequest(Ids(1, 1), 16);
    c.request_index = 2;
    sessionless.insert(RouteNode(*router, c));
  }
  EXPECT_EQ(unanswered.size(), 2u);
  EXPECT_EQ(sessionless.size(), 4u);
}

// ---- preble_e2 ----
// The test view predicts (input tokens - 4 x reused blocks) ms of prefill; no block is
// held, so every routed request records its whole prompt.

uint32_t RoutePreble(Router& router, ClusterViewForTest& c, double t, std::vector<BlockId> ids,
                     uint32_t index, uint32_t output_tokens = 0) {
  c.now_s = t;
  c.request_index = index;
  const auto tokens = static_cast<uint32_t>(4 * ids.size());
  c.SetRequest(std::move(ids), tokens, output_tokens);
  return RouteNode(router, c);
}

TEST(PrebleE2RouterTest, ExploitsTheNodesOfASharedPrefixLongerThanTheNewPart) {
  auto router = MakeRouter("preble_e2", 1);
  ClusterViewForTest c(2);
  // r0: nothing shared: explore, both idle: node 0 (40 ms recorded there).
  EXPECT_EQ(RoutePreble(*router, c, 0, Ids(1, 10), 0), 0u);
  // r1 shares 8 of 10 blocks (32 tokens > 8 new): exploit node 0 despite its 40 ms.
  EXPECT_EQ(RoutePreble(*router, c, 1, Concat(Ids(1, 8), Ids(50, 2)), 1), 0u);
  // r2 shares 5 of 10 (20 tokens, not more than 20 new): explore: node 1 (0 < 80 ms).
  EXPECT_EQ(RoutePreble(*router, c, 2, Concat(Ids(1, 5), Ids(60, 5)), 2), 1u);
  // r3 shares 1..5 (20 tokens > 8 new), sent to both nodes: exploit among them, the least
  // load: node 1 (40 ms against 80).
  EXPECT_EQ(RoutePreble(*router, c, 3, Concat(Ids(1, 5), Ids(80, 2)), 3), 1u);
  // r4 shares 1..8 (32 > 8), only ever sent to node 0: node 0 (120 ms against 68).
  EXPECT_EQ(RoutePreble(*router, c, 4, Concat(Ids(1, 8), Ids(90, 2)), 4), 0u);
}

TEST(PrebleE2RouterTest, AllocationsAndLoadLeaveWithTheWindow) {
  auto probe = [](const char* spec) {
    auto router = MakeRouter(spec, 1);
    ClusterViewForTest c(2);
    EXPECT_EQ(RoutePreble(*router, c, 0, Ids(1, 10), 0), 0u);
    // At 15 s a cold request: window 10: r0 left, both idle: node 0 (40 ms there).
    RoutePreble(*router, c, 15, Ids(100, 10), 1);
    // At 20 s r2 shares 8 blocks of r0: its allocation (node 0 at 0 s) has expired with
    // window 10, so every node is a candidate: node 1; with window 100, node 0.
    return RoutePreble(*router, c, 20, Concat(Ids(1, 8), Ids(50, 2)), 2);
  };
  EXPECT_EQ(probe("preble_e2:window_s=10"), 1u);
  EXPECT_EQ(probe("preble_e2:window_s=100"), 0u);
}

TEST(PrebleE2RouterTest, AggregatedNodesChargeLiveDecodeWork) {
  for (const bool decode : {false, true}) {
    auto router = MakeRouter("preble_e2", 1);
    ClusterViewForTest c(2);
    c.nodes_decode = decode;
    c.in_flight = {0, 0};
    EXPECT_EQ(RoutePreble(*router, c, 0, Ids(1, 4), 0, 10), 0u);  // 16 ms on node 0
    // Node 1 has 1 request in flight: decoding nodes charge 1 x 10 tokens x 0.15 s.
    c.in_flight = {0, 1};
    EXPECT_EQ(RoutePreble(*router, c, 1, Ids(100, 4), 1, 10), decode ? 0u : 1u);
  }
  // Measured: r0's 10 tokens from 1.0 s to 1.9 s: 0.1 s per token on node 0.
  auto router = MakeRouter("preble_e2", 1);
  ClusterViewForTest c(2);
  c.nodes_decode = true;
  c.in_flight = {0, 0};
  RoutePreble(*router, c, 0, Ids(1, 4), 0, 10);    // node 0: 16 ms
  RoutePreble(*router, c, 0, Ids(100, 4), 1, 10);  // node 1: 16 ms
  router->OnFirstToken({0, 0, 1.0});
  router->OnFinished({0, 0, 1.9});
  // In flight 3 and 2: node 0 = 16 ms + 3 x 10 x 0.1 = 3.016 s; node 1 = 16 ms + 2 x 10 x
  // 0.15 = 3.016 s: a tie: node 0. One more on node 0: node 1.
  c.in_flight = {3, 2};
  EXPECT_EQ(RoutePreble(*router, c, 2, Ids(200, 4), 2, 10), 0u);
  c.in_flight = {4, 2};
  EXPECT_EQ(RoutePreble(*router, c, 3, Ids(300, 4), 3, 10), 1u);
}

TEST(PrebleE2RouterTest, SeedModeWindowIsTheLastDecisions) {
  auto probe = [](const char* spec) {
    auto router = MakeRouter(spec, 1);
    ClusterViewForTest c(2);
    c.seed_mode = true;
    EXPECT_EQ(RoutePreble(*router, c, 0, Ids(1, 10), 0), 0u);   // node 0: 40 ms
    EXPECT_EQ(RoutePreble(*router, c, 0, Ids(100, 5), 1), 1u);  // node 1: 20 ms
    return RoutePreble(*router, c, 0, Ids(200, 5), 2);          // explore
  };
  // Both decisions in the window: 40 vs 20 ms: node 1. Only the last: 0 vs 20: node 0.
  EXPECT_EQ(probe("preble_e2:window_requests=2"), 1u);
  EXPECT_EQ(probe("preble_e2:window_requests=1"), 0u);
}

// ---- all ----

const char* const kAllRouters[] = {
    "dynamo",   "dynamo:temperature=1", "sglang_cache_aware", "prefix_hash_bounded", "llm_d",
    "preble_e2"};

// Routes 300 random views (4 nodes, shared prefixes, random loads and holdings) through
// routers made from `spec` with the given seeds, view by view; returns each one's placements.
std::vector<std::vector<uint32_t>> Placements(const std::string& spec,
                                              const std::vector<uint64_t>& seeds) {
  std::vector<std::unique_ptr<Router>> routers;
  for (uint64_t s : seeds) routers.push_back(MakeRouter(spec, s));
  std::vector<std::vector<uint32_t>> out(seeds.size());
  std::mt19937_64 gen(12345);
  for (int step = 0; step < 300; ++step) {
    ClusterViewForTest c(4);
    c.now_s = step * 0.5;
    const BlockId base = static_cast<BlockId>(gen() % 6) * 100;
    const size_t len = 1 + gen() % 12;
    c.SetRequest(Ids(base, len), static_cast<uint32_t>(4 * len));
    for (uint32_t n = 0; n < 4; ++n) {
      c.queue_length[n] = gen() % 8;
      c.pending_prefill_blocks[n] = gen() % 20;
      c.resident[n] = gen() % 1000;
      const size_t held = gen() % (len + 1);
      if (held > 0) c.Hold(n, Ids(base, held));
    }
    for (size_t r = 0; r < routers.size(); ++r) out[r].push_back(RouteNode(*routers[r], c));
  }
  return out;
}

TEST(ProductionRoutersTest, SameSeedSamePlacements) {
  for (const char* spec : kAllRouters) {
    const auto p = Placements(spec, {7, 7});
    EXPECT_EQ(p[0], p[1]) << spec;
    for (uint32_t node : p[0]) EXPECT_LT(node, 4u) << spec;
  }
  // The sampling router draws differently under another seed.
  const auto d = Placements("dynamo:temperature=1", {7, 8});
  EXPECT_NE(d[0], d[1]);
}

TEST(ProductionRoutersTest, BadParametersNameTheRouterAndTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"dynamo:temperature=-1", "temperature"},
      {"dynamo:overlap_weight=2000", "overlap_weight"},
      {"sglang_cache_aware:cache_threshold=2", "cache_threshold"},
      {"sglang_cache_aware:max_tree_blocks=0", "max_tree_blocks"},
      {"sglang_cache_aware:balance_abs_threshold=1.5", "balance_abs_threshold"},
      {"prefix_hash_bounded:load_factor=0.5", "load_factor"},
      {"prefix_hash_bounded:virtual_nodes=0", "virtual_nodes"},
      {"llm_d:kv_weight=-1", "kv_weight"},
      {"llm_d:colour=3", "colour"},
      {"preble_e2:window_s=0", "window_s"},
      {"preble_e2:tpot_s=-1", "tpot_s"},
  };
  for (const auto& [spec, key] : cases) {
    const std::string text = spec;
    const std::string name = text.substr(0, text.find(':'));
    try {
      MakeRouter(spec, 1);
      ADD_FAILURE() << spec << " was accepted";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("router '" + name + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("'" + std::string(key) + "'"), std::string::npos) << what;
    }
  }
}

// ---- tier G1 (an HBM prefix cache in front of host DRAM) ----
// ClusterViewForTest has no HBM tier: this view keeps each node's HBM and DRAM holdings
// apart and fills the sources as the simulator does (prefix_blocks over both tiers,
// hbm_prefix_blocks over HBM). Idle nodes, no KV in use, 4-token trace blocks; with
// `tier` false the same holdings are one undivided tier and hbm_prefix_blocks is empty.
class TieredViewForTest {
 public:
  explicit TieredViewForTest(size_t nodes)
      : queue_length(nodes, 0),
        dram_(nodes),
        hbm_(nodes),
        all_(nodes),
        zeros_(nodes, 0),
        work_(nodes, 0.0),
        idle_(nodes, -std::numeric_limits<double>::infinity()),
        prefix_(nodes, 0),
        hbm_prefix_(nodes, 0) {}

  void SetRequest(std::vector<BlockId> blocks, uint32_t input_tokens) {
    blocks_ = std::move(blocks);
    request_.blocks = blocks_;
    request_.input_tokens = input_tokens;
    request_.output_tokens = 0;
  }
  void HoldDram(uint32_t node, const std::vector<BlockId>& ids) {
    dram_.Add(node, ids);
    all_.Add(node, ids);
  }
  void HoldHbm(uint32_t node, const std::vector<BlockId>& ids) {
    hbm_.Add(node, ids);
    all_.Add(node, ids);
  }

  const ClusterView& view() {
    ClusterViewSources& s = builder_.sources();
    s.uniform_speed = true;
    s.prefix_blocks = prefix_;
    s.queue_length = queue_length;
    s.queued_predicted_s = work_;
    s.busy_until_s = idle_;
    s.pending_prefill_blocks = zeros_;
    s.block_tokens = 4;
    s.predict_prefill_s = [this](size_t, uint32_t reused) {
      return (request_.input_tokens - std::min<double>(reused * 4.0, request_.input_tokens)) /
             1000.0;
    };
    s.resident = [](size_t) { return size_t{0}; };
    s.capacity = [](size_t) { return size_t{1000}; };
    s.transfer_s = [](uint32_t blocks) { return blocks / 1000.0; };
    s.replicas = &sink_;
    LongestPrefixResult longest;
    if (tier) {
      s.holders = &dram_;
      s.hbm_holders = &hbm_;
      hbm_.LongestPrefix(blocks_, hbm_prefix_);
      s.hbm_prefix_blocks = hbm_prefix_;
      longest = dram_.LongestPrefixWith(hbm_, blocks_, prefix_);
    } else {
      s.holders = &all_;
      s.hbm_holders = nullptr;
      s.hbm_prefix_blocks = {};
      longest = all_.LongestPrefix(blocks_, prefix_);
    }
    builder_.BeginRequest(request_index, request_, 0, longest);
    return builder_.view();
  }

  bool tier = true;
  uint32_t request_index = 0;
  std::vector<size_t> queue_length;  // waiting requests (nothing runs)

 private:
  SimPrefixIndex dram_, hbm_, all_;
  std::vector<uint64_t> zeros_;
  std::vector<double> work_, idle_;
  std::vector<uint32_t> prefix_, hbm_prefix_;
  std::vector<BlockId> blocks_;
  Request request_;
  RecordingReplicaSink sink_;
  ClusterViewBuilder builder_;
};

// The node fresh routers made from `spec` choose, the same for seeds 1..16 (so that a tie
// broken at random cannot pass for a decision).
uint32_t Decide(const std::string& spec, TieredViewForTest& c) {
  const uint32_t first = MakeRouter(spec, 1)->Route(c.view()).node;
  for (uint64_t seed = 2; seed <= 16; ++seed) {
    EXPECT_EQ(MakeRouter(spec, seed)->Route(c.view()).node, first) << spec << " seed " << seed;
  }
  return first;
}

// An 8-block request (32 tokens): node 0 holds all 8 blocks, the first `hbm0` of them in
// HBM and the rest in DRAM only; node 1 holds the first 7, all in HBM.
void HoldEightAgainstSevenInHbm(TieredViewForTest& c, uint32_t hbm0) {
  c.SetRequest(Ids(1, 8), 32);
  if (hbm0 > 0) c.HoldHbm(0, Ids(1, hbm0));
  if (hbm0 < 8) c.HoldDram(0, Ids(1 + hbm0, 8 - hbm0));
  c.HoldHbm(1, Ids(1, 7));
  const ClusterView& v = c.view();
  EXPECT_EQ(v.prefix_blocks(0), 8u);
  EXPECT_EQ(v.prefix_blocks(1), 7u);
  EXPECT_EQ(v.hbm_prefix_blocks(0), c.tier ? hbm0 : 0u);
  EXPECT_EQ(v.hbm_prefix_blocks(1), c.tier ? 7u : 0u);
  EXPECT_EQ(v.hbm_tier(), c.tier);
}

// dynamo with block_tokens=4: one cost block per trace block; both nodes idle, so a node's
// cost is max(0, 32 / 4 - credit) = 8 - credit, credit in blocks.
TEST(DynamoRouterTest, AnHbmTierCreditsHostDramBlocksAtHostHitWeight) {
  const std::string spec = "dynamo:block_tokens=4";
  // No tier: credit = prefix: node 0: 8 - 8 = 0, node 1: 8 - 7 = 1 -> node 0.
  {
    TieredViewForTest c(2);
    c.tier = false;
    HoldEightAgainstSevenInHbm(c, 0);
    EXPECT_EQ(Decide(spec, c), 0u);
  }
  // Tier, node 0 all in DRAM: credit (1 x 0 + 0.75 x (32 - 0)) / 4 = 6: cost 2; node 1
  // (1 x 28 + 0.75 x 0) / 4 = 7: cost 1 -> node 1.
  TieredViewForTest c(2);
  HoldEightAgainstSevenInHbm(c, 0);
  EXPECT_EQ(Decide(spec, c), 1u);
  // host_hit_weight 1: node 0's credit 8: cost 0 < 1 -> node 0 again.
  EXPECT_EQ(Decide(spec + ",host_hit_weight=1", c), 0u);
  // host_hit_weight 0: node 0 cost 8 > 1 -> node 1.
  EXPECT_EQ(Decide(spec + ",host_hit_weight=0", c), 1u);
  // overlap_credit weighs the HBM run only: at 0.5 node 1's credit is 0.5 x 28 / 4 = 3.5
  // (cost 4.5), node 0's still 6 (cost 2) -> node 0.
  EXPECT_EQ(Decide(spec + ",overlap_credit=0.5", c), 0u);
}

TEST(DynamoRouterTest, AnHbmTierSplitsThePrefixAtTheHbmRun) {
  const std::string spec = "dynamo:block_tokens=4";
  // Node 0's first 5 blocks in HBM, 3 in DRAM: credit 5 + 0.75 x 3 = 7.25: cost 0.75 < 1
  // -> node 0.
  {
    TieredViewForTest c(2);
    HoldEightAgainstSevenInHbm(c, 5);
    EXPECT_EQ(Decide(spec, c), 0u);
  }
  // 3 in HBM, 5 in DRAM: credit 3 + 0.75 x 5 = 6.75: cost 1.25 > 1 -> node 1.
  TieredViewForTest c(2);
  HoldEightAgainstSevenInHbm(c, 3);
  EXPECT_EQ(Decide(spec, c), 1u);
}

// llm_d with prefix_source=cache (max_prefix_blocks 8): idle nodes with no KV in use
// score 2 x 1 (queue) + 2 x 1 (kv) = 4 each, plus 3 x the prefix score.
TEST(LlmDRouterTest, AnHbmTierScoresHostDramBlocksAtCpuWeight) {
  const std::string spec = "llm_d:prefix_source=cache";
  // No tier: node 0: 3 x 8 / 8 + 4 = 7; node 1: 3 x 7 / 8 + 4 = 6.625 -> node 0.
  {
    TieredViewForTest c(2);
    c.tier = false;
    HoldEightAgainstSevenInHbm(c, 0);
    EXPECT_EQ(Decide(spec, c), 0u);
  }
  // Tier, node 0 all in DRAM: matched 0 + 0.8 x (8 - 0) = 6.4: 3 x 6.4 / 8 + 4 = 6.4;
  // node 1 7 in HBM: 6.625 -> node 1.
  TieredViewForTest c(2);
  HoldEightAgainstSevenInHbm(c, 0);
  EXPECT_EQ(Decide(spec, c), 1u);
  // cpu_weight 1: node 0 scores 7 again -> node 0.
  EXPECT_EQ(Decide(spec + ",cpu_weight=1", c), 0u);
  // The routed source (the default) ignores the caches, the tier with them: a fresh
  // router's index is empty, both nodes score 4: a tie.
  const int draws = 2000;
  int zero = 0;
  for (int seed = 1; seed <= draws; ++seed) {
    zero += MakeRouter("llm_d", static_cast<uint64_t>(seed))->Route(c.view()).node == 0 ? 1 : 0;
  }
  ExpectBinomial(zero, draws, 0.5);
}

TEST(LlmDRouterTest, AnHbmTierSplitsTheMatchAtTheHbmRun) {
  const std::string spec = "llm_d:prefix_source=cache";
  // Node 0's first 4 blocks in HBM, 4 in DRAM: 4 + 0.8 x 4 = 7.2 > node 1's 7 -> node 0.
  {
    TieredViewForTest c(2);
    HoldEightAgainstSevenInHbm(c, 4);
    EXPECT_EQ(Decide(spec, c), 0u);
  }
  // 2 in HBM, 6 in DRAM: 2 + 0.8 x 6 = 6.8 < 7 -> node 1.
  TieredViewForTest c(2);
  HoldEightAgainstSevenInHbm(c, 2);
  EXPECT_EQ(Decide(spec, c), 1u);
}

// With every node's whole prefix in HBM the weights have nothing to discount: the choice
// is the untiered one, whatever the weights. The scenarios are balanced so that a
// discount on the HBM run would flip it (checked with the same prefixes all in DRAM).
TEST(ProductionRoutersTest, AWholePrefixInHbmRoutesAsWithoutTheTier) {
  enum class Held { kNoTier, kAllHbm, kAllDram };
  // llm_d: node 0 matches 8 with 1 waiting request, node 1 matches 2 with none (queue
  // scores 0 and 1). No tier: node 0 = 3 x 8 / 8 + 0 + 2 = 5; node 1 = 3 x 2 / 8 + 2 + 2 =
  // 4.75 -> node 0. All in DRAM (0.8 per block): node 0 = 2.4 + 2 = 4.4; node 1 = 0.6 + 4 =
  // 4.6 -> node 1.
  auto llm_d = [](Held held, const std::string& spec) {
    TieredViewForTest c(2);
    c.tier = held != Held::kNoTier;
    c.queue_length = {1, 0};
    c.SetRequest(Ids(1, 8), 32);
    for (const auto& [node, n] : {std::pair<uint32_t, size_t>{0, 8}, {1, 2}}) {
      if (held == Held::kAllDram) {
        c.HoldDram(node, Ids(1, n));
      } else {
        c.HoldHbm(node, Ids(1, n));
      }
    }
    return Decide(spec, c);
  };
  const std::string l = "llm_d:prefix_source=cache";
  EXPECT_EQ(llm_d(Held::kNoTier, l), 0u);
  EXPECT_EQ(llm_d(Held::kAllDram, l), 1u);
  for (const char* w : {"", ",cpu_weight=0", ",cpu_weight=0.5", ",cpu_weight=1"}) {
    EXPECT_EQ(llm_d(Held::kAllHbm, l + w), 0u) << w;
  }
  // dynamo (block_tokens=4): r0 (blocks 1..5, 20 tokens; node 0 holds 1..8, node 1 1..2)
  // goes to node 0 (no tier: cost 5 - 5 = 0 against 5 - 2 = 3; all in DRAM: 5 - 3.75 =
  // 1.25 against 5 - 1.5 = 3.5), which then keeps its 5 blocks (no prefill left: its whole
  // prompt is cached). r1 (blocks 1..8, 32 tokens): no tier: node 0 = 8 - 8 + 5 = 5,
  // node 1 = 8 - 2 = 6 -> node 0; all in DRAM: node 0 = 8 - 6 + 5 = 7, node 1 = 8 - 1.5 =
  // 6.5 -> node 1.
  auto dynamo = [](Held held, const std::string& spec) {
    TieredViewForTest c(2);
    c.tier = held != Held::kNoTier;
    for (const auto& [node, n] : {std::pair<uint32_t, size_t>{0, 8}, {1, 2}}) {
      if (held == Held::kAllDram) {
        c.HoldDram(node, Ids(1, n));
      } else {
        c.HoldHbm(node, Ids(1, n));
      }
    }
    uint32_t r1 = 0;
    for (uint64_t seed = 1; seed <= 16; ++seed) {
      auto router = MakeRouter(spec, seed);
      c.request_index = 0;
      c.SetRequest(Ids(1, 5), 20);
      EXPECT_EQ(router->Route(c.view()).node, 0u) << spec;
      c.request_index = 1;
      c.SetRequest(Ids(1, 8), 32);
      const uint32_t node = router->Route(c.view()).node;
      if (seed == 1) r1 = node;
      EXPECT_EQ(node, r1) << spec << " seed " << seed;
    }
    return r1;
  };
  const std::string d = "dynamo:block_tokens=4";
  EXPECT_EQ(dynamo(Held::kNoTier, d), 0u);
  EXPECT_EQ(dynamo(Held::kAllDram, d), 1u);
  for (const char* w : {"", ",host_hit_weight=0", ",host_hit_weight=0.5", ",host_hit_weight=1"}) {
    EXPECT_EQ(dynamo(Held::kAllHbm, d + w), 0u) << w;
  }
}

}  // namespace
}  // namespace kvb
