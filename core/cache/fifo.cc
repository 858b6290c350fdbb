#include "core/cache/fifo.h"

#include <algorithm>

namespace kvb {

std::unique_ptr<EvictionPolicy> MakeFifoPolicy(size_t capacity, size_t universe) {
  return std::make_unique<FifoPolicy>(std::min(capacity, universe));
}

size_t FifoPolicyBytes(size_t capacity, size_t universe) {
  return FifoPolicy::EstimateBytes(std::min(capacity, universe));
}

}  // namespace kvb
