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

TEST(SeedCopySourceTest, MostIdsHeldCountedPerIdFirstNodeOnTies) {
  ClusterViewForTest t(3);
  t.SetRequest({0, 1, 2, 3}, 16);
  // Node 0 holds ids 2 and 3 (no leading run), node 1 holds 0; node 2 holds 1 and 3.
  t.Hold(0, {2, 3});
  t.Hold(1, {0});
  t.Hold(2, {1, 3});
  // Over all four ids: node 0 and node 2 hold two each: the first wins.
  EXPECT_EQ(SeedCopySource(t.view(), 4), std::optional<uint32_t>(0));
  // Over the first two ids: node 1 and node 2 hold one each: node 1.
  EXPECT_EQ(SeedCopySource(t.view(), 2), std::optional<uint32_t>(1));
}

TEST(SeedCopySourceTest, NoneWhenNoNodeHoldsAny) {
  ClusterViewForTest t(2);
  t.SetRequest({0, 1}, 8);
  t.Hold(1, {5});
  EXPECT_EQ(SeedCopySource(t.view(), 2), std::nullopt);
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
