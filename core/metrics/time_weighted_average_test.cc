#include "core/metrics/time_weighted_average.h"

#include <limits>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(TimeWeightedAverageTest, StepFunctionByHand) {
  // Value 0 on [0, 1), 4 on [1, 3), 1 on [3, 5]: integral 0 + 4 * 2 + 1 * 2 = 10.
  TimeWeightedAverage avg;
  avg.Set(1, 4);
  avg.Set(3, 1);
  EXPECT_DOUBLE_EQ(avg.Integral(3), 8);
  EXPECT_DOUBLE_EQ(avg.Integral(4), 9);
  EXPECT_DOUBLE_EQ(avg.Integral(5), 10);
  EXPECT_DOUBLE_EQ(avg.Average(5), 2);  // 10 / 5
  EXPECT_DOUBLE_EQ(avg.value(), 1);

  avg.Add(5, 2);  // 3 from t = 5: + 3 * 2 over [5, 7]
  EXPECT_DOUBLE_EQ(avg.Integral(7), 16);
  EXPECT_DOUBLE_EQ(avg.Average(8), 19.0 / 8);  // (16 + 3) / 8
}

TEST(TimeWeightedAverageTest, CachedBytesToGbHours) {
  // 2 GB held for half an hour, then 1 GB for an hour: 1 + 1 = 2 GB-hours.
  TimeWeightedAverage bytes(0, 2e9);
  bytes.Set(1800, 1e9);
  EXPECT_DOUBLE_EQ(bytes.Integral(5400) / 1e9 / 3600, 2);
}

TEST(TimeWeightedAverageTest, StartOffsetRepeatedTimesAndErrors) {
  TimeWeightedAverage avg(10, 5);
  EXPECT_DOUBLE_EQ(avg.Average(10), 5);  // empty interval: the current value
  EXPECT_DOUBLE_EQ(avg.Average(20), 5);
  avg.Set(12, 7);
  avg.Set(12, 1);                          // two changes at one instant: the first one lasts 0 s
  EXPECT_DOUBLE_EQ(avg.Integral(14), 12);  // 5 * 2 + 7 * 0 + 1 * 2
  EXPECT_THROW(avg.Set(11, 0), std::invalid_argument);
  EXPECT_THROW(avg.Integral(11.5), std::invalid_argument);
  EXPECT_DOUBLE_EQ(avg.Integral(14), 12);  // unchanged by the failed calls
}

}  // namespace
}  // namespace kvb
