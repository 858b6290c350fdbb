#ifndef KVB_CORE_SIM_RUN_TELEMETRY_H_
#define KVB_CORE_SIM_RUN_TELEMETRY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/cluster/cluster.h"
#include "core/metrics/time_weighted_average.h"
#include "core/sim/run_result.h"
#include "core/sim/simulator.h"
#include "core/trace/trace.h"

namespace kvb {

// The k ids of highest count, by count descending then id ascending (a counting sort).
std::vector<BlockId> TopIdsByCount(const std::vector<uint32_t>& count, size_t k);

// What a run records over time besides its totals: windows (of simulated time, or of
// requests in seed-compat mode), the replica counts of tracked keys, heat-key accesses,
// storage integrals, and the TTFT and queue-wait distributions. Writes into the RunResult
// it is given; knows nothing of how nodes serve requests.
class RunTelemetry {
 public:
  // `queue_length(node)`: the node's queue as a window closes. References must outlive it.
  RunTelemetry(const Trace& trace, const SimConfig& config, const Cluster& cluster,
               RunResult& result, std::function<uint32_t(size_t node)> queue_length);

  // The window of request i (seed-compat) or of time t (realistic), created if needed.
  WindowRow& WindowFor(uint32_t i, double t);
  // Counts the request's heat keys in `window`.
  void CountHeatKeys(const Request& r, WindowRow& window) const;
  // The clock moves from its last value to t > it (realistic): closes the windows that
  // ended and samples the tracked keys. Throws InputError when t would make more rows than
  // memory allows (the cluster cannot keep up with the trace).
  void AdvanceTo(double t);
  // Realistic: the cluster's resident and replica blocks changed at t.
  void SampleStorage(double t);
  // Realistic: a service started, `ttft_s` after its arrival, having waited `queue_wait_s`.
  void RecordService(double ttft_s, double queue_wait_s) {
    ttft_s_.push_back(ttft_s);
    queue_wait_s_.push_back(queue_wait_s);
  }
  // Serving shapes: `totals()` sums the engines' integrals so far; windows then report HBM
  // utilisation (over `kv_blocks`, the HBM blocks of all nodes) and batch size, and queue
  // lengths for `nodes` nodes (decode nodes included).
  struct EngineTotals {
    double used_block_s = 0, batch_s = 0, busy_s = 0;
  };
  void TrackEngines(std::function<EngineTotals()> totals, double kv_blocks, size_t nodes);
  // Seed-compat: the replica blocks after a request.
  void RecordSeedReplicas(uint64_t replica_blocks) {
    seed_replica_block_sum_ += static_cast<double>(replica_blocks);
  }

  // Closes the last window and fills the result's latency, SLO, storage and replica
  // fields; `now_s` is the engine's clock at the end (realistic).
  void Finish(double now_s);

 private:
  void PrepareTrackedKeys();
  void PrepareHeatChains(const std::vector<uint32_t>& count);
  void EnsureWindow(size_t index);
  // Records the end state of the window, which ends at end_s.
  void CloseWindow(WindowRow& row, double end_s);

  const Trace& trace_;
  const SimConfig& config_;
  const Cluster& cluster_;
  RunResult& result_;
  std::function<uint32_t(size_t)> queue_length_;
  size_t queue_nodes_;
  std::function<EngineTotals()> engine_totals_;  // empty unless serving
  EngineTotals last_totals_;
  double kv_blocks_ = 0;
  std::vector<double> ttft_s_;
  std::vector<double> queue_wait_s_;
  std::vector<BlockId> tracked_ids_;
  std::vector<uint16_t> heat_rank_;  // per id: 1 + its rank among the heat keys, or 0
  double next_sample_s_ = 0;
  double seed_replica_block_sum_ = 0;    // seed-compat: replica blocks after each request
  TimeWeightedAverage resident_blocks_;  // blocks resident over the cluster, over time
  TimeWeightedAverage replica_blocks_;
  TimeWeightedAverage ssd_resident_blocks_;  // blocks resident on SSDs, over time
};

}  // namespace kvb

#endif  // KVB_CORE_SIM_RUN_TELEMETRY_H_
