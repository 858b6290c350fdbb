#include "core/policy/placement.h"

#include <optional>
#include <vector>

#include "core/policy/testing/cluster_view_for_test.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(LeastLoadedNodeTest, LeastQueuedWorkThenShortestQueueThenLowestIndex) {
  ClusterViewForTest t(4);
  t.SetRequest({0, 1}, 8);
  t.queued_work_s = {3.0, 1.0, 1.0, 1.0};
  t.queue_length = {0, 5, 2, 2};
  // Nodes 1-3 tie on work; 2 and 3 tie on queue length: the lower index wins.
  EXPECT_EQ(LeastLoadedNode(t.view()), 2u);
  t.queued_work_s = {0.5, 1.0, 1.0, 1.0};
  EXPECT_EQ(LeastLoadedNode(t.view()), 0u);
}

TEST(SeedCopySourcesTest, MostIdsHeldCountedPerIdFirstNodeOnTies) {
  ClusterViewForTest t(3);
  t.SetRequest({0, 1, 2, 3}, 16);
  // Node 0 holds ids 2 and 3 (no leading run), node 1 holds 0; node 2 holds 1 and 3.
  t.Hold(0, {2, 3});
  t.Hold(1, {0});
  t.Hold(2, {1, 3});
  SeedCopySources sources;
  sources.Recount(t.view(), 4);
  // Over all four ids: node 0 and node 2 hold two each: the first wins.
  EXPECT_EQ(sources.For(4), std::optional<uint32_t>(0));
  // Over three: node 0 holds one (id 2), node 1 one (id 0), node 2 one (id 1): node 0.
  EXPECT_EQ(sources.For(3), std::optional<uint32_t>(0));
  // Over the first two ids: node 1 and node 2 hold one each: node 1.
  EXPECT_EQ(sources.For(2), std::optional<uint32_t>(1));
  EXPECT_EQ(sources.For(1), std::optional<uint32_t>(1));
}

TEST(SeedCopySourcesTest, RecountSeesNewHoldings) {
  ClusterViewForTest t(2);
  t.SetRequest({0, 1, 2}, 8);
  t.Hold(0, {0});
  SeedCopySources sources;
  sources.Recount(t.view(), 3);
  EXPECT_EQ(sources.For(3), std::optional<uint32_t>(0));
  t.Hold(1, {0, 1, 2});
  EXPECT_EQ(sources.For(3), std::optional<uint32_t>(0));  // counts are a snapshot
  sources.Recount(t.view(), 3);
  EXPECT_EQ(sources.For(3), std::optional<uint32_t>(1));
  EXPECT_EQ(sources.For(1), std::optional<uint32_t>(0));  // a tie at one id: the first node
}

TEST(SeedCopySourcesTest, NoneWhenNoNodeHoldsAny) {
  ClusterViewForTest t(2);
  t.SetRequest({0, 1}, 8);
  t.Hold(1, {5});
  SeedCopySources sources;
  sources.Recount(t.view(), 2);
  EXPECT_EQ(sources.For(2), std::nullopt);
  EXPECT_EQ(sources.For(0), std::nullopt);
}

TEST(SeedCopyTargetsTest, QueueLengthPlusResidentOver500AscendingStableOnTies) {
  ClusterViewForTest t(5);
  t.SetRequest({0}, 4);
  t.queue_length = {0, 2, 1, 1, 0};
  t.resident = {0, 0, 500, 250, 1000};
  // Keys: node 1 -> 2.0, node 2 -> 2.0, node 3 -> 1.5, node 4 -> 2.0 (node 0 is the source).
  EXPECT_EQ(SeedCopyTargets(t.view(), 0), (std::vector<uint32_t>{3, 1, 2, 4}));
}

}  // namespace
}  // namespace kvb
