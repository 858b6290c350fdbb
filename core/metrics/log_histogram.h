#ifndef KVB_CORE_METRICS_LOG_HISTOGRAM_H_
#define KVB_CORE_METRICS_LOG_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kvb {

// Weighted counts of positive values in buckets whose bounds grow by a fixed ratio
// (1 + relative_width): a quantile is within relative_width / 2 of an exact one (values
// outside [min_value, max_value] fall in the end buckets). For percentiles over millions
// of inter-token gaps without keeping them.
class LogHistogram {
 public:
  explicit LogHistogram(double min_value = 1e-6, double max_value = 1e5,
                        double relative_width = 0.01);

  void Add(double value, uint64_t weight = 1);
  // Adds the `count` values first, first + step, ..., first + (count - 1) x step (step >= 0),
  // each `weight` times, in time proportional to the buckets they span.
  void AddArithmeticRun(double first, double step, uint64_t count, uint64_t weight = 1);
  void Merge(const LogHistogram& other);  // same bounds and width (std::invalid_argument)

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_seen_; }  // +inf when empty
  double max() const { return max_seen_; }  // -inf when empty
  // The smallest bucket value with at least ceil(q x count) values at or below it (nearest
  // rank), as the bucket's geometric middle clamped to [min(), max()]; max() for q >= 1, min() for
  // q <= 0; NaN when empty.
  double Quantile(double q) const;
  // Heap bytes of a histogram with these bounds.
  static uint64_t EstimateBytes(double min_value = 1e-6, double max_value = 1e5,
                                double relative_width = 0.01);

 private:
  size_t Bucket(double value) const;
  double Lower(size_t bucket) const;  // the bucket's lower bound

  double min_value_;
  double log_ratio_;  // log(1 + relative_width)
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_seen_;
  double max_seen_;
};

}  // namespace kvb

#endif  // KVB_CORE_METRICS_LOG_HISTOGRAM_H_
