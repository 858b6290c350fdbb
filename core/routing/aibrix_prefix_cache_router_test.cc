// aibrix_prefix_cache, rule by rule on hand-built views: loads are in_flight; the index is
// written by the router's own decisions.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/routing/testing/router_testing.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::Concat;
using testing::Ids;

using testing::RouteWithLoads;

TEST(AibrixPrefixCacheRouterTest, TheBestMatchWithinMeanPlusStddevWins) {
  auto router = MakeRouter("aibrix_prefix_cache", 1);
  ClusterViewForTest c(3);
  // No match: the least loaded (node 0); it indexes 1..10.
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 5, 5}, Ids(1, 10)), 0u);
  // Node 0 matches 5/10 = 50%: load 0 <= 3.33 + 2.36.
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 5, 5}, Concat(Ids(1, 5), Ids(50, 5))), 0u);
  // Loads 7, 0, 2: mean 3, stddev sqrt(53/3 - 9) = 2.94: node 0's 7 > 5.94: skipped, the
  // least loaded (node 1) takes it; with stddev_factor 2 (bound 8.89) node 0 does.
  EXPECT_EQ(RouteWithLoads(*router, c, {7, 0, 2}, Ids(1, 10)), 1u);
  auto wide = MakeRouter("aibrix_prefix_cache:stddev_factor=2", 1);
  ClusterViewForTest d(3);
  EXPECT_EQ(RouteWithLoads(*wide, d, {0, 5, 5}, Ids(1, 10)), 0u);
  EXPECT_EQ(RouteWithLoads(*wide, d, {7, 0, 2}, Ids(1, 10)), 0u);
}

TEST(AibrixPrefixCacheRouterTest, AHigherMatchPercentBeatsALowerLoad) {
  auto router = MakeRouter("aibrix_prefix_cache:stddev_factor=10", 1);
  ClusterViewForTest c(3);
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 5, 5}, Ids(1, 10)), 0u);  // node 0: 1..10
  // Gated (gap 20 >= 9): only node 1 may match; none does: node 1 gets 1..5.
  EXPECT_EQ(RouteWithLoads(*router, c, {20, 0, 5}, Ids(1, 5)), 1u);
  // Node 0 matches 100%, node 1 50% with less load: node 0.
  EXPECT_EQ(RouteWithLoads(*router, c, {3, 0, 5}, Ids(1, 10)), 0u);
  // Equal percents: the lower load.
  EXPECT_EQ(RouteWithLoads(*router, c, {3, 0, 5}, Ids(1, 5)), 1u);
}

TEST(AibrixPrefixCacheRouterTest, TheImbalanceGateLeavesOnlyTheIdlestNodes) {
  // stddev_factor 0 while placing: a matched node must be at or under the mean.
  auto router = MakeRouter("aibrix_prefix_cache:stddev_factor=0", 1);
  ClusterViewForTest c(3);
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 5, 5}, Ids(1, 10)), 0u);
  EXPECT_EQ(RouteWithLoads(*router, c, {5, 5, 0}, Ids(1, 10)), 2u);  // node 0 above the mean
  // Loads 9, 0, 1: 9 - 0 >= 9: only node 1 may match; it holds nothing: the least
  // loaded, node 1.
  EXPECT_EQ(RouteWithLoads(*router, c, {9, 0, 1}, Ids(1, 10)), 1u);
  // Without the gate (min_gap 100) node 2 (100%, load 1 <= mean 3.33) takes it.
  auto ungated = MakeRouter("aibrix_prefix_cache:stddev_factor=0,min_gap=100", 1);
  ClusterViewForTest d(3);
  EXPECT_EQ(RouteWithLoads(*ungated, d, {0, 5, 5}, Ids(1, 10)), 0u);
  EXPECT_EQ(RouteWithLoads(*ungated, d, {5, 5, 0}, Ids(1, 10)), 2u);
  EXPECT_EQ(RouteWithLoads(*ungated, d, {9, 0, 1}, Ids(1, 10)), 2u);
}

// The burst that stalled the factor gate of 01de8a51 on the conversation trace (every
// request's first block shared). While k < 8 of 16 nodes hold it at load 1, a holder is
// over mean + stddev and an idle node gets the next request, so 8 nodes come to hold it.
// At load 10 on those 8: upstream main's gate (gap 10 >= 9) sends the next request to an
// idle node; the factor gate does not fire (10 > 2 x (5 + 1)? no) and a holder passes the
// stddev bound (10 <= 5 + 5), so the idle 8 are never used.
TEST(AibrixPrefixCacheRouterTest, TheGapGateReopensIdleNodesTheFactorGateDoesNot) {
  for (const bool factor : {false, true}) {
    SCOPED_TRACE(factor ? "factor gate" : "gap gate");
    auto router = MakeRouter(
        factor ? "aibrix_prefix_cache:imbalance_factor=2,min_gap=8" : "aibrix_prefix_cache", 1);
    ClusterViewForTest c(16);
    std::vector<uint32_t> loads(16, 0);
    for (int k = 0; k < 8; ++k) {
      const uint32_t n = RouteWithLoads(*router, c, loads, Ids(1, 1));
      EXPECT_EQ(loads[n], 0u) << "request " << k << " went to a holder";
      loads[n] = 1;
    }
    for (uint32_t& l : loads) l *= 10;
    const uint32_t chosen = RouteWithLoads(*router, c, loads, Ids(1, 2));
    EXPECT_EQ(loads[chosen], factor ? 10u : 0u);
  }
}

TEST(AibrixPrefixCacheRouterTest, TheIndexKeepsItsShareOfTheLru) {
  // 6 blocks over 2 nodes: 3 per node, least recently used first out.
  auto router = MakeRouter("aibrix_prefix_cache:index_blocks=6", 1);
  ClusterViewForTest c(2);
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 3}, Ids(1, 3)), 0u);   // node 0: 1 2 3
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 3}, Ids(20, 1)), 0u);  // 20 1 2 (3 out)
  // Node 1 less loaded now; node 0 still matches 1, 2 (a 2/3 match, load 0 <= bound).
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 0}, Ids(1, 3)), 0u);
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 3}, Ids(20, 1)), 0u);  // 20 kept
}

}  // namespace
}  // namespace kvb
