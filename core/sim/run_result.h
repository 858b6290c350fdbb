#ifndef KVB_CORE_SIM_RUN_RESULT_H_
#define KVB_CORE_SIM_RUN_RESULT_H_

#include <cstdint>
#include <vector>

#include "core/trace/trace.h"

namespace kvb {

struct NodeResult {
  uint64_t requests = 0;    // requests served by the node
  double busy_s = 0;        // prefill seconds (GPU busy time)
  uint64_t block_refs = 0;  // blocks of the requests it served
  uint64_t hit_blocks = 0;  // of which reused (local or fetched)
  uint64_t resident_blocks_end = 0;
  // Where the blocks went: fetched for requests it served (in) or sent to other nodes'
  // requests (out); replica copies it received (in) or sent (out).
  uint64_t fetched_blocks_in = 0;
  uint64_t fetched_blocks_out = 0;
  uint64_t replica_blocks_in = 0;
  uint64_t replica_blocks_out = 0;
};

// One window of simulated time (realistic mode) or of requests (seed mode: no time).
struct WindowRow {
  double start_s = 0;
  uint64_t arrivals = 0;
  uint64_t rejected = 0;
  uint64_t served = 0;  // services started in the window
  uint64_t block_refs = 0;
  uint64_t hit_blocks = 0;
  double ttft_sum_s = 0;         // of services started in the window
  uint64_t resident_blocks = 0;  // at the window's end
  uint64_t replica_blocks = 0;   // at the window's end
  // Per node (disaggregated: prefill nodes, then decode nodes), at the window's end: queued
  // and in service (serving shapes: waiting, loading and running).
  std::vector<uint32_t> queue_length;
  // Serving shapes, over the window: HBM KV blocks in use / HBM KV blocks (all nodes), and
  // requests per step while nodes stepped. Steps count in the window where the node ran
  // them; a node runs ahead of the clock by at most the gap to the next arrival.
  double hbm_utilisation = 0;
  double batch_size = 0;
  // Requests arriving in the window that contain each of RunResult::heat_keys.
  std::vector<uint32_t> heat_key_accesses;
};

// Replica counts over time of a key ranked by how many requests contain it.
struct TrackedKey {
  uint32_t rank = 0;  // 1 = the most accessed key
  RawBlockId id = 0;
  uint64_t accesses = 0;          // requests containing it
  std::vector<uint32_t> holders;  // nodes holding it at each sample
  // Heat keys only: the chain of ids in exactly the same requests that `id` ends.
  RawBlockId chain_first_id = 0;
  uint32_t chain_length = 1;
};

// Everything one cell measures. Rates are fractions; times in seconds of simulated time.
struct RunResult {
  // Requests.
  uint64_t requests = 0;
  uint64_t served = 0;
  uint64_t rejected = 0;

  // Cache.
  uint64_t block_refs = 0;      // blocks of served requests
  uint64_t hit_blocks = 0;      // reused: prefix (realistic) or per block (seed)
  uint64_t fetched_blocks = 0;  // of the hits, fetched from another node (global scope)
  uint64_t input_tokens = 0;
  uint64_t hit_tokens = 0;
  double hit_rate = 0;
  double token_hit_rate = 0;
  uint64_t evictions = 0;
  uint64_t stranded_evictions = 0;

  // Balance.
  std::vector<NodeResult> nodes;
  double concentration = 0;  // busiest node's share of requests (the seed's definition)
  double load_cv = 0;        // coefficient of variation of requests per node
  double busy_cv = 0;        // of prefill seconds per node
  double jain_index = 0;
  double gini = 0;

  // Latency (realistic mode; 0 in seed mode).
  double ttft_mean_s = 0, ttft_p50_s = 0, ttft_p90_s = 0, ttft_p99_s = 0, ttft_max_s = 0;
  double queue_wait_mean_s = 0, queue_wait_p99_s = 0;
  double slo_attainment = 0;  // served within the TTFT SLO / all requests (1 without an SLO)
  double makespan_s = 0;      // last completion - first arrival
  // TTFT's parts, means over served requests: queued, fetching from another node, loading
  // the reused prefix from host DRAM, and prefilling (first scheduled to first token).
  double ttft_queue_mean_s = 0, ttft_transfer_mean_s = 0, ttft_load_mean_s = 0;
  double ttft_prefill_mean_s = 0;

  // Serving (aggregated shape; 0 in prefill_only and seed-compat cells).
  double tbt_mean_s = 0;  // per request: mean gap between its output tokens; then mean
  // Per request, the mean of its slowest ceil(10%) of gaps (the Mooncake paper's TBT); mean
  // and 90th percentile over requests.
  double tbt_slowest10_mean_s = 0, tbt_slowest10_p90_s = 0;
  double tbt_max_s = 0;                                 // largest gap of any request
  double itl_p50_s = 0, itl_p90_s = 0, itl_p99_s = 0;   // over every inter-token gap
  double e2e_mean_s = 0, e2e_p50_s = 0, e2e_p99_s = 0;  // arrival to last token
  uint64_t finished = 0;                                // requests whose last token came out
  uint64_t output_tokens = 0;                           // of the finished requests
  double output_tokens_per_s = 0;                       // output_tokens / makespan
  double requests_per_s = 0;                            // served / makespan
  // Share of all requests finishing within both SLOs set (TTFT; mean TBT); NaN when
  // neither is set.
  double goodput = 0;
  uint64_t preemptions = 0;
  uint64_t rejected_router = 0;     // the router refused
  uint64_t router_held = 0;         // requests that waited at the router's queue
  double router_wait_mean_s = 0;    // their mean wait there (0 when none waited)
  uint64_t rejected_admission = 0;  // predicted TTFT over the SLO
  uint64_t rejected_engine = 0;     // prompt + output never fit a node's HBM
  uint64_t rejected_decode = 0;     // disaggregated: refused after the prefill (wasted)
  double wasted_prefill_s = 0;      // prefill seconds of requests refused after it
  uint64_t pd_transfer_bytes = 0;   // disaggregated: KV sent prefill -> decode
  // Tier G1 (nodes keep an HBM prefix cache; the fields below are NaN in tables without):
  bool hbm_prefix_cache = false;
  uint64_t hbm_hit_blocks = 0;  // of hit_blocks, those already in HBM (no load)
  double hbm_hit_rate = 0;      // hbm_hit_blocks / block_refs
  uint64_t hbm_evictions = 0;   // blocks HBM prefix caches evicted
  // Tier G3 (nodes keep an SSD; NaN in tables without):
  bool ssd_tier = false;
  uint64_t ssd_hit_blocks = 0;          // of hit_blocks, those read from SSD
  uint64_t ssd_read_bytes = 0;          // KV read from SSD (then loaded into HBM)
  double ssd_provisioned_gb_hours = 0;  // every node's SSD capacity over the makespan
  double ssd_cached_gb_hours = 0;       // KV bytes resident on SSDs, integrated over time
  uint64_t ssd_write_bytes = 0;         // KV written to SSDs (blocks DRAM demoted)
  double hbm_utilisation_mean = 0;      // KV blocks in use / HBM blocks, over nodes and time
  double batch_size_mean = 0;           // requests in a step, time mean while a node steps
  uint64_t load_bytes = 0;              // reused KV loaded host DRAM -> HBM
  uint64_t fetch_bytes = 0;             // prefixes fetched node -> node (also in transfer_bytes)
  double node_seconds = 0;              // nodes x makespan: provisioned time
  // |predicted / actual - 1| of each served request's prefill (load included) as predicted
  // when it was placed against how long it took: mean and 90th percentile.
  double prediction_error_mean = 0, prediction_error_p90 = 0;

  // Cost.
  double gpu_seconds = 0;           // prefill GPU time used (node-seconds)
  double gpu_seconds_no_reuse = 0;  // what the same requests would cost without any reuse
  double gpu_seconds_saved = 0;
  double cached_gb_hours = 0;       // KV bytes resident, integrated over time
  double provisioned_gb_hours = 0;  // every node's KV capacity over the makespan
  double replica_gb_hours = 0;      // the part held as second and later copies
  uint64_t transfer_bytes = 0;      // fetched or replicated over the network
  double gpu_usd = 0, storage_usd = 0, network_usd = 0;
  double usd_per_1k_requests = 0;

  // Replication.
  uint64_t replicas_created = 0;  // blocks copied to a node that had another holder
  uint64_t copies = 0;            // replication copies started (router or policy)
  uint64_t copied_blocks = 0;     // blocks those copies sent
  uint64_t copies_refused = 0;    // copies the replica budget refused
  uint64_t fetches_dropped = 0;   // services whose fetched prefix was not kept
  uint32_t peak_holders = 0;      // most nodes ever holding one block
  // Blocks held as second and later copies, averaged over the run (realistic: over time;
  // seed: after each request), and in bytes (realistic mode only).
  double replica_blocks = 0;
  double replica_bytes = 0;

  // The seed's per-cell score (its net benefit needs the other cells: see metrics).
  double traditional_score = 0;

  // Time series.
  double window_s = 0;
  std::vector<WindowRow> windows;
  double sample_period_s = 0;
  std::vector<TrackedKey> tracked_keys;
  // The prefix chains in most requests, most accessed first (SimConfig::heat_keys of them),
  // each named by its deepest id, whose accesses each window counts; and TTFT percentiles 0, 1,
  // ..., 100 (realistic mode).
  std::vector<TrackedKey> heat_keys;
  std::vector<double> ttft_percentiles;

  // With SimConfig::track_hotspots: the hottest prefixes at the end (raw ids).
  struct HotPrefixStat {
    RawBlockId id = 0;
    double count = 0;
    double intensity = 0;
    double slope = 0;
    double prediction_score = 0;
    bool current_hot = false;
    bool predicted_hot = false;
    int replication_factor = 1;
  };
  std::vector<HotPrefixStat> hot_prefixes;
};

}  // namespace kvb

#endif  // KVB_CORE_SIM_RUN_RESULT_H_
