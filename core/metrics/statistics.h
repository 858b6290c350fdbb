#ifndef KVB_CORE_METRICS_STATISTICS_H_
#define KVB_CORE_METRICS_STATISTICS_H_

#include <span>

namespace kvb {

// Summary statistics over plain values (latencies, per-node loads). Pure functions; none
// keeps its input. Empty input gives the neutral value each comment states.

// Arithmetic mean; 0 for no values.
double Mean(std::span<const double> values);

// Nearest-rank percentile: the smallest value v such that at least `fraction` of the
// values are <= v, i.e. sorted[ceil(fraction * n) - 1] (rank at least 1), so fraction 0
// gives the minimum and 1 the maximum. `fraction` in [0, 1], else std::invalid_argument.
// A rank within 1e-9 of an integer counts as that integer (0.07 * 100 is rank 7, not 8).
// 0 for no values. O(n): copies and selects.
double Percentile(std::span<const double> values, double fraction);
// The same over values already sorted ascending (not checked), in O(1).
double PercentileOfSorted(std::span<const double> sorted, double fraction);

// Population standard deviation / mean; 0 if there are no values or the mean is 0.
double CoefficientOfVariation(std::span<const double> values);

// Jain's fairness index (sum x)^2 / (n * sum x^2), in [1/n, 1] for values >= 0.
// 1 for no values or all zeros: nobody gets more than anybody else.
double JainIndex(std::span<const double> values);

// Gini coefficient of values >= 0: mean absolute difference over all ordered pairs
// / (2 * mean), in [0, 1 - 1/n]. 0 for no values or a zero sum. O(n log n) (sorts a copy).
double Gini(std::span<const double> values);

// The seed's concentration: max / sum (the busiest node's share of all requests).
// 0 for no values or a zero sum.
double Concentration(std::span<const double> values);

}  // namespace kvb

#endif  // KVB_CORE_METRICS_STATISTICS_H_
