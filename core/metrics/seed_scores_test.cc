#include "core/metrics/seed_scores.h"

#include "gtest/gtest.h"

namespace kvb {
namespace {

// The earlier simulator's table, fractions exact in binary (scripts/tests/test_tables.py
// checks the net benefit of the same rows).
TEST(SeedScoresTest, TraditionalScoreByHand) {
  EXPECT_DOUBLE_EQ(TraditionalScore(0.125, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.5, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.375, 0.5), 0.75);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.4, 0), 0);  // no requests
}

}  // namespace
}  // namespace kvb
