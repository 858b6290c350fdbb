#include "core/metrics/arithmetic_runs.h"

#include <algorithm>
#include <functional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(SumOfLargestTest, ByHand) {
  // Values 1, 2, 3 and 2.5, 2.5: the three largest are 3, 2.5, 2.5.
  const std::vector<ArithmeticRun> runs = {{1, 1, 3}, {2.5, 0, 2}};
  EXPECT_DOUBLE_EQ(SumOfLargest(runs, 3), 8.0);
  EXPECT_DOUBLE_EQ(SumOfLargest(runs, 1), 3.0);
  EXPECT_DOUBLE_EQ(SumOfLargest(runs, 0), 0.0);
  EXPECT_DOUBLE_EQ(SumOfLargest(runs, 99), 11.0);  // all of them
  EXPECT_DOUBLE_EQ(SumOfLargest({}, 3), 0.0);
  EXPECT_DOUBLE_EQ(Largest(runs, 3).kth, 2.5);
  // Pruned to the three largest: 3 (the top of the first run) and 2.5 twice, merged.
  std::vector<ArithmeticRun> kept = runs;
  KeepLargest(kept, 3);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_DOUBLE_EQ(kept[0].first, 3.0);
  EXPECT_EQ(kept[0].count, 1u);
  EXPECT_DOUBLE_EQ(kept[1].first, 2.5);
  EXPECT_EQ(kept[1].count, 2u);
}

// Against sorting every value, on random runs.
TEST(SumOfLargestTest, MatchesSortingTheValues) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<ArithmeticRun> runs;
    std::vector<double> values;
    const int n = 1 + trial % 12;
    for (int i = 0; i < n; ++i) {
      ArithmeticRun r;
      r.first = std::uniform_real_distribution<double>(0.01, 0.05)(rng);
      r.step = trial % 5 == 0 ? 0 : std::uniform_real_distribution<double>(0, 1e-4)(rng);
      r.count = std::uniform_int_distribution<uint64_t>(1, 400)(rng);
      runs.push_back(r);
      for (uint64_t j = 0; j < r.count; ++j)
        values.push_back(r.first + r.step * static_cast<double>(j));
    }
    std::sort(values.begin(), values.end(), std::greater<>());
    const uint64_t k = std::uniform_int_distribution<uint64_t>(0, values.size())(rng);
    double want = 0;
    for (uint64_t i = 0; i < k; ++i) want += values[i];
    EXPECT_NEAR(SumOfLargest(runs, k), want, 1e-9 * std::max(1.0, want)) << trial;
    if (k > 0) {
      EXPECT_NEAR(Largest(runs, k).kth, values[k - 1], 1e-12) << trial;
    }
    // Pruning to what may be among the k largest keeps their sum, and fewer values.
    std::vector<ArithmeticRun> kept = runs;
    KeepLargest(kept, k);
    EXPECT_NEAR(SumOfLargest(kept, k), want, 1e-9 * std::max(1.0, want)) << trial;
    uint64_t left = 0;
    for (const ArithmeticRun& r : kept) left += r.count;
    EXPECT_GE(left, std::min<uint64_t>(k, values.size())) << trial;
    if (trial % 5 != 0) {  // distinct values: few ties
      EXPECT_LE(left, k + kept.size()) << trial;
    }
  }
}

}  // namespace
}  // namespace kvb
