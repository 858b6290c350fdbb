#ifndef KVB_CORE_METRICS_TIME_WEIGHTED_AVERAGE_H_
#define KVB_CORE_METRICS_TIME_WEIGHTED_AVERAGE_H_

namespace kvb {

// The time integral and average of a piecewise-constant value (cached bytes, queue
// length, ...): the value holds from each Set until the next. E.g. the integral of cached
// bytes, / 1e9 / 3600, is GB-hours.
class TimeWeightedAverage {
 public:
  // The value is `initial_value` from `start_s` on.
  explicit TimeWeightedAverage(double start_s = 0, double initial_value = 0);

  // The value becomes `value` at t_s. Times must not decrease (std::invalid_argument).
  void Set(double t_s, double value);
  // Set(t_s, value() + delta): for amounts that come and go.
  void Add(double t_s, double delta) { Set(t_s, value_ + delta); }

  double value() const { return value_; }
  double start_s() const { return start_s_; }
  // Integral of the value over [start_s, end_s] (value x seconds). end_s must not be
  // before the last Set (std::invalid_argument).
  double Integral(double end_s) const;
  // Integral(end_s) / (end_s - start_s); the current value if end_s == start_s.
  double Average(double end_s) const;

 private:
  double start_s_;
  double last_s_;
  double value_;
  double integral_ = 0;  // up to last_s_
};

}  // namespace kvb

#endif  // KVB_CORE_METRICS_TIME_WEIGHTED_AVERAGE_H_
