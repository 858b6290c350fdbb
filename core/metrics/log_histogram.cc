#include "core/metrics/log_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace kvb {

namespace {

size_t BucketCount(double min_value, double max_value, double relative_width) {
  if (!(min_value > 0) || !(max_value > min_value) || !(relative_width > 0)) {
    throw std::invalid_argument("LogHistogram: needs 0 < min < max and a width > 0");
  }
  return static_cast<size_t>(
             std::ceil(std::log(max_value / min_value) / std::log1p(relative_width))) +
         1;
}

}  // namespace

LogHistogram::LogHistogram(double min_value, double max_value, double relative_width)
    : min_value_(min_value),
      log_ratio_(std::log1p(relative_width)),
      buckets_(BucketCount(min_value, max_value, relative_width), 0),
      min_seen_(std::numeric_limits<double>::infinity()),
      max_seen_(-std::numeric_limits<double>::infinity()) {}

uint64_t LogHistogram::EstimateBytes(double min_value, double max_value, double relative_width) {
  return BucketCount(min_value, max_value, relative_width) * sizeof(uint64_t);
}

size_t LogHistogram::Bucket(double value) const {
  if (!(value > min_value_)) return 0;
  const double b = std::floor(std::log(value / min_value_) / log_ratio_);
  return std::min(static_cast<size_t>(b), buckets_.size() - 1);
}

double LogHistogram::Lower(size_t bucket) const {
  return min_value_ * std::exp(log_ratio_ * static_cast<double>(bucket));
}

void LogHistogram::Add(double value, uint64_t weight) {
  if (weight == 0) return;
  buckets_[Bucket(value)] += weight;
  count_ += weight;
  sum_ += value * static_cast<double>(weight);
  min_seen_ = std::min(min_seen_, value);
  max_seen_ = std::max(max_seen_, value);
}

void LogHistogram::AddArithmeticRun(double first, double step, uint64_t count, uint64_t weight) {
  if (count == 0 || weight == 0) return;
  if (step < 0) throw std::invalid_argument("LogHistogram: a run must not decrease");
  if (step == 0 || count == 1) {
    Add(first, count * weight);
    return;
  }
  const double n = static_cast<double>(count);
  const double last = first + step * (n - 1);
  uint64_t j = 0;
  while (j < count) {
    const size_t b = Bucket(first + step * static_cast<double>(j));
    uint64_t end = count;  // the first j' whose value reaches the next bucket
    if (b + 1 < buckets_.size()) {
      const double next = std::ceil((Lower(b + 1) - first) / step);
      if (next < static_cast<double>(count))
        end = std::max(j + 1, static_cast<uint64_t>(std::max(next, 0.0)));
    }
    buckets_[b] += (end - j) * weight;
    j = end;
  }
  count_ += count * weight;
  sum_ += static_cast<double>(weight) * (n * first + step * n * (n - 1) / 2);
  min_seen_ = std::min(min_seen_, first);
  max_seen_ = std::max(max_seen_, last);
}

void LogHistogram::Merge(const LogHistogram& other) {
  if (other.buckets_.size() != buckets_.size() || other.min_value_ != min_value_ ||
      other.log_ratio_ != log_ratio_) {
    throw std::invalid_argument("LogHistogram: merging histograms of different buckets");
  }
  for (size_t b = 0; b < buckets_.size(); ++b) buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  sum_ += other.sum_;
  min_seen_ = std::min(min_seen_, other.min_seen_);
  max_seen_ = std::max(max_seen_, other.max_seen_);
}

double LogHistogram::Quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  if (q >= 1) return max_seen_;
  if (q <= 0) return min_seen_;
  const double rank =
      std::max(1.0, std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (static_cast<double>(seen) >= rank) {
      const double middle = min_value_ * std::exp(log_ratio_ * (static_cast<double>(b) + 0.5));
      return std::clamp(middle, min_seen_, max_seen_);
    }
  }
  return max_seen_;
}

}  // namespace kvb
