#include "core/hotspot/seed_rules.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

using History = std::vector<int64_t>;

SeedRules WithTheta(double theta) {
  SeedRules rules;
  rules.theta = theta;
  return rules;
}

double Above(double x) { return std::nextafter(x, 2.0); }

TEST(SeedRulesTest, LeastSquaresSlopeByHand) {
  EXPECT_EQ(LeastSquaresSlope(History{}), 0);
  EXPECT_EQ(LeastSquaresSlope(History{5}), 0);
  // x = 0, 1: slope = (7 - 3) / 1 = 4.
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{3, 7}), 4);
  // x - mean_x = -2, -1, 0, 1, 2; sum of squares = 10.
  // [0,1,2,3,4]: sum((x - 2) * y) = -0 - 1 + 0 + 3 + 8 = 10 -> 10 / 10 = 1.
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{0, 1, 2, 3, 4}), 1);
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{4, 3, 2, 1, 0}), -1);
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{6, 6, 6, 6, 6}), 0);
  // [0,0,0,0,1]: sum = 2 * 1 = 2 -> 0.2.
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{0, 0, 0, 0, 1}), 0.2);
  // [10,12,11,15,17]: -20 - 12 + 0 + 15 + 34 = 17 -> 1.7.
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(History{10, 12, 11, 15, 17}), 1.7);
  // 20 points, a single 1 at x = 19: mean_x = 9.5, sum of squares = 20 * 399 / 12 = 665,
  // sum((x - 9.5) * y) = 9.5 -> 9.5 / 665 = 1 / 70.
  History late_one(20, 0);
  late_one.back() = 1;
  EXPECT_DOUBLE_EQ(LeastSquaresSlope(late_one), 1.0 / 70);
}

TEST(SeedRulesTest, TrendSlopeNeedsFivePoints) {
  EXPECT_EQ(TrendSlope(History{0, 1, 2, 3}), 0);            // 4 points: no trend yet
  EXPECT_DOUBLE_EQ(TrendSlope(History{0, 1, 2, 3, 4}), 1);  // 5 points
  SeedRules three;
  three.min_trend_points = 3;
  EXPECT_DOUBLE_EQ(TrendSlope(History{0, 2, 4}, three), 2);
}

TEST(SeedRulesTest, TrendScoreThresholdsAreStrict) {
  EXPECT_EQ(TrendScore(1.0), 1);
  EXPECT_EQ(TrendScore(Above(0.05)), 1);
  EXPECT_EQ(TrendScore(0.05), 0.5);  // exactly 0.05 is not > 0.05, but is > 0.01
  EXPECT_EQ(TrendScore(0.02), 0.5);
  EXPECT_EQ(TrendScore(Above(0.01)), 0.5);
  EXPECT_EQ(TrendScore(0.01), 0);
  EXPECT_EQ(TrendScore(0), 0);
  EXPECT_EQ(TrendScore(-3), 0);
  // The 20-point history above: slope 1/70 = 0.0143 > 0.01 -> 0.5.
  History late_one(20, 0);
  late_one.back() = 1;
  EXPECT_EQ(TrendScore(TrendSlope(late_one)), 0.5);
}

TEST(SeedRulesTest, IntensityScoreExactBoundaries) {
  // theta = 0.5 divides exactly: 0.35 / 0.5 = 0.7, 0.25 / 0.5 = 0.5, 0.15 / 0.5 = 0.3.
  const SeedRules half = WithTheta(0.5);
  EXPECT_EQ(IntensityRatio(0.35, half), 0.7);
  EXPECT_EQ(IntensityScore(Above(0.35), half), 1);
  EXPECT_EQ(IntensityScore(0.35, half), 0.7);  // ratio exactly 0.7: not > 0.7
  EXPECT_EQ(IntensityScore(Above(0.25), half), 0.7);
  EXPECT_EQ(IntensityScore(0.25, half), 0.3);  // ratio exactly 0.5
  EXPECT_EQ(IntensityScore(Above(0.15), half), 0.3);
  EXPECT_EQ(IntensityScore(0.15, half), 0);  // ratio exactly 0.3
  EXPECT_EQ(IntensityScore(0, half), 0);
}

TEST(SeedRulesTest, IntensityScorePaperPreset) {
  // theta = 0.1. Ratios: 0.08 -> 0.8, 0.06 -> 0.6, 0.04 -> 0.4, 0.02 -> 0.2 (give or take
  // an ulp, far from any step).
  const SeedRules paper = WithTheta(kSeedPaperTheta);
  EXPECT_EQ(IntensityScore(0.08, paper), 1);
  EXPECT_EQ(IntensityScore(0.06, paper), 0.7);
  EXPECT_EQ(IntensityScore(0.04, paper), 0.3);
  EXPECT_EQ(IntensityScore(0.02, paper), 0);
  // Boundaries as the seed computes them in doubles: 0.05 / 0.1 and 0.03 / 0.1 are exactly
  // 0.5 and 0.3 (not above), but 0.07 / 0.1 = 0.7000000000000001 is above 0.7.
  EXPECT_EQ(IntensityScore(0.05, paper), 0.3);
  EXPECT_EQ(IntensityScore(0.03, paper), 0);
  EXPECT_GT(IntensityRatio(0.07, paper), 0.7);
  EXPECT_EQ(IntensityScore(0.07, paper), 1);
  EXPECT_EQ(IntensityScore(1.0, paper), 1);
}

TEST(SeedRulesTest, IntensityScoreOptimisedPreset) {
  // theta = 0.15: 0.105, 0.075 and 0.045 divide to exactly 0.7, 0.5 and 0.3.
  const SeedRules optimised = WithTheta(kSeedOptimisedTheta);
  EXPECT_EQ(IntensityRatio(0.105, optimised), 0.7);
  EXPECT_EQ(IntensityScore(0.105, optimised), 0.7);
  EXPECT_EQ(IntensityScore(0.075, optimised), 0.3);
  EXPECT_EQ(IntensityScore(0.045, optimised), 0);
  // 0.12 -> 0.8, 0.09 -> 0.6, 0.06 -> 0.4, 0.03 -> 0.2.
  EXPECT_EQ(IntensityScore(0.12, optimised), 1);
  EXPECT_EQ(IntensityScore(0.09, optimised), 0.7);
  EXPECT_EQ(IntensityScore(0.06, optimised), 0.3);
  EXPECT_EQ(IntensityScore(0.03, optimised), 0);
}

TEST(SeedRulesTest, FrequencyScoreByHand) {
  // Fewer than 3 points: 0.
  EXPECT_EQ(FrequencyScore(History{9, 9}, 1), 0);
  // a = 6, c = 10: 6 > 10/2 = 5 -> 1.
  EXPECT_EQ(FrequencyScore(History{6, 6, 6}, 10), 1);
  // a = 5, c = 10: 5 > 5 is false; 5 > 10/4 = 2 -> 0.6.
  EXPECT_EQ(FrequencyScore(History{5, 5, 5}, 10), 0.6);
  // The integer mean floors: (5 + 5 + 6) / 3 = 5 (not 5.33): 5 > 5 false -> 0.6.
  EXPECT_EQ(FrequencyScore(History{5, 5, 6}, 10), 0.6);
  // c = 11: 11/2 = 5; a = 6 > 5 -> 1.
  EXPECT_EQ(FrequencyScore(History{6, 6, 6}, 11), 1);
  // c = 20: 20/4 = 5; a = 5 -> 0; a = 6 -> 0.6; c = 23: 23/4 = 5, a = 6 -> 0.6.
  EXPECT_EQ(FrequencyScore(History{5, 5, 6}, 20), 0);
  EXPECT_EQ(FrequencyScore(History{6, 6, 6}, 20), 0.6);
  EXPECT_EQ(FrequencyScore(History{6, 6, 6}, 23), 0.6);
  // Only the last 3 points count: a = 5 of [100, 5, 5, 5].
  EXPECT_EQ(FrequencyScore(History{100, 5, 5, 5}, 10), 0.6);
  // The seed's cumulative history [1..5], c = 5: a = (3 + 4 + 5) / 3 = 4 > 2 -> 1.
  EXPECT_EQ(FrequencyScore(History{1, 2, 3, 4, 5}, 5), 1);
}

TEST(SeedRulesTest, PredictionScoreAndPredictedHot) {
  EXPECT_DOUBLE_EQ(PredictionScore(1, 1, 1), 1.0);  // 0.4 + 0.4 + 0.2
  EXPECT_EQ(PredictionScore(0, 0, 0), 0);
  EXPECT_DOUBLE_EQ(PredictionScore(1, 0.3, 0.6), 0.64);  // 0.4 + 0.12 + 0.12
  EXPECT_DOUBLE_EQ(PredictionScore(0, 0.3, 1), 0.32);    // 0 + 0.12 + 0.2
  EXPECT_FALSE(IsPredictedHot(0.6));                     // strictly greater
  EXPECT_TRUE(IsPredictedHot(Above(0.6)));
  EXPECT_TRUE(IsPredictedHot(0.64));
  // In doubles 0.2 + 0.28 + 0.12 is exactly 0.6 -> not hot, but 0.2 + 0.4 + 0 is
  // 0.6000000000000001 -> hot; the seed's arithmetic does the same.
  EXPECT_EQ(PredictionScore(0.5, 0.7, 0.6), 0.6);
  EXPECT_FALSE(IsPredictedHot(PredictionScore(0.5, 0.7, 0.6)));
  EXPECT_TRUE(IsPredictedHot(PredictionScore(0.5, 1, 0)));
  SeedRules weights;
  weights.trend_weight = 1;
  weights.intensity_weight = 0;
  weights.frequency_weight = 0;
  EXPECT_EQ(PredictionScore(0.5, 1, 1, weights), 0.5);
}

TEST(SeedRulesTest, CurrentHotIsStrict) {
  EXPECT_FALSE(IsCurrentHot(0.1));
  EXPECT_TRUE(IsCurrentHot(Above(0.1)));
  EXPECT_FALSE(IsCurrentHot(0.15, WithTheta(kSeedOptimisedTheta)));
  EXPECT_TRUE(IsCurrentHot(0.16, WithTheta(kSeedOptimisedTheta)));
}

TEST(SeedRulesTest, CurrentReplicationTable) {
  // r = 1 + min(N - 1, 3 | 2 | 1) at intensity >= 0.5 | 0.2 | 0.1, else 1.
  //   intensity   N=2   N=4   N=16
  //   0.5         2     4     4
  //   0.4999      2     3     3
  //   0.2         2     3     3
  //   0.1999      2     2     2
  //   0.1         2     2     2
  //   0.0999      1     1     1
  const double below = 0.0001;
  const struct {
    double intensity;
    int r2, r4, r16;
  } rows[] = {{0.5, 2, 4, 4},         {0.5 - below, 2, 3, 3}, {0.2, 2, 3, 3},
              {0.2 - below, 2, 2, 2}, {0.1, 2, 2, 2},         {0.1 - below, 1, 1, 1}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.intensity);
    EXPECT_EQ(ReplicationFactor(HotKind::kCurrent, row.intensity, 0, 2), row.r2);
    EXPECT_EQ(ReplicationFactor(HotKind::kCurrent, row.intensity, 0, 4), row.r4);
    EXPECT_EQ(ReplicationFactor(HotKind::kCurrent, row.intensity, 0, 16), row.r16);
    EXPECT_EQ(ReplicationFactor(HotKind::kCurrent, row.intensity, 0, 1), 1);  // nowhere to copy
  }
}

TEST(SeedRulesTest, PredictedReplicationTable) {
  // r = 1 + min(N - 1, 2) if slope >= 0.2 and intensity >= 0.05;
  //     1 + min(N - 1, 1) if slope >= 0.1 and intensity >= 0.03, or if slope >= 0.05;
  //     else 1.
  //   slope  intensity   N=2  N=4  N=16
  //   0.2    0.05        2    3    3
  //   0.2    0.0499      2    2    2   (second rule)
  //   0.1    0.03        2    2    2
  //   0.1    0.0299      2    2    2   (third rule: slope >= 0.05)
  //   0.05   0           2    2    2
  //   0.0499 1.0         1    1    1
  const struct {
    double slope, intensity;
    int r2, r4, r16;
  } rows[] = {{0.2, 0.05, 2, 3, 3},   {0.2, 0.0499, 2, 2, 2}, {0.1, 0.03, 2, 2, 2},
              {0.1, 0.0299, 2, 2, 2}, {0.05, 0, 2, 2, 2},     {0.0499, 1.0, 1, 1, 1}};
  for (const auto& row : rows) {
    SCOPED_TRACE(testing::Message() << row.slope << " " << row.intensity);
    EXPECT_EQ(ReplicationFactor(HotKind::kPredicted, row.intensity, row.slope, 2), row.r2);
    EXPECT_EQ(ReplicationFactor(HotKind::kPredicted, row.intensity, row.slope, 4), row.r4);
    EXPECT_EQ(ReplicationFactor(HotKind::kPredicted, row.intensity, row.slope, 16), row.r16);
  }
  EXPECT_EQ(ReplicationFactor(HotKind::kNone, 0.9, 0.9, 16), 1);
}

TEST(SeedRulesTest, EvaluatePrefixUnderBothPresets) {
  const SeedRules paper = WithTheta(kSeedPaperTheta);
  const SeedRules optimised = WithTheta(kSeedOptimisedTheta);
  const History rising = {10, 20, 30, 40, 50};
  // slope 10 -> trend 1; a = (30 + 40 + 50) / 3 = 40 > 50 / 2 -> freq 1.

  // intensity 0.08: ratio 0.8 -> 1; score 0.4 + 0.4 + 0.2 = 1 -> predicted hot; not
  // current (0.08 <= 0.1); slope 10 > 0.1 -> predicted spot; 10 >= 0.2 and 0.08 >= 0.05
  // -> r = 1 + min(3, 2) = 3 with N = 4.
  PrefixVerdict v = EvaluatePrefix(rising, 50, 0.08, 4, paper);
  EXPECT_DOUBLE_EQ(v.slope, 10);
  EXPECT_EQ(v.trend_score, 1);
  EXPECT_EQ(v.intensity_score, 1);
  EXPECT_EQ(v.frequency_score, 1);
  EXPECT_DOUBLE_EQ(v.prediction_score, 1);
  EXPECT_TRUE(v.predicted_hot);
  EXPECT_FALSE(v.current_hot);
  EXPECT_TRUE(v.predicted_hot_spot);
  EXPECT_EQ(v.kind, HotKind::kPredicted);
  EXPECT_EQ(v.replication_factor, 3);

  // intensity 0.12: paper: current (0.12 > 0.1) -> 0.12 >= 0.1 -> r = 1 + 1 = 2.
  v = EvaluatePrefix(rising, 50, 0.12, 4, paper);
  EXPECT_TRUE(v.current_hot);
  EXPECT_EQ(v.kind, HotKind::kCurrent);
  EXPECT_EQ(v.replication_factor, 2);
  // optimised: not current (0.12 <= 0.15); ratio 0.8 -> score 1 -> predicted spot -> 3.
  v = EvaluatePrefix(rising, 50, 0.12, 4, optimised);
  EXPECT_FALSE(v.current_hot);
  EXPECT_EQ(v.kind, HotKind::kPredicted);
  EXPECT_EQ(v.replication_factor, 3);
  // intensity 0.25, both presets: current, 0.25 >= 0.2 -> r = 1 + 2 = 3 (N = 4), 2 (N = 2).
  EXPECT_EQ(EvaluatePrefix(rising, 50, 0.25, 4, paper).replication_factor, 3);
  EXPECT_EQ(EvaluatePrefix(rising, 50, 0.25, 4, optimised).replication_factor, 3);
  EXPECT_EQ(EvaluatePrefix(rising, 50, 0.25, 2, optimised).replication_factor, 2);

  // Four points [1,2,3,4], c = 4, intensity 0.05 (paper): slope 0 -> trend 0; ratio 0.5
  // -> 0.3; a = 3 > 2 -> freq 1; score 0 + 0.12 + 0.2 = 0.32 -> nothing; r = 1.
  v = EvaluatePrefix(History{1, 2, 3, 4}, 4, 0.05, 4, paper);
  EXPECT_EQ(v.slope, 0);
  EXPECT_DOUBLE_EQ(v.prediction_score, 0.32);
  EXPECT_FALSE(v.predicted_hot);
  EXPECT_EQ(v.kind, HotKind::kNone);
  EXPECT_EQ(v.replication_factor, 1);

  // Predicted hot without a spot: 20 points with a single final 1 have slope 1/70 -> trend
  // 0.5; intensity 0.09 (paper, ratio 0.9) -> 1; c = 1, a = (0 + 0 + 1) / 3 = 0 -> freq 0;
  // 0.2 + 0.4 + 0 = 0.6000000000000001 -> predicted hot, but 1/70 <= 0.1 -> r = 1.
  History late_one(20, 0);
  late_one.back() = 1;
  v = EvaluatePrefix(late_one, 1, 0.09, 4, paper);
  EXPECT_TRUE(v.predicted_hot);
  EXPECT_FALSE(v.predicted_hot_spot);
  EXPECT_EQ(v.kind, HotKind::kNone);
  EXPECT_EQ(v.replication_factor, 1);
}

}  // namespace
}  // namespace kvb
