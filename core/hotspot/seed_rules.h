#ifndef KVB_CORE_HOTSPOT_SEED_RULES_H_
#define KVB_CORE_HOTSPOT_SEED_RULES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kvb {

// The seed simulator's hot-spot rules (docs/SEED_MODEL.md, "PrefixAwareHotspot") as pure
// functions, with the seed's thresholds and weights as overridable parameters. Both the
// seed-mode routers and HotspotTracker evaluate prefixes through these, so there is one
// implementation. Every "above" comparison is strict (>), every replication-table
// comparison is >=, exactly as the seed does.

// The seed's two PrefixAwareHotspot presets differ in theta: "paper" and "optimised".
inline constexpr double kSeedPaperTheta = 0.1;
inline constexpr double kSeedOptimisedTheta = 0.15;
// The seed keeps the last 20 history points of a pattern record.
inline constexpr size_t kSeedHistoryLength = 20;

// `score` applies when the value is strictly greater than `above`; steps are tried in order.
struct ScoreStep {
  double above = 0;
  double score = 0;
};

// `score` applies when integer_mean(last points) > count / divisor (integer division).
struct FrequencyStep {
  int64_t divisor = 1;
  double score = 0;
};

// A current hot spot gets 1 + min(nodes - 1, extra) replicas if intensity >= min_intensity.
struct CurrentReplicaStep {
  double min_intensity = 0;
  int extra = 0;
};

// A predicted hot spot gets 1 + min(nodes - 1, extra) replicas if slope >= min_slope and
// intensity >= min_intensity.
struct PredictedReplicaStep {
  double min_slope = 0;
  double min_intensity = 0;
  int extra = 0;
};

// Parameters of the rules; the defaults are the seed's values with theta of the "paper"
// preset.
struct SeedRules {
  double theta = kSeedPaperTheta;  // current hot spot: intensity > theta
  size_t min_trend_points = 5;     // fewer history points: slope 0
  std::array<ScoreStep, 2> trend_steps = {{{0.05, 1.0}, {0.01, 0.5}}};
  // Applied to intensity / theta.
  std::array<ScoreStep, 3> intensity_ratio_steps = {{{0.7, 1.0}, {0.5, 0.7}, {0.3, 0.3}}};
  size_t frequency_points = 3;  // fewer history points: frequency score 0
  std::array<FrequencyStep, 2> frequency_steps = {{{2, 1.0}, {4, 0.6}}};
  double trend_weight = 0.4;
  double intensity_weight = 0.4;
  double frequency_weight = 0.2;
  double predicted_hot_score = 0.6;          // predicted hot: score > this
  double predicted_replication_slope = 0.1;  // predicted hot spot: predicted hot and slope > this
  std::array<CurrentReplicaStep, 3> current_replicas = {{{0.5, 3}, {0.2, 2}, {0.1, 1}}};
  // The seed's third rule is "slope >= 0.05" alone: intensities are never negative.
  std::array<PredictedReplicaStep, 3> predicted_replicas = {
      {{0.2, 0.05, 2}, {0.1, 0.03, 1}, {0.05, 0.0, 1}}};
};

// Least-squares slope of `history` against x = 0, 1, 2, ...; 0 for fewer than 2 points.
double LeastSquaresSlope(std::span<const int64_t> history);

// The seed's trend: LeastSquaresSlope once history has >= rules.min_trend_points, else 0.
double TrendSlope(std::span<const int64_t> history, const SeedRules& rules = {});

// 1 if slope > 0.05, 0.5 if > 0.01, else 0 (seed defaults).
double TrendScore(double slope, const SeedRules& rules = {});

// intensity / theta, computed as the seed does (one division).
double IntensityRatio(double intensity, const SeedRules& rules = {});

// From ratio = intensity / theta: 1 if > 0.7, 0.7 if > 0.5, 0.3 if > 0.3, else 0.
double IntensityScore(double intensity, const SeedRules& rules = {});

// Needs >= 3 history points (else 0): a = integer mean of the last 3 points (floor),
// c = count: 1 if a > c / 2, 0.6 if a > c / 4 (integer divisions), else 0.
double FrequencyScore(std::span<const int64_t> history, int64_t count, const SeedRules& rules = {});

// 0.4 * trend_score + 0.4 * intensity_score + 0.2 * frequency_score, summed in that order.
double PredictionScore(double trend_score, double intensity_score, double frequency_score,
                       const SeedRules& rules = {});

// score > 0.6.
bool IsPredictedHot(double score, const SeedRules& rules = {});

// intensity > theta.
bool IsCurrentHot(double intensity, const SeedRules& rules = {});

// Which replication table applies: current wins over predicted.
enum class HotKind { kNone, kCurrent, kPredicted };

// The seed's replication factor for a cluster of `nodes` (>= 1) nodes: 1 for kNone, else
// 1 + min(nodes - 1, extra) from the first matching step of the kind's table, 1 if none.
int ReplicationFactor(HotKind kind, double intensity, double slope, int nodes,
                      const SeedRules& rules = {});

// Every derived quantity of one prefix, in the seed's order of evaluation.
struct PrefixVerdict {
  double slope = 0;
  double trend_score = 0;
  double intensity_score = 0;
  double frequency_score = 0;
  double prediction_score = 0;
  bool predicted_hot = false;       // score > predicted_hot_score
  bool current_hot = false;         // intensity > theta
  bool predicted_hot_spot = false;  // predicted_hot and slope > predicted_replication_slope
  HotKind kind = HotKind::kNone;    // kCurrent if current_hot, else kPredicted if a spot
  int replication_factor = 1;
};

// Evaluates one prefix from its history (oldest first), its count (the seed's hit count,
// which is the history's last point there) and its intensity, for `nodes` nodes.
PrefixVerdict EvaluatePrefix(std::span<const int64_t> history, int64_t count, double intensity,
                             int nodes, const SeedRules& rules = {});

}  // namespace kvb

#endif  // KVB_CORE_HOTSPOT_SEED_RULES_H_
