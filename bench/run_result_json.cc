#include "bench/run_result_json.h"

namespace kvb {

nlohmann::ordered_json RunResultToJson(const RunResult& r) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const NodeResult& n : r.nodes) {
    nodes.push_back({{"requests", n.requests},
                     {"busy_s", n.busy_s},
                     {"block_refs", n.block_refs},
                     {"hit_blocks", n.hit_blocks},
                     {"resident_blocks_end", n.resident_blocks_end}});
  }
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const WindowRow& w : r.windows) {
    windows.push_back({{"start", w.start_s},
                       {"arrivals", w.arrivals},
                       {"rejected", w.rejected},
                       {"served", w.served},
                       {"block_refs", w.block_refs},
                       {"hit_blocks", w.hit_blocks},
                       {"ttft_sum_s", w.ttft_sum_s},
                       {"resident_blocks", w.resident_blocks},
                       {"replica_blocks", w.replica_blocks},
                       {"queue_length", w.queue_length},
                       {"heat_key_accesses", w.heat_key_accesses}});
  }
  nlohmann::ordered_json tracked = nlohmann::ordered_json::array();
  for (const TrackedKey& k : r.tracked_keys) {
    tracked.push_back(
        {{"rank", k.rank}, {"id", k.id}, {"accesses", k.accesses}, {"holders", k.holders}});
  }
  nlohmann::ordered_json heat = nlohmann::ordered_json::array();
  for (const TrackedKey& k : r.heat_keys) {
    heat.push_back({{"rank", k.rank}, {"id", k.id}, {"accesses", k.accesses}});
  }
  nlohmann::ordered_json hot = nlohmann::ordered_json::array();
  for (const RunResult::HotPrefixStat& h : r.hot_prefixes) {
    hot.push_back({{"id", h.id},
                   {"count", h.count},
                   {"intensity", h.intensity},
                   {"slope", h.slope},
                   {"prediction_score", h.prediction_score},
                   {"current_hot", h.current_hot},
                   {"predicted_hot", h.predicted_hot},
                   {"replication_factor", h.replication_factor}});
  }
  return {
      {"requests", r.requests},
      {"served", r.served},
      {"rejected", r.rejected},
      {"cache",
       {{"block_refs", r.block_refs},
        {"hit_blocks", r.hit_blocks},
        {"fetched_blocks", r.fetched_blocks},
        {"input_tokens", r.input_tokens},
        {"hit_tokens", r.hit_tokens},
        {"block_hit_rate", r.block_hit_rate},
        {"token_hit_rate", r.token_hit_rate},
        {"evictions", r.evictions},
        {"stranded_evictions", r.stranded_evictions}}},
      {"balance",
       {{"concentration", r.concentration},
        {"requests_cv", r.requests_cv},
        {"busy_cv", r.busy_cv},
        {"requests_jain", r.requests_jain},
        {"requests_gini", r.requests_gini}}},
      {"latency",
       {{"ttft_mean_s", r.ttft_mean_s},
        {"ttft_p50_s", r.ttft_p50_s},
        {"ttft_p90_s", r.ttft_p90_s},
        {"ttft_p99_s", r.ttft_p99_s},
        {"ttft_max_s", r.ttft_max_s},
        {"queue_wait_mean_s", r.queue_wait_mean_s},
        {"queue_wait_p99_s", r.queue_wait_p99_s},
        {"slo_attainment", r.slo_attainment},
        {"makespan_s", r.makespan_s},
        {"ttft_percentiles_s", r.ttft_percentiles}}},
      {"cost",
       {{"gpu_busy_s", r.gpu_busy_s},
        {"gpu_no_reuse_s", r.gpu_no_reuse_s},
        {"gpu_saved_s", r.gpu_saved_s},
        {"cached_gb_hours", r.cached_gb_hours},
        {"replica_gb_hours", r.replica_gb_hours},
        {"transfer_bytes", r.transfer_bytes},
        {"gpu_dollars", r.gpu_dollars},
        {"storage_dollars", r.storage_dollars},
        {"network_dollars", r.network_dollars},
        {"dollars_per_1000_requests", r.dollars_per_1000_requests}}},
      {"replication",
       {{"replicas_created", r.replicas_created},
        {"peak_holders", r.peak_holders},
        {"copies", r.copies},
        {"copied_blocks", r.copied_blocks},
        {"copies_refused", r.copies_refused},
        {"fetches_dropped", r.fetches_dropped},
        {"replica_blocks_mean", r.replica_blocks_mean},
        {"replica_bytes_mean", r.replica_bytes_mean}}},
      {"seed_scores", {{"traditional", r.traditional_score}}},
      {"nodes", nodes},
      {"window_s", r.window_s},
      {"windows", windows},
      {"sample_period_s", r.sample_period_s},
      {"tracked_keys", tracked},
      {"heat_keys", heat},
      {"hot_prefixes", hot},
  };
}

}  // namespace kvb
