#ifndef KVB_CORE_METRICS_ARITHMETIC_RUNS_H_
#define KVB_CORE_METRICS_ARITHMETIC_RUNS_H_

#include <cstdint>
#include <span>

namespace kvb {

// The values first, first + step, ..., first + (count - 1) x step, step >= 0: a request's
// inter-token gaps over a run of decode steps advanced in closed form.
struct ArithmeticRun {
  double first = 0;
  double step = 0;
  uint64_t count = 0;
};

// Sum of the k largest values over all runs (all of them if k exceeds their count), in
// time proportional to the runs times log of their number, not to the values.
double SumOfLargest(std::span<const ArithmeticRun> runs, uint64_t k);

}  // namespace kvb

#endif  // KVB_CORE_METRICS_ARITHMETIC_RUNS_H_
