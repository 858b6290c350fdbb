#include "core/hotspot/seed_rules.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kvb {

double LeastSquaresSlope(std::span<const int64_t> history) {
  const size_t n = history.size();
  if (n < 2) return 0;
  // x = 0..n-1: mean_x = (n-1)/2; slope = sum((x - mean_x) * y) / sum((x - mean_x)^2).
  const double mean_x = static_cast<double>(n - 1) / 2;
  double mean_y = 0;
  for (const int64_t y : history) mean_y += static_cast<double>(y);
  mean_y /= static_cast<double>(n);
  double sxy = 0;
  double sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(i) - mean_x;
    sxy += dx * (static_cast<double>(history[i]) - mean_y);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

double TrendSlope(std::span<const int64_t> history, const SeedRules& rules) {
  if (history.size() < std::max<size_t>(rules.min_trend_points, 2)) return 0;
  return LeastSquaresSlope(history);
}

namespace {

template <size_t N>
double StepScore(double value, const std::array<ScoreStep, N>& steps) {
  for (const ScoreStep& step : steps) {
    if (value > step.above) return step.score;
  }
  return 0;
}

}  // namespace

double TrendScore(double slope, const SeedRules& rules) {
  return StepScore(slope, rules.trend_steps);
}

double IntensityRatio(double intensity, const SeedRules& rules) { return intensity / rules.theta; }

double IntensityScore(double intensity, const SeedRules& rules) {
  return StepScore(IntensityRatio(intensity, rules), rules.intensity_ratio_steps);
}

double FrequencyScore(std::span<const int64_t> history, int64_t count, const SeedRules& rules) {
  const size_t points = rules.frequency_points;
  if (points == 0 || history.size() < points) return 0;
  int64_t sum = 0;
  for (const int64_t y : history.last(points)) sum += y;
  const int64_t mean = sum / static_cast<int64_t>(points);
  for (const FrequencyStep& step : rules.frequency_steps) {
    if (step.divisor > 0 && mean > count / step.divisor) return step.score;
  }
  return 0;
}

double PredictionScore(double trend_score, double intensity_score, double frequency_score,
                       const SeedRules& rules) {
  return rules.trend_weight * trend_score + rules.intensity_weight * intensity_score +
         rules.frequency_weight * frequency_score;
}

bool IsPredictedHot(double score, const SeedRules& rules) {
  return score > rules.predicted_hot_score;
}

bool IsCurrentHot(double intensity, const SeedRules& rules) { return intensity > rules.theta; }

int ReplicationFactor(HotKind kind, double intensity, double slope, int nodes,
                      const SeedRules& rules) {
  const int spare = std::max(nodes - 1, 0);
  switch (kind) {
    case HotKind::kNone:
      return 1;
    case HotKind::kCurrent:
      for (const CurrentReplicaStep& step : rules.current_replicas) {
        if (intensity >= step.min_intensity) return 1 + std::min(spare, step.extra);
      }
      return 1;
    case HotKind::kPredicted:
      for (const PredictedReplicaStep& step : rules.predicted_replicas) {
        if (slope >= step.min_slope && intensity >= step.min_intensity) {
          return 1 + std::min(spare, step.extra);
        }
      }
      return 1;
  }
  return 1;
}

PrefixVerdict EvaluatePrefix(std::span<const int64_t> history, int64_t count, double intensity,
                             int nodes, const SeedRules& rules) {
  PrefixVerdict v;
  v.slope = TrendSlope(history, rules);
  v.trend_score = TrendScore(v.slope, rules);
  v.intensity_score = IntensityScore(intensity, rules);
  v.frequency_score = FrequencyScore(history, count, rules);
  v.prediction_score = PredictionScore(v.trend_score, v.intensity_score, v.frequency_score, rules);
  v.predicted_hot = IsPredictedHot(v.prediction_score, rules);
  v.current_hot = IsCurrentHot(intensity, rules);
  v.predicted_hot_spot = v.predicted_hot && v.slope > rules.predicted_replication_slope;
  v.kind = v.current_hot          ? HotKind::kCurrent
           : v.predicted_hot_spot ? HotKind::kPredicted
                                  : HotKind::kNone;
  v.replication_factor = ReplicationFactor(v.kind, intensity, v.slope, nodes, rules);
  return v;
}

}  // namespace kvb
