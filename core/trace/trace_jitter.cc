#include "core/trace/trace_jitter.h"

#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/trace/trace.h"

namespace kvb {

std::shared_ptr<const Trace> JitterArrivals(const Trace& trace, uint32_t jitter_ms, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TraceBuilder builder(trace.block_tokens());
  builder.Reserve(trace.size(), trace.block_count(), trace.distinct_blocks());
  std::vector<RawBlockId> raw;
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    // rng() % jitter_ms: a bias of at most jitter_ms / 2^64; the same on every platform.
    const int64_t shift = jitter_ms > 1 ? static_cast<int64_t>(rng() % jitter_ms) : 0;
    raw.clear();
    for (const BlockId id : r.blocks) raw.push_back(trace.raw_id(id));
    if (builder.Add(r.arrival_ms + shift, r.input_tokens, r.output_tokens, raw)) {
      throw std::logic_error("JitterArrivals: a request of a valid trace was refused");
    }
  }
  return builder.Finish();
}

}  // namespace kvb
