#include "core/cache/sieve.h"

#include <algorithm>

namespace kvb {

std::unique_ptr<EvictionPolicy> MakeSievePolicy(size_t capacity, size_t universe) {
  return std::make_unique<SievePolicy>(std::min(capacity, universe));
}

size_t SievePolicyBytes(size_t capacity, size_t universe) {
  return SievePolicy::EstimateBytes(std::min(capacity, universe));
}

}  // namespace kvb
