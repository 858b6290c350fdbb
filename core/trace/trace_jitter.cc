#include "core/trace/trace_jitter.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/trace/trace.h"

namespace kvb {

std::shared_ptr<const Trace> JitterArrivals(const Trace& trace, uint32_t jitter_ms, uint64_t seed,
                                            JitterOrder order) {
  std::mt19937_64 rng(seed);
  // rng() % jitter_ms: a bias of at most jitter_ms / 2^64; the same on every platform.
  std::vector<int64_t> shift(trace.size(), 0);
  if (jitter_ms > 1) {
    for (int64_t& s : shift) s = static_cast<int64_t>(rng() % jitter_ms);
  }
  if (order == JitterOrder::kKeep) {
    // Requests sharing a timestamp are consecutive (the trace is sorted): sort their draws.
    for (size_t begin = 0; begin < trace.size();) {
      size_t end = begin + 1;
      while (end < trace.size() && trace[end].arrival_ms == trace[begin].arrival_ms) ++end;
      std::sort(shift.begin() + static_cast<std::ptrdiff_t>(begin),
                shift.begin() + static_cast<std::ptrdiff_t>(end));
      begin = end;
    }
  }
  TraceBuilder builder(trace.block_tokens());
  builder.Reserve(trace.size(), trace.block_count(), trace.distinct_blocks());
  std::vector<RawBlockId> raw;
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    raw.clear();
    for (const BlockId id : r.blocks) raw.push_back(trace.raw_id(id));
    if (builder.Add(r.arrival_ms + shift[i], r.input_tokens, r.output_tokens, raw)) {
      throw std::logic_error("JitterArrivals: a request of a valid trace was refused");
    }
  }
  return builder.Finish();
}

}  // namespace kvb
