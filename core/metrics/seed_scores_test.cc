#include "core/metrics/seed_scores.h"

#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

// A small table like the seed's, with fractions exact in binary. worst = 0.125.
//   strategy     hit    conc   traditional       net benefit (ratio 100)
//   random       0.125  0.25   0.125/0.25 = 0.5  0     * 100 * 100 - (100 - 25)  = -75
//   cache-aware  0.5    1.0    0.5/1.0    = 0.5  0.375 * 100 * 100 - (100 - 100) = 3750
//   enhanced     0.375  0.5    0.375/0.5  = 0.75 0.25  * 100 * 100 - (100 - 50)  = 2450
const std::vector<SeedScoreInput> kTable = {{0.125, 0.25}, {0.5, 1.0}, {0.375, 0.5}};

TEST(SeedScoresTest, TraditionalScoreByHand) {
  EXPECT_DOUBLE_EQ(TraditionalScore(0.125, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.5, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.375, 0.5), 0.75);
  EXPECT_DOUBLE_EQ(TraditionalScore(0.4, 0), 0);  // no requests
}

TEST(SeedScoresTest, NetBenefitOfOneRowByHand) {
  EXPECT_DOUBLE_EQ(GpuWeightedNetBenefit(0.5, 1.0, 0.125), 3750);
  EXPECT_DOUBLE_EQ(GpuWeightedNetBenefit(0.125, 0.25, 0.125), -75);
  // Not exact in binary: (0.4 - 0.3) * 10000 - (100 - 30) = 1000 - 70 = 930.
  EXPECT_NEAR(GpuWeightedNetBenefit(0.4, 0.3, 0.3), 930, 1e-9);
  // The balance term as printed: more concentration, less penalty.
  EXPECT_GT(GpuWeightedNetBenefit(0.3, 0.9, 0.3), GpuWeightedNetBenefit(0.3, 0.3, 0.3));
}

TEST(SeedScoresTest, NetBenefitsTakeTheWorstHitRateOfTheTable) {
  EXPECT_EQ(GpuWeightedNetBenefits(kTable), (std::vector<double>{-75, 3750, 2450}));
  // The worst row may be anywhere; the order of the output follows the input.
  const std::vector<SeedScoreInput> reordered = {kTable[2], kTable[0], kTable[1]};
  EXPECT_EQ(GpuWeightedNetBenefits(reordered), (std::vector<double>{2450, -75, 3750}));
}

TEST(SeedScoresTest, CostRatioIsAParameter) {
  // Ratio 10: 0 - 75 = -75; 0.375 * 100 * 10 - 0 = 375; 0.25 * 100 * 10 - 50 = 200.
  EXPECT_EQ(GpuWeightedNetBenefits(kTable, 10), (std::vector<double>{-75, 375, 200}));
  EXPECT_DOUBLE_EQ(GpuWeightedNetBenefit(0.5, 1.0, 0.125, 10), 375);
}

TEST(SeedScoresTest, DegenerateTables) {
  EXPECT_TRUE(GpuWeightedNetBenefits({}).empty());
  // One row is its own worst: only the balance term is left, -(100 - 100 * 0.5) = -50.
  const std::vector<SeedScoreInput> one = {{0.9, 0.5}};
  EXPECT_EQ(GpuWeightedNetBenefits(one), (std::vector<double>{-50}));
}

}  // namespace
}  // namespace kvb
