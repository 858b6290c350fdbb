#ifndef KVB_CORE_TRACE_TRACE_STATS_H_
#define KVB_CORE_TRACE_TRACE_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/trace/trace.h"

namespace kvb {

// A prefix shared by many requests: the longest prefix with that popularity (an id none
// of whose children is contained in as many requests).
struct HotPrefix {
  RawBlockId id = 0;      // id of the prefix's last block
  uint32_t blocks = 0;    // prefix length in blocks
  uint64_t requests = 0;  // requests that start with this prefix
  double share = 0;       // requests / all requests
};

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct TraceStats {
  size_t requests = 0;
  size_t blocks = 0;           // block references over all requests
  size_t distinct_blocks = 0;  // distinct ids
  uint32_t block_tokens = 0;
  uint64_t input_tokens = 0;
  uint64_t output_tokens = 0;
  double avg_input_tokens = 0;
  double avg_output_tokens = 0;
  double avg_blocks = 0;
  Percentiles input_pct, output_pct;
  // Unbounded cache, contiguous-prefix reuse, requests in arrival order: a block hits if
  // every block up to it was seen before. Blocks and tokens (the last block may be partial).
  size_t reusable_blocks = 0;
  double reusable_share = 0;
  uint64_t reusable_tokens = 0;
  double reusable_token_share = 0;
  // Requests that reuse at least one block.
  size_t requests_with_reuse = 0;
  std::vector<HotPrefix> hottest;  // most shared prefixes, most requests first
  int64_t first_arrival_ms = 0;
  int64_t last_arrival_ms = 0;
  double arrival_rate_per_s = 0;  // requests / span; 0 if the span is 0
  size_t trace_memory_bytes = 0;  // heap bytes of the Trace itself
};

// Computes the statistics of `trace`, keeping the `top_k` most shared prefixes.
TraceStats ComputeTraceStats(const Trace& trace, size_t top_k = 10);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_TRACE_STATS_H_
