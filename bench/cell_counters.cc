#include "bench/cell_counters.h"

#include <cstdint>

namespace kvb {

CellCounters CountersOf(const RunResult& r) {
  auto n = [](uint64_t v) { return static_cast<double>(v); };
  return {
      // Requests and cache.
      {"requests", n(r.requests)},
      {"served", n(r.served)},
      {"rejected", n(r.rejected)},
      {"block_refs", n(r.block_refs)},
      {"hit_blocks", n(r.hit_blocks)},
      {"hit_rate", r.block_hit_rate},
      {"token_hit_rate", r.token_hit_rate},
      {"fetched_blocks", n(r.fetched_blocks)},
      {"evictions", n(r.evictions)},
      {"stranded_evictions", n(r.stranded_evictions)},
      // Balance.
      {"concentration", r.concentration},
      {"load_cv", r.requests_cv},
      {"busy_cv", r.busy_cv},
      {"jain_index", r.requests_jain},
      {"gini", r.requests_gini},
      // Latency (0 in seed mode).
      {"ttft_mean_s", r.ttft_mean_s},
      {"ttft_p50_s", r.ttft_p50_s},
      {"ttft_p90_s", r.ttft_p90_s},
      {"ttft_p99_s", r.ttft_p99_s},
      {"ttft_max_s", r.ttft_max_s},
      {"queue_wait_mean_s", r.queue_wait_mean_s},
      {"queue_wait_p99_s", r.queue_wait_p99_s},
      {"slo_attainment", r.slo_attainment},
      {"makespan_s", r.makespan_s},
      // Cost.
      {"gpu_seconds", r.gpu_busy_s},
      {"gpu_seconds_no_reuse", r.gpu_no_reuse_s},
      {"gpu_seconds_saved", r.gpu_saved_s},
      {"cached_gb_hours", r.cached_gb_hours},
      {"replica_gb_hours", r.replica_gb_hours},
      {"replica_blocks", r.replica_blocks_mean},
      {"replica_bytes", r.replica_bytes_mean},
      {"transfer_bytes", n(r.transfer_bytes)},
      {"gpu_usd", r.gpu_dollars},
      {"storage_usd", r.storage_dollars},
      {"network_usd", r.network_dollars},
      {"usd_per_1k_requests", r.dollars_per_1000_requests},
      // Replication.
      {"replicas_created", n(r.replicas_created)},
      {"copies", n(r.copies)},
      {"copied_blocks", n(r.copied_blocks)},
      {"copies_refused", n(r.copies_refused)},
      {"fetches_dropped", n(r.fetches_dropped)},
      {"peak_holders", n(r.peak_holders)},
      // The seed's per-cell score.
      {"traditional_score", r.traditional_score},
  };
}

std::vector<std::string> CounterNames() {
  std::vector<std::string> names;
  for (const auto& [name, value] : CountersOf(RunResult{})) names.push_back(name);
  return names;
}

}  // namespace kvb
