#include "bench/trace_json.h"

namespace kvb {

namespace {

nlohmann::ordered_json PercentilesToJson(const Percentiles& p) {
  return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"max", p.max}};
}

}  // namespace

nlohmann::ordered_json TraceStatsToJson(const TraceStats& s) {
  nlohmann::ordered_json hottest = nlohmann::ordered_json::array();
  for (const HotPrefix& h : s.hottest) {
    hottest.push_back(
        {{"id", h.id}, {"blocks", h.blocks}, {"requests", h.requests}, {"share", h.share}});
  }
  return {
      {"requests", s.requests},
      {"blocks", s.blocks},
      {"distinct_blocks", s.distinct_blocks},
      {"block_tokens", s.block_tokens},
      {"input_tokens", s.input_tokens},
      {"output_tokens", s.output_tokens},
      {"avg_input_tokens", s.avg_input_tokens},
      {"avg_output_tokens", s.avg_output_tokens},
      {"avg_blocks", s.avg_blocks},
      {"input_tokens_percentiles", PercentilesToJson(s.input_pct)},
      {"output_tokens_percentiles", PercentilesToJson(s.output_pct)},
      {"reusable_blocks", s.reusable_blocks},
      {"reusable_share", s.reusable_share},
      {"reusable_tokens", s.reusable_tokens},
      {"reusable_token_share", s.reusable_token_share},
      {"requests_with_reuse", s.requests_with_reuse},
      {"hottest_prefixes", hottest},
      {"first_arrival_ms", s.first_arrival_ms},
      {"last_arrival_ms", s.last_arrival_ms},
      {"arrival_rate_per_s", s.arrival_rate_per_s},
      {"trace_memory_bytes", s.trace_memory_bytes},
  };
}

nlohmann::ordered_json ReadReportToJson(const MooncakeReadReport& r) {
  return {
      {"bytes", r.bytes},
      {"lines", r.lines},
      {"requests", r.requests},
      {"blank_lines", r.blank_lines},
      {"crlf_lines", r.crlf_lines},
      {"had_bom", r.had_bom},
      {"missing_final_newline", r.missing_final_newline},
      {"skipped_invalid", r.skipped_invalid},
      {"block_count_mismatches", r.block_count_mismatches},
      {"timestamps_backwards", r.timestamps_backwards},
      {"messages", r.messages},
  };
}

}  // namespace kvb
