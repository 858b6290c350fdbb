#include "core/metrics/statistics.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

using Values = std::vector<double>;

TEST(StatisticsTest, MeanByHand) {
  EXPECT_DOUBLE_EQ(Mean(Values{1, 2, 3, 4}), 2.5);  // 10 / 4
  EXPECT_DOUBLE_EQ(Mean(Values{7}), 7);
  EXPECT_DOUBLE_EQ(Mean(Values{}), 0);
}

TEST(StatisticsTest, PercentileOfOneValueIsThatValue) {
  for (double f : {0.0, 0.01, 0.5, 0.99, 1.0}) EXPECT_DOUBLE_EQ(Percentile(Values{7}, f), 7) << f;
}

TEST(StatisticsTest, PercentileIsNearestRank) {
  // Sorted: 15 20 35 40 50 (n = 5); rank = ceil(f * 5).
  const Values v = {40, 15, 50, 35, 20};
  EXPECT_DOUBLE_EQ(Percentile(v, 0.0), 15);   // rank max(1, 0) = 1
  EXPECT_DOUBLE_EQ(Percentile(v, 0.05), 15);  // ceil(0.25) = 1
  EXPECT_DOUBLE_EQ(Percentile(v, 0.30), 20);  // ceil(1.5) = 2
  EXPECT_DOUBLE_EQ(Percentile(v, 0.40), 20);  // 2.0 exactly: rank 2
  EXPECT_DOUBLE_EQ(Percentile(v, 0.50), 35);  // ceil(2.5) = 3
  EXPECT_DOUBLE_EQ(Percentile(v, 0.81), 50);  // ceil(4.05) = 5
  EXPECT_DOUBLE_EQ(Percentile(v, 1.0), 50);
  EXPECT_EQ(v, (Values{40, 15, 50, 35, 20}));  // the input is untouched
}

TEST(StatisticsTest, PercentileWithDuplicates) {
  // Sorted: 1 2 2 2 3.
  const Values v = {2, 3, 2, 1, 2};
  EXPECT_DOUBLE_EQ(Percentile(v, 0.2), 1);   // rank 1
  EXPECT_DOUBLE_EQ(Percentile(v, 0.21), 2);  // ceil(1.05) = 2
  EXPECT_DOUBLE_EQ(Percentile(v, 0.8), 2);   // rank 4
  EXPECT_DOUBLE_EQ(Percentile(v, 0.81), 3);  // ceil(4.05) = 5
}

TEST(StatisticsTest, PercentileRanksSurviveRepresentationError) {
  Values v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // 1 .. 100, reversed
  EXPECT_DOUBLE_EQ(Percentile(v, 0.07), 7);       // 0.07 * 100 = 7.000000000000001 in doubles
  EXPECT_DOUBLE_EQ(Percentile(v, 0.29), 29);      // 0.29 * 100 = 28.999999999999996
  EXPECT_DOUBLE_EQ(Percentile(v, 0.9), 90);
  EXPECT_DOUBLE_EQ(Percentile(v, 0.99), 99);
  EXPECT_DOUBLE_EQ(Percentile(v, 0.991), 100);  // ceil(99.1)
  EXPECT_DOUBLE_EQ(Percentile(v, 0.001), 1);    // ceil(0.1)
}

TEST(StatisticsTest, PercentileOfSortedAgreesWithPercentile) {
  const Values sorted = {1, 1, 2, 3, 5, 8, 13, 21};
  const Values shuffled = {13, 1, 8, 21, 2, 5, 3, 1};
  for (int sixteenths = 0; sixteenths <= 16; ++sixteenths) {
    const double f = sixteenths / 16.0;
    EXPECT_DOUBLE_EQ(PercentileOfSorted(sorted, f), Percentile(shuffled, f)) << f;
  }
  EXPECT_DOUBLE_EQ(PercentileOfSorted(sorted, 0.5), 3);  // rank 4
}

TEST(StatisticsTest, PercentileOfNothingIsZeroAndBadFractionsThrow) {
  EXPECT_DOUBLE_EQ(Percentile(Values{}, 0.5), 0);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(Values{}, 0.5), 0);
  for (double f : {-0.01, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THROW(Percentile(Values{1, 2}, f), std::invalid_argument) << f;
    EXPECT_THROW(Percentile(Values{}, f), std::invalid_argument) << f;
    EXPECT_THROW(PercentileOfSorted(Values{1, 2}, f), std::invalid_argument) << f;
  }
}

TEST(StatisticsTest, BalanceOfAnEvenLoad) {
  const Values v = {1, 1, 1, 1};
  EXPECT_DOUBLE_EQ(CoefficientOfVariation(v), 0);
  EXPECT_DOUBLE_EQ(JainIndex(v), 1);  // 16 / (4 * 4)
  EXPECT_DOUBLE_EQ(Gini(v), 0);
  EXPECT_DOUBLE_EQ(Concentration(v), 0.25);  // 1 / 4
}

TEST(StatisticsTest, BalanceOfOneHotNode) {
  const Values v = {0, 0, 0, 4};
  // Mean 1; squared deviations 1 + 1 + 1 + 9 = 12; variance 12 / 4 = 3; CV = sqrt(3) / 1.
  EXPECT_DOUBLE_EQ(CoefficientOfVariation(v), std::sqrt(3.0));
  EXPECT_DOUBLE_EQ(JainIndex(v), 0.25);  // 4^2 / (4 * 16) = 1 / n
  // Ordered pairs with a 4 in them: 3 * 2 = 6, each |0 - 4| = 4: 24 / 16 = 1.5 mean
  // absolute difference; / (2 * 1) = 0.75 = 1 - 1/n, the maximum.
  EXPECT_DOUBLE_EQ(Gini(v), 0.75);
  EXPECT_DOUBLE_EQ(Concentration(v), 1);  // 4 / 4
}

TEST(StatisticsTest, BalanceOfARamp) {
  const Values v = {4, 1, 3, 2};
  // Mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; variance 1.25.
  EXPECT_DOUBLE_EQ(CoefficientOfVariation(v), std::sqrt(1.25) / 2.5);  // 0.4472...
  EXPECT_DOUBLE_EQ(JainIndex(v), 100.0 / 120);  // 10^2 / (4 * (1 + 4 + 9 + 16))
  // Unordered |differences|: 1+2+3+1+2+1 = 10; ordered 20; / 16 = 1.25; / (2 * 2.5) = 0.25.
  EXPECT_DOUBLE_EQ(Gini(v), 0.25);
  EXPECT_DOUBLE_EQ(Concentration(v), 0.4);  // 4 / 10
}

TEST(StatisticsTest, BalanceOfNothingAndOfZeros) {
  for (const Values& v : {Values{}, Values{0, 0, 0}}) {
    EXPECT_DOUBLE_EQ(CoefficientOfVariation(v), 0);
    EXPECT_DOUBLE_EQ(JainIndex(v), 1);
    EXPECT_DOUBLE_EQ(Gini(v), 0);
    EXPECT_DOUBLE_EQ(Concentration(v), 0);
  }
}

TEST(StatisticsTest, GiniMatchesTheDefinitionOverAllPairs) {
  Values v;
  uint64_t x = 12345;
  for (int i = 0; i < 200; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v.push_back(static_cast<double>(x >> 40));
  }
  double pairs = 0, sum = 0;
  for (double a : v) {
    sum += a;
    for (double b : v) pairs += std::abs(a - b);
  }
  const double n = static_cast<double>(v.size());
  const double mean_abs_diff = pairs / (n * n);
  EXPECT_NEAR(Gini(v), mean_abs_diff / (2 * sum / n), 1e-12);
}

}  // namespace
}  // namespace kvb
