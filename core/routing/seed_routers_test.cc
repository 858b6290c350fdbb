// The seed simulator's strategies (cache_aware, enhanced, prefix_aware_hotspot and its two
// presets) on views set by hand; every expected value is computed in the comments.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/hotspot/hotspot_tracker.h"
#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using Ids = std::vector<BlockId>;
using Copy = RecordingReplicaSink::Copy;

uint32_t Route(Router& router, ClusterViewForTest& cv) { return router.Route(cv.view()).node; }

// Copies as (source, target, blocks) triples, for readable comparisons.
std::vector<std::vector<uint32_t>> Triples(const std::vector<Copy>& copies) {
  std::vector<std::vector<uint32_t>> out;
  for (const Copy& c : copies) out.push_back({c.source, c.target, c.blocks});
  return out;
}
using Triple = std::vector<uint32_t>;

// ---- cache_aware ----

TEST(CacheAwareRouterTest, SeedModeTradesHitsPerBlockAgainstTheQueue) {
  ClusterViewForTest cv(2);
  cv.seed_mode = true;
  cv.SetRequest({0, 1, 2, 3, 4}, 20);
  cv.Hold(0, {1, 2, 3, 4});  // 4 hits per block, although its contiguous prefix is 0
  cv.Hold(1, {0, 1});        // 2 hits
  auto router = MakeRouter("cache_aware", 1);
  // Queues 40 vs 10 (30 more for 2 more hits): node 0: 4 - 10 * 40 / 100 = 0;
  // node 1: 2 - 10 * 10 / 100 = 1 -> node 1.
  cv.queue_length = {40, 10};
  EXPECT_EQ(Route(*router, cv), 1u);
  // 30 vs 10: node 0: 4 - 3 = 1; node 1: 2 - 1 = 1 -> tie, the first node.
  cv.queue_length = {30, 10};
  EXPECT_EQ(Route(*router, cv), 0u);
  // 31 vs 10: 4 - 3.1 = 0.9 < 1 -> node 1.
  cv.queue_length = {31, 10};
  EXPECT_EQ(Route(*router, cv), 1u);
  // queue_penalty 5, 40 vs 10: 4 - 2 = 2 > 2 - 0.5 = 1.5 -> node 0.
  cv.queue_length = {40, 10};
  EXPECT_EQ(Route(*MakeRouter("cache_aware:queue_penalty=5", 1), cv), 0u);
  // Queued seconds are ignored in seed mode (the engine leaves them 0 there anyway).
  cv.queued_work_s = {0, 100};
  EXPECT_EQ(Route(*router, cv), 1u);
}

TEST(CacheAwareRouterTest, RealisticModeUsesTheContiguousPrefixAndQueuedSeconds) {
  ClusterViewForTest cv(2);
  cv.SetRequest({0, 1, 2, 3, 4}, 20);
  cv.Hold(0, {1, 2, 3, 4});    // prefix 0: nothing reusable
  cv.Hold(1, {0, 1});          // prefix 2
  cv.queue_length = {0, 100};  // ignored in realistic mode
  auto router = MakeRouter("cache_aware", 1);
  // node 0: 0 - 10 * 0 = 0; node 1: 2 - 10 * 0.125 / 1 = 0.75 -> node 1.
  cv.queued_work_s = {0, 0.125};
  EXPECT_EQ(Route(*router, cv), 1u);
  // node 1: 2 - 10 * 0.25 = -0.5 < 0 -> node 0.
  cv.queued_work_s = {0, 0.25};
  EXPECT_EQ(Route(*router, cv), 0u);
  // load_scale_s 2: node 1: 2 - 10 * 0.25 / 2 = 0.75 -> node 1.
  EXPECT_EQ(Route(*MakeRouter("cache_aware:load_scale_s=2", 1), cv), 1u);
}

// ---- enhanced ----

TEST(EnhancedRouterTest, SeedModeNormalisesTheLoadByItsMean) {
  ClusterViewForTest cv(3);
  cv.seed_mode = true;
  cv.SetRequest({0, 1, 2, 3}, 16);
  cv.Hold(0, {0, 1, 2, 3});  // 4 of 4
  cv.Hold(1, {0, 1});        // 2 of 4
  // q / 100 = 0.6, 0.2, 0.1; mean 0.3.
  cv.queue_length = {60, 20, 10};
  // Defaults (0.6, 1.2): node 0: 0.6 - 1.2 * 0.6 / 0.3 = -1.8; node 1: 0.3 - 1.2 * 0.2 / 0.3
  // = -0.5; node 2: 0 - 1.2 * 0.1 / 0.3 = -0.4 -> node 2.
  EXPECT_EQ(Route(*MakeRouter("enhanced", 1), cv), 2u);
  // (0.6, 0.0), the seed's other setting: hits only -> node 0.
  EXPECT_EQ(Route(*MakeRouter("enhanced:beta=0", 1), cv), 0u);
  // beta 0.3: node 0: 0.6 - 0.6 = 0; node 1: 0.3 - 0.2 = 0.1; node 2: -0.1 -> node 1.
  EXPECT_EQ(Route(*MakeRouter("enhanced:beta=0.3", 1), cv), 1u);
}

TEST(EnhancedRouterTest, SeedModeMeanZeroUsesTheRawLoad) {
  ClusterViewForTest cv(3);
  cv.seed_mode = true;
  cv.SetRequest({0, 1, 2, 3}, 16);
  cv.Hold(1, {2, 3});        // 2 of 4 per block (prefix 0)
  cv.Hold(2, {0, 1, 2, 3});  // 4 of 4
  // Every queue 0: mean 0, so the load term is beta * 0 (a division would give NaN
  // everywhere, and node 0 would win by default). Scores 0, 0.3, 0.6 -> node 2.
  EXPECT_EQ(Route(*MakeRouter("enhanced", 1), cv), 2u);
}

TEST(EnhancedRouterTest, RealisticModeUsesPrefixShareAndQueuedSecondsOverTheirMean) {
  ClusterViewForTest cv(3);
  cv.SetRequest({0, 1, 2, 3}, 16);
  cv.Hold(0, {1, 2, 3});  // 3 per block, prefix 0
  cv.Hold(1, {0, 1});     // prefix 2
  auto router = MakeRouter("enhanced", 1);
  // Idle: mean 0, raw load 0. node 0: 0; node 1: 0.6 * 2 / 4 = 0.3; node 2: 0 -> node 1.
  EXPECT_EQ(Route(*router, cv), 1u);
  // Seed mode on the same holdings counts per block: node 0: 0.6 * 3 / 4 = 0.45 -> node 0.
  cv.seed_mode = true;
  EXPECT_EQ(Route(*router, cv), 0u);
  cv.seed_mode = false;
  // Queued 0, 2, 1 s: mean 1. node 0: 0 - 0 = 0; node 1: 0.3 - 1.2 * 2 = -2.1;
  // node 2: 0 - 1.2 * 1 = -1.2 -> node 0.
  cv.queued_work_s = {0, 2, 1};
  EXPECT_EQ(Route(*router, cv), 0u);
  // Queued 3, 1, 2 s: mean 2. node 0: -1.2 * 1.5 = -1.8; node 1: 0.3 - 1.2 * 0.5 = -0.3;
  // node 2: -1.2 -> node 1.
  cv.queued_work_s = {3, 1, 2};
  EXPECT_EQ(Route(*router, cv), 1u);
}

TEST(EnhancedRouterTest, UnknownKeyNamesTheRouterAndTheKey) {
  try {
    MakeRouter("enhanced:gamma=1", 1);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("router 'enhanced'"), std::string::npos) << what;
    EXPECT_NE(what.find("'gamma'"), std::string::npos) << what;
  }
  EXPECT_THROW(MakeRouter("prefix_aware_hotspot:theta=0", 1), InputError);  // theta > 0
  EXPECT_THROW(MakeRouter("seed_paper:max_prefix=2.5", 1), InputError);     // an integer
}

// ---- prefix_aware_hotspot: step 2 ----

TEST(PrefixAwareHotspotRouterTest, SeedModeStepTwoScore) {
  ClusterViewForTest cv(3);
  cv.seed_mode = true;
  cv.SetRequest({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 40);  // len 10, leading run capped at 8
  cv.Hold(0, {2, 3, 4, 5, 6, 7, 8, 9});               // 8 hits, run 0
  cv.Hold(1, {0, 1, 2, 3, 4, 5});                     // 6 hits, run 6
  cv.Hold(2, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});         // 10 hits, run 10 -> 8
  cv.queue_length = {0, 0, 100};
  // Paper (0.6, 0.8, 0.4): node 0: 0.6 * 8 / 10 + 0 + 0.8 / 1 = 1.28;
  // node 1: 0.36 + 0.4 * 6 / 8 + 0.8 = 1.46; node 2: 0.6 + 0.4 * 8 / 8 + 0.8 / 2 = 1.4
  // -> node 1 (an uncapped run of 10 would give node 2 1.5 and the win).
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  EXPECT_EQ(Route(*router, cv), 1u);
  EXPECT_TRUE(cv.sink.copies.empty());  // no pattern records yet: nothing hot
  // Node 2 less loaded, q 50: 0.6 + 0.4 + 0.8 / 1.5 = 1.533 > 1.46 -> node 2.
  cv.queue_length = {0, 0, 50};
  EXPECT_EQ(Route(*router, cv), 2u);
  // Optimised (0.5, 0.6, 0.8), q 0, 0, 100: node 0: 0.4 + 0.6 = 1.0; node 1: 0.3 + 0.8 *
  // 0.75 + 0.6 = 1.5; node 2: 0.5 + 0.8 + 0.3 = 1.6 -> node 2.
  cv.queue_length = {0, 0, 100};
  EXPECT_EQ(Route(*MakeRouter("seed_optimised", 1), cv), 2u);
}

TEST(PrefixAwareHotspotRouterTest, OneBlockRequestHasNoPrefixScore) {
  ClusterViewForTest cv(2);
  cv.seed_mode = true;
  cv.SetRequest({0}, 4);
  cv.Hold(0, {0});
  cv.queue_length = {25, 20};
  // alpha 0: node 0: 0 + 0 + 0.8 / 1.25 = 0.64; node 1: 0.8 / 1.2 = 0.667 -> node 1. A
  // prefix score of 1 / 8 would add 0.4 / 8 = 0.05 to node 0 (0.69) and flip it.
  EXPECT_EQ(Route(*MakeRouter("prefix_aware_hotspot:alpha=0", 1), cv), 1u);
}

TEST(PrefixAwareHotspotRouterTest, RealisticModeStepTwoUsesTheContiguousPrefix) {
  ClusterViewForTest cv(2);
  cv.SetRequest({0, 1, 2, 3}, 16);
  cv.Hold(0, {1, 2, 3});  // 3 per block, prefix 0
  cv.Hold(1, {0});        // prefix 1
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  // node 0: 0 + 0 + 0.8 = 0.8; node 1: 0.6 * 1 / 4 + 0.4 * 1 / 8 + 0.8 = 1.0 -> node 1.
  EXPECT_EQ(Route(*router, cv), 1u);
  // Node 1 with 1 s queued: 0.15 + 0.05 + 0.8 / 2 = 0.6 < 0.8 -> node 0.
  cv.queued_work_s = {0, 1};
  EXPECT_EQ(Route(*router, cv), 0u);
  // load_scale_s 4: 0.2 + 0.8 / 1.25 = 0.84 > 0.8 -> node 1.
  EXPECT_EQ(Route(*MakeRouter("prefix_aware_hotspot:load_scale_s=4", 1), cv), 1u);
  // Seed mode counts per block: node 0: 0.6 * 3 / 4 + 0 + 0.8 = 1.25 -> node 0.
  cv.seed_mode = true;
  cv.queued_work_s = {0, 0};
  EXPECT_EQ(Route(*router, cv), 0u);
  EXPECT_TRUE(cv.sink.copies.empty());  // realistic without a tracker: no detection
}

// ---- prefix_aware_hotspot: steps 1 and 3 in seed mode ----

// Routes `count` one-block requests of fresh ids (they create no records, only advance t).
void RouteUnrelated(Router& router, ClusterViewForTest& cv, int count, BlockId& next_id) {
  for (int i = 0; i < count; ++i) {
    cv.SetRequest({next_id++}, 4);
    EXPECT_EQ(Route(router, cv), 0u);  // node 0 has the shortest queue
  }
}

TEST(PrefixAwareHotspotRouterTest, SeedModeRecordsIntensityAndReplicationFactor) {
  // 4 nodes; node 0 idle, the others loaded, so every request lands on node 0. Target
  // order, lowest queue + resident / 500: node 1: 3 + 0 = 3, node 2: 2 + 400 / 500 = 2.8,
  // node 3: 2 + 100 / 500 = 2.2 -> 3, 2, 1.
  ClusterViewForTest cv(4);
  cv.seed_mode = true;
  cv.queue_length = {0, 3, 2, 2};
  cv.resident = {0, 0, 400, 100};
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  const Ids a = {0, 1, 2};  // records of prefixes 2 (key id 1) and 3 (key id 2)
  BlockId next_id = 100;
  auto route_a = [&] {
    cv.sink.copies.clear();
    cv.SetRequest(a, 12);
    EXPECT_EQ(Route(*router, cv), 0u);
    return Triples(cv.sink.copies);
  };

  // t = 1: nobody holds A: no detection. Step 3 on node 0: hits 1, intensity
  // 1 / (1 - 0 + 1) = 0.5 (both records). The engine would store A on node 0.
  EXPECT_TRUE(route_a().empty());
  cv.Hold(0, a);
  RouteUnrelated(*router, cv, 3, next_id);  // t = 2, 3, 4
  // t = 5: intensity still 0.5 (set at the last hit) > theta 0.1, >= 0.5 -> current,
  // r = 1 + min(3, 3) = 4: copies to 3, 2, 1 for L = 3, then L = 2. Step 3: hits 2,
  // intensity 2 / 6 = 0.333; history [1].
  EXPECT_EQ(route_a(), (std::vector<Triple>{
                           {0, 3, 3}, {0, 2, 3}, {0, 1, 3}, {0, 3, 2}, {0, 2, 2}, {0, 1, 2}}));
  RouteUnrelated(*router, cv, 5, next_id);  // t = 6 .. 10
  // t = 11: intensity 0.333 >= 0.2 -> r = 1 + min(3, 2) = 3. Step 3: hits 3, 3 / 12 = 0.25.
  EXPECT_EQ(route_a(), (std::vector<Triple>{{0, 3, 3}, {0, 2, 3}, {0, 3, 2}, {0, 2, 2}}));
  RouteUnrelated(*router, cv, 18, next_id);  // t = 12 .. 29
  // t = 30: 0.25 -> r = 3. Step 3: hits 4, 4 / 31 = 0.129.
  EXPECT_EQ(route_a(), (std::vector<Triple>{{0, 3, 3}, {0, 2, 3}, {0, 3, 2}, {0, 2, 2}}));
  // t = 31: 0.129 >= 0.1 -> r = 1 + min(3, 1) = 2. Step 3: hits 5, 5 / 32 = 0.15625.
  EXPECT_EQ(route_a(), (std::vector<Triple>{{0, 3, 3}, {0, 3, 2}}));
  RouteUnrelated(*router, cv, 38, next_id);  // t = 32 .. 69
  // t = 70: history [1, 2, 3, 4, 5] (slope 1), intensity 0.15625 > 0.1: current wins,
  // r = 2. Step 3: hits 6, intensity 6 / 71 = 0.0845.
  EXPECT_EQ(route_a(), (std::vector<Triple>{{0, 3, 3}, {0, 3, 2}}));
  // t = 71: intensity 0.0845 <= theta: not current. History [1 .. 6]: slope 1 -> trend
  // score 1; ratio 0.845 > 0.7 -> intensity score 1; mean of the last 3 = 5 > 6 / 2 ->
  // frequency score 1; score 1.0 > 0.6 and slope 1 > 0.1: predicted hot spot;
  // slope >= 0.2 and intensity >= 0.05 -> r = 1 + min(3, 2) = 3.
  EXPECT_EQ(route_a(), (std::vector<Triple>{{0, 3, 3}, {0, 2, 3}, {0, 3, 2}, {0, 2, 2}}));
}

TEST(PrefixAwareHotspotRouterTest, SeedModeSourceIsTheNodeHoldingMostOfThePrefix) {
  ClusterViewForTest cv(4);
  cv.seed_mode = true;
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  const Ids a = {0, 1, 2};
  cv.SetRequest(a, 12);
  // t = 1 -> node 0 (all tie at 0.8); records on node 0 with intensity 0.5.
  EXPECT_EQ(Route(*router, cv), 0u);
  // Node 1 now holds all of A, node 0 only ids 1 and 2 (2 of 3; for L = 2, 1 of 2): node 1
  // is the source for both lengths and has no record -> no copies. Step 2: node 0:
  // 0.6 * 2 / 3 + 0 + 0.8 = 1.2; node 1: 0.6 + 0.4 * 3 / 8 + 0.8 = 1.55 -> node 1, whose
  // records start at t = 2 (intensity 1 / 3).
  cv.Hold(1, a);
  cv.Hold(0, {1, 2});
  EXPECT_EQ(Route(*router, cv), 1u);
  EXPECT_TRUE(cv.sink.copies.empty());
  // Node 0 gets id 0 too: nodes 0 and 1 both hold 3 -> the first, node 0, is the source;
  // its records (intensity 0.5, history [1]) -> r = 4 -> nodes 1, 2, 3 (all keys 0).
  cv.Hold(0, {0});
  EXPECT_EQ(Route(*router, cv), 0u);  // tie at 1.55 -> node 0
  EXPECT_EQ(
      Triples(cv.sink.copies),
      (std::vector<Triple>{{0, 1, 3}, {0, 2, 3}, {0, 3, 3}, {0, 1, 2}, {0, 2, 2}, {0, 3, 2}}));
}

TEST(PrefixAwareHotspotRouterTest, SeedModeLongRequestsConsiderEightIdsAndThetaMatters) {
  ClusterViewForTest cv(4);
  cv.seed_mode = true;
  const Ids ten = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  cv.SetRequest(ten, 40);
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  auto high_theta = MakeRouter("prefix_aware_hotspot:theta=0.6", 1);
  auto short_prefix = MakeRouter("prefix_aware_hotspot:max_prefix=3", 1);
  for (Router* r : {router.get(), high_theta.get(), short_prefix.get()}) {
    EXPECT_EQ(Route(*r, cv), 0u);  // t = 1: records on node 0, intensity 0.5
  }
  cv.Hold(0, ten);
  // Theta 0.1: intensity 0.5 -> r = 4: L = 8 .. 2, three targets each (21 copies).
  EXPECT_EQ(Route(*router, cv), 0u);
  ASSERT_EQ(cv.sink.copies.size(), 21u);
  EXPECT_EQ(Triples({cv.sink.copies.front()}), (std::vector<Triple>{{0, 1, 8}}));
  EXPECT_EQ(Triples({cv.sink.copies.back()}), (std::vector<Triple>{{0, 3, 2}}));
  // Theta 0.6: 0.5 is not > 0.6; one history point: no trend, not predicted -> nothing.
  cv.sink.copies.clear();
  EXPECT_EQ(Route(*high_theta, cv), 0u);
  EXPECT_TRUE(cv.sink.copies.empty());
  // max_prefix 3: L = 3, 2 only.
  EXPECT_EQ(Route(*short_prefix, cv), 0u);
  EXPECT_EQ(
      Triples(cv.sink.copies),
      (std::vector<Triple>{{0, 1, 3}, {0, 2, 3}, {0, 3, 3}, {0, 1, 2}, {0, 2, 2}, {0, 3, 2}}));
}

TEST(PrefixAwareHotspotRouterTest, PresetsDifferInTheta) {
  // 6 unrelated requests, then A at t = 7 on node 0: intensity 1 / 8 = 0.125. At t = 8
  // paper (theta 0.1): current, >= 0.1 -> r = 2, one target per length; optimised (theta
  // 0.15): not current, one history point -> not predicted -> no copies.
  for (const char* name : {"seed_paper", "seed_optimised"}) {
    ClusterViewForTest cv(4);
    cv.seed_mode = true;
    auto router = MakeRouter(name, 1);
    BlockId next_id = 100;
    RouteUnrelated(*router, cv, 6, next_id);
    const Ids a = {0, 1, 2};
    cv.SetRequest(a, 12);
    EXPECT_EQ(Route(*router, cv), 0u);
    cv.Hold(0, a);
    EXPECT_EQ(Route(*router, cv), 0u);
    const std::vector<Triple> want = std::string(name) == "seed_paper"
                                         ? std::vector<Triple>{{0, 1, 3}, {0, 1, 2}}
                                         : std::vector<Triple>{};
    EXPECT_EQ(Triples(cv.sink.copies), want) << name;
  }
}

TEST(PrefixAwareHotspotRouterTest, PresetDefaults) {
  struct Want {
    const char* name;
    double alpha, beta, gamma, theta;
  };
  for (const Want& w :
       {Want{"prefix_aware_hotspot", 0.6, 0.8, 0.4, 0.1}, Want{"seed_paper", 0.6, 0.8, 0.4, 0.1},
        Want{"seed_optimised", 0.5, 0.6, 0.8, 0.15}}) {
    const RouterInfo* info = FindRouter(w.name);
    ASSERT_NE(info, nullptr) << w.name;
    EXPECT_EQ(info->source, "the earlier Go simulator (docs/SEED_MODEL.md)");
    const std::vector<std::pair<std::string, double>> want = {
        {"alpha", w.alpha},        {"beta", w.beta},  {"gamma", w.gamma}, {"theta", w.theta},
        {"window_requests", 1000}, {"max_prefix", 8}, {"history", 20},    {"load_scale_s", 1}};
    ASSERT_EQ(info->params.size(), want.size()) << w.name;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(info->params[i].name, want[i].first) << w.name;
      EXPECT_EQ(info->params[i].default_value, want[i].second) << w.name << " " << want[i].first;
    }
    EXPECT_TRUE(MakeRouter(w.name, 1)->needs_hotspots()) << w.name;
  }
  EXPECT_FALSE(MakeRouter("cache_aware", 1)->needs_hotspots());
  EXPECT_FALSE(MakeRouter("enhanced", 1)->needs_hotspots());
  EXPECT_EQ(FindRouter("cache_aware")->params[0].default_value, 10);
  EXPECT_EQ(FindRouter("enhanced")->params[0].default_value, 0.6);
  EXPECT_EQ(FindRouter("enhanced")->params[1].default_value, 1.2);
  // The registry keeps the seed's family together, in this order.
  std::vector<std::string> names;
  for (const RouterInfo& r : Routers()) names.emplace_back(r.name);
  const auto first = std::find(names.begin(), names.end(), "cache_aware");
  ASSERT_LE(first + 5, names.end());
  EXPECT_EQ(std::vector<std::string>(first, first + 5),
            (std::vector<std::string>{"cache_aware", "enhanced", "prefix_aware_hotspot",
                                      "seed_paper", "seed_optimised"}));
}

// ---- prefix_aware_hotspot: realistic replication from the engine's tracker ----

TEST(PrefixAwareHotspotRouterTest, RealisticModeReplicatesTrackedHotPrefixes) {
  HotspotConfig config;
  config.shards = 1;
  config.window_size = 10;
  HotspotTracker tracker(config);
  const Ids a = {0, 1, 2};
  // 5 requests with A in window 0: intensity 5 / 5 = 1 for ids 0, 1, 2 -> current hot,
  // r = 1 + min(3, 3) = 4.
  for (int i = 0; i < 5; ++i) tracker.RecordRequest(a);
  ClusterViewForTest cv(4);
  cv.hotspots = &tracker;
  cv.SetRequest(a, 12);
  cv.Hold(0, a);       // the source: holds all of A
  cv.Hold(1, {0, 1});  // holds prefix 2, not 3
  // Target order, queued / load_scale_s + resident / capacity: node 1: 0.5 + 0 = 0.5,
  // node 2: 0.2 + 500 / 1000 = 0.7, node 3: 0 -> 3, 1, 2.
  cv.queued_work_s = {0, 0.5, 0.2, 0};
  cv.resident = {0, 0, 500, 0};
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  // L = 3: holders {0}, 3 more wanted -> copies to 3, 1, 2. L = 2: node 0 and node 1 hold
  // it, nodes 2 and 3 are being sent prefix 3 -> 4 holders: nothing more. Step 2: node 0:
  // 0.6 + 0.4 * 3 / 8 + 0.8 = 1.55 -> node 0.
  EXPECT_EQ(Route(*router, cv), 0u);
  EXPECT_EQ(Triples(cv.sink.copies), (std::vector<Triple>{{0, 3, 3}, {0, 1, 3}, {0, 2, 3}}));
  // At the same instant the copies are in flight (3 blocks take 3 ms): nothing asked again.
  cv.sink.copies.clear();
  EXPECT_EQ(Route(*router, cv), 0u);
  EXPECT_TRUE(cv.sink.copies.empty());
  // Once nodes 1 and 3 hold A (and node 2's copy has not landed by 1 s in this view),
  // node 2 is asked again: holders 0, 1, 3 -> one more.
  cv.Hold(1, a);
  cv.Hold(3, a);
  cv.now_s = 1;
  EXPECT_EQ(Route(*router, cv), 0u);
  EXPECT_EQ(Triples(cv.sink.copies), (std::vector<Triple>{{0, 2, 3}}));
}

TEST(PrefixAwareHotspotRouterTest, RealisticModeCountsExistingHolders) {
  HotspotConfig config;
  config.shards = 1;
  config.window_size = 100;
  HotspotTracker tracker(config);
  const Ids a = {0, 1};
  // A in 1 of 8 requests: intensity 0.125 > 0.1 -> r = 1 + min(3, 1) = 2.
  tracker.RecordRequest(a);
  for (BlockId id = 10; id < 17; ++id) tracker.RecordRequest(Ids{id});
  ClusterViewForTest cv(4);
  cv.hotspots = &tracker;
  cv.SetRequest(a, 8);
  cv.Hold(0, a);
  cv.Hold(2, a);
  auto router = MakeRouter("prefix_aware_hotspot", 1);
  EXPECT_EQ(Route(*router, cv), 0u);
  EXPECT_TRUE(cv.sink.copies.empty());  // two holders already
  // Alone on node 2 (node 0 holds only id 1): node 2 is the source, one copy to the least
  // loaded other node: node 0 (all keys 0, first in order).
  ClusterViewForTest cv2(4);
  cv2.hotspots = &tracker;
  cv2.SetRequest(a, 8);
  cv2.Hold(2, a);
  cv2.Hold(0, {1});
  EXPECT_EQ(Route(*router, cv2), 2u);
  EXPECT_EQ(Triples(cv2.sink.copies), (std::vector<Triple>{{2, 0, 2}}));
  // Theta 0.15: 0.125 is not hot; no history -> not predicted -> nothing.
  cv2.sink.copies.clear();
  EXPECT_EQ(Route(*MakeRouter("seed_optimised", 1), cv2), 2u);
  EXPECT_TRUE(cv2.sink.copies.empty());
}

}  // namespace
}  // namespace kvb
