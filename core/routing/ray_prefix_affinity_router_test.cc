// ray_prefix_affinity, rule by rule on hand-built views: queues are in_flight; the tree is
// written by the router's own decisions.

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/routing/testing/router_testing.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::Ids;

using testing::RouteWithLoads;

TEST(RayPrefixAffinityRouterTest, TenantsOfTheMatchAboveTenPercentElseTheSmallestTrees) {
  auto router = MakeRouter("ray_prefix_affinity", 1);
  ClusterViewForTest c(3);
  // Empty trees are all smallest: the shortest queue, node 2.
  EXPECT_EQ(RouteWithLoads(*router, c, {3, 2, 0}, Ids(1, 10)), 2u);  // tree 2: 10 ids
  // 1 of 10 matched (10%, not below): the tenant, node 2, despite its queue.
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 0, 9}, {1, 50, 51, 52, 53, 54, 55, 56, 57, 58}), 2u);
  // No match: the smallest trees (nodes 0 and 1, empty), shorter queue node 1.
  EXPECT_EQ(RouteWithLoads(*router, c, {4, 1, 0}, Ids(100, 3)), 1u);  // tree 1: 3 ids
  // Again no match: node 0 is now the only smallest tree.
  EXPECT_EQ(RouteWithLoads(*router, c, {9, 0, 0}, Ids(200, 3)), 0u);
  // Ids 100..102 again: their only tenant, node 1, despite its queue.
  EXPECT_EQ(RouteWithLoads(*router, c, {0, 5, 0}, Ids(100, 3)), 1u);
  // match_rate_threshold 0.5: 1 of 10 is below it: the smallest trees instead.
  auto strict = MakeRouter("ray_prefix_affinity:match_rate_threshold=0.5", 1);
  ClusterViewForTest d(2);
  EXPECT_EQ(RouteWithLoads(*strict, d, {1, 0}, Ids(1, 10)), 1u);  // tree 1: 10 ids
  EXPECT_EQ(RouteWithLoads(*strict, d, {0, 0}, {1, 70, 71, 72, 73, 74, 75, 76, 77, 78}), 0u);
}

TEST(RayPrefixAffinityRouterTest, ImbalanceFallsBackToPowerOfTwo) {
  // Threshold 5: loads 0 and 6 differ by 6: power of two over two nodes always draws both
  // and takes the shorter queue, node 0, although node 1 holds the prefix.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto router = MakeRouter("ray_prefix_affinity:imbalanced_threshold=5", seed);
    ClusterViewForTest c(2);
    EXPECT_EQ(RouteWithLoads(*router, c, {3, 0}, Ids(1, 4)), 1u);  // tree 1
    EXPECT_EQ(RouteWithLoads(*router, c, {0, 5}, Ids(1, 4)), 1u);  // 5 is not above 5: the tenant
    EXPECT_EQ(RouteWithLoads(*router, c, {0, 6}, Ids(1, 4)), 0u) << seed;
  }
}

TEST(RayPrefixAffinityRouterTest, EqualQueuesAmongCandidatesAreUniform) {
  ClusterViewForTest c(4);
  std::vector<int> counts(4, 0);
  const int draws = 4000;
  for (int seed = 1; seed <= draws; ++seed) {
    ++counts.at(
        RouteWithLoads(*MakeRouter("ray_prefix_affinity", seed), c, {0, 0, 0, 0}, Ids(1, 4)));
  }
  for (int k : counts) EXPECT_NEAR(k, draws / 4.0, 5 * std::sqrt(draws * 0.25 * 0.75));
}

}  // namespace
}  // namespace kvb
