// Each router's placements on small cells computed by hand (1 ms per token, 4-token blocks).

#include <algorithm>
#include <memory>
#include <vector>

#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/sim/testing/sim_testing.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::MakeTrace;
using testing::RealisticConfig;
using testing::Req;

// Runs `name` and records where each request went.
class Recording final : public Router {
 public:
  explicit Recording(const char* name, uint64_t seed = 1) : inner_(MakeRouter(name, seed)) {}
  RouteDecision Route(const ClusterView& view) override {
    placements.push_back(inner_->Route(view).node);
    return placements.back();
  }
  std::vector<uint32_t> placements;

 private:
  std::unique_ptr<Router> inner_;
};

std::vector<uint32_t> Place(const char* name, const std::vector<Req>& requests, size_t nodes,
                            uint64_t seed = 1) {
  const auto trace = MakeTrace(requests, 4);
  Recording router(name, seed);
  Simulate(*trace, RealisticConfig(nodes, 100), router);
  return router.placements;
}

TEST(RoutersTest, EveryRegisteredRouterHasADescriptionAndASource) {
  ASSERT_GE(Routers().size(), 6u);
  for (const RouterInfo& r : Routers()) {
    EXPECT_FALSE(r.description.empty()) << r.name;
    EXPECT_FALSE(r.source.empty()) << r.name;
    EXPECT_EQ(FindRouter(r.name), &r);
  }
  EXPECT_EQ(FindRouter("nosuch"), nullptr);
}

TEST(RoutersTest, RoundRobinTakesNodesInTurn) {
  std::vector<Req> requests;
  for (int i = 0; i < 5; ++i) requests.push_back({i * 100, 8, {static_cast<RawBlockId>(i)}});
  EXPECT_EQ(Place("round_robin", requests, 2), (std::vector<uint32_t>{0, 1, 0, 1, 0}));
}

TEST(RoutersTest, LeastLoadedPicksTheNodeFreeSoonest) {
  // Three 10 ms requests at t=0 on 2 nodes: r0 -> 0 (tie, lowest index); r1 -> 1 (node 0
  // has 10 ms left); r2: both have 10 ms left and one request: tie -> 0.
  const std::vector<Req> requests = {{0, 10, {1}}, {0, 10, {2}}, {0, 10, {3}}};
  EXPECT_EQ(Place("least_loaded", requests, 2), (std::vector<uint32_t>{0, 1, 0}));
}

TEST(RoutersTest, PowerOfTwoNeverPicksTheBusierOfTwoNodes) {
  // With 2 nodes both are always drawn: r1 must go to the node r0 left idle.
  const std::vector<Req> requests = {{0, 10, {1}}, {0, 10, {2}}};
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto p = Place("power_of_two", requests, 2, seed);
    EXPECT_NE(p[0], p[1]) << "seed " << seed;
  }
  // On an idle cluster the first draw decides: different seeds use both nodes.
  std::vector<uint32_t> firsts;
  for (uint64_t seed = 1; seed <= 20; ++seed)
    firsts.push_back(Place("power_of_two", requests, 2, seed)[0]);
  EXPECT_NE(std::count(firsts.begin(), firsts.end(), 0u), 0);
  EXPECT_NE(std::count(firsts.begin(), firsts.end(), 1u), 0);
}

TEST(RoutersTest, LocalCacheAwareWeighsQueueAgainstItsOwnPrefix) {
  // r0 at 0 ms fills node 0 with blocks 1..4 (16 tokens; both nodes cold and idle: tie ->
  // node 0). From 40 ms, 22-token requests sharing blocks 1..4: on node 0 they cost 6 ms
  // (16 tokens reused), on node 1 22 ms. r1 -> 0 (6 < 22); r2 -> 0 (6 left + 6 = 12);
  // r3 -> 0 (18); r4: 24 > 22 -> node 1; r5: node 0 24 vs node 1 22 + 22 = 44 -> node 0.
  std::vector<Req> requests = {{0, 16, {1, 2, 3, 4}}};
  for (RawBlockId k = 0; k < 5; ++k) requests.push_back({40, 22, {1, 2, 3, 4, 10 + k, 20 + k}});
  EXPECT_EQ(Place("local_cache_aware", requests, 2), (std::vector<uint32_t>{0, 0, 0, 0, 1, 0}));
  // prefix_greedy ignores the queue: everything with the prefix goes to node 0.
  EXPECT_EQ(Place("prefix_greedy", requests, 2), (std::vector<uint32_t>{0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace kvb
