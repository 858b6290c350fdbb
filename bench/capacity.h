#ifndef KVB_BENCH_CAPACITY_H_
#define KVB_BENCH_CAPACITY_H_

#include <cstdint>
#include <optional>
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

// A memory size in bytes, as in capacities with unit B: a number, an optional multiplier
// (k or K, M, G, T = 1e3..; Ki Mi Gi Ti = 2^10..) and "B". Examples: "16GB", "512MiB",
// "1.5KB", "4096B". Throws InputError("<what>: expected a size ... got \"...\"").
uint64_t ParseByteSize(std::string_view text, std::string_view what);

// A memory limit: "auto" (nullopt: the caller's default) or a size of at least one byte
// (ParseByteSize). Throws InputError("<what>: expected \"auto\" or a size ...") or
// ("<what>: must be at least 1 byte, got \"0GB\"").
std::optional<uint64_t> ParseMemoryLimit(std::string_view text, std::string_view what);

}  // namespace kvb

#endif  // KVB_BENCH_CAPACITY_H_
