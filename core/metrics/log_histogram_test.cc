#include "core/metrics/log_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

double ExactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank =
      static_cast<size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

TEST(LogHistogramTest, HandCounts) {
  LogHistogram h(1e-3, 10, 0.01);
  EXPECT_TRUE(std::isnan(h.Quantile(0.5)));
  h.Add(0.010, 3);
  h.Add(0.100, 1);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.13);
  // Ranks 1-3 are 0.010, rank 4 is 0.100; values clamp to the extremes seen.
  EXPECT_NEAR(h.Quantile(0.5), 0.010, 0.010 * 0.005);
  EXPECT_NEAR(h.Quantile(0.75), 0.010, 0.010 * 0.005);
  EXPECT_NEAR(h.Quantile(0.76), 0.100, 0.100 * 0.005);
  EXPECT_DOUBLE_EQ(h.Quantile(1.0), 0.100);
  EXPECT_DOUBLE_EQ(h.Quantile(0.0), 0.010);
}

TEST(LogHistogramTest, QuantilesWithinHalfABucketOfExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> value(std::log(0.02), 1.0);
  LogHistogram h;
  std::vector<double> all;
  for (int i = 0; i < 20000; ++i) {
    const double v = value(rng);
    h.Add(v);
    all.push_back(v);
  }
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
    const double exact = ExactQuantile(all, q);
    EXPECT_NEAR(h.Quantile(q), exact, exact * 0.0051) << q;
  }
}

// A run equals adding its values one by one: same count and sum, quantiles within a bucket.
TEST(LogHistogramTest, ArithmeticRunsMatchTheirValues) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    LogHistogram run, one_by_one;
    std::vector<double> all;
    const int runs = 1 + trial % 5;
    for (int r = 0; r < runs; ++r) {
      const double first = std::uniform_real_distribution<double>(0.005, 0.5)(rng);
      const double step = trial % 7 == 0 ? 0 : std::uniform_real_distribution<double>(0, 2e-4)(rng);
      const uint64_t count = std::uniform_int_distribution<uint64_t>(1, 3000)(rng);
      const uint64_t weight = std::uniform_int_distribution<uint64_t>(1, 64)(rng);
      run.AddArithmeticRun(first, step, count, weight);
      for (uint64_t j = 0; j < count; ++j) {
        const double v = first + step * static_cast<double>(j);
        one_by_one.Add(v, weight);
        for (uint64_t w = 0; w < weight; ++w) all.push_back(v);
      }
    }
    ASSERT_EQ(run.count(), one_by_one.count());
    EXPECT_NEAR(run.sum(), one_by_one.sum(), 1e-9 * one_by_one.sum());
    EXPECT_DOUBLE_EQ(run.min(), one_by_one.min());
    EXPECT_NEAR(run.max(), one_by_one.max(), 1e-12);
    for (double q : {0.1, 0.5, 0.9, 0.99}) {
      const double exact = ExactQuantile(all, q);
      EXPECT_NEAR(run.Quantile(q), exact, exact * 0.0101) << trial << " " << q;
      EXPECT_NEAR(one_by_one.Quantile(q), exact, exact * 0.0051) << trial << " " << q;
    }
  }
}

TEST(LogHistogramTest, MergeAddsAndRefusesOtherBuckets) {
  LogHistogram a, b;
  a.Add(1.0, 2);
  b.Add(3.0, 2);
  a.Merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_DOUBLE_EQ(a.sum(), 8.0);
  EXPECT_DOUBLE_EQ(a.Quantile(1.0), 3.0);
  LogHistogram c(1e-3, 1, 0.05);
  EXPECT_THROW(a.Merge(c), std::invalid_argument);
  EXPECT_THROW(LogHistogram(0, 1, 0.01), std::invalid_argument);
  EXPECT_THROW(a.AddArithmeticRun(1, -1, 3), std::invalid_argument);
}

}  // namespace
}  // namespace kvb
