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

LargestValues Largest(std::span<const ArithmeticRun> runs, uint64_t k) {
  std::priority_queue<Cursor> heap;
  for (const ArithmeticRun& r : runs) {
    if (r.count == 0) continue;
    heap.push({r.first + r.step * static_cast<double>(r.count - 1), r.step, r.count});
  }
  LargestValues out;
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
    out.sum += n * c.top - c.step * n * (n - 1) / 2;
    out.kth = c.top - c.step * (n - 1);
    k -= m;
    c.left -= m;
    c.top -= c.step * n;
    if (c.left > 0) heap.push(c);
  }
  return out;
}

void KeepLargest(std::vector<ArithmeticRun>& runs, uint64_t k) {
  if (k == 0) {
    runs.clear();
    return;
  }
  uint64_t total = 0;
  for (const ArithmeticRun& r : runs) total += r.count;
  if (total <= k) return;
  const double kth = Largest(runs, k).kth;
  // Values computed from either end of a run may differ in the last bits: keep those within
  // a hair of the k-th too (a superset keeps the sum exact).
  const double v = kth - 1e-12 * std::abs(kth);
  uint64_t ties = 0;
  size_t kept = 0;
  for (const ArithmeticRun& r : runs) {
    const double last = r.first + r.step * static_cast<double>(r.count - 1);
    if (last < v) continue;
    if (r.step == 0) {
      if (r.first > kth) {
        runs[kept++] = r;
      } else {
        ties += r.count;
      }
      continue;
    }
    // The first index whose value (as computed) is >= v.
    const double from =
        std::clamp(std::ceil((v - r.first) / r.step), 0.0, static_cast<double>(r.count - 1));
    auto skip = static_cast<uint64_t>(from);
    auto value = [&](uint64_t j) { return r.first + r.step * static_cast<double>(j); };
    while (skip > 0 && value(skip - 1) >= v) --skip;
    while (skip + 1 < r.count && value(skip) < v) ++skip;
    runs[kept++] = {r.first + r.step * static_cast<double>(skip), r.step, r.count - skip};
  }
  runs.resize(kept);
  if (ties > 0) runs.push_back({kth, 0, ties});
}

}  // namespace kvb
