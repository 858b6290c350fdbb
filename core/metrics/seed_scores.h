#ifndef KVB_CORE_METRICS_SEED_SCORES_H_
#define KVB_CORE_METRICS_SEED_SCORES_H_

#include <span>
#include <vector>

namespace kvb {

// The scores the seed simulator prints (docs/SEED_MODEL.md, "Scores printed by the seed").
// Hit rates and concentrations are fractions in [0, 1].

// The seed's "cost ratio 100:1": one percentage point of hit rate over the worst strategy
// is worth 100 points, against one point of the balance term.
inline constexpr double kSeedCostRatio = 100;

// hit_rate / concentration; 0 if concentration <= 0 (no requests).
double TraditionalScore(double hit_rate, double concentration);

// The seed's GPU-weighted net benefit, in points:
//   (hit_rate - worst_hit_rate) * 100 * cost_ratio - (100 - 100 * concentration)
// i.e. percentage points of hit rate gained over the worst strategy, times cost_ratio,
// minus 100 * (1 - concentration). The balance term is kept exactly as the seed prints it,
// although it rewards concentration (a spread-out load scores lower).
double GpuWeightedNetBenefit(double hit_rate, double concentration, double worst_hit_rate,
                             double cost_ratio = kSeedCostRatio);

// One strategy's row of the seed's table.
struct SeedScoreInput {
  double hit_rate = 0;
  double concentration = 0;
};

// Net benefit of every row, with worst = the lowest hit rate among `rows`; same order.
std::vector<double> GpuWeightedNetBenefits(std::span<const SeedScoreInput> rows,
                                           double cost_ratio = kSeedCostRatio);

}  // namespace kvb

#endif  // KVB_CORE_METRICS_SEED_SCORES_H_
