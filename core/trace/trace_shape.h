#ifndef KVB_CORE_TRACE_TRACE_SHAPE_H_
#define KVB_CORE_TRACE_TRACE_SHAPE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/trace/trace.h"

namespace kvb {

// What a memory estimate needs of a trace: its counts, not its requests.
struct TraceShape {
  static constexpr size_t kMaxDepth = 64;

  uint64_t requests = 0;
  uint64_t block_refs = 0;         // block references over all requests
  uint64_t distinct_blocks = 0;    // the id universe
  double arrival_span_s = 0;       // last arrival - first arrival, before rate scaling
  uint64_t output_tokens = 0;      // over all requests
  uint64_t max_output_tokens = 0;  // of one request
  // For depths p = 0..kMaxDepth: the ids at depth < p, and the references at positions
  // < p (the first p blocks of every request). Empty: unknown (bounds are used instead).
  std::vector<uint64_t> ids_below_depth;
  std::vector<uint64_t> refs_below_depth;

  // Ids and references within the first p blocks of requests (p = 0: all): the counts
  // above, or when unknown or p > kMaxDepth, min(distinct_blocks, requests x p) and
  // min(block_refs, requests x p).
  uint64_t IdsWithin(uint64_t p) const;
  uint64_t RefsWithin(uint64_t p) const;

  // O(distinct blocks + requests).
  static TraceShape Of(const Trace& trace);
};

}  // namespace kvb

#endif  // KVB_CORE_TRACE_TRACE_SHAPE_H_
