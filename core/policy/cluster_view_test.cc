#include "core/policy/cluster_view.h"

#include <limits>
#include <vector>

#include "core/index/sim_prefix_index.h"
#include "core/policy/testing/cluster_view_for_test.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(ClusterViewTest, QueuedWorkAddsTheRestOfTheServiceInFlight) {
  const std::vector<uint32_t> prefix(3, 0);
  const std::vector<size_t> queue(3, 1);
  const std::vector<double> queued = {1.0, 2.0, 0.0};
  const std::vector<double> busy_until = {5.0, -std::numeric_limits<double>::infinity(), 3.0};
  ClusterViewSources s;
  s.prefix_blocks = prefix;
  s.queue_length = queue;
  s.queued_predicted_s = queued;
  s.busy_until_s = busy_until;
  SimPrefixIndex holders(3);
  s.holders = &holders;
  ClusterViewBuilder builder(s);
  Request r;
  builder.BeginRequest(0, r, 4.0, LongestPrefixResult{});
  const ClusterView& v = builder.view();
  EXPECT_EQ(v.nodes(), 3u);
  EXPECT_DOUBLE_EQ(v.queued_work_s(0), 2.0);  // 1 queued + (5 - 4) in flight
  EXPECT_DOUBLE_EQ(v.queued_work_s(1), 2.0);  // idle: nothing in flight
  EXPECT_DOUBLE_EQ(v.queued_work_s(2), 0.0);  // its service ended before now
}

TEST(ClusterViewTest, LongestPrefixAndResidentCountsFollowTheHolders) {
  ClusterViewForTest t(3);
  t.SetRequest({0, 1, 2}, 12);
  t.Hold(1, {0, 1});
  t.Hold(2, {0, 2});
  const ClusterView& v = t.view();
  EXPECT_EQ(v.longest_prefix_blocks(), 2u);
  EXPECT_EQ(v.longest_prefix_node(), 1u);
  EXPECT_EQ(v.prefix_blocks(2), 1u);
  EXPECT_EQ(v.resident_blocks(2), 2u);  // per block: 0 and 2
  EXPECT_EQ(v.resident_blocks(0), 0u);
  EXPECT_TRUE(v.holds(2, 2));
  EXPECT_FALSE(v.holds(1, 2));
  // A new hold shows in the next request's view, counts recomputed.
  t.Hold(0, {0, 1, 2});
  const ClusterView& w = t.view();
  EXPECT_EQ(w.longest_prefix_blocks(), 3u);
  EXPECT_EQ(w.longest_prefix_node(), 0u);
  EXPECT_EQ(w.resident_blocks(0), 3u);
}

TEST(ClusterViewTest, PredictionMemoIsPerRequestAndOnlyForUniformSpeed) {
  ClusterViewForTest t(2);
  t.SetRequest({0, 1}, 8);  // 4-token blocks: a prefill of (8 - 4 x reused) ms
  const ClusterView& v = t.view();
  EXPECT_DOUBLE_EQ(v.predicted_prefill_s(0, 1), 0.004);
  EXPECT_DOUBLE_EQ(v.predicted_prefill_s(1, 1), 0.004);
  // The next request must not see the previous request's memo.
  t.SetRequest({0, 1, 2}, 12);
  const ClusterView& w = t.view();
  EXPECT_DOUBLE_EQ(w.predicted_prefill_s(0, 1), 0.008);
}

}  // namespace
}  // namespace kvb
