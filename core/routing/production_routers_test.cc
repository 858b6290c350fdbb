// Tests of the production routers (dynamo, sglang_cache_aware, prefix_hash_bounded, llm_d,
// preble_e2): hand-computed scenarios where each router's rule alone decides, sampling
// frequencies against their formulas, determinism, and parameter errors.
//
// ClusterViewForTest predicts a prefill of (input tokens - 4 x reused blocks) ms.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/util/input_error.h"
#include "core/util/mix.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Ids first, first + 1, ..., first + count - 1.
std::vector<BlockId> Ids(BlockId first, size_t count) {
  std::vector<BlockId> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = first + static_cast<BlockId>(i);
  return ids;
}

// `a` followed by `b`.
std::vector<BlockId> Concat(std::vector<BlockId> a, const std::vector<BlockId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

uint32_t RouteNode(Router& router, ClusterViewForTest& cluster) {
  return router.Route(cluster.view()).node;
}

// How many times each node is chosen over `draws` routings of the same view.
std::vector<int> Counts(Router& router, ClusterViewForTest& cluster, int draws) {
  std::vector<int> counts(cluster.queue_length.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts.at(RouteNode(router, cluster));
  return counts;
}

// |count - draws p| within 5 binomial standard deviations (a false failure about once in
// 1.7 million).
void ExpectBinomial(int count, int draws, double p) {
  const double sd = std::sqrt(draws * p * (1 - p));
  EXPECT_NEAR(count, draws * p, 5 * sd + 1e-9) << "p = " << p;
}

// ---- dynamo ----

TEST(DynamoRouterTest, LeastCostCountsNewAndPendingPrefillBlocks) {
  auto router = MakeRouter("dynamo", 1);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 6));  // prefix 6
  c.Hold(1, Ids(1, 2));  // prefix 2
  c.pending_prefill_blocks = {5, 0, 1};
  // cost = 1 x (10 - prefix + pending): node 0 = 4 + 5 = 9, node 1 = 8 + 0 = 8,
  // node 2 = 10 + 1 = 11 -> node 1 (prefix_greedy would take node 0).
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // node 1 pending 2 -> cost 10; node 0 (9) is now the least.
  c.pending_prefill_blocks = {5, 2, 1};
  EXPECT_EQ(RouteNode(*router, c), 0u);
  // The weight scales both terms: 1000 x the same costs, the same argmin.
  auto heavy = MakeRouter("dynamo:overlap_weight=1000", 1);
  EXPECT_EQ(RouteNode(*heavy, c), 0u);
}

TEST(DynamoRouterTest, TiesAreBrokenUniformlyAtRandom) {
  auto router = MakeRouter("dynamo", 3);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.pending_prefill_blocks = {2, 2, 3};  // costs 12, 12, 13: nodes 0 and 1 tie
  const int draws = 4000;
  const std::vector<int> counts = Counts(*router, c, draws);
  EXPECT_EQ(counts[2], 0);
  ExpectBinomial(counts[0], draws, 0.5);
  ExpectBinomial(counts[1], draws, 0.5);
  // overlap_weight 0: every cost is 0, all three tie.
  auto flat = MakeRouter("dynamo:overlap_weight=0", 3);
  const std::vector<int> flat_counts = Counts(*flat, c, draws);
  for (int k : flat_counts) ExpectBinomial(k, draws, 1.0 / 3);
}

TEST(DynamoRouterTest, TemperatureSamplesTheSoftmaxOfNormalisedCosts) {
  auto router = MakeRouter("dynamo:temperature=1", 5);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.pending_prefill_blocks = {0, 5, 10};  // costs 10, 15, 20 -> normalised 0, 0.5, 1
  // T = 1: weights 1, e^-0.5 = 0.60653, e^-1 = 0.36788, total 1.97441:
  // P = 0.50648, 0.30720, 0.18632.
  const double w[3] = {1, std::exp(-0.5), std::exp(-1.0)};
  const double total = w[0] + w[1] + w[2];
  const int draws = 20000;
  const std::vector<int> counts = Counts(*router, c, draws);
  for (int i = 0; i < 3; ++i) ExpectBinomial(counts[i], draws, w[i] / total);
  // T = 0.25: weights 1, e^-2, e^-4.
  auto cold = MakeRouter("dynamo:temperature=0.25", 5);
  const double v[3] = {1, std::exp(-2.0), std::exp(-4.0)};
  const double v_total = v[0] + v[1] + v[2];
  const std::vector<int> cold_counts = Counts(*cold, c, draws);
  for (int i = 0; i < 3; ++i) ExpectBinomial(cold_counts[i], draws, v[i] / v_total);
  // All costs equal: uniform.
  c.pending_prefill_blocks = {4, 4, 4};
  const std::vector<int> flat = Counts(*router, c, 6000);
  for (int k : flat) ExpectBinomial(k, 6000, 1.0 / 3);
}

// ---- sglang_cache_aware ----

// A router whose node 0 tree holds ids 1..10 (routed there with all loads 0: no match, the
// least loaded, lowest index).
std::unique_ptr<Router> SglangWithTenOnNodeZero() {
  auto router = MakeRouter("sglang_cache_aware", 1);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 10), 40);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  return router;
}

TEST(SglangCacheAwareRouterTest, AbsoluteImbalanceThresholdIsExclusive) {
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 10), 40);
  // max - min = 192 - 128 = 64, not > 64: balanced; match 10/10 > 0.3 -> node 0.
  c.queue_length = {192, 128};
  auto balanced = SglangWithTenOnNodeZero();
  EXPECT_EQ(RouteNode(*balanced, c), 0u);
  // 193 - 128 = 65 > 64 and 193 > 1.5 x 128 = 192: imbalanced -> least loaded, node 1.
  c.queue_length = {193, 128};
  auto imbalanced = SglangWithTenOnNodeZero();
  EXPECT_EQ(RouteNode(*imbalanced, c), 1u);
}

TEST(SglangCacheAwareRouterTest, RelativeImbalanceThresholdIsExclusive) {
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 10), 40);
  // 300 - 200 = 100 > 64 but 300 > 1.5 x 200 = 300 is false: balanced -> cache, node 0.
  c.queue_length = {300, 200};
  auto balanced = SglangWithTenOnNodeZero();
  EXPECT_EQ(RouteNode(*balanced, c), 0u);
  // 301 > 300: imbalanced -> node 1.
  c.queue_length = {301, 200};
  auto imbalanced = SglangWithTenOnNodeZero();
  EXPECT_EQ(RouteNode(*imbalanced, c), 1u);
}

TEST(SglangCacheAwareRouterTest, CacheThresholdIsExclusive) {
  auto router = MakeRouter("sglang_cache_aware", 1);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 4), 16);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // loads 0, 0: no match -> node 0; tree 0 = {1..4}
  c.queue_length = {5, 0};               // balanced (5 - 0 <= 64); node 1 least loaded
  // Ids 1, 2, 3, 200..206: node 0 matches 3 of 10 = 0.3, not > 0.3 -> least loaded, node 1
  // (whose tree then holds these ids).
  c.SetRequest(Concat(Ids(1, 3), Ids(200, 7)), 40);
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // Ids 1..4, 300..305: node 0 matches 4 of 10 = 0.4 > 0.3 (node 1: 3) -> node 0.
  c.SetRequest(Concat(Ids(1, 4), Ids(300, 6)), 40);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  // With cache_threshold=0.45 the same request goes to the least loaded.
  auto strict = MakeRouter("sglang_cache_aware:cache_threshold=0.45", 1);
  c.queue_length = {0, 0};
  c.SetRequest(Ids(1, 4), 16);
  EXPECT_EQ(RouteNode(*strict, c), 0u);
  c.queue_length = {5, 0};
  c.SetRequest(Concat(Ids(1, 4), Ids(300, 6)), 40);
  EXPECT_EQ(RouteNode(*strict, c), 1u);
}

TEST(SglangCacheAwareRouterTest, EqualMatchesGoToTheLeastLoadedThenLowestIndex) {
  auto router = MakeRouter("sglang_cache_aware", 1);
  ClusterViewForTest c(2);
  c.SetRequest(Ids(1, 5), 20);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // tree 0 = {1..5}
  c.queue_length = {200, 0};             // imbalanced: node 1, which records the ids too
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // Both trees match 5/5.
  c.queue_length = {3, 2};
  EXPECT_EQ(RouteNode(*router, c), 1u);
  c.queue_length = {2, 3};
  EXPECT_EQ(RouteNode(*router, c), 0u);
  c.queue_length = {2, 2};
  EXPECT_EQ(RouteNode(*router, c), 0u);
}

TEST(SglangCacheAwareRouterTest, TreeIsPrunedLeastRecentlyUsedAtMaxTreeBlocks) {
  auto router = MakeRouter("sglang_cache_aware:max_tree_blocks=4", 1);
  ClusterViewForTest c(2);
  c.queue_length = {0, 5};  // node 0 least loaded: unmatched requests go there
  // Tree 0 in LRU order, most recent first (a request's ids are touched deepest first).
  c.SetRequest({1, 2}, 8);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // 1 2
  c.SetRequest({3, 4}, 8);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // 3 4 1 2
  c.SetRequest({1, 2}, 8);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // refreshed: 1 2 3 4
  c.SetRequest({5}, 4);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // 5 1 2 3 4 -> 5 ids > 4: evict 4 -> 5 1 2 3
  // Probes: node 1 is now the least loaded, so a probe lands on node 0 only if node 0's
  // tree matches it (rate 1 > 0.3).
  c.queue_length = {5, 0};
  c.SetRequest({4}, 4);
  EXPECT_EQ(RouteNode(*router, c), 1u);  // 4 was evicted
  c.SetRequest({1, 2}, 8);
  EXPECT_EQ(RouteNode(*router, c), 0u);  // kept by the refresh (without it, 1 and 2 go)
  c.SetRequest({3}, 4);
  EXPECT_EQ(RouteNode(*router, c), 0u);
  c.SetRequest({5}, 4);
  EXPECT_EQ(RouteNode(*router, c), 0u);
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

TEST(PrefixHashBoundedRouterTest, HugeLoadFactorTakesTheRingsFirstNode) {
  auto router = MakeRouter("prefix_hash_bounded:load_factor=1000", 1);
  ClusterViewForTest c(4);
  c.queue_length = {10, 0, 3, 7};
  // k = 4: the id at position 3 (id 4) names the first four blocks.
  const std::vector<uint32_t> order = ClockwiseNodes(4, 4, 64);
  ASSERT_EQ(order.size(), 4u);
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  // The same first four blocks, a different tail: the same node.
  c.SetRequest(Concat(Ids(1, 4), {99, 100, 101}), 28);
  EXPECT_EQ(RouteNode(*router, c), order[0]);
  // Two blocks only: the id at position 1 (id 2) decides.
  c.SetRequest(Ids(1, 2), 8);
  EXPECT_EQ(RouteNode(*router, c), ClockwiseNodes(2, 4, 64)[0]);
  // prefix_blocks=1: id 1 decides for both requests.
  auto k1 = MakeRouter("prefix_hash_bounded:prefix_blocks=1,load_factor=1000", 1);
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*k1, c), ClockwiseNodes(1, 4, 64)[0]);
  c.SetRequest(Concat({1}, Ids(50, 5)), 24);
  EXPECT_EQ(RouteNode(*k1, c), ClockwiseNodes(1, 4, 64)[0]);
}

TEST(PrefixHashBoundedRouterTest, NodesOverTheBoundAreSkippedClockwise) {
  auto router = MakeRouter("prefix_hash_bounded", 1);
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
  auto router = MakeRouter("llm_d", 1);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 10));       // prefix 1.0
  c.Hold(1, Ids(1, 5));        // prefix 0.5
  c.queue_length = {8, 0, 4};  // queue scores (8 - q) / 8: 0, 1, 0.5
  c.resident = {900, 0, 500};  // kv scores: 0.1, 1, 0.5
  // node 0: 3 x 1 + 2 x 0 + 2 x 0.1 = 3.2; node 1: 3 x 0.5 + 2 x 1 + 2 x 1 = 5.5;
  // node 2: 0 + 2 x 0.5 + 2 x 0.5 = 2 -> node 1.
  EXPECT_EQ(RouteNode(*router, c), 1u);
  // prefix_weight 10: node 0 = 10.2, node 1 = 9, node 2 = 2 -> node 0.
  auto prefix_heavy = MakeRouter("llm_d:prefix_weight=10", 1);
  EXPECT_EQ(RouteNode(*prefix_heavy, c), 0u);
  // kv_weight 0, queue_weight 5: node 0 = 3, node 1 = 6.5, node 2 = 2.5 -> node 1;
  // queue_weight 0, kv 0: prefix alone -> node 0.
  auto queue_heavy = MakeRouter("llm_d:kv_weight=0,queue_weight=5", 1);
  EXPECT_EQ(RouteNode(*queue_heavy, c), 1u);
  auto prefix_only = MakeRouter("llm_d:kv_weight=0,queue_weight=0", 1);
  EXPECT_EQ(RouteNode(*prefix_only, c), 0u);
}

TEST(LlmDRouterTest, ScoresAreClampedAndEqualQueuesScoreOne) {
  auto router = MakeRouter("llm_d", 1);
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 10), 40);
  c.Hold(0, Ids(1, 1));        // prefix 0.1
  c.queue_length = {3, 3, 3};  // all equal: queue score 1 each
  c.resident = {1500, 1000, 0};
  c.capacity = {1000, 1000, 0};
  // node 0: kv 1 - 1.5 = -0.5 clamped to 0: 3 x 0.1 + 2 + 0 = 2.3 (unclamped: 1.3);
  // node 1: 0 + 2 + 2 x 0 = 2; node 2: capacity 0 -> kv 0: 2 -> node 0.
  EXPECT_EQ(RouteNode(*router, c), 0u);
}

TEST(LlmDRouterTest, TiesAreBrokenUniformlyAtRandom) {
  auto router = MakeRouter("llm_d", 9);
  ClusterViewForTest c(4);
  c.SetRequest(Ids(1, 10), 40);
  c.resident = {100, 100, 100, 900};  // node 3 scores 2 x 0.8 lower
  const int draws = 6000;
  const std::vector<int> counts = Counts(*router, c, draws);
  EXPECT_EQ(counts[3], 0);
  for (int i = 0; i < 3; ++i) ExpectBinomial(counts[i], draws, 1.0 / 3);
}

// ---- preble_e2 ----

// Two decisions on a 2-node view: Y1 (ids 100..149, y1 tokens) at t1 -> node 0 (both idle,
// equal costs, lowest index); Y2 (ids 200..249, y2 tokens) at t2 -> node 1 (loads y1 vs 0:
// rebalance, node 1 costs y2 < y1 + y2). Afterwards node 0 carries y1 ms, node 1 y2 ms.
void PrimePreble(Router& router, ClusterViewForTest& c, uint32_t y1, uint32_t y2, double t1 = 0,
                 double t2 = 0) {
  c.now_s = t1;
  c.SetRequest(Ids(100, 50), y1);
  ASSERT_EQ(RouteNode(router, c), 0u);
  c.now_s = t2;
  c.SetRequest(Ids(200, 50), y2);
  ASSERT_EQ(RouteNode(router, c), 1u);
}

TEST(PrebleE2RouterTest, ExploitsALongerCachedPrefixOtherwiseExplores) {
  // Loads 200 / 250 ms: 250 < 1.5 x 200 = 300, no rebalance.
  {
    auto router = MakeRouter("preble_e2", 1);
    ClusterViewForTest c(2);
    PrimePreble(*router, c, 200, 250);
    // X: 10 blocks, 40 tokens; node 1 holds 6 > 4 new: exploit among {node 1} -> node 1,
    // although node 0 costs less (200 + 40 = 240 ms vs 250 + 40 - 24 = 266 ms).
    c.SetRequest(Ids(1, 10), 40);
    c.Hold(1, Ids(1, 6));
    EXPECT_EQ(RouteNode(*router, c), 1u);
  }
  {
    auto router = MakeRouter("preble_e2", 1);
    ClusterViewForTest c(2);
    PrimePreble(*router, c, 200, 250);
    // Node 1 holds 5, not longer than the 5 new: explore, least cost: node 0 = 240 ms,
    // node 1 = 250 + 40 - 20 = 270 ms -> node 0.
    c.SetRequest(Ids(1, 10), 40);
    c.Hold(1, Ids(1, 5));
    EXPECT_EQ(RouteNode(*router, c), 0u);
  }
}

TEST(PrebleE2RouterTest, RebalancesWhenTheMostLoadedReachesRatioTimesTheLeast) {
  // Two nodes primed with loads a / b; the request's first 6 of 10 blocks are on node 1.
  auto route = [](const std::string& spec, uint32_t a, uint32_t b) {
    auto router = MakeRouter(spec, 1);
    ClusterViewForTest c(2);
    PrimePreble(*router, c, a, b);
    c.SetRequest(Ids(1, 10), 40);
    c.Hold(1, Ids(1, 6));
    return RouteNode(*router, c);
  };
  // Loads 200 / 299: 299 < 300, no rebalance: exploit -> node 1.
  EXPECT_EQ(route("preble_e2", 200, 299), 1u);
  // Loads 200 / 300: 300 >= 1.5 x 200: rebalance, least cost of all: node 0 = 240 ms,
  // node 1 = 300 + 16 = 316 ms -> node 0 despite the exploit.
  EXPECT_EQ(route("preble_e2", 200, 300), 0u);
  // rebalance_on=cost compares 240 vs 316 ms (< 1.5 x): no rebalance, exploit -> node 1.
  EXPECT_EQ(route("preble_e2:rebalance_on=cost", 200, 300), 1u);
  // rebalance_ratio=2: 300 < 400, no rebalance -> node 1.
  EXPECT_EQ(route("preble_e2:rebalance_ratio=2", 200, 300), 1u);
}

TEST(PrebleE2RouterTest, EntriesExpireAfterTheWindow) {
  // window 10 s; Y1 (300 ms) -> node 0 at t = 0, Y2 (200 ms) -> node 1 at t = 5. The probe
  // X (node 0 holds 6 of 10 blocks) is an exploit toward node 0.
  auto probe = [](double now_s) {
    auto router = MakeRouter("preble_e2:window_s=10", 1);
    ClusterViewForTest c(2);
    PrimePreble(*router, c, 300, 200, 0, 5);
    c.now_s = now_s;
    c.SetRequest(Ids(1, 10), 40);
    c.Hold(0, Ids(1, 6));
    return RouteNode(*router, c);
  };
  // t = 9.5: loads 300 / 200, 300 >= 1.5 x 200: rebalance; node 0 = 300 + 16 = 316 ms,
  // node 1 = 200 + 40 = 240 ms -> node 1.
  EXPECT_EQ(probe(9.5), 1u);
  // t = 10: Y1 (10 s old) left the window: loads 0 / 200, rebalance; node 0 = 16 ms -> 0.
  EXPECT_EQ(probe(10), 0u);
  // t = 15: both left: loads 0 / 0, no rebalance: exploit -> node 0.
  EXPECT_EQ(probe(15), 0u);
}

TEST(PrebleE2RouterTest, SeedModeWindowIsTheLastDecisions) {
  auto probe = [](const char* spec) {
    auto router = MakeRouter(spec, 1);
    ClusterViewForTest c(2);
    c.seed_mode = true;
    PrimePreble(*router, c, 300, 200);
    c.SetRequest(Ids(1, 10), 40);
    c.Hold(0, Ids(1, 6));
    return RouteNode(*router, c);
  };
  // Both earlier decisions in the window: loads 300 / 200, rebalance: 316 vs 240 -> node 1.
  EXPECT_EQ(probe("preble_e2:window_requests=2"), 1u);
  // Only the last decision (Y2 on node 1): loads 0 / 200, rebalance: 16 vs 240 -> node 0.
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
      {"preble_e2:rebalance_on=both", "rebalance_on"},
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

}  // namespace
}  // namespace kvb
