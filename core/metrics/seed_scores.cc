#include "core/metrics/seed_scores.h"

#include <algorithm>

namespace kvb {

double TraditionalScore(double hit_rate, double concentration) {
  return concentration > 0 ? hit_rate / concentration : 0;
}

double GpuWeightedNetBenefit(double hit_rate, double concentration, double worst_hit_rate,
                             double cost_ratio) {
  return (hit_rate - worst_hit_rate) * 100 * cost_ratio - (100 - 100 * concentration);
}

std::vector<double> GpuWeightedNetBenefits(std::span<const SeedScoreInput> rows,
                                           double cost_ratio) {
  std::vector<double> benefits;
  if (rows.empty()) return benefits;
  const double worst = std::min_element(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
                         return x.hit_rate < y.hit_rate;
                       })->hit_rate;
  benefits.reserve(rows.size());
  for (const SeedScoreInput& row : rows) {
    benefits.push_back(GpuWeightedNetBenefit(row.hit_rate, row.concentration, worst, cost_ratio));
  }
  return benefits;
}

}  // namespace kvb
