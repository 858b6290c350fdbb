#ifndef KVB_CORE_METRICS_ARITHMETIC_RUNS_H_
#define KVB_CORE_METRICS_ARITHMETIC_RUNS_H_

#include <cstdint>
#include <span>
#include <vector>

namespace kvb {

// The values first, first + step, ..., first + (count - 1) x step, step >= 0: a request's
// inter-token gaps over a run of decode steps advanced in closed form.
struct ArithmeticRun {
  double first = 0;
  double step = 0;
  uint64_t count = 0;
};

// The k largest values over all runs (all of them if k exceeds their count): their sum
// and the smallest of them (the k-th largest; 0 when k is 0 or there are no values), in
// time proportional to the runs times log of their number, not to the values.
struct LargestValues {
  double sum = 0;
  double kth = 0;
};
LargestValues Largest(std::span<const ArithmeticRun> runs, uint64_t k);
inline double SumOfLargest(std::span<const ArithmeticRun> runs, uint64_t k) {
  return Largest(runs, k).sum;
}

// Keeps in `runs` only values that may be among the k largest: those >= the k-th largest
// (values equal to it merge into one run). Largest(runs, k) is unchanged.
void KeepLargest(std::vector<ArithmeticRun>& runs, uint64_t k);

}  // namespace kvb

#endif  // KVB_CORE_METRICS_ARITHMETIC_RUNS_H_
