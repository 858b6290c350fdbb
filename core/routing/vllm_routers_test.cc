// The vLLM production-stack routers (vllm_prefixaware, vllm_session, vllm_kvaware), rule by
// rule on hand-built views; ring positions recomputed here from the documented hashes.
//
// ClusterViewForTest: 4-token blocks.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "core/routing/router.h"
#include "core/routing/testing/router_testing.h"
#include "core/util/mix.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::ExpectBinomial;
using testing::Ids;
using testing::RouteNode;

// The node of the first ring point clockwise from `id`'s key: points Mix64((node << 32 |
// r) ^ 0xD1B54A32D192ED03) for r < points, key Mix64(id + 0x9E3779B97F4A7C15).
uint32_t RingNode(BlockId id, uint32_t nodes, uint32_t points) {
  std::vector<std::pair<uint64_t, uint32_t>> ring;
  for (uint32_t n = 0; n < nodes; ++n) {
    for (uint32_t r = 0; r < points; ++r) {
      ring.emplace_back(Mix64(((uint64_t{n} << 32) | r) ^ 0xD1B54A32D192ED03ULL), n);
    }
  }
  std::sort(ring.begin(), ring.end());
  const uint64_t key = Mix64(uint64_t{id} + 0x9E3779B97F4A7C15ULL);
  auto it = std::lower_bound(ring.begin(), ring.end(), std::make_pair(key, uint32_t{0}));
  return it == ring.end() ? ring.front().second : it->second;
}

// ---- vllm_prefixaware ----

TEST(VllmPrefixAwareRouterTest, WithoutAMatchEveryNodeIsEquallyLikely) {
  ClusterViewForTest c(3);
  c.SetRequest(Ids(1, 4), 16);
  std::vector<int> counts(3, 0);
  const int draws = 3000;
  for (int seed = 1; seed <= draws; ++seed) {
    ++counts.at(RouteNode(*MakeRouter("vllm_prefixaware", seed), c));
  }
  for (int k : counts) ExpectBinomial(k, draws, 1.0 / 3);
}

TEST(VllmPrefixAwareRouterTest, TheRoutedHolderOfTheLongestPrefixTakesItWhateverItsLoad) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto router = MakeRouter("vllm_prefixaware", seed);
    ClusterViewForTest c(3);
    c.SetRequest(Ids(1, 4), 16);
    const uint32_t home = RouteNode(*router, c);
    c.queue_length.assign(3, 0);
    c.queue_length[home] = 1000;  // no load signal is read
    c.SetRequest(Ids(1, 8), 32);  // shares 4 blocks with the first: only `home` holds them
    EXPECT_EQ(RouteNode(*router, c), home) << seed;
    c.SetRequest(Ids(1, 2), 8);
    EXPECT_EQ(RouteNode(*router, c), home) << seed;
  }
}

// ---- vllm_session ----

TEST(VllmSessionRouterTest, TheSessionIsTheSecondBlocksPrefix) {
  auto router = MakeRouter("vllm_session", 1);
  ClusterViewForTest c(4);
  // Requests sharing their first two blocks share the node: the ring node of id 2.
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*router, c), RingNode(2, 4, 160));
  c.SetRequest({1, 2, 77, 78}, 16);
  EXPECT_EQ(RouteNode(*router, c), RingNode(2, 4, 160));
  // session_blocks=3: the id at position 2.
  auto three = MakeRouter("vllm_session:session_blocks=3,points_per_node=8", 1);
  c.SetRequest(Ids(1, 6), 24);
  EXPECT_EQ(RouteNode(*three, c), RingNode(3, 4, 8));
}

TEST(VllmSessionRouterTest, RequestsWithoutASessionGoToTheLowestRequestRate) {
  auto router = MakeRouter("vllm_session", 1);
  ClusterViewForTest c(3);
  c.SetRequest({5}, 4);                  // one block: no session
  EXPECT_EQ(RouteNode(*router, c), 0u);  // never routed to: 0, then 1, then 2
  EXPECT_EQ(RouteNode(*router, c), 1u);
  EXPECT_EQ(RouteNode(*router, c), 2u);
  c.now_s = 10;
  EXPECT_EQ(RouteNode(*router, c), 0u);  // 1, 1, 1 in the window: the first
  c.now_s = 20;
  EXPECT_EQ(RouteNode(*router, c), 1u);  // 2, 1, 1
  // 60 s later the first three have left the window: 1 (at 10 s), 1 (at 20 s), 0.
  c.now_s = 65;
  EXPECT_EQ(RouteNode(*router, c), 2u);
  // A session request counts towards its node's rate too.
  c.SetRequest(Ids(1, 3), 12);
  const uint32_t ring = RingNode(2, 3, 160);
  EXPECT_EQ(RouteNode(*router, c), ring);
}

// ---- vllm_kvaware ----

TEST(VllmKvAwareRouterTest, TheLongestHolderUnlessItMissesMoreThanTheThreshold) {
  ClusterViewForTest c(4);
  c.SetRequest(Ids(1, 10), 40);
  // No holder: the session hash (id 2).
  EXPECT_EQ(RouteNode(*MakeRouter("vllm_kvaware", 1), c), RingNode(2, 4, 160));
  // Node 3 holds 7 blocks (28 tokens); the default threshold (2000) accepts any match.
  c.Hold(3, Ids(1, 7));
  EXPECT_EQ(RouteNode(*MakeRouter("vllm_kvaware", 1), c), 3u);
  // threshold 10: matched 28 < 40 - 10 = 30: the session hash.
  EXPECT_EQ(RouteNode(*MakeRouter("vllm_kvaware:threshold_tokens=10", 1), c), RingNode(2, 4, 160));
  // 8 blocks (32 tokens) >= 30: node 2, which now holds the longest prefix.
  c.Hold(2, Ids(1, 8));
  EXPECT_EQ(RouteNode(*MakeRouter("vllm_kvaware:threshold_tokens=10", 1), c), 2u);
  // Equal holders: the lowest index (the controller's first instance).
  c.Hold(1, Ids(1, 8));
  EXPECT_EQ(RouteNode(*MakeRouter("vllm_kvaware:threshold_tokens=10", 1), c), 1u);
}

}  // namespace
}  // namespace kvb
