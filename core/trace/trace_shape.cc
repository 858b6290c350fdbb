#include "core/trace/trace_shape.h"

#include <algorithm>

#include "core/util/memory_arithmetic.h"

namespace kvb {

uint64_t TraceShape::IdsWithin(uint64_t p) const {
  if (p == 0) return distinct_blocks;
  if (p < ids_below_depth.size()) return ids_below_depth[p];
  return std::min(distinct_blocks, SaturatingMul(requests, p));
}

uint64_t TraceShape::RefsWithin(uint64_t p) const {
  if (p == 0) return block_refs;
  if (p < refs_below_depth.size()) return refs_below_depth[p];
  return std::min(block_refs, SaturatingMul(requests, p));
}

TraceShape TraceShape::Of(const Trace& trace) {
  TraceShape s;
  s.requests = trace.size();
  s.block_refs = trace.block_count();
  s.distinct_blocks = trace.distinct_blocks();
  s.arrival_span_s =
      static_cast<double>(trace.last_arrival_ms() - trace.first_arrival_ms()) / 1000.0;
  // Histograms of id depths and request lengths (capped at kMaxDepth), then prefix sums.
  std::vector<uint64_t> ids(kMaxDepth + 1, 0), lengths(kMaxDepth + 1, 0);
  for (const uint32_t depth : trace.depths()) ++ids[std::min<size_t>(depth, kMaxDepth)];
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    ++lengths[std::min<size_t>(r.blocks.size(), kMaxDepth)];
    s.output_tokens += r.output_tokens;
    s.max_output_tokens = std::max<uint64_t>(s.max_output_tokens, r.output_tokens);
  }
  s.ids_below_depth.assign(kMaxDepth + 1, 0);
  s.refs_below_depth.assign(kMaxDepth + 1, 0);
  // refs_below_depth[p] = sum over requests of min(length, p); `longer` = requests longer
  // than p.
  uint64_t longer = s.requests;
  for (size_t p = 1; p <= kMaxDepth; ++p) {
    s.ids_below_depth[p] = s.ids_below_depth[p - 1] + ids[p - 1];
    longer -= lengths[p - 1];
    s.refs_below_depth[p] = s.refs_below_depth[p - 1] + longer;
  }
  return s;
}

}  // namespace kvb
