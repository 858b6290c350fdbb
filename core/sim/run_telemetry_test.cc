#include "core/sim/run_telemetry.h"

#include <stdexcept>
#include <vector>

#include "core/sim/link_schedule.h"
#include "core/sim/replica_manager.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(TopIdsByCountTest, CountDescendingThenIdAscending) {
  //                          id: 0  1  2  3  4  5
  const std::vector<uint32_t> count = {2, 5, 2, 0, 5, 1};
  EXPECT_EQ(TopIdsByCount(count, 1), (std::vector<BlockId>{1}));
  EXPECT_EQ(TopIdsByCount(count, 3), (std::vector<BlockId>{1, 4, 0}));
  EXPECT_EQ(TopIdsByCount(count, 5), (std::vector<BlockId>{1, 4, 0, 2, 5}));
  EXPECT_EQ(TopIdsByCount(count, 6), (std::vector<BlockId>{1, 4, 0, 2, 5, 3}));
  EXPECT_TRUE(TopIdsByCount(count, 0).empty());
}

TEST(LinkScheduleTest, TransfersSharingANodeQueueFirstComeFirstServed) {
  LinkSchedule links(3);
  EXPECT_DOUBLE_EQ(links.Reserve(0, 1, 1.0, 2.0), 3.0);    // both idle: 1 -> 3
  EXPECT_DOUBLE_EQ(links.Reserve(1, 2, 0.5, 1.0), 4.0);    // node 1 busy until 3
  EXPECT_DOUBLE_EQ(links.Reserve(0, 2, 3.5, 0.5), 4.5);    // node 2 busy until 4
  EXPECT_DOUBLE_EQ(links.Reserve(0, 1, 10.0, 1.0), 11.0);  // all idle again by 10
}

TEST(CheckStrategyNodeTest, RefusesANodeOutsideTheCluster) {
  EXPECT_NO_THROW(CheckStrategyNode(3, 4));
  EXPECT_THROW(CheckStrategyNode(4, 4), std::logic_error);
}

}  // namespace
}  // namespace kvb
