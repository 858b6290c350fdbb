#ifndef KVB_CORE_ROUTING_TESTING_ROUTER_TESTING_H_
#define KVB_CORE_ROUTING_TESTING_ROUTER_TESTING_H_

// Helpers for router tests on hand-built views (ClusterViewForTest). Tests only.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "gtest/gtest.h"

namespace kvb::testing {

// Ids first, first + 1, ..., first + count - 1.
inline std::vector<BlockId> Ids(BlockId first, size_t count) {
  std::vector<BlockId> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = first + static_cast<BlockId>(i);
  return ids;
}

// `a` followed by `b`.
inline std::vector<BlockId> Concat(std::vector<BlockId> a, const std::vector<BlockId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline uint32_t RouteNode(Router& router, ClusterViewForTest& cluster) {
  return router.Route(cluster.view()).node;
}

// Routes a request of `ids` (4 tokens each) with the gateway's in-flight counts `in_flight`.
inline uint32_t RouteWithLoads(Router& router, ClusterViewForTest& cluster,
                               std::vector<uint32_t> in_flight, std::vector<BlockId> ids) {
  cluster.in_flight = std::move(in_flight);
  const auto tokens = static_cast<uint32_t>(4 * ids.size());
  cluster.SetRequest(std::move(ids), tokens);
  return RouteNode(router, cluster);
}

// |count - draws p| within 5 binomial standard deviations (a false failure about once in
// 1.7 million).
inline void ExpectBinomial(int count, int draws, double p) {
  const double sd = std::sqrt(draws * p * (1 - p));
  EXPECT_NEAR(count, draws * p, 5 * sd + 1e-9) << "p = " << p;
}

// Counts of the nodes chosen by fresh routers made from `spec` (seeds 1..draws) on the same
// view: a router's own state cannot shift the later draws.
inline std::vector<int> FreshCounts(const std::string& spec, ClusterViewForTest& cluster,
                                    int draws) {
  std::vector<int> counts(cluster.queue_length.size(), 0);
  for (int seed = 1; seed <= draws; ++seed) {
    ++counts.at(RouteNode(*MakeRouter(spec, static_cast<uint64_t>(seed)), cluster));
  }
  return counts;
}

}  // namespace kvb::testing

#endif  // KVB_CORE_ROUTING_TESTING_ROUTER_TESTING_H_
