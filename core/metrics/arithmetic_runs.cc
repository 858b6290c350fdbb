#include "core/metrics/arithmetic_runs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <vector>

namespace kvb {

namespace {

// The untaken values of a run, largest first: top, top - step, ... (left of them).
struct Cursor {
  double top;
  double step;
  uint64_t left;
  bool operator<(const Cursor& o) const { return top < o.top; }
};

}  // namespace

double SumOfLargest(std::span<const ArithmeticRun> runs, uint64_t k) {
  std::priority_queue<Cursor> heap;
  for (const ArithmeticRun& r : runs) {
    if (r.count == 0) continue;
    heap.push({r.first + r.step * static_cast<double>(r.count - 1), r.step, r.count});
  }
  double sum = 0;
  while (k > 0 && !heap.empty()) {
    Cursor c = heap.top();
    heap.pop();
    const double next = heap.empty() ? -std::numeric_limits<double>::infinity() : heap.top().top;
    // Take the values of c that are >= the best of the others (at least its top).
    uint64_t m = std::min(c.left, k);
    if (c.step > 0 && std::isfinite(next)) {
      const double fit = std::floor((c.top - next) / c.step) + 1;
      if (fit < static_cast<double>(m)) m = std::max<uint64_t>(1, static_cast<uint64_t>(fit));
    } else if (c.step == 0 && std::isfinite(next) && c.top < next) {
      m = 1;  // cannot happen (c is the largest), kept for rounding safety
    }
    const auto n = static_cast<double>(m);
    sum += n * c.top - c.step * n * (n - 1) / 2;
    k -= m;
    c.left -= m;
    c.top -= c.step * n;
    if (c.left > 0) heap.push(c);
  }
  return sum;
}

}  // namespace kvb
