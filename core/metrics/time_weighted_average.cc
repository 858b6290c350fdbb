#include "core/metrics/time_weighted_average.h"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace kvb {

TimeWeightedAverage::TimeWeightedAverage(double start_s, double initial_value)
    : start_s_(start_s), last_s_(start_s), value_(initial_value) {}

void TimeWeightedAverage::Set(double t_s, double value) {
  if (!(t_s >= last_s_)) {
    throw std::invalid_argument("TimeWeightedAverage: time " + std::to_string(t_s) +
                                " is before the last change at " + std::to_string(last_s_));
  }
  integral_ += value_ * (t_s - last_s_);
  last_s_ = t_s;
  value_ = value;
}

double TimeWeightedAverage::Integral(double end_s) const {
  if (!(end_s >= last_s_)) {
    throw std::invalid_argument("TimeWeightedAverage: end " + std::to_string(end_s) +
                                " is before the last change at " + std::to_string(last_s_));
  }
  return integral_ + value_ * (end_s - last_s_);
}

double TimeWeightedAverage::Average(double end_s) const {
  const double integral = Integral(end_s);
  return end_s == start_s_ ? value_ : integral / (end_s - start_s_);
}

}  // namespace kvb
