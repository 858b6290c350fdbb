#ifndef KVB_CORE_SIM_SIMULATOR_H_
#define KVB_CORE_SIM_SIMULATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster/cluster.h"
#include "core/model/cost_model.h"
#include "core/model/prices.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/run_result.h"
#include "core/strategy/strategy.h"
#include "core/trace/trace.h"

namespace kvb {

// kSeedCompat: the earlier Go simulator's model, reproduced exactly (docs/SEED_MODEL.md:
// per-block hits, no time, last-100-requests load signal; config value "seed").
// kRealistic: contiguous-prefix reuse, simulated time, queues, transfer costs.
enum class SimMode { kSeedCompat, kRealistic };

// How a realistic cluster's nodes serve requests (README "The simulation model").
// kPrefillOnly: one prefill at a time per node, FCFS, nothing decodes (a Mooncake prefill
// pool; every result before the serving engine). kAggregated: every node runs the serving
// engine (continuous batching, chunked prefill, decode; docs/ENGINE.md). kDisaggregated:
// the nodes prefill, then a decode-selection policy picks one of `decode_nodes` decode
// nodes, which receives the KV over both NICs and generates the rest.
enum class ClusterShape { kPrefillOnly, kAggregated, kDisaggregated };
std::string_view ClusterShapeName(ClusterShape shape);
std::optional<ClusterShape> ClusterShapeFromName(std::string_view name);

// Mooncake's early rejection (FAST'25 section 7): at arrival, a disaggregated cell refuses
// a request when the decode pool cannot keep its TBT SLO, judged on the decode nodes'
// current load or on their load predicted for when its prefill ends.
enum class EarlyRejection { kNone, kCurrentLoad, kPredictedLoad };
std::string_view EarlyRejectionName(EarlyRejection rule);
std::optional<EarlyRejection> EarlyRejectionFromName(std::string_view name);

// How routers, decode selection and admission predict prefill and decode-step times,
// apart from the model that advances time (the truth): the truth's own numbers (exact),
// or another profile's model (fitted to other hardware), times a bias, times lognormal
// noise exp(sigma x N(0, 1)) drawn from a hash of (seed, request, reuse): one input, one
// prediction.
struct PredictorConfig {
  double bias = 1;
  double noise_sigma = 0;
  std::optional<CostModel> model;  // predict with this profile's model (and step model)
  bool exact() const { return bias == 1 && noise_sigma == 0 && !model; }
};

// Everything one cell needs besides the trace and the router.
struct SimConfig {
  SimMode mode = SimMode::kRealistic;
  ClusterShape shape = ClusterShape::kPrefillOnly;         // realistic mode only
  size_t decode_nodes = 0;                                 // disaggregated: the decode pool
  std::string decode_selector = "least_loaded";            // disaggregated: registry name
  EarlyRejection early_rejection = EarlyRejection::kNone;  // disaggregated, needs tbt_slo_s
  // Serving shapes: the reused prefix loads into HBM layer by layer under the prefill's
  // compute (only the part longer than the prefill delays it), not before it.
  bool overlap_load = false;
  // Disaggregated: the KV streams to the decode node layer by layer from the prefill's
  // start (Mooncake), not after its end.
  bool stream_kv = false;
  ClusterSpec cluster;
  CostModel cost;  // realistic mode: prefill, load and transfer times
  Prices prices;
  double rate_scale = 1.0;       // arrival times are divided by this (2 = twice the load)
  double ttft_slo_s = 0;         // 0: no SLO (attainment counts every served request)
  bool reject_over_slo = false;  // admission control: reject if predicted TTFT > SLO
  double tbt_slo_s = 0;          // serving shapes: a request's mean TBT SLO (0: none)
  // Serving shapes: load signals routers read (queues, running, KV blocks) are their values
  // at the last multiple of this period (0: exact at every arrival).
  double signal_refresh_s = 0;
  PredictorConfig predictor;
  double window_s = 60;  // time-series window (seed mode: windows of requests_window)
  uint64_t requests_window = 1000;
  double replica_sample_s = 30;
  std::vector<uint32_t> tracked_key_ranks = {1, 10, 100, 1000, 10000};
  // Keys whose accesses every window counts (the most accessed ones; 0: none; <= 1000).
  size_t heat_keys = 20;
  // Count prefixes in a HotspotTracker (for routers, and the run's hottest prefixes).
  bool track_hotspots = false;
  HotspotConfig hotspots;
  // The tracker counts each request's first this many blocks (0: all). Hot-spot rules look
  // at prefixes of up to 8 blocks, and a deeper id is never in more requests than its
  // ancestor at depth 8, so deeper ids add cost (3x on the conversation trace) for little.
  size_t hotspot_prefix_blocks = 8;
  size_t hot_prefixes_reported = 20;
  // Seed mode: blocks a node may hold as replicas beyond its memory (the seed's 500).
  size_t seed_copy_limit_blocks = 500;
  uint64_t seed = 1;
  // Stops the run with SimulationStopped once it has taken this long (wall clock; 0: no
  // limit) or once *cancel is true; both are checked every few hundred requests.
  double wall_time_limit_s = 0;
  const std::atomic<bool>* cancel = nullptr;
  // Called by the simulating thread every 256 requests with requests done, their total and
  // the arrival time (s, from the first request) reached: a progress display. Empty: none.
  std::function<void(size_t done, size_t total, double arrival_s)> on_progress;
};

// Sizes of the engine's private records (x86-64 here), for the memory estimate.
struct EngineRecordBytes {
  uint64_t node_state = 0;       // per node, its queue's header included
  uint64_t queued = 0;           // per waiting request
  uint64_t event = 0;            // per pending completion or copy arrival
  uint64_t links = 0;            // per node, its link's free time
  uint64_t serving_request = 0;  // serving shapes: per request of the trace
  uint64_t serving_node = 0;     // serving shapes: per node
  uint64_t histograms = 0;       // per cell: the gap and prediction-error histograms
};
EngineRecordBytes EngineRecordSizes();

// Thrown by Simulate when SimConfig's time limit passes or its cancel flag is raised.
class SimulationStopped : public std::runtime_error {
 public:
  explicit SimulationStopped(const std::string& what) : std::runtime_error(what) {}
};

// Sets the dollar fields of a realistic run from its GPU seconds (busy, or nodes x makespan
// when GPUs are billed as provisioned), cached GB-hours and bytes moved: pricing is
// separable from simulating, so one run serves every price list.
void ApplyPrices(const Prices& prices, RunResult& result);

// Throws InputError if `config` cannot run on `trace` (rates, windows, block size, node
// speeds, limits); Simulate calls it first. Cheap: for checking a matrix before it runs.
void ValidateSimConfig(const Trace& trace, const SimConfig& config);

// Replays `trace` through the cluster of `config` under `router` and `replication`
// (nullptr: fetched prefixes stay, no other copies, i.e. "mooncake"): one deterministic,
// single-threaded run. Throws InputError for an invalid config.
RunResult Simulate(const Trace& trace, const SimConfig& config, Router& router,
                   ReplicationPolicy* replication = nullptr);
RunResult Simulate(const Trace& trace, const SimConfig& config, Strategy& strategy);

}  // namespace kvb

#endif  // KVB_CORE_SIM_SIMULATOR_H_
