#include "core/sim/metric_table.h"

#include <array>

#include "core/util/names.h"

namespace kvb {

std::span<const MetricSpec> Metrics() {
  static const MetricSpec kMetrics[] = {
      {"requests", "requests", Better::kNeither, false, "requests", "requests in the trace",
       [](const RunResult& r) { return static_cast<double>(r.requests); }, true, true},
      {"served", "requests", Better::kHigher, false, "requests",
       "requests served (prefill started)",
       [](const RunResult& r) { return static_cast<double>(r.served); }, true, true},
      {"rejected", "requests", Better::kLower, false, "requests",
       "requests rejected by the router or admission",
       [](const RunResult& r) { return static_cast<double>(r.rejected); }, true, true},
      {"block_refs", "blocks", Better::kNeither, false, "cache", "blocks of the served requests",
       [](const RunResult& r) { return static_cast<double>(r.block_refs); }, true, true},
      {"hit_blocks", "blocks", Better::kHigher, false, "cache",
       "of them reused: contiguous prefix (realistic) or per block (seed-compat)",
       [](const RunResult& r) { return static_cast<double>(r.hit_blocks); }, true, true},
      {"fetched_blocks", "blocks", Better::kNeither, false, "cache",
       "of the hits, fetched from another node (global scope)",
       [](const RunResult& r) { return static_cast<double>(r.fetched_blocks); }, true, true},
      {"input_tokens", "tokens", Better::kNeither, false, "cache",
       "prompt tokens of the served requests",
       [](const RunResult& r) { return static_cast<double>(r.input_tokens); }, false, true},
      {"hit_tokens", "tokens", Better::kHigher, false, "cache", "of them reused",
       [](const RunResult& r) { return static_cast<double>(r.hit_tokens); }, false, true},
      {"hit_rate", "fraction", Better::kHigher, true, "cache", "hit blocks / block references",
       [](const RunResult& r) { return r.hit_rate; }},
      {"token_hit_rate", "fraction", Better::kHigher, true, "cache", "hit tokens / input tokens",
       [](const RunResult& r) { return r.token_hit_rate; }},
      {"evictions", "blocks", Better::kNeither, false, "cache", "blocks evicted from node caches",
       [](const RunResult& r) { return static_cast<double>(r.evictions); }, true, true},
      {"stranded_evictions", "blocks", Better::kNeither, false, "cache",
       "evictions of blocks whose ancestors stayed (unreachable suffixes)",
       [](const RunResult& r) { return static_cast<double>(r.stranded_evictions); }, true, true},
      {"concentration", "fraction", Better::kLower, true, "balance",
       "the busiest node's share of requests (the earlier simulator's definition)",
       [](const RunResult& r) { return r.concentration; }},
      {"load_cv", "ratio", Better::kLower, false, "balance",
       "coefficient of variation of requests per node",
       [](const RunResult& r) { return r.load_cv; }},
      {"busy_cv", "ratio", Better::kLower, false, "balance",
       "coefficient of variation of prefill seconds per node",
       [](const RunResult& r) { return r.busy_cv; }},
      {"jain_index", "ratio", Better::kHigher, false, "balance",
       "Jain's fairness index of requests per node (1 = even)",
       [](const RunResult& r) { return r.jain_index; }},
      {"gini", "ratio", Better::kLower, false, "balance",
       "Gini coefficient of requests per node (0 = even)",
       [](const RunResult& r) { return r.gini; }},
      {"ttft_mean_s", "s", Better::kLower, false, "latency",
       "time to first token, mean (realistic; 0 in seed-compat)",
       [](const RunResult& r) { return r.ttft_mean_s; }},
      {"ttft_p50_s", "s", Better::kLower, false, "latency", "time to first token, median",
       [](const RunResult& r) { return r.ttft_p50_s; }},
      {"ttft_p90_s", "s", Better::kLower, false, "latency", "time to first token, 90th percentile",
       [](const RunResult& r) { return r.ttft_p90_s; }},
      {"ttft_p99_s", "s", Better::kLower, false, "latency", "time to first token, 99th percentile",
       [](const RunResult& r) { return r.ttft_p99_s; }},
      {"ttft_max_s", "s", Better::kLower, false, "latency", "time to first token, largest",
       [](const RunResult& r) { return r.ttft_max_s; }},
      {"queue_wait_mean_s", "s", Better::kLower, false, "latency",
       "time queued before the prefill started, mean",
       [](const RunResult& r) { return r.queue_wait_mean_s; }},
      {"queue_wait_p99_s", "s", Better::kLower, false, "latency", "time queued, 99th percentile",
       [](const RunResult& r) { return r.queue_wait_p99_s; }},
      {"slo_attainment", "fraction", Better::kHigher, true, "latency",
       "requests served within the TTFT SLO / all requests (every served one when no SLO is set)",
       [](const RunResult& r) { return r.slo_attainment; }},
      {"makespan_s", "s", Better::kNeither, false, "latency", "last completion - first arrival",
       [](const RunResult& r) { return r.makespan_s; }},
      {"gpu_seconds", "s", Better::kLower, false, "cost", "prefill GPU time used (node-seconds)",
       [](const RunResult& r) { return r.gpu_seconds; }},
      {"gpu_seconds_no_reuse", "s", Better::kNeither, false, "cost",
       "what the same requests would take without reuse",
       [](const RunResult& r) { return r.gpu_seconds_no_reuse; }},
      {"gpu_seconds_saved", "s", Better::kHigher, false, "cost", "GPU seconds reuse saved",
       [](const RunResult& r) { return r.gpu_seconds_saved; }},
      {"cached_gb_hours", "GB-hours", Better::kNeither, false, "cost",
       "KV bytes resident in node caches, integrated over time",
       [](const RunResult& r) { return r.cached_gb_hours; }},
      {"replica_gb_hours", "GB-hours", Better::kLower, false, "cost",
       "the part held as second and later copies",
       [](const RunResult& r) { return r.replica_gb_hours; }},
      {"replica_blocks", "blocks", Better::kLower, false, "cost",
       "blocks held as second and later copies, time mean (seed-compat: mean after each request)",
       [](const RunResult& r) { return r.replica_blocks; }},
      {"replica_bytes", "bytes", Better::kLower, false, "cost",
       "replica_blocks in bytes (realistic)", [](const RunResult& r) { return r.replica_bytes; }},
      {"transfer_bytes", "bytes", Better::kLower, false, "cost",
       "bytes fetched or copied between nodes",
       [](const RunResult& r) { return static_cast<double>(r.transfer_bytes); }, true, true},
      {"gpu_usd", "USD", Better::kLower, false, "cost", "GPU cost under the cell's price list",
       [](const RunResult& r) { return r.gpu_usd; }},
      {"storage_usd", "USD", Better::kLower, false, "cost", "KV storage cost",
       [](const RunResult& r) { return r.storage_usd; }},
      {"network_usd", "USD", Better::kLower, false, "cost", "network cost",
       [](const RunResult& r) { return r.network_usd; }},
      {"usd_per_1k_requests", "USD", Better::kLower, false, "cost",
       "total cost per 1,000 served requests",
       [](const RunResult& r) { return r.usd_per_1k_requests; }},
      {"replicas_created", "blocks", Better::kNeither, false, "replication",
       "blocks copied to a node while another held them",
       [](const RunResult& r) { return static_cast<double>(r.replicas_created); }, true, true},
      {"copies", "copies", Better::kNeither, false, "replication",
       "replication copies started (router or policy)",
       [](const RunResult& r) { return static_cast<double>(r.copies); }, true, true},
      {"copied_blocks", "blocks", Better::kNeither, false, "replication",
       "blocks those copies sent",
       [](const RunResult& r) { return static_cast<double>(r.copied_blocks); }, true, true},
      {"copies_refused", "copies", Better::kNeither, false, "replication",
       "copies the replica budget refused",
       [](const RunResult& r) { return static_cast<double>(r.copies_refused); }, true, true},
      {"fetches_dropped", "requests", Better::kNeither, false, "replication",
       "services whose fetched prefix was not kept",
       [](const RunResult& r) { return static_cast<double>(r.fetches_dropped); }, true, true},
      {"peak_holders", "nodes", Better::kNeither, false, "replication",
       "most nodes ever holding one block",
       [](const RunResult& r) { return static_cast<double>(r.peak_holders); }, true, true},
      {"traditional_score", "ratio", Better::kHigher, false, "seed_scores",
       "hit rate / concentration, the earlier simulator's score (0 when concentration is 0)",
       [](const RunResult& r) { return r.traditional_score; }},
  };
  return kMetrics;
}

const MetricSpec* FindMetric(std::string_view name) { return FindByName(Metrics(), name); }

std::string_view BetterName(Better better) {
  switch (better) {
    case Better::kHigher:
      return "higher";
    case Better::kLower:
      return "lower";
    case Better::kNeither:
      break;
  }
  return "neither";
}

}  // namespace kvb
