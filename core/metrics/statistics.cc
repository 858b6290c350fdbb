#include "core/metrics/statistics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvb {

namespace {

// The 0-based index of the nearest-rank percentile among n > 0 sorted values.
size_t NearestRankIndex(size_t n, double fraction) {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw std::invalid_argument("Percentile: fraction must be in [0, 1], got " +
                                std::to_string(fraction));
  }
  const double exact = fraction * static_cast<double>(n);
  const double nearest = std::round(exact);
  // Undo representation error: 0.07 * 100 = 7.000000000000001 is rank 7, not 8.
  const double rank =
      std::abs(exact - nearest) <= 1e-9 * std::max(1.0, exact) ? nearest : std::ceil(exact);
  const size_t r = std::max<size_t>(1, static_cast<size_t>(rank));
  return std::min(r, n) - 1;
}

double Sum(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum;
}

}  // namespace

double Mean(std::span<const double> values) {
  return values.empty() ? 0 : Sum(values) / static_cast<double>(values.size());
}

double PercentileOfSorted(std::span<const double> sorted, double fraction) {
  if (sorted.empty()) {
    NearestRankIndex(1, fraction);  // still reject a bad fraction
    return 0;
  }
  return sorted[NearestRankIndex(sorted.size(), fraction)];
}

double Percentile(std::span<const double> values, double fraction) {
  if (values.empty()) return PercentileOfSorted(values, fraction);
  const size_t index = NearestRankIndex(values.size(), fraction);
  std::vector<double> copy(values.begin(), values.end());
  std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(index), copy.end());
  return copy[index];
}

double CoefficientOfVariation(std::span<const double> values) {
  const double mean = Mean(values);
  if (mean == 0) return 0;
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(values.size())) / mean;
}

double JainIndex(std::span<const double> values) {
  double sum = 0, squares = 0;
  for (double v : values) {
    sum += v;
    squares += v * v;
  }
  if (squares == 0) return 1;
  return sum * sum / (static_cast<double>(values.size()) * squares);
}

double Gini(std::span<const double> values) {
  const double sum = Sum(values);
  if (values.empty() || sum == 0) return 0;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  // Over ordered pairs, sum |x_i - x_j| = 2 * sum_i (2i - n + 1) x_(i) (0-based, ascending),
  // so Gini = that / (n^2 * 2 * mean) = sum_i (2i - n + 1) x_(i) / (n * sum).
  const double n = static_cast<double>(sorted.size());
  double weighted = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    weighted += (2 * static_cast<double>(i) - n + 1) * sorted[i];
  }
  return weighted / (n * sum);
}

double Concentration(std::span<const double> values) {
  const double sum = Sum(values);
  if (values.empty() || sum == 0) return 0;
  return *std::max_element(values.begin(), values.end()) / sum;
}

}  // namespace kvb
