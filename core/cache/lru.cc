#include "core/cache/lru.h"

#include <algorithm>

namespace kvb {

std::unique_ptr<EvictionPolicy> MakeLruPolicy(size_t capacity, size_t universe) {
  return std::make_unique<LruPolicy>(std::min(capacity, universe));
}

size_t LruPolicyBytes(size_t capacity, size_t universe) {
  return LruPolicy::EstimateBytes(std::min(capacity, universe));
}

}  // namespace kvb
