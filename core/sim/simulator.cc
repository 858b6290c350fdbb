#include "core/sim/simulator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <numeric>
#include <queue>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "core/cluster/hbm_prefix_cache.h"
#include "core/decode/decode_selector.h"
#include "core/engine/node_engine.h"
#include "core/engine/serving.h"
#include "core/engine/step_model.h"
#include "core/metrics/log_histogram.h"
#include "core/metrics/seed_scores.h"
#include "core/metrics/statistics.h"
#include "core/policy/cluster_view.h"
#include "core/sim/link_schedule.h"
#include "core/sim/replica_manager.h"
#include "core/sim/run_telemetry.h"
#include "core/util/input_error.h"
#include "core/util/mix.h"
#include "core/util/names.h"

namespace kvb {

namespace {

constexpr size_t kSeedRecentRequests = 100;  // the seed's load signal: last 100 requests
constexpr size_t kMaxHeatKeys = 1000;        // every window holds a count per heat key
constexpr double kMaxTimeRows = 1e6;         // windows or replica samples kept in memory
// The prediction-error histogram: |predicted / actual - 1| from 1e-9 to 1e4, 1% buckets.
constexpr double kErrorMin = 1e-9, kErrorMax = 1e4, kErrorBucketWidth = 0.01;

// A request waiting on a node.
struct Queued {
  uint32_t request;
  double arrival_s;
  double predicted_s;
  uint32_t fetch_from;  // RouteDecision::fetch_from
  uint32_t fetch_to;
  uint32_t pending_blocks;  // counted in the node's pending prefill blocks
};

// A request waiting at the router's queue (Router::Holds): released lowest rank first,
// then in arrival order.
struct Held {
  double rank;
  uint64_t seq;
  uint32_t request;
  double arrival_s;
  bool operator>(const Held& o) const { return rank != o.rank ? rank > o.rank : seq > o.seq; }
};
// DynamoStateBytes counts 32 B per waiting request.
static_assert(sizeof(Held) == 32);

// A service in flight on a node.
struct InService {
  uint32_t request = 0;
  double end_s = 0;
  uint32_t local = 0;    // blocks the node held itself when the service started
  uint32_t fetched = 0;  // blocks fetched from another node
  uint32_t pending_blocks = 0;
};

// Events of the realistic loop, ordered by time, then kind (completions first), then id.
// Serving shapes: a first or last token (id: node << 32 | the request's index on the node).
enum EventKind : uint32_t { kCompletion = 0, kCopyArrival = 1, kFirstToken = 2, kLastToken = 3 };
struct Event {
  double t;
  EventKind kind;
  uint64_t id;  // node (completion) or copy sequence number
  bool operator>(const Event& o) const {
    return t != o.t ? t > o.t : kind != o.kind ? kind > o.kind : id > o.id;
  }
};

// Serving shapes: a request placed on a node's engine.
struct Placed {
  uint32_t node = 0;  // its (prefill) node
  double arrival_s = 0;
  double first_token_s = 0;
  double transfer_s = 0;   // fetching the prefix from another node
  double load_s = 0;       // loading the reused prefix host DRAM -> HBM
  double predicted_s = 0;  // its predicted prefill, in the node's queued work until done
  uint32_t local = 0;      // blocks the node held itself
  uint32_t fetched = 0;    // blocks fetched from another node
  uint32_t pending_blocks = 0;
  uint32_t hbm_hit = 0;  // of the local blocks, the leading ones already in HBM (no load)
  uint32_t ssd_hit = 0;  // of the local blocks, those read from SSD
};

// A request's leading blocks on a node held in HBM, in HBM or DRAM, and in any local tier.
struct TierRuns {
  uint32_t hbm = 0, memory = 0, local = 0;
};

// What a reuse loads: tokens into HBM (all but the HBM run), of them those read from SSD
// first (and their blocks), and the seconds both take.
struct LoadSplit {
  uint32_t h2d_tokens = 0, ssd_tokens = 0, ssd_blocks = 0;
  double seconds = 0;
};

// Where a request's prefix comes from: `local` blocks held by the node, up to `best` from
// `source` (== the node: no fetch).
// Pool scope: source == kPoolSource, each block from its least busy holder.
struct FetchPlan {
  uint32_t local = 0;
  uint32_t source = 0;
  uint32_t best = 0;
};
constexpr uint32_t kPoolSource = 0xfffffff0u;

struct NodeState {
  std::deque<Queued> queue;
  bool busy = false;
  InService current;
  uint64_t routed = 0;  // seed mode: requests routed to the node (its list is min(routed, 100))
};

}  // namespace

EngineRecordBytes EngineRecordSizes() {
  return {sizeof(NodeState), sizeof(Queued), sizeof(Event), sizeof(double),
          // Per request: its Placed record, its node's engine records and their index.
          sizeof(Placed) + NodeEngine::BytesPerRequest() + sizeof(uint32_t),
          // Per node: its engine and its serving signals.
          sizeof(NodeEngine) + 2 * sizeof(uint32_t) * 3 + sizeof(uint64_t) * 3 +
              sizeof(DecodeNodeState),
          LogHistogram::EstimateBytes() +
              LogHistogram::EstimateBytes(kErrorMin, kErrorMax, kErrorBucketWidth)};
}

namespace {

constexpr EnumName<ClusterShape> kShapeNames[] = {{ClusterShape::kPrefillOnly, "prefill_only"},
                                                  {ClusterShape::kAggregated, "aggregated"},
                                                  {ClusterShape::kDisaggregated, "disaggregated"}};
constexpr EnumName<EarlyRejection> kEarlyRejectionNames[] = {
    {EarlyRejection::kNone, "none"},
    {EarlyRejection::kCurrentLoad, "current_load"},
    {EarlyRejection::kPredictedLoad, "predicted_load"}};

}  // namespace

std::string_view ClusterShapeName(ClusterShape shape) { return NameOf(kShapeNames, shape); }
std::optional<ClusterShape> ClusterShapeFromName(std::string_view name) {
  return ValueNamed(kShapeNames, name);
}
std::string_view EarlyRejectionName(EarlyRejection rule) {
  return NameOf(kEarlyRejectionNames, rule);
}
std::optional<EarlyRejection> EarlyRejectionFromName(std::string_view name) {
  return ValueNamed(kEarlyRejectionNames, name);
}

void ValidateSimConfig(const Trace& trace, const SimConfig& config) {
  if (!(config.rate_scale > 0)) {
    throw InputError(absl::StrCat("rate_scale: must be > 0, got ", config.rate_scale));
  }
  if (!(config.window_s > 0)) throw InputError("window_s: must be > 0");
  if (config.mode == SimMode::kRealistic && config.cost.block_tokens() != trace.block_tokens()) {
    throw InputError(absl::StrCat("profile.block_tokens: ", config.cost.block_tokens(),
                                  " differs from the trace's ", trace.block_tokens(),
                                  " tokens per block"));
  }
  if (!(config.replica_sample_s > 0)) throw InputError("replica_sample_s: must be > 0");
  if (config.cluster.scope == CacheScope::kPool && config.mode != SimMode::kRealistic) {
    throw InputError("cluster.scope: \"pool\" needs the realistic mode");
  }
  if (config.mode == SimMode::kSeedCompat && config.seed_copy_limit_blocks == 0) {
    throw InputError("seed_copy_limit_blocks: must be > 0");
  }
  if (config.requests_window == 0) throw InputError("requests_window: must be > 0");
  if (config.heat_keys > kMaxHeatKeys) {
    throw InputError(absl::StrCat("heat_keys: at most ", kMaxHeatKeys, ", got ", config.heat_keys));
  }
  // Windows and samples are kept in memory: refuse settings that would make millions.
  const double span_s = static_cast<double>(trace.last_arrival_ms() - trace.first_arrival_ms()) /
                        1000.0 / config.rate_scale;
  if (config.mode == SimMode::kRealistic && span_s / config.window_s > kMaxTimeRows) {
    throw InputError(absl::StrCat("window_s: ", config.window_s, " s makes more than ",
                                  kMaxTimeRows, " windows over ", span_s, " s of arrivals"));
  }
  if (config.mode == SimMode::kRealistic && span_s / config.replica_sample_s > kMaxTimeRows) {
    throw InputError(absl::StrCat("replica_sample_s: ", config.replica_sample_s,
                                  " s makes more than ", kMaxTimeRows, " samples over ", span_s,
                                  " s of arrivals"));
  }
  for (size_t n = 0; n < config.cluster.nodes.size(); ++n) {
    if (!(config.cluster.nodes[n].speed > 0)) {
      throw InputError(absl::StrCat("cluster.nodes[", n, "].speed: must be > 0"));
    }
  }
  if (!(config.tbt_slo_s >= 0) || !std::isfinite(config.tbt_slo_s)) {
    throw InputError("tbt_slo_s: must be a finite number >= 0");
  }
  if (!(config.signal_refresh_s >= 0) || !std::isfinite(config.signal_refresh_s)) {
    throw InputError("signal_refresh_s: must be a finite number >= 0");
  }
  const bool disaggregated = config.shape == ClusterShape::kDisaggregated;
  if (disaggregated != (config.decode_nodes > 0)) {
    throw InputError(disaggregated ? "decode_nodes: a disaggregated cluster needs >= 1"
                                   : "decode_nodes: only a disaggregated cluster has them");
  }
  if (disaggregated && FindDecodeSelector(config.decode_selector) == nullptr) {
    throw InputError(absl::StrCat("decode_selector: unknown '", config.decode_selector,
                                  "' (known: ", JoinNames(DecodeSelectors()), ")"));
  }
  if (config.stream_kv && !disaggregated) {
    throw InputError("stream_kv: only a disaggregated cluster sends KV to decode nodes");
  }
  if (config.overlap_load && config.shape == ClusterShape::kPrefillOnly) {
    throw InputError("overlap_load: needs a serving shape");
  }
  if (config.cluster.hbm_prefix_cache) {
    if (config.shape == ClusterShape::kPrefillOnly) {
      throw InputError("cluster.hbm_cache: needs a serving shape (HBM is the engine's memory)");
    }
    RequireEvictionPolicy(config.cluster.hbm_eviction, "cluster.hbm_cache.eviction");
  } else if (config.cluster.dram_write == DramWrite::kBack) {
    throw InputError("cluster.dram_write: \"back\" needs an HBM prefix cache (hbm_cache)");
  }
  for (size_t n = 0; n < config.cluster.nodes.size(); ++n) {
    const NodeSpec& node = config.cluster.nodes[n];
    if (node.ssd_capacity_blocks == 0) continue;
    if (config.mode != SimMode::kRealistic) {
      throw InputError(absl::StrCat("cluster.nodes[", n, "].ssd: needs the realistic mode"));
    }
    if (!(config.cost.hardware().ssd_read_bytes_per_s > 0)) {
      throw InputError(absl::StrCat("cluster.nodes[", n,
                                    "].ssd: the profile has no hardware.ssd_read_bytes_per_s"));
    }
    RequireEvictionPolicy(node.ssd_eviction, absl::StrCat("cluster.nodes[", n, "].ssd.eviction"));
  }
  if (config.cluster.pool_ssd) {
    if (config.cluster.scope != CacheScope::kPool) {
      throw InputError("cluster.ssd.pooled: needs scope \"pool\"");
    }
    if (std::none_of(config.cluster.nodes.begin(), config.cluster.nodes.end(),
                     [](const NodeSpec& n) { return n.ssd_capacity_blocks > 0; })) {
      throw InputError("cluster.ssd.pooled: no node has an SSD");
    }
  }
  if (config.early_rejection != EarlyRejection::kNone &&
      (!disaggregated || config.tbt_slo_s <= 0)) {
    throw InputError("early_rejection: needs a disaggregated cluster and tbt_slo_s > 0");
  }
  const PredictorConfig& predictor = config.predictor;
  if (!(predictor.bias > 0) || !std::isfinite(predictor.bias)) {
    throw InputError("predictor.bias: must be a finite number > 0");
  }
  if (!(predictor.noise_sigma >= 0) || !(predictor.noise_sigma <= 5)) {
    throw InputError("predictor.noise_sigma: must be in [0, 5]");
  }
  if (predictor.model && config.shape != ClusterShape::kPrefillOnly &&
      !predictor.model->serving()) {
    throw InputError(
        "predictor.profile: a serving shape needs a profile with a \"serving\" section");
  }
  if (config.shape == ClusterShape::kPrefillOnly) {
    if (config.tbt_slo_s > 0)
      throw InputError("tbt_slo_s: needs a serving shape (nothing decodes)");
    if (config.signal_refresh_s > 0) {
      throw InputError("signal_refresh_s: needs a serving shape");
    }
    return;
  }
  if (config.mode != SimMode::kRealistic) {
    throw InputError(absl::StrCat("shape: '", std::string(ClusterShapeName(config.shape)),
                                  "' needs the realistic mode"));
  }
  if (!config.cost.serving()) {
    throw InputError(absl::StrCat("shape: '", std::string(ClusterShapeName(config.shape)),
                                  "' needs a profile with a \"serving\" section"));
  }
  for (size_t n = 0; n < config.cluster.nodes.size(); ++n) {
    if (config.cluster.nodes[n].speed != 1.0) {
      throw InputError(absl::StrCat("cluster.nodes[", n,
                                    "].speed: serving shapes take node "
                                    "speeds from the step model (1 only)"));
    }
  }
}

// The engine of one cell: arrivals, routing, per-node FCFS prefill service in simulated
// time (or, in seed-compat mode, service at once); copies go to ReplicaManager and what is
// recorded over time to RunTelemetry.
class Simulator final {
 public:
  Simulator(const Trace& trace, const SimConfig& config, Router& router,
            ReplicationPolicy* replication)
      : trace_(trace),
        config_(config),
        router_(router),
        replication_(replication),
        cluster_(config.cluster, trace,
                 config.mode == SimMode::kSeedCompat ? config.seed_copy_limit_blocks : 0),
        nodes_(config.cluster.nodes.size()),
        prefix_(nodes_.size()),
        in_flight_(nodes_.size()),
        queue_length_(nodes_.size()),
        queued_predicted_s_(nodes_.size(), 0.0),
        busy_until_s_(nodes_.size(), -std::numeric_limits<double>::infinity()),
        pending_prefill_blocks_(nodes_.size(), 0),
        scratch_prefix_(nodes_.size()),
        links_(nodes_.size() +
               (config.shape == ClusterShape::kDisaggregated ? config.decode_nodes : 0)),
        ssd_devices_(nodes_.size()),
        replicas_(
            config, cluster_, links_, result_, replication,
            [this](double end_s, uint64_t id) {
              events_.push({end_s, kCopyArrival, id});
            },
            [this] { view_.HoldersChanged(LocalPrefixes(view_.view().request().blocks)); }),
        telemetry_(trace, config, cluster_, result_, [this](size_t n) {
          if (!engines_.empty()) {
            const NodeEngine& e = engines_[n];
            return static_cast<uint32_t>(e.waiting() + e.running() + e.pending());
          }
          const NodeState& s = nodes_[n];
          return static_cast<uint32_t>(config_.mode == SimMode::kSeedCompat
                                           ? std::min<uint64_t>(s.routed, kSeedRecentRequests)
                                           : s.queue.size() + (s.busy ? 1 : 0));
        }) {
    result_.nodes.resize(nodes_.size());
    ClusterViewSources& view = view_.sources();
    view.seed_mode = config.mode == SimMode::kSeedCompat;
    view.global_cache = config.cluster.scope != CacheScope::kLocal;
    if (config.cluster.scope == CacheScope::kPool) view.pool_prefix_blocks = &pool_prefix_;
    view.prefix_blocks = prefix_;
    view.queue_length = queue_length_;
    view.queued_predicted_s = queued_predicted_s_;
    view.busy_until_s = busy_until_s_;
    view.pending_prefill_blocks = pending_prefill_blocks_;
    view.in_flight = in_flight_;
    view.block_tokens = trace.block_tokens();
    if (!view.seed_mode && config.cost.serving()) {
      view.max_batched_tokens = EngineLimitsFor(config.cost).max_num_batched_tokens;
    }
    view.holders = &cluster_.holders();
    view.predict_prefill_s = [this](size_t node, uint32_t reused_blocks) {
      return PredictPrefill(current_request_, view_.view().request(), node, reused_blocks);
    };
    view.resident = [this](size_t node) { return cluster_.node_resident(node); };
    view.capacity = [this](size_t node) { return cluster_.node_capacity(node); };
    view.transfer_s = [this](uint32_t blocks) {
      return config_.mode == SimMode::kSeedCompat
                 ? 0.0
                 : config_.cost.TransferSeconds(uint64_t{blocks} * config_.cost.BlockBytes());
    };
    view.replicas = &replicas_;
    view.uniform_speed = std::all_of(
        config.cluster.nodes.begin(), config.cluster.nodes.end(),
        [&](const NodeSpec& n) { return n.speed == config.cluster.nodes.front().speed; });
    if (config.track_hotspots || router.needs_hotspots() ||
        (replication_ != nullptr && replication_->needs_hotspots())) {
      HotspotConfig hot = config.hotspots;
      hot.nodes = static_cast<int>(nodes_.size());
      hot.concurrent = false;  // a cell runs on one thread: the tracker takes no locks
      tracker_ = std::make_unique<HotspotTracker>(hot);
      view_.sources().hotspots = tracker_.get();
    }
    if (cluster_.has_ssd()) {
      tiered_ = true;
      memory_prefix_.assign(nodes_.size(), 0);
      view.ssd_holders = cluster_.ssd_holders();
      view.memory_prefix_blocks = memory_prefix_;
      result_.ssd_tier = true;
    }
    if (config.mode == SimMode::kRealistic && config.shape != ClusterShape::kPrefillOnly) {
      SetUpServing();
    }
  }

  RunResult Run() {
    if (config_.mode == SimMode::kSeedCompat) {
      RunSeed();
    } else if (!engines_.empty()) {
      RunServing();
    } else {
      RunRealistic();
    }
    Summarize();
    return std::move(result_);
  }

 private:
  uint32_t ReusedTokens(const Request& r, uint32_t blocks) const {
    return static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{blocks} * trace_.block_tokens(), r.input_tokens));
  }

  // Prefill of `r` on `node` reusing its first `reused_blocks` blocks (loaded from DRAM), as
  // the cell's predictor sees it (the truth when exact). `i` is the request's index.
  ABSL_ATTRIBUTE_ALWAYS_INLINE double PredictPrefill(uint32_t i, const Request& r, size_t node,
                                                     uint32_t reused_blocks) const {
    if (exact_predictor_) return TruePrefill(r, node, reused_blocks);
    const PredictorConfig& p = config_.predictor;
    const uint32_t reused = ReusedTokens(r, reused_blocks);
    double seconds;
    if (!p.model) {
      seconds = TruePrefill(r, node, reused_blocks);
    } else {
      // The other profile's H2D bandwidth; the SSD's read as the truth's (profiles fitted
      // elsewhere may have none).
      double load_s = p.model->LoadSeconds(reused);
      if (tiered_) {
        const LoadSplit split = SplitLoad(r, reused_blocks, RunsOfPlaced(node));
        load_s =
            p.model->LoadSeconds(split.h2d_tokens) + config_.cost.SsdReadSeconds(split.ssd_tokens);
      }
      seconds = engines_.empty() ? p.model->PrefillSeconds(r.input_tokens, reused) /
                                       config_.cluster.nodes[node].speed
                                 : PrefillAloneSeconds(*predictor_step_model_, engine_limits_,
                                                       PromptTokens(r), reused);
      seconds += load_s;
    }
    return seconds * p.bias * PredictorNoise(i, reused);
  }

  // exp(sigma x N(0, 1)), N from a hash of (seed, a, b): the same inputs, the same draw.
  double PredictorNoise(uint64_t a, uint64_t b) const {
    const double sigma = config_.predictor.noise_sigma;
    if (sigma == 0) return 1;
    const auto uniform = [](uint64_t x) {  // splitmix64's step -> (0, 1)
      return (static_cast<double>(Mix64(x + 0x9e3779b97f4a7c15ULL) >> 11) + 0.5) /
             9007199254740992.0;  // 2^53
    };
    const uint64_t key = config_.seed * 0x100000001b3ULL ^ a * 0x9e3779b97f4a7c15ULL ^ b;
    const double u1 = uniform(key), u2 = uniform(key ^ 0x5851f42d4c957f2dULL);
    const double normal = std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    return std::exp(sigma * normal);
  }

  // The truth: what a prefill takes in prefill_only cells, and the predictor when exact.
  // With tiers, `runs` splits the reuse by tier (nullptr: the placed request's, from the
  // view's prefixes).
  double TruePrefill(const Request& r, size_t node, uint32_t reused_blocks,
                     const TierRuns* runs = nullptr) const {
    // Routers ask for every node, mostly with one (input, reuse) pair: a one-entry memo.
    if (r.input_tokens != memo_input_tokens_ || reused_blocks != memo_reused_blocks_) {
      const uint32_t reused = ReusedTokens(r, reused_blocks);
      memo_input_tokens_ = r.input_tokens;
      memo_reused_blocks_ = reused_blocks;
      memo_prefill_s_ = engines_.empty() ? config_.cost.PrefillSeconds(r.input_tokens, reused)
                                         : PrefillAloneSeconds(*step_model_, engine_limits_,
                                                               PromptTokens(r), reused);
      memo_load_s_ = config_.cost.LoadSeconds(reused);
    }
    if (tiered_) {
      const LoadSplit split =
          SplitLoad(r, reused_blocks, runs != nullptr ? *runs : RunsOfPlaced(node));
      return memo_prefill_s_ / config_.cluster.nodes[node].speed + split.seconds;
    }
    return memo_prefill_s_ / config_.cluster.nodes[node].speed + memo_load_s_;
  }

  // The request being placed on `node`: its leading blocks in HBM, in HBM or DRAM, and in
  // any local tier (SSD included), from the view's prefixes.
  TierRuns RunsOfPlaced(size_t node) const {
    return {hbm_ ? hbm_prefix_[node] : 0, cluster_.has_ssd() ? memory_prefix_[node] : prefix_[node],
            prefix_[node]};
  }
  // The same for any request, walking the tiers now.
  TierRuns WalkRuns(size_t node, std::span<const BlockId> blocks) const {
    TierRuns runs;
    const auto in_hbm = [&](BlockId id) { return hbm_ && hbm_->Holds(node, id); };
    while (runs.hbm < blocks.size() && in_hbm(blocks[runs.hbm])) ++runs.hbm;
    runs.memory = runs.hbm;
    while (runs.memory < blocks.size() &&
           (in_hbm(blocks[runs.memory]) || cluster_.Holds(node, blocks[runs.memory]))) {
      ++runs.memory;
    }
    runs.local = runs.memory;
    while (runs.local < blocks.size() &&
           HeldLocally(static_cast<uint32_t>(node), blocks[runs.local]))
      ++runs.local;
    return runs;
  }

  // Reusing the first `reused_blocks` blocks: what loads into HBM (all but the leading run
  // in HBM), of it what is read from SSD first (the blocks extending the HBM-or-DRAM run
  // from SSD; fetched blocks come from another node's DRAM), and how long that takes: SSD
  // read, then H2D, not pipelined (our simplification). vLLM asks its KV connector only for
  // the tokens past its own prefix-cache hit (vllm/v1/core/sched/scheduler.py @ b4622cf9).
  LoadSplit SplitLoad(const Request& r, uint32_t reused_blocks, const TierRuns& runs) const {
    LoadSplit split;
    const uint32_t reused = ReusedTokens(r, reused_blocks);
    split.h2d_tokens = reused - ReusedTokens(r, std::min(reused_blocks, runs.hbm));
    split.ssd_tokens = ReusedTokens(r, std::min(reused_blocks, runs.local)) -
                       ReusedTokens(r, std::min(reused_blocks, runs.memory));
    split.ssd_blocks = std::min(reused_blocks, runs.local) - std::min(reused_blocks, runs.memory);
    split.seconds =
        config_.cost.LoadSeconds(split.h2d_tokens) + config_.cost.SsdReadSeconds(split.ssd_tokens);
    return split;
  }

  // ---- Seed mode: no time; a request is served when it is routed. ----
  void RunSeed() {
    for (uint32_t i = 0; i < trace_.size(); ++i) {
      CheckStop(i);
      const Request r = trace_[i];
      PrepareView(i, r, /*now_s=*/0);
      for (size_t n = 0; n < nodes_.size(); ++n) {
        queue_length_[n] = std::min<uint64_t>(nodes_[n].routed, kSeedRecentRequests);
      }
      WindowRow& window = telemetry_.WindowFor(i, 0);
      ++window.arrivals;
      telemetry_.CountHeatKeys(r, window);
      if (replication_ != nullptr) replication_->BeforeRoute(view_.view());
      const uint32_t node = router_.Route(view_.view()).node;
      if (tracker_) tracker_->RecordRequest(TrackedPrefix(r), static_cast<double>(i));
      if (node == kRejectRequest) {
        ++result_.rejected;
        ++window.rejected;
        telemetry_.RecordSeedReplicas(cluster_.replica_blocks());
        continue;
      }
      CheckStrategyNode(node, nodes_.size());
      ++nodes_[node].routed;
      uint32_t hits = 0;
      for (BlockId id : r.blocks) {
        if (cluster_.Touch(node, id)) {
          ++hits;
        } else {
          cluster_.SeedInsert(node, id);
        }
      }
      RecordService(r, node, hits, /*fetched=*/0, window);
      ++window.served;
      window.resident_blocks = cluster_.resident_blocks();
      window.replica_blocks = cluster_.replica_blocks();
      telemetry_.RecordSeedReplicas(window.replica_blocks);
    }
  }

  // ---- Realistic mode: arrivals, FCFS queues, completions in simulated time. ----
  void RunRealistic() {
    const int64_t t0 = trace_.first_arrival_ms();
    size_t next = 0;
    while (next < trace_.size() || !events_.empty()) {
      const double arrival_s =
          next < trace_.size()
              ? static_cast<double>(trace_[next].arrival_ms - t0) / 1000.0 / config_.rate_scale
              : INFINITY;
      // Events at or before the next arrival come first.
      if (!events_.empty() && events_.top().t <= arrival_s) {
        CheckStop(next);
        const Event e = events_.top();
        events_.pop();
        AdvanceTo(e.t);
        if (e.kind == kCompletion) {
          const auto node = static_cast<uint32_t>(e.id);
          Complete(node, e.t);
          if (StartNext(node, e.t)) events_.push({nodes_[node].current.end_s, kCompletion, node});
          ReleaseHeld(e.t, [&](uint32_t i, double arrived_s) {
            ArriveRealistic(i, arrived_s, e.t, /*released=*/true);
          });
        } else {
          replicas_.CopyArrived(e.id);
        }
        IssueSsdWrites(e.t);
        telemetry_.SampleStorage(e.t);
        continue;
      }
      CheckStop(next);
      AdvanceTo(arrival_s);
      const auto i = static_cast<uint32_t>(next++);
      if (!HoldArrival(i, trace_[i], arrival_s)) {
        ArriveRealistic(i, arrival_s, arrival_s, /*released=*/false);
      }
    }
    CheckNoneHeld();
  }

  // Routes request i (arrived at arrival_s) at now_s and starts it if its node is idle.
  void ArriveRealistic(uint32_t i, double arrival_s, double now_s, bool released) {
    const uint32_t node = Arrive(i, arrival_s, now_s, released);
    IssueSsdWrites(now_s);
    if (node != kRejectRequest && !nodes_[node].busy && StartNext(node, now_s)) {
      events_.push({nodes_[node].current.end_s, kCompletion, node});
    }
  }

  // Every milestone has passed: a request still waiting at the router would never leave.
  void CheckNoneHeld() const {
    if (!held_.empty()) {
      throw std::logic_error(
          absl::StrCat("the router still holds ", held_.size(), " requests with every node idle"));
    }
  }

  // A request the router placed left the cluster (finished, or refused after routing).
  void RoutedFinished(const RoutedRequest& r) {
    --in_flight_[r.node];
    router_.OnFinished(r);
  }

  // Request i arriving at t: whether it waits at the router's queue (behind a waiting
  // request, or because the router holds it). A held one counts as arrived in its window.
  bool HoldArrival(uint32_t i, const Request& r, double t) {
    PrepareView(i, r, t);
    if (held_.empty() && !router_.Holds(view_.view())) return false;
    held_.push({router_.HoldRank(view_.view()), held_seq_++, i, t});
    CountArrival(i, r, t);
    ++result_.router_held;
    return true;
  }

  // Request i arrived at t: counted in its window, with its heat keys.
  WindowRow& CountArrival(uint32_t i, const Request& r, double t) {
    WindowRow& window = telemetry_.WindowFor(i, t);
    ++window.arrivals;
    telemetry_.CountHeatKeys(r, window);
    return window;
  }

  // Announces request i (arrived at arrival_s, routed at now_s: later if it waited at the
  // router; the view shows it at now_s) to its window, the replication policy and the
  // router; returns the router's decision (counted by the hot-spot tracker after it).
  RouteDecision RouteArrival(uint32_t i, const Request& r, double arrival_s, double now_s,
                             bool released, WindowRow*& window) {
    window = released ? &telemetry_.WindowFor(i, arrival_s) : &CountArrival(i, r, arrival_s);
    if (replication_ != nullptr) replication_->BeforeRoute(view_.view());
    const RouteDecision decision = router_.Route(view_.view());
    if (!view_.view().seed_mode() && decision.node < in_flight_.size()) {
      ++in_flight_[decision.node];
    }
    if (tracker_) tracker_->RecordRequest(TrackedPrefix(r), now_s);
    return decision;
  }

  // The router's queue releases what it no longer holds at t (after a milestone), in order:
  // route(request, its arrival) routes each at t.
  template <typename RouteFn>
  void ReleaseHeld(double t, RouteFn route) {
    while (!held_.empty()) {
      const Held h = held_.top();
      PrepareView(h.request, trace_[h.request], t);
      if (router_.Holds(view_.view())) return;
      held_.pop();
      router_wait_sum_s_ += t - h.arrival_s;
      route(h.request, h.arrival_s);
    }
  }

  // Routes request i (arrived at arrival_s) at t; returns its node or kRejectRequest.
  // `released`: it waited at the router's queue. The view shows request i at t.
  uint32_t Arrive(uint32_t i, double arrival_s, double t, bool released) {
    const Request r = trace_[i];
    // queue_length_, queued_predicted_s_ and busy_until_s_ follow each enqueue, start and
    // completion; the view derives the queued work at t from them.
    WindowRow* row = nullptr;
    const RouteDecision decision = RouteArrival(i, r, arrival_s, t, released, row);
    WindowRow& window = *row;
    uint32_t node = decision.node;
    double predicted_s = 0;
    if (node == kRejectRequest) {
      ++result_.rejected_router;
    } else {
      CheckStrategyNode(node, nodes_.size());
      CheckFetchPlan(decision);
      predicted_s = PredictPrefill(i, r, node, PlannedReuse(decision, r));
      if (config_.reject_over_slo && config_.ttft_slo_s > 0 &&
          view_.view().queued_work_s(node) + predicted_s > config_.ttft_slo_s) {
        node = kRejectRequest;
        ++result_.rejected_admission;
      }
    }
    if (node == kRejectRequest) {
      if (decision.node != kRejectRequest) RoutedFinished({i, decision.node, t});
      ++result_.rejected;
      ++window.rejected;
      return node;
    }
    NodeState& s = nodes_[node];
    const auto pending = static_cast<uint32_t>(r.blocks.size() - PlannedReuse(decision, r));
    s.queue.push_back(
        Queued{i, arrival_s, predicted_s, decision.fetch_from, decision.fetch_to, pending});
    ++queue_length_[node];
    queued_predicted_s_[node] += predicted_s;
    pending_prefill_blocks_[node] += pending;
    return node;
  }

  // Blocks the request is expected to reuse on the decision's node: its own prefix, or a
  // router's planned fetch bounded by what the source holds now (Mooncake Algorithm 1's
  // queue estimate counts the planned fetch).
  uint32_t PlannedReuse(const RouteDecision& d, const Request& r) const {
    uint32_t reuse = prefix_[d.node];
    if (Pooled() && d.fetch_from < nodes_.size()) {
      const auto limit = std::min<uint32_t>(d.fetch_to, static_cast<uint32_t>(r.blocks.size()));
      return std::max(reuse, PoolRun(d.node, r, prefix_[d.node], limit));
    }
    if (config_.cluster.scope == CacheScope::kGlobal && d.fetch_from < nodes_.size()) {
      const uint32_t planned =
          std::min({d.fetch_to, static_cast<uint32_t>(r.blocks.size()), prefix_[d.fetch_from]});
      reuse = std::max(reuse, planned);
    }
    return reuse;
  }

  // Starts the next queued request on `node` at t, if any; returns whether one started.
  bool StartNext(uint32_t node, double t) {
    NodeState& s = nodes_[node];
    if (s.queue.empty()) return false;
    const Queued q = s.queue.front();
    s.queue.pop_front();
    queued_predicted_s_[node] -= q.predicted_s;
    if (s.queue.empty()) queued_predicted_s_[node] = 0;  // no drift from float sums
    const Request r = trace_[q.request];

    pending_prefill_blocks_[node] -= q.pending_blocks;

    const FetchPlan plan = PlanFetch(q.request, r, node, q.fetch_from, q.fetch_to);
    const uint32_t local = plan.local, source = plan.source, best = plan.best;
    uint32_t reused = local;
    double transfer_s = 0;
    uint32_t fetched = 0;
    if (source != node) {
      transfer_s = Fetch(node, r, plan, t, fetched);
      reused = best;
    }
    // The tiers as they are now (the view's prefixes belong to the last arrival).
    const TierRuns runs = tiered_ ? WalkRuns(node, r.blocks) : TierRuns{};
    const double prefill_s = TruePrefill(r, node, reused, &runs);
    const LoadSplit split = tiered_ ? SplitLoad(r, reused, runs)
                                    : LoadSplit{ReusedTokens(r, reused), 0, 0, memo_load_s_};
    prediction_error_.Add(std::abs(q.predicted_s / prefill_s - 1));
    // The GPU waits for its SSD read to start (the wait is load time, not prefill).
    const double ssd_wait_s = SsdReadWait(node, t + transfer_s, split);
    ttft_parts_.queue_s += t - q.arrival_s;
    ttft_parts_.transfer_s += transfer_s;
    ttft_parts_.load_s += split.seconds + ssd_wait_s;
    ttft_parts_.prefill_s += prefill_s - split.seconds;
    result_.load_bytes += uint64_t{split.h2d_tokens} * config_.cost.KvBytesPerToken();
    result_.ssd_read_bytes += uint64_t{split.ssd_tokens} * config_.cost.KvBytesPerToken();
    result_.ssd_hit_blocks += split.ssd_blocks;
    const double ttft_s = (t - q.arrival_s) + transfer_s + ssd_wait_s + prefill_s;
    s.busy = true;
    const auto pending = static_cast<uint32_t>(r.blocks.size() - reused);
    s.current =
        InService{q.request, t + transfer_s + ssd_wait_s + prefill_s, local, fetched, pending};
    busy_until_s_[node] = s.current.end_s;
    pending_prefill_blocks_[node] += pending;
    result_.nodes[node].busy_s += prefill_s;
    result_.gpu_seconds_no_reuse += TruePrefill(r, node, 0);
    telemetry_.RecordService(ttft_s, t - q.arrival_s);
    WindowRow& window = telemetry_.WindowFor(q.request, t);
    ++window.served;
    window.ttft_sum_s += ttft_s;
    RecordService(r, node, reused, fetched, window);
    if (replication_ != nullptr) replication_->OnServed(r, node, ttft_s);
    return true;
  }

  // Where the prefix of `r` on `node` comes from: what the node holds, and with a global
  // cache the engine's rule or the router's plan (RouteDecision::fetch_from, fetch_to).
  ABSL_ATTRIBUTE_ALWAYS_INLINE FetchPlan PlanFetch(uint32_t i, const Request& r, uint32_t node,
                                                   uint32_t fetch_from, uint32_t fetch_to) {
    uint32_t local = 0;
    while (local < r.blocks.size() && HeldLocally(node, r.blocks[local])) ++local;
    // The fetch: from which node, up to which block (source == node: none).
    uint32_t source = node;
    uint32_t best = local;
    if (Pooled() && local < r.blocks.size() && fetch_from != kNoFetch) {
      // The pool: every block past the local run that some node's DRAM holds, up to the
      // router's planned length; the engine's rule fetches when it beats recomputing.
      const auto limit = fetch_from == kEngineFetch
                             ? static_cast<uint32_t>(r.blocks.size())
                             : std::min<uint32_t>(fetch_to, static_cast<uint32_t>(r.blocks.size()));
      best = PoolRun(node, r, local, limit);
      if (best > local && (fetch_from != kEngineFetch ||
                           FetchSeconds(best - local) + PoolSsdReadSeconds(node, r, local, best) +
                                   PredictPrefill(i, r, node, best) <
                               PredictPrefill(i, r, node, local))) {
        source = kPoolSource;
      } else {
        best = local;
      }
      return FetchPlan{local, source, best};
    }
    if (config_.cluster.scope == CacheScope::kGlobal && local < r.blocks.size()) {
      if (fetch_from == kEngineFetch) {
        // The engine's rule: the longest prefix held elsewhere, if moving it beats
        // recomputing it.
        cluster_.holders().LongestPrefix(r.blocks, scratch_prefix_);
        for (uint32_t n = 0; n < nodes_.size(); ++n) {
          if (n != node && scratch_prefix_[n] > best) {
            source = n;
            best = scratch_prefix_[n];
          }
        }
        if (source != node && FetchSeconds(best - local) + PredictPrefill(i, r, node, best) >=
                                  PredictPrefill(i, r, node, local)) {
          source = node;
          best = local;
        }
      } else if (fetch_from != kNoFetch && fetch_from != node) {
        // The router's plan, bounded by what the source holds now.
        const uint32_t limit = std::min<uint32_t>(fetch_to, static_cast<uint32_t>(r.blocks.size()));
        uint32_t have = 0;
        while (have < limit && cluster_.Holds(fetch_from, r.blocks[have])) ++have;
        if (have > local) {
          source = fetch_from;
          best = have;
        }
      }
    }
    return FetchPlan{local, source, best};
  }

  bool Pooled() const { return config_.cluster.scope == CacheScope::kPool; }

  // Pool scope: whether some node's DRAM holds `id`, or (pool_ssd) some node's SSD.
  bool InPool(BlockId id) const {
    return cluster_.holders().Held(id) ||
           (config_.cluster.pool_ssd && cluster_.ssd_holders()->Held(id));
  }
  // Pool scope: from block `from`, the run of `r`'s blocks (before `limit`) that `node`
  // holds or the pool holds.
  uint32_t PoolRun(uint32_t node, const Request& r, uint32_t from, uint32_t limit) const {
    uint32_t end = from;
    while (end < limit && (InPool(r.blocks[end]) || HeldLocally(node, r.blocks[end]))) ++end;
    return end;
  }
  // The SSD read a pool fetch of blocks [from, to) of `r` adds: of them, those only SSDs
  // hold, as one read (0 unless pool_ssd). The engine's fetch rule counts it.
  double PoolSsdReadSeconds(uint32_t node, const Request& r, uint32_t from, uint32_t to) const {
    if (!config_.cluster.pool_ssd) return 0;
    uint64_t blocks = 0;
    for (uint32_t j = from; j < to; ++j) {
      blocks += !HeldLocally(node, r.blocks[j]) && !cluster_.holders().Held(r.blocks[j]);
    }
    return config_.cost.SsdReadSeconds(blocks * trace_.block_tokens());
  }

  // Moves blocks [plan.local, plan.best) of `r` to `node` from t: from plan.source, or
  // (pool) each block not held by `node` from the DRAM holder whose link frees first
  // (lowest node on ties), else (pool_ssd) from the SSD holder whose link and SSD free
  // first, runs of one source and tier as one transfer. Every part holds both links, so
  // the parts cross the destination's NIC one after another and a busy source delays its
  // part; a part from SSD is read on its holder's SSD first (one read, queued there).
  // Sets `fetched` to the blocks moved; returns the seconds until the last arrives.
  double Fetch(uint32_t node, const Request& r, const FetchPlan& plan, double t,
               uint32_t& fetched) {
    fetched = 0;
    double end_s = t;
    const auto move = [&](uint32_t source, uint32_t blocks, bool from_ssd) {
      const uint64_t bytes = uint64_t{blocks} * config_.cost.BlockBytes();
      double start_s = t;
      if (from_ssd) {
        start_s = ssd_devices_.Reserve(
            source, t, config_.cost.SsdReadSeconds(uint64_t{blocks} * trace_.block_tokens()));
        result_.ssd_read_bytes += bytes;
        result_.ssd_hit_blocks += blocks;
      }
      end_s = std::max(end_s, links_.Reserve(node, source, start_s, FetchSeconds(blocks)));
      fetched += blocks;
      result_.transfer_bytes += bytes;
      result_.fetch_bytes += bytes;
      CountFetch(source, node, blocks);
    };
    if (plan.source != kPoolSource) {
      move(plan.source, plan.best - plan.local, false);
      return end_s - t;
    }
    uint32_t run_source = node, run_blocks = 0;
    bool run_ssd = false;
    for (uint32_t j = plan.local; j < plan.best; ++j) {
      uint32_t source = node;
      bool from_ssd = false;
      if (!HeldLocally(node, r.blocks[j])) {
        double free_s = std::numeric_limits<double>::infinity();
        for (const NodeId h : cluster_.holders().Holders(r.blocks[j])) {
          const double h_free_s = std::max(t, links_.free_s(h));  // free now: a tie
          if (h_free_s < free_s) {
            free_s = h_free_s;
            source = h;
          }
        }
        if (source == node) {  // no DRAM holds it: a pooled SSD does (PoolRun)
          from_ssd = true;
          for (const NodeId h : cluster_.ssd_holders()->Holders(r.blocks[j])) {
            const double h_free_s = std::max({t, links_.free_s(h), ssd_devices_.free_s(h)});
            if (h_free_s < free_s) {
              free_s = h_free_s;
              source = h;
            }
          }
        }
      }
      if ((source != run_source || from_ssd != run_ssd) && run_blocks > 0) {
        if (run_source != node) move(run_source, run_blocks, run_ssd);
        run_blocks = 0;
      }
      run_source = source;
      run_ssd = from_ssd;
      ++run_blocks;
    }
    if (run_blocks > 0 && run_source != node) move(run_source, run_blocks, run_ssd);
    return end_s - t;
  }

  // A served request's blocks enter DRAM at the end of its prefill: blocks [0, local) held
  // by its node, [local, reused) fetched (`fetched` of them moved), the rest computed.
  // Global scope: the node stores them all, or (the replication policy refusing a fetched
  // prefix) only its own. Pool: fetched blocks are kept by the node if the policy keeps
  // them, else touched where they are; computed ones go where the placement puts them.
  void StoreServed(uint32_t node, std::span<const BlockId> blocks, uint32_t local, uint32_t reused,
                   uint32_t fetched) {
    const bool keep = fetched == 0 || replicas_.KeepsFetched(fetched);
    if (!keep) ++result_.fetches_dropped;
    if (!Pooled()) {
      cluster_.StorePrefix(node, keep ? blocks : blocks.first(local));
      return;
    }
    const PoolPlacement placement = config_.cluster.pool_placement;
    for (size_t i = blocks.size(); i-- > 0;) {
      const BlockId id = blocks[i];
      if (i < local || (i < reused && keep) ||
          (i >= reused && placement == PoolPlacement::kLocal)) {
        if (!cluster_.Touch(node, id)) cluster_.Insert(node, id);
        continue;
      }
      if (cluster_.holders().Held(id)) {  // in the pool already: used again where it is
        for (const NodeId h : cluster_.holders().Holders(id)) cluster_.Touch(h, id);
        continue;
      }
      if (i < reused) continue;  // fetched, since evicted everywhere: not kept
      cluster_.Insert(PoolHome(id), id);
    }
  }

  // Pool scope: the node a new block is placed on. Hashed: a hash of the block. Balanced:
  // one of the nodes holding the fewest blocks, chosen among them by the hash (so full
  // nodes share new blocks as hashed placement does). Our rules: Mooncake Store's master
  // allocates segments by its own strategy, which the paper does not give.
  uint32_t PoolHome(BlockId id) const {
    const auto n = static_cast<uint32_t>(nodes_.size());
    const uint64_t hash = Mix64(uint64_t{id} + 0x9e3779b97f4a7c15ULL);
    if (config_.cluster.pool_placement == PoolPlacement::kHashed) {
      return static_cast<uint32_t>(hash % n);
    }
    size_t fewest = cluster_.node_resident(0);
    uint32_t tied = 0;
    for (uint32_t k = 0; k < n; ++k) {
      const size_t held = cluster_.node_resident(k);
      if (held < fewest) {
        fewest = held;
        tied = 0;
      }
      tied += held == fewest;
    }
    uint64_t pick = hash % tied;
    for (uint32_t k = 0; k < n; ++k) {
      if (cluster_.node_resident(k) == fewest && pick-- == 0) return k;
    }
    return 0;  // unreachable: `tied` nodes hold `fewest`
  }

  double FetchSeconds(uint32_t blocks) const {
    return config_.cost.TransferSeconds(uint64_t{blocks} * config_.cost.BlockBytes());
  }

  // Blocks DRAM demoted to SSD until t hold each SSD for their write time from t (no
  // earlier than what the device was doing); a write bandwidth of 0 leaves writes free.
  void IssueSsdWrites(double t) {
    cluster_.TakeSsdWrites([&](size_t node, uint64_t blocks) {
      const double seconds = config_.cost.SsdWriteSeconds(blocks);
      if (seconds > 0) ssd_devices_.Reserve(node, t, seconds);
    });
  }
  // A read of `split`'s SSD part on `node` from `earliest_s`, queued behind the device's
  // earlier reads and writes (first come first served, our rule: the device is one queue);
  // returns the wait before it starts (its own time is in split.seconds).
  double SsdReadWait(uint32_t node, double earliest_s, const LoadSplit& split) {
    if (split.ssd_tokens == 0) return 0;
    const double read_s = config_.cost.SsdReadSeconds(split.ssd_tokens);
    return ssd_devices_.Reserve(node, earliest_s, read_s) - read_s - earliest_s;
  }

  // Every node's KV capacity (DRAM; or SSD) held for `span_s`, in GB-hours (what
  // provisioned storage bills).
  double ProvisionedGbHours(double span_s, bool ssd = false) const {
    double blocks = 0;
    for (const NodeSpec& node : config_.cluster.nodes)
      blocks += static_cast<double>(ssd ? node.ssd_capacity_blocks : node.capacity_blocks);
    return blocks * static_cast<double>(config_.cost.BlockBytes()) * span_s /
           (Prices::kBytesPerGb * Prices::kSecondsPerHour);
  }

  // The prefill of the request in service on `node` ended at t: its blocks are stored.
  void Complete(uint32_t node, double t) {
    NodeState& s = nodes_[node];
    const RoutedRequest routed{s.current.request, node, t};
    router_.OnFirstToken(routed);
    RoutedFinished(routed);
    const std::span<const BlockId> blocks = trace_[s.current.request].blocks;
    StoreServed(node, blocks, s.current.local,
                static_cast<uint32_t>(blocks.size()) - s.current.pending_blocks, s.current.fetched);
    pending_prefill_blocks_[node] -= s.current.pending_blocks;
    s.busy = false;
    busy_until_s_[node] = -std::numeric_limits<double>::infinity();
    --queue_length_[node];
    result_.makespan_s = std::max(result_.makespan_s, t);
  }

  // `blocks` fetched from `source` for a request `node` serves: per-node in and out.
  void CountFetch(uint32_t source, uint32_t node, uint32_t blocks) {
    result_.nodes[node].fetched_blocks_in += blocks;
    result_.nodes[source].fetched_blocks_out += blocks;
  }

  void RecordService(const Request& r, uint32_t node, uint32_t hit_blocks, uint32_t fetched,
                     WindowRow& window) {
    ++result_.served;
    result_.block_refs += r.blocks.size();
    result_.hit_blocks += hit_blocks;
    result_.fetched_blocks += fetched;
    result_.input_tokens += r.input_tokens;
    result_.hit_tokens += ReusedTokens(r, hit_blocks);
    NodeResult& n = result_.nodes[node];
    ++n.requests;
    n.block_refs += r.blocks.size();
    n.hit_blocks += hit_blocks;
    window.block_refs += r.blocks.size();
    window.hit_blocks += hit_blocks;
  }

  std::span<const BlockId> TrackedPrefix(const Request& r) const {
    const size_t limit = config_.hotspot_prefix_blocks;
    return limit == 0 || r.blocks.size() <= limit ? r.blocks : r.blocks.first(limit);
  }

  void PrepareView(uint32_t i, const Request& r, double now_s) {
    current_request_ = i;
    if (hbm_) FitHbmCaches();
    view_.BeginRequest(i, r, now_s, LocalPrefixes(r.blocks));
    replicas_.BeginRequest(r.blocks, now_s_);
  }

  // Each node's longest prefix of `blocks` over its tiers (prefix_), and of HBM alone.
  // With an SSD, memory_prefix_ is each node's prefix over HBM and DRAM alone.
  LongestPrefixResult LocalPrefixes(std::span<const BlockId> blocks) {
    if (Pooled()) {
      pool_prefix_ = 0;
      while (pool_prefix_ < blocks.size() && InPool(blocks[pool_prefix_])) ++pool_prefix_;
    }
    const SimPrefixIndex* ssd = cluster_.ssd_holders();
    if (!hbm_ && ssd == nullptr) return cluster_.holders().LongestPrefix(blocks, prefix_);
    std::array<const SimPrefixIndex*, 2> others{};
    size_t tiers = 0;
    if (hbm_) {
      hbm_->holders().LongestPrefix(blocks, hbm_prefix_);
      others[tiers++] = &hbm_->holders();
    }
    if (ssd != nullptr) {
      cluster_.holders().LongestPrefixWith(std::span(others.data(), tiers), blocks, memory_prefix_);
      others[tiers++] = ssd;
    }
    return cluster_.holders().LongestPrefixWith(std::span(others.data(), tiers), blocks, prefix_);
  }

  bool HeldLocally(uint32_t node, BlockId id) const {
    return cluster_.Holds(node, id) || (hbm_ && hbm_->Holds(node, id)) ||
           cluster_.HoldsOnSsd(node, id);
  }

  // HBM keeps cached blocks only in the memory its running requests leave free.
  void FitHbmCaches() {
    for (size_t n = 0; n < prefill_nodes_; ++n) {
      hbm_->Fit(n, engines_[n].free_blocks() / engine_blocks_per_block_, hbm_evicted_);
    }
  }

  void CheckFetchPlan(const RouteDecision& d) const {
    if (d.fetch_from == kEngineFetch || d.fetch_from == kNoFetch) return;
    if (config_.cluster.scope == CacheScope::kLocal) {
      throw std::logic_error("router planned a fetch in a local-scope cluster");
    }
    CheckStrategyNode(d.fetch_from, nodes_.size());
  }

  // Moves the clock to t, before any event at t is applied.
  void AdvanceTo(double t) {
    if (t <= now_s_) return;
    telemetry_.AdvanceTo(t);
    now_s_ = t;
  }

  // ---- Serving shapes: nodes run the serving engine (docs/ENGINE.md). ----
  // engines_ holds the router's nodes (prefill_nodes_ of them) and then, disaggregated,
  // the decode nodes; on_node_ and the links follow the same numbering.
  void SetUpServing() {
    const size_t n = nodes_.size();
    const size_t d = config_.shape == ClusterShape::kDisaggregated ? config_.decode_nodes : 0;
    step_model_ = MakeStepModel(*config_.cost.serving());
    if (config_.predictor.model)
      predictor_step_model_ = MakeStepModel(*config_.predictor.model->serving());
    engine_limits_ = EngineLimitsFor(config_.cost);
    engines_.reserve(n + d);
    for (size_t i = 0; i < n + d; ++i) {
      engines_.emplace_back(engine_limits_, *step_model_);
      engines_.back().LogEvents();
      engines_.back().RecordGaps(&itl_);
    }
    prefill_nodes_ = n;
    if (config_.cluster.hbm_prefix_cache) SetUpHbmCaches();
    if (d > 0) decode_selector_ = MakeDecodeSelector(config_.decode_selector, config_.seed);
    decode_state_.assign(d, DecodeNodeState{});
    placed_.resize(trace_.size());
    on_node_.resize(n + d);
    prefills_left_.assign(n, 0);
    running_.assign(n, 0);
    waiting_.assign(n, 0);
    active_kv_.assign(n, 0);
    kv_capacity_.assign(n, engine_limits_.kv_capacity_blocks);
    decode_batch_.assign(n, 0);
    prefill_tokens_.assign(n, 0);
    ClusterViewSources& v = view_.sources();
    v.running_requests = running_;
    v.waiting_requests = waiting_;
    v.active_kv_blocks = active_kv_;
    v.kv_capacity_blocks = kv_capacity_;
    v.decode_batch = decode_batch_;
    v.queued_prefill_tokens = prefill_tokens_;
    if (config_.signal_refresh_s > 0) v.signals_as_of_s = &last_refresh_s_;
    v.prefill_pool = d > 0;
    v.nodes_decode = d == 0;
    telemetry_.TrackEngines(
        [this] {
          RunTelemetry::EngineTotals t;
          for (const NodeEngine& e : engines_) {
            t.used_block_s += e.used_block_seconds();
            t.batch_s += e.batch_seconds();
            t.busy_s += e.busy_s();
          }
          return t;
        },
        static_cast<double>(engine_limits_.kv_capacity_blocks) * static_cast<double>(n + d), n + d);
  }

  // Tier G1 on the router's nodes (the decode nodes' HBM serves no reuse).
  void SetUpHbmCaches() {
    const size_t n = prefill_nodes_;
    engine_blocks_per_block_ =
        HbmBlocksPerBlock(trace_.block_tokens(), engine_limits_.kv_block_tokens);
    hbm_.emplace(std::vector<std::string>(n, config_.cluster.hbm_eviction),
                 engine_limits_.kv_capacity_blocks / engine_blocks_per_block_,
                 trace_.distinct_blocks(), "cluster.hbm_cache.eviction");
    hbm_prefix_.assign(n, 0);
    view_.sources().hbm_holders = &hbm_->holders();
    view_.sources().hbm_prefix_blocks = hbm_prefix_;
    result_.hbm_prefix_cache = true;
    tiered_ = true;
    if (config_.cluster.dram_write == DramWrite::kBack) {
      // Write-back: DRAM receives what HBM evicts.
      hbm_evicted_ = [this](size_t node, BlockId id) {
        if (!cluster_.Touch(node, id)) cluster_.Insert(node, id);
      };
    }
  }

  static uint32_t PromptTokens(const Request& r) { return std::max<uint32_t>(r.input_tokens, 1); }
  static uint32_t OutputTokens(const Request& r) { return std::max<uint32_t>(r.output_tokens, 1); }
  bool Disaggregated() const { return engines_.size() > prefill_nodes_; }

  void RunServing() {
    const int64_t t0 = trace_.first_arrival_ms();
    const double refresh_s = config_.signal_refresh_s;
    for (uint32_t i = 0; i < trace_.size(); ++i) {
      CheckStop(i);
      const double t = static_cast<double>(trace_[i].arrival_ms - t0) / 1000.0 / config_.rate_scale;
      if (refresh_s > 0) {
        // Routers see the nodes as they were at the last refresh instant.
        const double instant = std::floor(t / refresh_s) * refresh_s;
        if (!refreshed_ || instant > last_refresh_s_) {
          AdvanceServingTo(instant, i);
          PublishSignals();
          refreshed_ = true;
          last_refresh_s_ = instant;
        }
      }
      AdvanceServingTo(t, i);
      if (refresh_s == 0) PublishSignals();
      if (!HoldArrival(i, trace_[i], t)) ArriveServing(i, t, t, /*released=*/false);
      IssueSsdWrites(t);
    }
    AdvanceStepwise(std::numeric_limits<double>::infinity(), trace_.size());
    CheckNoneHeld();
    for (size_t n = 0; n < prefill_nodes_; ++n) engines_[n].Drain();
    HarvestEngineEvents(0, prefill_nodes_);
    ProcessServingEvents(std::numeric_limits<double>::infinity(), trace_.size());
    // Every prefill is done: the decode nodes get no more requests.
    for (size_t n = prefill_nodes_; n < engines_.size(); ++n) engines_[n].Drain();
    HarvestEngineEvents(prefill_nodes_, engines_.size());
    ProcessServingEvents(std::numeric_limits<double>::infinity(), trace_.size());
  }

  // Runs the nodes and applies their events up to t, in time order. Prefill nodes get new
  // requests only at arrivals, so they run ahead to t; decode nodes get them from prefill
  // events, so they run only up to the event being applied, then to t (their last tokens
  // before t reach the router before the arrival at t).
  void AdvanceServingTo(double t, size_t done) {
    AdvanceStepwise(t, done);
    RunEngines(0, prefill_nodes_, t);
    ProcessServingEvents(t, done);
    RunEngines(prefill_nodes_, engines_.size(), t);
    ProcessServingEvents(t, done);
    AdvanceTo(t);
  }

  // While requests wait at the router's queue: every node runs one step at a time and events
  // apply in time order, so a request released at an event joins the steps after it. Stops
  // at t, or when the queue empties (running ahead to arrivals is then exact again).
  void AdvanceStepwise(double t, size_t done) {
    constexpr double kNever = std::numeric_limits<double>::infinity();
    while (!held_.empty()) {
      size_t next = 0;
      double start_s = kNever;
      for (size_t n = 0; n < engines_.size(); ++n) {
        if (const double s = engines_[n].next_step_s(); s < start_s) {
          start_s = s;
          next = n;
        }
      }
      const double event_s = events_.empty() ? kNever : events_.top().t;
      PublishRefreshCrossed(std::min({event_s, start_s, t}));
      if (event_s <= start_s) {
        if (event_s > t || event_s == kNever) return;
        ProcessServingEvents(event_s, done);
      } else if (start_s < t) {
        engines_[next].RunUntil(std::nextafter(start_s, kNever));
        HarvestEngineEvents(next, next + 1);
      } else {
        return;
      }
    }
  }

  // Stepwise, with signals refreshed every signal_refresh_s: the nodes as they are now,
  // every step and event before `next_s` applied, are what routers see at the last refresh
  // instant up to next_s, if that is later than the last one published.
  void PublishRefreshCrossed(double next_s) {
    const double refresh_s = config_.signal_refresh_s;
    if (refresh_s <= 0 || !refreshed_ || std::isinf(next_s)) return;
    const double instant = std::floor(next_s / refresh_s) * refresh_s;
    if (instant <= last_refresh_s_) return;
    PublishSignals();
    last_refresh_s_ = instant;
  }

  // Releases what the router's queue no longer holds after a milestone at t; each is
  // routed at t, seeing fresh signals unless they refresh periodically.
  void ReleaseServing(double t) {
    const bool fresh = config_.signal_refresh_s == 0;
    if (fresh) PublishSignals();
    ReleaseHeld(t, [&](uint32_t i, double arrived_s) {
      ArriveServing(i, arrived_s, t, /*released=*/true);
      if (fresh) PublishSignals();
    });
  }

  // Runs nodes [begin, end) through every step starting before t; their first and last
  // tokens become events.
  void RunEngines(size_t begin, size_t end, double t) {
    for (size_t n = begin; n < end; ++n) engines_[n].RunUntil(t);
    HarvestEngineEvents(begin, end);
  }

  void HarvestEngineEvents(size_t begin, size_t end) {
    for (size_t n = begin; n < end; ++n) {
      std::vector<EngineEvent>& log = engines_[n].events();
      for (const EngineEvent& e : log) {
        events_.push({e.t_s, e.kind == EngineEventKind::kFirstToken ? kFirstToken : kLastToken,
                      (uint64_t{n} << 32) | e.request});
      }
      log.clear();
    }
  }

  // The engines' load signals as routers and decode selectors read them.
  void PublishSignals() {
    for (size_t n = 0; n < prefill_nodes_; ++n) {
      const NodeEngine& e = engines_[n];
      running_[n] = static_cast<uint32_t>(e.running());
      waiting_[n] = static_cast<uint32_t>(e.waiting() + e.pending());
      queue_length_[n] = running_[n] + waiting_[n];
      active_kv_[n] = e.used_blocks();
      decode_batch_[n] = static_cast<uint32_t>(e.decode_batch());
      prefill_tokens_[n] = e.prefill_backlog_tokens();
    }
    PublishDecodeSignals();
  }

  void PublishDecodeSignals() {
    for (size_t d = 0; d < decode_state_.size(); ++d) {
      const NodeEngine& e = engines_[prefill_nodes_ + d];
      decode_state_[d] = {static_cast<uint32_t>(e.running()),
                          static_cast<uint32_t>(e.waiting() + e.pending()), e.used_blocks(),
                          e.limits().kv_capacity_blocks, e.running_context_tokens()};
    }
  }

  void ProcessServingEvents(double limit_s, size_t done) {
    for (;;) {
      if (events_.empty() || events_.top().t > limit_s) return;
      if (Disaggregated()) {
        // Decode nodes catch up to the next event; one of their events may come first.
        const double t = events_.top().t;
        RunEngines(prefill_nodes_, engines_.size(), t);
        if (events_.top().t < t) continue;
      }
      CheckStop(done);
      const Event e = events_.top();
      events_.pop();
      AdvanceTo(e.t);
      const auto node = static_cast<uint32_t>(e.id >> 32);
      const auto index = static_cast<uint32_t>(e.id & 0xffffffffu);
      if (e.kind == kCopyArrival) {
        replicas_.CopyArrived(e.id);
      } else if (node >= prefill_nodes_) {
        if (e.kind == kLastToken) LastToken(node, index, e.t);  // decode nodes: last only
      } else if (e.kind == kFirstToken) {
        FirstToken(node, index, e.t);
      } else {
        // The request leaves the node: its blocks stay in HBM as cached ones.
        if (hbm_) hbm_->Unpin(node, trace_[on_node_[node][index]].blocks, hbm_evicted_);
        if (!Disaggregated() || OutputTokens(trace_[on_node_[node][index]]) == 1) {
          LastToken(node, index, e.t);
        }
      }
      if (!held_.empty() && e.kind != kCopyArrival) ReleaseServing(e.t);
      IssueSsdWrites(e.t);
      telemetry_.SampleStorage(e.t);
    }
  }

  // Routes request i (arrived at arrival_s) at t and hands it to its node's engine once its
  // prefix is fetched and loaded into HBM. `released`: it waited at the router's queue. The
  // view shows request i at t.
  void ArriveServing(uint32_t i, double arrival_s, double t, bool released) {
    const Request r = trace_[i];
    WindowRow* row = nullptr;
    const RouteDecision decision = RouteArrival(i, r, arrival_s, t, released, row);
    WindowRow& window = *row;
    const uint32_t node = decision.node;
    if (node == kRejectRequest) {
      RejectServing(window, result_.rejected_router);
      return;
    }
    CheckStrategyNode(node, nodes_.size());
    CheckFetchPlan(decision);
    const FetchPlan plan = PlanFetch(i, r, node, decision.fetch_from, decision.fetch_to);
    const uint32_t reused = plan.source != node ? plan.best : plan.local;
    const double predicted_s = PredictPrefill(i, r, node, reused);
    const double transfer_predicted_s =
        plan.source != node ? FetchSeconds(plan.best - plan.local) : 0;
    const double predicted_ttft_s =
        view_.view().queued_work_s(node) + transfer_predicted_s + predicted_s;
    if (config_.reject_over_slo && config_.ttft_slo_s > 0 &&
        predicted_ttft_s > config_.ttft_slo_s) {
      RoutedFinished({i, node, t});
      RejectServing(window, result_.rejected_admission);
      return;
    }
    if (config_.early_rejection != EarlyRejection::kNone && OutputTokens(r) > 1 &&
        DecodePoolRefuses(r, predicted_ttft_s)) {
      RoutedFinished({i, node, t});
      RejectServing(window, result_.rejected_admission);
      return;
    }
    Placed p;
    p.node = node;
    p.arrival_s = arrival_s;
    p.local = plan.local;
    if (plan.source != node) p.transfer_s = Fetch(node, r, plan, t, p.fetched);
    const uint32_t reused_tokens = ReusedTokens(r, reused);
    // Its leading blocks in HBM need no load; the rest of the reuse does (from SSD first,
    // for the part only the SSD holds).
    if (hbm_) p.hbm_hit = std::min(plan.local, hbm_prefix_[node]);
    const LoadSplit split =
        tiered_ ? SplitLoad(r, reused, RunsOfPlaced(node)) : LoadSplit{reused_tokens, 0, 0, 0};
    p.ssd_hit = split.ssd_blocks;
    // Loaded whole before the request joins a batch: vLLM's asynchronous KV load (the
    // request waits for remote KV), not overlapped layer by layer (docs/ENGINE.md).
    p.load_s = tiered_ ? split.seconds + SsdReadWait(node, t + p.transfer_s, split)
                       : config_.cost.LoadSeconds(reused_tokens);
    if (config_.overlap_load) {
      // Layer by layer under the prefill: only what the compute does not cover delays it
      // (Mooncake section 4's layer-wise prefill; our simplification: the load's excess).
      p.load_s = std::max(0.0, p.load_s - PrefillAloneSeconds(*step_model_, engine_limits_,
                                                              PromptTokens(r), reused_tokens));
    }
    result_.load_bytes += uint64_t{split.h2d_tokens} * config_.cost.KvBytesPerToken();
    result_.ssd_read_bytes += uint64_t{split.ssd_tokens} * config_.cost.KvBytesPerToken();
    p.predicted_s = predicted_s;
    p.pending_blocks = static_cast<uint32_t>(r.blocks.size() - reused);
    NodeEngine& engine = engines_[node];
    // Disaggregated: the prefill node produces the first token only.
    const uint32_t index = engine.Add({t + p.transfer_s + p.load_s, PromptTokens(r), reused_tokens,
                                       Disaggregated() ? 1u : OutputTokens(r)});
    on_node_[node].push_back(i);
    if (engine.result(index).rejected) {
      RoutedFinished({i, node, t});
      RejectServing(window, result_.rejected_engine);
      return;
    }
    // Its HBM hit stays in HBM while it waits (our simplification: vLLM looks hits up when
    // it schedules the request, and may have evicted them by then).
    if (p.hbm_hit > 0) hbm_->Pin(node, r.blocks.first(p.hbm_hit));
    placed_[i] = p;
    ++prefills_left_[node];
    queued_predicted_s_[node] += predicted_s;
    pending_prefill_blocks_[node] += p.pending_blocks;
  }

  void RejectServing(WindowRow& window, uint64_t& stage) {
    ++result_.rejected;
    ++window.rejected;
    ++stage;
  }

  // Mooncake's early rejection (section 7): whether no decode node could keep the TBT SLO
  // with this request, on the nodes' current load or on their load when its prefill ends
  // (`predicted_ttft_s` from now): requests expected to finish by then leave (each needs
  // the mean output length seen so far, less what it generated, at the node's current
  // step time) and the requests now prefilling arrive, spread evenly. Our reading of the
  // paper's prose; its exact predictor is not published.
  bool DecodePoolRefuses(const Request& r, double predicted_ttft_s) {
    const bool predicted = config_.early_rejection == EarlyRejection::kPredictedLoad;
    double in_prefill = 0;
    for (size_t n = 0; n < prefill_nodes_; ++n) in_prefill += prefills_left_[n];
    const double mean_output = result_.finished > 0 ? static_cast<double>(result_.output_tokens) /
                                                          static_cast<double>(result_.finished)
                                                    : 1;
    double best_s = std::numeric_limits<double>::infinity();
    for (size_t d = 0; d < decode_state_.size(); ++d) {
      const DecodeNodeState& node = decode_state_[d];
      double batch = node.running + node.waiting + 1;
      double context = static_cast<double>(node.context_tokens) + PromptTokens(r);
      if (predicted) {
        const NodeEngine& e = engines_[prefill_nodes_ + d];
        const double step_s = PredictDecodeStep(node.running + node.waiting, node.context_tokens);
        e.ForEachRunning([&](uint64_t generated, uint64_t kv) {
          const double left = std::max(0.0, mean_output - static_cast<double>(generated));
          if (left * step_s <= predicted_ttft_s) {
            batch -= 1;
            context -= static_cast<double>(kv);
          }
        });
        batch += in_prefill / static_cast<double>(decode_state_.size());
      }
      best_s = std::min(best_s, PredictDecodeStep(static_cast<uint64_t>(std::max(1.0, batch)),
                                                  static_cast<uint64_t>(std::max(0.0, context))));
    }
    return best_s > config_.tbt_slo_s;
  }

  // The predicted time of a decode step of `batch` requests reading `context` KV tokens.
  double PredictDecodeStep(uint64_t batch, uint64_t context) const {
    StepWork work;
    work.decodes = std::max<uint64_t>(batch, 1);
    work.decode_kv_read_tokens = context;
    if (config_.predictor.exact()) return step_model_->Seconds(work);
    const StepModel& model = predictor_step_model_ ? *predictor_step_model_ : *step_model_;
    return model.Seconds(work) * config_.predictor.bias * PredictorNoise(~batch, context);
  }

  // The prompt of the request at `index` on `node` is done at t: its first token.
  void FirstToken(uint32_t node, uint32_t index, double t) {
    const uint32_t i = on_node_[node][index];
    Placed& p = placed_[i];
    const Request r = trace_[i];
    const EngineRequestResult& done = engines_[node].result(index);
    const double ready_s = p.arrival_s + p.transfer_s + p.load_s;
    const double ttft_s = t - p.arrival_s;
    p.first_token_s = t;
    router_.OnFirstToken({i, node, t});
    const uint32_t reused = p.local + p.fetched;
    ttft_parts_.queue_s += done.scheduled_s - ready_s;
    ttft_parts_.transfer_s += p.transfer_s;
    ttft_parts_.load_s += p.load_s;
    ttft_parts_.prefill_s += t - done.scheduled_s;
    prediction_error_.Add(std::abs(p.predicted_s / (t - done.scheduled_s + p.load_s) - 1));
    const std::span<const BlockId> blocks = r.blocks;
    if (hbm_) {
      // Every block of the prompt is in HBM now, held by the request until it finishes; it
      // held its HBM hit since it arrived.
      hbm_->Pin(node, blocks);
      hbm_->Unpin(node, blocks.first(p.hbm_hit), hbm_evicted_);
      result_.hbm_hit_blocks += p.hbm_hit;
    }
    result_.ssd_hit_blocks += p.ssd_hit;
    if (!hbm_ || config_.cluster.dram_write == DramWrite::kThrough) {
      StoreServed(node, blocks, p.local, static_cast<uint32_t>(blocks.size()) - p.pending_blocks,
                  p.fetched);
    }
    queued_predicted_s_[node] -= p.predicted_s;
    if (--prefills_left_[node] == 0) queued_predicted_s_[node] = 0;  // no drift from sums
    pending_prefill_blocks_[node] -= p.pending_blocks;
    const uint32_t reused_tokens = ReusedTokens(r, reused);
    prefill_saved_s_ +=
        PrefillAloneSeconds(*step_model_, engine_limits_, PromptTokens(r), 0) -
        PrefillAloneSeconds(*step_model_, engine_limits_, PromptTokens(r), reused_tokens);
    telemetry_.RecordService(ttft_s, done.scheduled_s - ready_s);
    WindowRow& window = telemetry_.WindowFor(i, t);
    ++window.served;
    window.ttft_sum_s += ttft_s;
    RecordService(r, node, reused, p.fetched, window);
    if (replication_ != nullptr) replication_->OnServed(r, node, ttft_s);
    if (Disaggregated() && OutputTokens(r) > 1) {
      SendToDecode(i, done.scheduled_s, t, window);
    }
  }

  // Disaggregated: request i's prefill ran from `scheduled_s` to its first token at t; a
  // decode node is chosen and its prompt's KV sent there over both NICs (streamed from
  // the prefill's start with stream_kv).
  void SendToDecode(uint32_t i, double scheduled_s, double t, WindowRow& window) {
    const Request r = trace_[i];
    const double prefill_s = t - scheduled_s;
    if (config_.signal_refresh_s == 0) PublishDecodeSignals();
    const uint32_t prompt = PromptTokens(r);
    DecodeView view;
    view.nodes = decode_state_;
    view.context_tokens = prompt + 1;
    view.blocks_needed = (uint64_t{prompt} + engine_limits_.kv_block_tokens) /
                         engine_limits_.kv_block_tokens;  // ceil((prompt + 1) / block)
    view.tbt_slo_s = config_.tbt_slo_s;
    view.predict_decode_step_s = [this](uint64_t batch, uint64_t context) {
      return PredictDecodeStep(batch, context);
    };
    const uint32_t d = decode_selector_->Select(view);
    if (d == kNoDecodeNode) {
      RoutedFinished({i, placed_[i].node, t});
      RejectAfterPrefill(window, prefill_s);
      return;
    }
    if (d >= decode_state_.size()) {
      throw std::logic_error(
          absl::StrCat("decode selector chose node ", d, " of ", decode_state_.size()));
    }
    const size_t node = prefill_nodes_ + d;
    const uint64_t bytes = uint64_t{prompt} * config_.cost.KvBytesPerToken();
    const double arrive_s =
        std::max(t, links_.Reserve(node, placed_[i].node, config_.stream_kv ? scheduled_s : t,
                                   config_.cost.TransferSeconds(bytes)));
    result_.pd_transfer_bytes += bytes;
    result_.transfer_bytes += bytes;
    // The decode node holds the prompt's KV and computes the first token's, which yields
    // the second token: a gap after the first.
    EngineRequest decode{arrive_s, prompt + 1, prompt, OutputTokens(r) - 1};
    decode.prior_token_s = t;
    NodeEngine& engine = engines_[node];
    const uint32_t index = engine.Add(decode);
    on_node_[node].push_back(i);
    if (engine.result(index).rejected) {
      RoutedFinished({i, placed_[i].node, t});
      RejectAfterPrefill(window, prefill_s);
    }
  }

  void RejectAfterPrefill(WindowRow& window, double prefill_s) {
    ++result_.rejected;
    ++result_.rejected_decode;
    ++window.rejected;
    result_.wasted_prefill_s += prefill_s;
  }

  // The request at `index` on `node` produced its last token at t.
  void LastToken(uint32_t node, uint32_t index, double t) {
    const uint32_t i = on_node_[node][index];
    const Placed& p = placed_[i];
    const EngineRequestResult& done = engines_[node].result(index);
    const uint32_t out = OutputTokens(trace_[i]);
    RoutedFinished({i, p.node, t});
    ++result_.finished;
    result_.output_tokens += out;
    e2e_s_.push_back(t - p.arrival_s);
    bool good = config_.ttft_slo_s <= 0 || p.first_token_s - p.arrival_s <= config_.ttft_slo_s;
    if (done.gaps > 0) {
      tbt_s_.push_back(done.gap_sum_s / static_cast<double>(done.gaps));
      tbt_slowest_s_.push_back(done.slowest_decile_gap_s);
      result_.tbt_max_s = std::max(result_.tbt_max_s, done.max_gap_s);
      // The Mooncake paper's TBT: the mean of the request's slowest 10% of gaps.
      good = good && (config_.tbt_slo_s <= 0 || done.slowest_decile_gap_s <= config_.tbt_slo_s);
    }
    good_ += good;
    result_.makespan_s = std::max(result_.makespan_s, t);
  }

  // Fills what only the engines know: busy time, preemptions, token and batch statistics.
  void SummarizeServing() {
    RunResult& r = result_;
    double used_block_s = 0, batch_s = 0, busy_s = 0;
    for (size_t n = 0; n < engines_.size(); ++n) {
      const NodeEngine& e = engines_[n];
      if (n < prefill_nodes_) {
        r.nodes[n].busy_s = e.busy_s();
      } else {
        decode_busy_s_ += e.busy_s();
      }
      r.preemptions += e.preemptions();
      used_block_s += e.used_block_seconds();
      batch_s += e.batch_seconds();
      busy_s += e.busy_s();
    }
    r.gpu_seconds_no_reuse = busy_s + prefill_saved_s_;
    if (!tbt_s_.empty()) {
      r.tbt_mean_s = Mean(tbt_s_);
      r.tbt_slowest10_mean_s = Mean(tbt_slowest_s_);
      r.tbt_slowest10_p90_s = Percentile(tbt_slowest_s_, 0.90);
    }
    if (itl_.count() > 0) {
      r.itl_p50_s = itl_.Quantile(0.50);
      r.itl_p90_s = itl_.Quantile(0.90);
      r.itl_p99_s = itl_.Quantile(0.99);
    }
    if (!e2e_s_.empty()) {
      r.e2e_mean_s = Mean(e2e_s_);
      r.e2e_p50_s = Percentile(e2e_s_, 0.50);
      r.e2e_p99_s = Percentile(e2e_s_, 0.99);
    }
    r.goodput = config_.ttft_slo_s > 0 || config_.tbt_slo_s > 0
                    ? static_cast<double>(good_) / static_cast<double>(trace_.size())
                    : std::numeric_limits<double>::quiet_NaN();
    const double node_span_s = static_cast<double>(engines_.size()) * r.makespan_s;
    if (node_span_s > 0) {
      r.hbm_utilisation_mean =
          used_block_s / (node_span_s * static_cast<double>(engine_limits_.kv_capacity_blocks));
      r.output_tokens_per_s = static_cast<double>(r.output_tokens) / r.makespan_s;
    }
    if (busy_s > 0) r.batch_size_mean = batch_s / busy_s;
  }

  // ---- Summary. ----
  void Summarize() {
    if (config_.mode == SimMode::kRealistic) AdvanceTo(std::max(now_s_, result_.makespan_s));
    if (!engines_.empty()) SummarizeServing();
    RunResult& r = result_;
    r.requests = trace_.size();
    r.hit_rate = r.block_refs ? static_cast<double>(r.hit_blocks) / r.block_refs : 0;
    r.token_hit_rate = r.input_tokens ? static_cast<double>(r.hit_tokens) / r.input_tokens : 0;
    r.evictions = cluster_.evictions();
    if (hbm_) {
      r.hbm_evictions = hbm_->evictions();
      if (r.block_refs > 0) {
        r.hbm_hit_rate = static_cast<double>(r.hbm_hit_blocks) / static_cast<double>(r.block_refs);
      }
    }
    r.stranded_evictions = cluster_.stranded_evictions();
    r.replicas_created = cluster_.replicas_created();
    r.peak_holders = cluster_.peak_holders();

    std::vector<double> requests, busy;
    for (size_t n = 0; n < nodes_.size(); ++n) {
      r.nodes[n].resident_blocks_end = cluster_.node_resident(n);
      requests.push_back(static_cast<double>(r.nodes[n].requests));
      busy.push_back(r.nodes[n].busy_s);
      r.gpu_seconds += r.nodes[n].busy_s;
    }
    r.concentration = Concentration(requests);
    r.load_cv = CoefficientOfVariation(requests);
    r.busy_cv = CoefficientOfVariation(busy);
    r.jain_index = JainIndex(requests);
    r.gini = Gini(requests);
    r.traditional_score = TraditionalScore(r.hit_rate, r.concentration);
    if (tracker_) {
      for (const HotspotStats& h : tracker_->Snapshot(config_.hot_prefixes_reported)) {
        r.hot_prefixes.push_back({trace_.raw_id(h.id), h.count, h.intensity, h.slope,
                                  h.prediction_score, h.current_hot, h.predicted_hot,
                                  h.replication_factor});
      }
    }
    telemetry_.Finish(now_s_);
    if (config_.mode == SimMode::kSeedCompat) r.goodput = std::numeric_limits<double>::quiet_NaN();
    if (config_.mode == SimMode::kRealistic) {
      r.gpu_seconds_saved = r.gpu_seconds_no_reuse - r.gpu_seconds;
      if (r.served > 0) {
        const auto served = static_cast<double>(r.served);
        r.ttft_queue_mean_s = ttft_parts_.queue_s / served;
        r.ttft_transfer_mean_s = ttft_parts_.transfer_s / served;
        r.ttft_load_mean_s = ttft_parts_.load_s / served;
        r.ttft_prefill_mean_s = ttft_parts_.prefill_s / served;
      }
      if (r.router_held > 0) {
        r.router_wait_mean_s = router_wait_sum_s_ / static_cast<double>(r.router_held);
      }
      if (prediction_error_.count() > 0) {
        r.prediction_error_mean =
            prediction_error_.sum() / static_cast<double>(prediction_error_.count());
        r.prediction_error_p90 = prediction_error_.Quantile(0.90);
      }
      r.gpu_seconds += decode_busy_s_;
      r.node_seconds =
          static_cast<double>(engines_.empty() ? nodes_.size() : engines_.size()) * r.makespan_s;
      r.provisioned_gb_hours = ProvisionedGbHours(r.makespan_s);
      if (cluster_.has_ssd()) {
        r.ssd_provisioned_gb_hours = ProvisionedGbHours(r.makespan_s, true);
        r.ssd_write_bytes = cluster_.ssd_written_blocks() * config_.cost.BlockBytes();
      }
      // prefill_only: the first token is the only one, so only a TTFT SLO applies.
      if (engines_.empty()) {
        r.goodput =
            config_.ttft_slo_s > 0 ? r.slo_attainment : std::numeric_limits<double>::quiet_NaN();
      }
      if (r.makespan_s > 0) r.requests_per_s = static_cast<double>(r.served) / r.makespan_s;
      ApplyPrices(config_.prices, r);
    }
  }

  // Throws SimulationStopped past the time limit or once cancelled; cheap enough to call
  // for every request (it reads the clock every kStopCheckPeriod calls).
  void CheckStop(size_t done) {
    if (++stop_check_count_ % kStopCheckPeriod != 0) return;
    if (config_.on_progress && !trace_.empty()) {
      const size_t at = std::min(done, trace_.size() - 1);
      config_.on_progress(
          done, trace_.size(),
          static_cast<double>(trace_[at].arrival_ms - trace_.first_arrival_ms()) / 1000.0);
    }
    if (config_.cancel != nullptr && config_.cancel->load(std::memory_order_relaxed)) {
      throw SimulationStopped(
          absl::StrCat("cancelled after ", done, " of ", trace_.size(), " requests"));
    }
    if (config_.wall_time_limit_s > 0 &&
        std::chrono::steady_clock::now() - wall_start_ >
            std::chrono::duration<double>(config_.wall_time_limit_s)) {
      throw SimulationStopped(absl::StrCat("time limit of ", config_.wall_time_limit_s,
                                           " s passed after ", done, " of ", trace_.size(),
                                           " requests"));
    }
  }

  const Trace& trace_;
  const SimConfig& config_;
  Router& router_;
  ReplicationPolicy* replication_;  // nullptr: fetched prefixes stay, no other copies
  Cluster cluster_;
  std::vector<NodeState> nodes_;
  std::vector<uint32_t> prefix_;
  std::vector<uint32_t> in_flight_;  // per node: routed there, not finished (the gateway's)
  std::vector<size_t> queue_length_;
  // Per node, kept apart from NodeState so that routers' passes over every node read dense
  // arrays: the predicted prefill of its queue, and when its request in service ends (-inf:
  // idle). The view's queued_work_s derives from them.
  std::vector<double> queued_predicted_s_;
  std::vector<double> busy_until_s_;
  std::vector<uint64_t> pending_prefill_blocks_;
  std::vector<uint32_t> scratch_prefix_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  ClusterViewBuilder view_;
  RunResult result_;
  LinkSchedule links_;
  LinkSchedule ssd_devices_;  // each node's SSD: reads and demotion writes, in issue order
  ReplicaManager replicas_;
  RunTelemetry telemetry_;
  std::unique_ptr<HotspotTracker> tracker_;
  double now_s_ = 0;
  static constexpr uint64_t kStopCheckPeriod = 256;
  uint64_t stop_check_count_ = 0;
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  // PredictPrefill's memo: (input tokens, reused blocks) -> prefill and load seconds.
  mutable uint32_t memo_input_tokens_ = 0;
  mutable uint32_t memo_reused_blocks_ = 0;
  mutable double memo_prefill_s_ = 0;  // PrefillSeconds(0, 0) = 0
  mutable double memo_load_s_ = 0;
  uint32_t current_request_ = 0;  // the request being placed
  const bool exact_predictor_ = config_.predictor.exact();
  LogHistogram prediction_error_{kErrorMin, kErrorMax, kErrorBucketWidth};
  // Sums of TTFT's parts over served requests.
  struct {
    double queue_s = 0, transfer_s = 0, load_s = 0, prefill_s = 0;
  } ttft_parts_;
  // Serving shapes (empty in prefill_only and seed-compat cells).
  std::unique_ptr<StepModel> step_model_;
  std::unique_ptr<StepModel> predictor_step_model_;  // the predictor's other profile, if any
  EngineLimits engine_limits_;
  std::vector<NodeEngine> engines_;  // the router's nodes, then the decode nodes
  size_t prefill_nodes_ = 0;
  std::unique_ptr<DecodeSelector> decode_selector_;
  std::vector<DecodeNodeState> decode_state_;  // as published
  double decode_busy_s_ = 0;
  std::vector<Placed> placed_;                              // per request of the trace
  std::vector<std::vector<uint32_t>> on_node_;              // per node: its engine's requests
  std::vector<uint32_t> prefills_left_;                     // per node: placed, first token not out
  std::vector<uint32_t> running_, waiting_, decode_batch_;  // signals, as published
  std::vector<uint64_t> active_kv_, kv_capacity_, prefill_tokens_;
  bool refreshed_ = false;
  double last_refresh_s_ = 0;
  LogHistogram itl_;
  std::vector<double> tbt_s_;          // per finished request with 2+ tokens: its mean gap
  std::vector<double> tbt_slowest_s_;  // and the mean of its slowest 10% of gaps
  std::vector<double> e2e_s_;
  uint64_t good_ = 0;
  double prefill_saved_s_ = 0;  // prefill seconds reuse saved, each prompt alone
  // Tier G1 (cluster.hbm_prefix_cache): the router's nodes' HBM prefix caches, the current
  // request's prefix in them per node, and what an eviction does (write-back: into DRAM).
  std::optional<HbmPrefixCache> hbm_;
  std::vector<uint32_t> hbm_prefix_;
  std::vector<uint32_t> memory_prefix_;  // with an SSD: prefixes over HBM and DRAM alone
  uint32_t pool_prefix_ = 0;             // pool scope: the request's blocks held anywhere
  // Nodes keep tiers beyond DRAM (HBM prefix caches or SSDs): loads split by tier.
  bool tiered_ = false;
  uint64_t engine_blocks_per_block_ = 1;
  HbmPrefixCache::OnEvict hbm_evicted_;
  // The router's queue (Router::Holds), and the sum of its requests' waits.
  std::priority_queue<Held, std::vector<Held>, std::greater<>> held_;
  uint64_t held_seq_ = 0;
  double router_wait_sum_s_ = 0;
};

RunResult Simulate(const Trace& trace, const SimConfig& config, Router& router,
                   ReplicationPolicy* replication) {
  ValidateSimConfig(trace, config);
  return Simulator(trace, config, router, replication).Run();
}

void ApplyPrices(const Prices& prices, RunResult& r) {
  r.gpu_usd =
      prices.GpuDollars(prices.gpu_billing == GpuBilling::kBusy ? r.gpu_seconds : r.node_seconds);
  r.storage_usd = prices.StorageDollars(prices.storage_billing == StorageBilling::kProvisioned
                                            ? r.provisioned_gb_hours
                                            : r.cached_gb_hours);
  if (r.ssd_tier) {
    r.storage_usd +=
        prices.ssd_dollars_per_gb_hour * (prices.storage_billing == StorageBilling::kProvisioned
                                              ? r.ssd_provisioned_gb_hours
                                              : r.ssd_cached_gb_hours);
  }
  r.network_usd = prices.NetworkDollars(r.transfer_bytes);
  r.usd_per_1k_requests =
      r.served > 0 ? (r.gpu_usd + r.storage_usd + r.network_usd) * 1000.0 / r.served : 0;
}

RunResult Simulate(const Trace& trace, const SimConfig& config, Strategy& strategy) {
  return Simulate(trace, config, *strategy.router, strategy.replication.get());
}

}  // namespace kvb
