// The seed simulator's strategies run through the engine in seed mode on a fixture small
// enough to follow by hand (docs/SEED_MODEL.md): per-request placement and per-block hits, the
// LFU evictions, and prefix_aware_hotspot's copies.

#include <memory>
#include <string>
#include <vector>

#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/sim/testing/sim_testing.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::MakeTrace;
using testing::Req;

// Runs `name` and records where each request went.
class Recording final : public Router {
 public:
  explicit Recording(const std::string& name) : inner_(MakeRouter(name, 1)) {}
  RouteDecision Route(const ClusterView& view) override {
    placements.push_back(inner_->Route(view).node);
    return placements.back();
  }
  bool needs_hotspots() const override { return inner_->needs_hotspots(); }
  std::vector<uint32_t> placements;

 private:
  std::unique_ptr<Router> inner_;
};

// Ids are numbered in order of first appearance, so they intern to themselves. Prefix
// tree: 0 -> 1 -> {2, 3}; 4 -> 5 -> 6; 7.
std::vector<Req> Fixture() {
  return {
      {0, 12, {0, 1, 2}},  // r0
      {1, 12, {0, 1, 3}},  // r1
      {2, 8, {4, 5}},      // r2
      {3, 12, {0, 1, 2}},  // r3
      {4, 12, {4, 5, 6}},  // r4
      {5, 12, {0, 1, 3}},  // r5
      {6, 12, {0, 1, 2}},  // r6
      {7, 4, {7}},         // r7
  };
}

// The seed's cell scaled down: 4 nodes of 3 blocks, LFU, one window per request (so a
// window's hit_blocks is that request's hits).
SimConfig SeedConfig() {
  SimConfig config;
  config.mode = SimMode::kSeedCompat;
  config.cluster.nodes.assign(4, NodeSpec{3, "lfu", 1.0});
  config.requests_window = 1;
  return config;
}

struct Expected {
  std::vector<uint32_t> placements;
  std::vector<uint64_t> request_hits;
  std::vector<uint64_t> node_requests;
  std::vector<uint64_t> node_hits;
  uint64_t evictions = 0;
  uint64_t copies = 0;
  uint64_t copied_blocks = 0;
};

void RunAndCheck(const std::string& name, const Expected& want) {
  SCOPED_TRACE(name);
  const auto trace = MakeTrace(Fixture(), 4);
  Recording router(name);
  const RunResult r = Simulate(*trace, SeedConfig(), router);
  EXPECT_EQ(router.placements, want.placements);
  ASSERT_EQ(r.windows.size(), want.request_hits.size());
  uint64_t total = 0;
  for (size_t i = 0; i < r.windows.size(); ++i) {
    EXPECT_EQ(r.windows[i].hit_blocks, want.request_hits[i]) << "r" << i;
    total += want.request_hits[i];
  }
  EXPECT_EQ(r.hit_blocks, total);
  EXPECT_EQ(r.block_refs, 21u);  // 3 + 3 + 2 + 3 + 3 + 3 + 3 + 1
  ASSERT_EQ(r.nodes.size(), 4u);
  for (size_t n = 0; n < 4; ++n) {
    EXPECT_EQ(r.nodes[n].requests, want.node_requests[n]) << "node " << n;
    EXPECT_EQ(r.nodes[n].hit_blocks, want.node_hits[n]) << "node " << n;
  }
  EXPECT_EQ(r.evictions, want.evictions);
  EXPECT_EQ(r.copies, want.copies);
  EXPECT_EQ(r.copied_blocks, want.copied_blocks);
}

TEST(SeedStrategiesTest, CacheAware) {
  // score = hits per block - 10 * q / 100 (q = requests routed so far, < 100 here).
  //  r   ids      scores (node 0..3)            to  hits  node 0 after (LFU freq)
  //  r0  0 1 2    0, 0, 0, 0                    0   0     0:1 1:1 2:1
  //  r1  0 1 3    2 - 0.1 = 1.9, 0, 0, 0        0   2     0,1 hit; 3 misses: full, evict
  //                                                       the freq-1 group's oldest, 2
  //  r2  4 5      -0.2, 0, 0, 0                 1   0     (node 1: 4 5)
  //  r3  0 1 2    2 - 0.2 = 1.8, -0.1, 0, 0     0   2     2 misses: evicts 3
  //  r4  4 5 6    -0.3, 2 - 0.1 = 1.9, 0, 0     1   2     (node 1: 6 fits, 3 blocks)
  //  r5  0 1 3    2 - 0.3 = 1.7, -0.2, 0, 0     0   2     3 misses: evicts 2
  //  r6  0 1 2    2 - 0.4 = 1.6, -0.2, 0, 0     0   2     2 misses: evicts 3
  //  r7  7        -0.5, -0.2, 0, 0              2   0
  RunAndCheck("cache_aware", {.placements = {0, 0, 1, 0, 1, 0, 0, 2},
                              .request_hits = {0, 2, 0, 2, 2, 2, 2, 0},
                              .node_requests = {5, 2, 1, 0},
                              .node_hits = {8, 2, 0, 0},
                              .evictions = 4});
}

TEST(SeedStrategiesTest, Enhanced) {
  // score = 0.6 * hits / len - 1.2 * (q / 100) / mean(q / 100); raw q / 100 if the mean is 0.
  //  r   q/100 per node     mean     scores (node 0..3)                    to  hits
  //  r0  0 0 0 0            0        0, 0, 0, 0                            0   0
  //  r1  .01 0 0 0          .0025    0.4 - 4.8, 0, 0, 0                    1   0
  //  r2  .01 .01 0 0        .005     -2.4, -2.4, 0, 0                      2   0
  //  r3  .01 .01 .01 0      .0075    0.6 - 1.6, 0.4 - 1.6, -1.6, 0         3   0
  //  r4  .01 x 4            .01      -1.2, -1.2, 0.4 - 1.2, -1.2           2   2 (6 fits)
  //  r5  .01 .01 .02 .01    .0125    0.4 - 0.96, 0.6 - 0.96, -1.92, -0.56  1   3
  //  r6  .01 .02 .02 .01    .015     0.6 - 0.8, 0.4 - 1.6, -1.6, 0.6 - 0.8 0   3 (tie 0/3)
  //  r7  .02 .02 .02 .01    .0175    -1.37, -1.37, -1.37, -0.69            3   0
  // r7 on node 3 (0 1 2, all freq 1 and full): evicts the oldest, 0.
  RunAndCheck("enhanced", {.placements = {0, 1, 2, 3, 2, 1, 0, 3},
                           .request_hits = {0, 0, 0, 0, 2, 3, 3, 0},
                           .node_requests = {2, 2, 2, 2},
                           .node_hits = {3, 3, 2, 0},
                           .evictions = 1});
}

// prefix_aware_hotspot, paper preset (0.6, 0.8, 0.4, 0.1). t = 1 for r0. Step 2 score =
// 0.6 * hits / len + 0.4 * run / 8 + 0.8 / (1 + q / 100); 0.8 / 1.01 = 0.792, 0.8 / 1.02 =
// 0.784. Target key = q + resident / 500. "rec(n, k)" = node n's record keyed by id k.
//  r0 t1 {0 1 2}: nobody holds: no step 1. All 0.8 -> node 0. rec(0,2), rec(0,1): hits 1,
//     intensity 1 / 2. Node 0 stores 0 1 2 (full).
//  r1 t2 {0 1 3}: L3: node 0 holds most (2), no rec(0,3). L2: node 0, rec(0,1) 0.5 -> r = 4,
//     targets 1 2 3 (keys 0): copies (0->1, 2), (0->2, 2), (0->3, 2): everyone holds 0 1.
//     Step 2: node 0 0.4 + 0.1 + 0.792 = 1.292; nodes 1-3 0.4 + 0.1 + 0.8 = 1.3 -> node 1
//     (hits 2; 3 fits). rec(1,3), rec(1,1): 1 / 3.
//  r2 t3 {4 5}: nobody holds. 0.792, 0.792, 0.8, 0.8 -> node 2 (0 hits). rec(2,5): 1 / 4.
//  r3 t4 {0 1 2}: L3: node 0 (3 of 3), rec(0,2) 0.5 -> r = 4; keys: node 1 1 + 3/500,
//     node 2 1 + 4/500, node 3 0 + 2/500 -> copies to 3, 1, 2 (3 blocks). L2: all hold
//     0 1 -> node 0, rec(0,1) 0.5 -> r = 4 -> 3, 1, 2 (2 blocks).
//     Step 2: nodes 0-2 0.6 + 0.15 + 0.792; node 3 (q 0) 1.55 -> node 3, 3 hits.
//     rec(3,2), rec(3,1): 1 / 5.
//  r4 t5 {4 5 6}: L3: node 2 (4 5), no rec(2,6). L2: node 2, rec(2,5) 0.25 -> r = 3; keys
//     node 0 1 + 3/500, node 1 1 + 4/500, node 3 1 + 3/500 -> 0, 3 (stable): copies
//     (2->0, 2), (2->3, 2). Step 2: nodes 0, 2, 3 tie at 0.4 + 0.1 + 0.792 -> node 0: 4 5
//     hit, 6 misses: node 0 counts 0 1 2 (full) -> evicts 0 (freq 1, oldest). 2 hits.
//  r5 t6 {0 1 3}: L3: node 1 (3 of 3), rec(1,3) 1 / 3 -> r = 3; keys node 0 2 + 5/500,
//     node 2 1 + 5/500, node 3 1 + 5/500 -> 2, 3: copies (1->2, 3), (1->3, 3). L2: node 1
//     (first with 2), rec(1,1) 1 / 3 -> r = 3 -> (1->2, 2), (1->3, 2). Step 2: node 0
//     0.2 + 0 + 0.784; nodes 1-3 0.6 + 0.15 + 0.792 -> node 1, 3 hits. rec(1,*): hits 2,
//     2 / 7.
//  r6 t7 {0 1 2}: L3: node 1 first with 3 of 3, no rec(1,2). L2: node 1, rec(1,1) 2 / 7
//     -> r = 3 -> (1->2, 2), (1->3, 2). Step 2: node 0 0.4 + 0 + 0.784; node 1
//     0.75 + 0.784; nodes 2, 3 0.75 + 0.792 -> node 2, 3 hits.
//  r7 t8 {7}: 0.784, 0.784, 0.784, 0.792 -> node 3 (7 fits: its other blocks are copies).
// Copies: 3 + 3 + 3 + 2 + 2 + 2 + 2 = 17, blocks 6 + 9 + 6 + 4 + 6 + 4 + 4 = 39.
const Expected kPrefixAwareHotspot = {.placements = {0, 1, 2, 3, 0, 1, 2, 3},
                                      .request_hits = {0, 2, 0, 3, 2, 3, 3, 0},
                                      .node_requests = {2, 2, 2, 2},
                                      .node_hits = {2, 5, 3, 3},
                                      .evictions = 1,
                                      .copies = 17,
                                      .copied_blocks = 39};

TEST(SeedStrategiesTest, PrefixAwareHotspotPaper) {
  RunAndCheck("prefix_aware_hotspot", kPrefixAwareHotspot);
  RunAndCheck("seed_paper", kPrefixAwareHotspot);
}

TEST(SeedStrategiesTest, PrefixAwareHotspotOptimised) {
  // (0.5, 0.6, 0.8, 0.15): every intensity judged above (0.5, 1/3, 0.25, 2/7) is above
  // 0.15 too and lands in the same replication step, and each step-2 winner stays: r1
  // node 1 0.333 + 0.2 + 0.6 = 1.133 > node 0 1.127; r3 node 3 1.4 > 1.394; r4 tie at 1.127
  // -> node 0; r5 node 1 1.394; r6 nodes 2, 3 1.394 > node 1 1.388 -> node 2. Same table.
  RunAndCheck("seed_optimised", kPrefixAwareHotspot);
}

}  // namespace
}  // namespace kvb
