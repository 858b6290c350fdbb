#ifndef KVB_BENCH_CAPACITY_H_
#define KVB_BENCH_CAPACITY_H_

#include <cstdint>
#include <string_view>

#include "core/model/cost_model.h"

namespace kvb {

// A cache capacity as written in configs and flags: a number, an optional multiplier
// (k M G T = 1e3.., Ki Mi Gi Ti = 2^10..) and a unit: "blocks", "tokens" or "B" (bytes).
// Examples: "512blocks", "3Mtokens", "1TB", "64GiB".
struct Capacity {
  uint64_t value = 0;
  CapacityUnit unit = CapacityUnit::kBlocks;
};

// Throws InputError("<what>: expected \"<number><unit>\" ... got \"...\"") on bad text.
Capacity ParseCapacity(std::string_view text, std::string_view what);

}  // namespace kvb

#endif  // KVB_BENCH_CAPACITY_H_
