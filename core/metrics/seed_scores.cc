#include "core/metrics/seed_scores.h"

namespace kvb {

double TraditionalScore(double hit_rate, double concentration) {
  return concentration > 0 ? hit_rate / concentration : 0;
}

}  // namespace kvb
