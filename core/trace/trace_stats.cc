#include "core/trace/trace_stats.h"

#include <algorithm>
#include <cmath>

namespace kvb {

namespace {

// Nearest-rank percentile of a sorted, non-empty vector.
double NearestRank(const std::vector<uint32_t>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Percentiles PercentilesOf(std::vector<uint32_t> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.p50 = NearestRank(values, 0.50);
  p.p90 = NearestRank(values, 0.90);
  p.p99 = NearestRank(values, 0.99);
  p.max = values.back();
  return p;
}

}  // namespace

TraceStats ComputeTraceStats(const Trace& trace, size_t top_k) {
  TraceStats s;
  s.requests = trace.size();
  s.blocks = trace.block_count();
  s.distinct_blocks = trace.distinct_blocks();
  s.block_tokens = trace.block_tokens();
  s.trace_memory_bytes = trace.memory_bytes();
  if (trace.empty()) return s;

  std::vector<uint32_t> inputs, outputs;
  inputs.reserve(trace.size());
  outputs.reserve(trace.size());
  std::vector<uint8_t> seen(trace.distinct_blocks(), 0);
  std::vector<uint64_t> contained(trace.distinct_blocks(), 0);
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    s.input_tokens += r.input_tokens;
    s.output_tokens += r.output_tokens;
    inputs.push_back(r.input_tokens);
    outputs.push_back(r.output_tokens);
    // Prefix-tree property: a seen id implies all its ancestors were seen.
    size_t hit = 0;
    while (hit < r.blocks.size() && seen[r.blocks[hit]]) ++hit;
    s.reusable_blocks += hit;
    s.reusable_tokens += std::min<uint64_t>(uint64_t{hit} * trace.block_tokens(), r.input_tokens);
    if (hit > 0) ++s.requests_with_reuse;
    for (BlockId id : r.blocks) {
      seen[id] = 1;
      ++contained[id];
    }
  }
  const double n = static_cast<double>(s.requests);
  s.avg_input_tokens = static_cast<double>(s.input_tokens) / n;
  s.avg_output_tokens = static_cast<double>(s.output_tokens) / n;
  s.avg_blocks = static_cast<double>(s.blocks) / n;
  s.input_pct = PercentilesOf(std::move(inputs));
  s.output_pct = PercentilesOf(std::move(outputs));
  if (s.blocks > 0) s.reusable_share = static_cast<double>(s.reusable_blocks) / s.blocks;
  if (s.input_tokens > 0) {
    s.reusable_token_share = static_cast<double>(s.reusable_tokens) / s.input_tokens;
  }

  // A prefix is listed only where it stops being shared by as many requests.
  std::vector<uint8_t> extended(trace.distinct_blocks(), 0);
  for (BlockId id = 0; id < trace.distinct_blocks(); ++id) {
    const BlockId p = trace.parent(id);
    if (p != kNoParent && contained[p] == contained[id]) extended[p] = 1;
  }
  std::vector<BlockId> candidates;
  for (BlockId id = 0; id < trace.distinct_blocks(); ++id) {
    if (!extended[id]) candidates.push_back(id);
  }
  auto hotter = [&](BlockId a, BlockId b) {
    if (contained[a] != contained[b]) return contained[a] > contained[b];
    if (trace.depth(a) != trace.depth(b)) return trace.depth(a) < trace.depth(b);
    return trace.raw_id(a) < trace.raw_id(b);
  };
  const size_t k = std::min(top_k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + k, candidates.end(), hotter);
  for (size_t i = 0; i < k; ++i) {
    const BlockId id = candidates[i];
    s.hottest.push_back(HotPrefix{trace.raw_id(id), trace.depth(id) + 1, contained[id],
                                  static_cast<double>(contained[id]) / n});
  }

  s.first_arrival_ms = trace.first_arrival_ms();
  s.last_arrival_ms = trace.last_arrival_ms();
  const double span_s = static_cast<double>(s.last_arrival_ms - s.first_arrival_ms) / 1000.0;
  if (span_s > 0) s.arrival_rate_per_s = n / span_s;
  return s;
}

}  // namespace kvb
