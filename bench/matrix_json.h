#ifndef KVB_BENCH_MATRIX_JSON_H_
#define KVB_BENCH_MATRIX_JSON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/matrix/matrix.h"
#include "core/trace/trace.h"

namespace kvb {

// A matrix file (configs/**/*.json) parsed field by field. Optional fields hold their
// defaults after parsing, so MatrixConfigToJson shows every value a run uses.
struct ClusterConfig {
  std::string name;
  std::string mode;              // "seed" or "realistic"
  uint64_t nodes = 0;            // default: seed 4, realistic 16
  std::string capacity;          // "<number><unit>"; default: seed 512blocks, realistic DRAM
  uint64_t capacity_blocks = 0;  // resolved from capacity and the profile
  std::string eviction;          // default: seed lfu, realistic lru
  std::string scope = "local";   // "local", "global" or "pool"
  std::string pool_placement = "local";  // pool scope: "local", "hashed" or "balanced"
  std::string profile;                   // name (profiles/<name>.json above the file) or .json path
  std::string profile_path;              // resolved file; empty = the built-in default profile
                                         // (DefaultProfile(), twin of its file in configs/profiles)
  // "prefill_only", "aggregated" or "disaggregated" (realistic mode); disaggregated:
  // `nodes` prefill nodes and `decode_nodes` decode nodes.
  std::string shape = "prefill_only";
  uint64_t decode_nodes = 0;
  std::string decode_selector = "least_loaded";  // disaggregated: decode-selection policy
  std::string early_rejection = "none";  // disaggregated: none, current_load, predicted_load
  bool overlap_load = false;  // serving shapes: prefix load layer by layer under the prefill
  bool stream_kv = false;     // disaggregated: KV streamed to the decode node from the start
  // Serving shapes: tier G1's eviction policy (the cluster's "hbm_cache"); empty: HBM keeps
  // no prefix cache. "through" or "back": when DRAM receives blocks (ClusterSpec::dram_write).
  std::string hbm_cache_eviction;
  std::string dram_write = "through";
  // Realistic mode: tier G3, the cluster's "ssd" (capacity per node, default the profile's
  // hardware.ssd_bytes; eviction policy); 0 blocks: no SSD.
  std::string ssd_capacity;
  uint64_t ssd_capacity_blocks = 0;
  std::string ssd_eviction;
  bool ssd_pooled = false;      // pool scope: the SSDs join the pool ("ssd": {"pooled": true})
  double ttft_slo_s = 0;        // 0: no SLO
  double tbt_slo_s = 0;         // serving shapes: mean-TBT SLO; 0: none
  double signal_refresh_s = 0;  // serving shapes: load signals' refresh period; 0: exact
  // The predictor routers and admission use (SimConfig::predictor): bias, lognormal noise,
  // and another profile's model (name or .json path, resolved like `profile`).
  double predictor_bias = 1;
  double predictor_noise_sigma = 0;
  std::string predictor_profile;       // empty: the cluster's own model
  std::string predictor_profile_path;  // resolved
  bool reject_over_slo = false;        // admission control against the SLO
  bool track_hotspots = false;         // report the hottest prefixes (HotspotTracker)
};

struct TraceConfig {
  std::string name;
  std::string file;                       // a trace file (path as written), or
  std::string preset;                     // a generator preset name or workload .json
  uint64_t requests = 0;                  // preset: requests to generate (default: the preset's)
  uint64_t seed = 1;                      // preset, or a file without hashes: generator seed
  std::string format = "mooncake";        // file: its dialect (TraceFormats())
  uint32_t block_tokens = 512;            // file: tokens per hash id (default: the format's)
  std::string timestamp_unit = "ms";      // file: ms, s or us (default: the format's)
  uint32_t reblock_tokens = 0;            // file: re-block to this many tokens; 0: keep
  std::string prefixes = "conversation";  // file without hashes: its prefixes' workload
  std::string prefixes_path;              // resolved, when prefixes names a .json
  bool skip_invalid = false;              // file: skip bad lines instead of failing
  uint32_t arrival_jitter_ms = 0;         // with jitter_seeds: spread arrivals over this (ms)
  std::string arrival_jitter_order = "keep";  // "keep" or "shuffle" (JitterOrder)
  std::string resolved_path;                  // file or workload .json, resolved against the config
};

struct PricesConfig {
  std::string name;
  std::optional<double> gpu_dollars_per_node_hour;    // unset ("profile"): the cluster's hardware
  std::optional<double> storage_dollars_per_gb_hour;  // unset ("profile"): its DRAM list price
  double network_dollars_per_gb = 0.0;
  std::string gpu_billing = "busy";  // "busy" (GPU seconds used) or "provisioned" (rented)
  // "provisioned" (every node's KV capacity for the run) or "occupied" (bytes resident)
  std::string storage_billing = "provisioned";
};

struct ExclusionConfig {
  std::string strategy, cluster, trace;  // empty: any
};

struct CellConfigEntry {
  std::string strategy, cluster, trace, prices;
  double rate_scale = 0;
  uint64_t seed = 0;
  uint64_t jitter_seed = 0;  // with jitter_seeds
};

struct MatrixConfig {
  std::string source;  // the file, as given
  std::string name;
  std::string description;
  std::vector<std::string> strategies;  // canonical, wildcards expanded
  std::vector<ClusterConfig> clusters;
  std::vector<TraceConfig> traces;
  std::vector<PricesConfig> prices;
  std::vector<double> rate_scales = {1.0};
  std::vector<uint64_t> seeds = {1};
  // Arrival jitter seeds: each trace with arrival_jitter_ms runs under each (0: as
  // recorded); empty: no jitter axis.
  std::vector<uint64_t> jitter_seeds;
  std::vector<ExclusionConfig> exclude;
  std::vector<CellConfigEntry> cells;
  double cell_time_limit_s = 0;  // 0: none
  // The largest estimated heap of one cell (EstimateCellMemory): "auto" (kvbench's default,
  // physical memory / worker threads) or a size ("16GB", "512MiB"); kvbench refuses a
  // matrix with a cell over it before any cell runs.
  std::string cell_memory_limit = "auto";
  std::optional<uint64_t> cell_memory_limit_bytes;  // resolved; nullopt: "auto"
};

// Parses a matrix file. Throws InputError "FILE: clusters[2].capacity: ..." for an unknown
// or missing field or a bad value (strategies, evictions, profiles and labels are checked).
MatrixConfig ParseMatrixConfig(const nlohmann::json& json, const std::string& source);
MatrixConfig ReadMatrixConfig(const std::string& path);

// One trace entry (as in "traces"), paths relative to the working folder; for flags
// like kvbench --preset. Errors read "SOURCE: trace.preset: ...".
TraceConfig ParseTraceConfig(const nlohmann::json& json, const std::string& source);

// Every field of a parsed config, defaults included (kvbench --print-config).
nlohmann::ordered_json MatrixConfigToJson(const MatrixConfig& config);

// A documented template: one cluster per mode and every optional field at its default.
nlohmann::ordered_json MatrixConfigTemplate();

// Replaces the config's traces by one (kvbench --trace / --preset); exclusions and explicit
// cells that named a trace are pointed at it; it takes the largest arrival_jitter_ms (and
// its order) of the traces it replaces unless it sets a larger one.
void OverrideTraces(MatrixConfig& config, const TraceConfig& trace);

// Loads traces once per process: the same file or preset (with size and seed) is shared.
class TraceCache {
 public:
  std::shared_ptr<const Trace> Get(const TraceConfig& trace, const std::string& where);
  // "name=<16 hex digest>" of every trace loaded, in load order.
  const std::vector<std::pair<std::string, std::string>>& digests() const { return digests_; }
  // Read warnings of every file loaded (DescribeReadWarnings), for the person running.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // With `show` set, each trace read or generated gets a line on stderr before and after.
  void set_progress(bool show) { progress_ = show; }

 private:
  std::map<std::string, std::shared_ptr<const Trace>> loaded_;
  std::vector<std::pair<std::string, std::string>> digests_;
  std::vector<std::string> warnings_;
  bool progress_ = false;
};

// The runnable matrix of a config: traces loaded through `traces`, clusters resolved into
// SimConfigs. Throws InputError (with the config path) when a trace cannot be read or a
// realistic cluster's profile disagrees with a trace's block size.
MatrixSpec BuildMatrixSpec(const MatrixConfig& config, TraceCache& traces);

}  // namespace kvb

#endif  // KVB_BENCH_MATRIX_JSON_H_
