#include "core/sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <queue>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/metrics/seed_scores.h"
#include "core/metrics/statistics.h"
#include "core/metrics/time_weighted_average.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

constexpr size_t kSeedRecentRequests = 100;  // the seed's load signal: last 100 requests
constexpr size_t kMaxHeatKeys = 1000;        // every window holds a count per heat key
constexpr double kMaxTimeRows = 1e6;         // windows or replica samples kept in memory

// A request waiting on a node.
struct Queued {
  uint32_t request;
  double arrival_s;
  double predicted_s;
  uint32_t fetch_from;  // RouteDecision::fetch_from
  uint32_t fetch_to;
  uint32_t pending_blocks;  // counted in the node's pending prefill blocks
};

// A service in flight on a node.
struct InService {
  uint32_t request = 0;
  double end_s = 0;
  uint32_t local = 0;    // blocks the node held itself when the service started
  uint32_t fetched = 0;  // blocks fetched from another node
  uint32_t pending_blocks = 0;
};

// A replica on its way to a node: stored when the transfer ends.
struct PendingCopy {
  uint32_t target;
  std::vector<BlockId> prefix;
  uint64_t key;  // in-flight key: (target, last id of the prefix)
  uint32_t missing_blocks;
};

// Events of the realistic loop, ordered by time, then kind (completions first), then id.
enum EventKind : uint32_t { kCompletion = 0, kCopyArrival = 1 };
struct Event {
  double t;
  EventKind kind;
  uint64_t id;  // node (completion) or copy sequence number
  bool operator>(const Event& o) const {
    return t != o.t ? t > o.t : kind != o.kind ? kind > o.kind : id > o.id;
  }
};

struct NodeState {
  std::deque<Queued> queue;
  bool busy = false;
  InService current;
  double nic_free_s = 0;  // the node's network link is busy until then
  uint64_t routed = 0;    // seed mode: requests routed to the node (its list is min(routed, 100))
};

// The k ids of highest count, by count descending then id ascending: a histogram of counts
// gives each count at or above the k-th its first position, and one pass over the ids in
// ascending order places them (a counting sort; the trace has millions of ids).
std::vector<BlockId> TopIdsByCount(const std::vector<uint32_t>& count, size_t k) {
  if (k == 0) return {};
  const uint32_t max_count = *std::max_element(count.begin(), count.end());
  // 4 B per count value (up to the trace's requests): ids and positions are below 2^32.
  std::vector<uint32_t> ids_with(size_t{max_count} + 1, 0);
  for (const uint32_t c : count) ++ids_with[c];
  // threshold: the k-th count; the ids above it all belong, those at it fill the rest.
  uint32_t threshold = max_count;
  size_t above = 0;
  while (above + ids_with[threshold] < k && threshold > 0) above += ids_with[threshold--];
  // ids_with[c] becomes the next position of an id of count c (c >= threshold).
  uint32_t next = 0;
  for (uint32_t c = max_count; c > threshold; --c) {
    const uint32_t ids = ids_with[c];
    ids_with[c] = next;
    next += ids;
  }
  ids_with[threshold] = next;
  std::vector<BlockId> top(k);
  for (BlockId id = 0; id < count.size(); ++id) {
    const uint32_t c = count[id];
    if (c < threshold || (c == threshold && ids_with[c] == k)) continue;
    top[ids_with[c]++] = id;
  }
  return top;
}

}  // namespace

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
}

class Simulator final : public ReplicaSink {
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
        queue_length_(nodes_.size()),
        queued_predicted_s_(nodes_.size(), 0.0),
        busy_until_s_(nodes_.size(), -std::numeric_limits<double>::infinity()),
        pending_prefill_blocks_(nodes_.size(), 0),
        scratch_prefix_(nodes_.size()) {
    Validate();
    result_.nodes.resize(nodes_.size());
    ClusterViewSources& view = view_.sources();
    view.seed_mode = config.mode == SimMode::kSeedCompat;
    view.global_cache = config.cluster.scope == CacheScope::kGlobal;
    view.prefix_blocks = prefix_;
    view.queue_length = queue_length_;
    view.queued_predicted_s = queued_predicted_s_;
    view.busy_until_s = busy_until_s_;
    view.pending_prefill_blocks = pending_prefill_blocks_;
    view.holders = &cluster_.holders();
    view.predict_prefill_s = [this](size_t node, uint32_t reused_blocks) {
      return PredictPrefill(view_.view().request(), node, reused_blocks);
    };
    view.resident = [this](size_t node) { return cluster_.node_resident(node); };
    view.capacity = [this](size_t node) { return cluster_.node_capacity(node); };
    view.transfer_s = [this](uint32_t blocks) {
      return config_.mode == SimMode::kSeedCompat
                 ? 0.0
                 : config_.cost.TransferSeconds(uint64_t{blocks} * config_.cost.BlockBytes());
    };
    view.replicas = this;
    view.uniform_speed = std::all_of(
        config.cluster.nodes.begin(), config.cluster.nodes.end(),
        [&](const NodeSpec& n) { return n.speed == config.cluster.nodes.front().speed; });
    if (replication_ != nullptr && replication_->replica_budget_share() > 0) {
      uint64_t capacity = 0;
      for (const NodeSpec& n : config.cluster.nodes) capacity += n.capacity_blocks;
      max_replica_blocks_ = static_cast<uint64_t>(
          std::floor(replication_->replica_budget_share() * static_cast<double>(capacity)));
    }
    PrepareTrackedKeys();
    if (config.track_hotspots || router.needs_hotspots() ||
        (replication_ != nullptr && replication_->needs_hotspots())) {
      HotspotConfig hot = config.hotspots;
      hot.nodes = static_cast<int>(nodes_.size());
      tracker_ = std::make_unique<HotspotTracker>(hot);
      view_.sources().hotspots = tracker_.get();
    }
  }

  RunResult Run() {
    if (config_.mode == SimMode::kSeedCompat) {
      RunSeed();
    } else {
      RunRealistic();
    }
    Summarize();
    return std::move(result_);
  }

 private:
  void Validate() const { ValidateSimConfig(trace_, config_); }

  uint32_t ReusedTokens(const Request& r, uint32_t blocks) const {
    return static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{blocks} * trace_.block_tokens(), r.input_tokens));
  }

  // Prefill of `r` on `node` reusing its first `reused_blocks` blocks (loaded from DRAM).
  double PredictPrefill(const Request& r, size_t node, uint32_t reused_blocks) const {
    // Routers ask for every node, mostly with one (input, reuse) pair: a one-entry memo.
    if (r.input_tokens != memo_input_tokens_ || reused_blocks != memo_reused_blocks_) {
      const uint32_t reused = ReusedTokens(r, reused_blocks);
      memo_input_tokens_ = r.input_tokens;
      memo_reused_blocks_ = reused_blocks;
      memo_prefill_s_ = config_.cost.PrefillSeconds(r.input_tokens, reused);
      memo_load_s_ = config_.cost.LoadSeconds(reused);
    }
    return memo_prefill_s_ / config_.cluster.nodes[node].speed + memo_load_s_;
  }

  // ---- Seed mode: no time; a request is served when it is routed. ----
  void RunSeed() {
    for (uint32_t i = 0; i < trace_.size(); ++i) {
      CheckStop(i);
      const Request r = trace_[i];
      PrepareView(r, /*now_s=*/0);
      for (size_t n = 0; n < nodes_.size(); ++n) {
        queue_length_[n] = std::min<uint64_t>(nodes_[n].routed, kSeedRecentRequests);
      }
      WindowRow& window = WindowFor(i, 0);
      ++window.arrivals;
      CountHeatKeys(r, window);
      if (replication_ != nullptr) replication_->BeforeRoute(view_.view());
      const uint32_t node = router_.Route(view_.view()).node;
      if (tracker_) tracker_->RecordRequest(TrackedPrefix(r), static_cast<double>(i));
      if (node == kRejectRequest) {
        ++result_.rejected;
        ++window.rejected;
        seed_replica_block_sum_ += static_cast<double>(cluster_.replica_blocks());
        continue;
      }
      CheckNode(node);
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
      seed_replica_block_sum_ += static_cast<double>(window.replica_blocks);
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
        } else {
          CopyArrived(e.id);
        }
        resident_blocks_.Set(e.t, static_cast<double>(cluster_.resident_blocks()));
        replica_blocks_.Set(e.t, static_cast<double>(cluster_.replica_blocks()));
        continue;
      }
      CheckStop(next);
      AdvanceTo(arrival_s);
      const uint32_t node = Arrive(static_cast<uint32_t>(next), arrival_s);
      ++next;
      if (node != kRejectRequest && !nodes_[node].busy && StartNext(node, arrival_s)) {
        events_.push({nodes_[node].current.end_s, kCompletion, node});
      }
    }
  }

  // ---- Replicas (ReplicaSink). ----
  uint32_t CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) override {
    CheckNode(source);
    CheckNode(target);
    if (source == target) return 0;
    const std::span<const BlockId> ids = view_.view().request().blocks;
    const uint32_t length = std::min<uint32_t>(blocks, static_cast<uint32_t>(ids.size()));
    return config_.mode == SimMode::kSeedCompat ? SeedCopy(source, target, ids.first(length))
                                                : StartCopy(source, target, ids.first(length));
  }

  // The seed's copy: every id of the prefix the source holds, while the target holds
  // fewer than the copy limit; at once, outside the target's memory. The view follows.
  uint32_t SeedCopy(uint32_t source, uint32_t target, std::span<const BlockId> prefix) {
    uint32_t copied = 0;
    for (BlockId id : prefix) {
      if (!cluster_.Holds(source, id)) continue;
      if (OverReplicaBudget(cluster_.Holds(target, id) ? 0 : 1)) {
        ++result_.copies_refused;
        break;
      }
      if (!cluster_.SeedCopy(target, id)) break;
      ++copied;
    }
    if (copied > 0) {
      ++result_.copies;
      result_.copied_blocks += copied;
      view_.HoldersChanged(
          cluster_.holders().LongestPrefix(view_.view().request().blocks, prefix_));
    }
    return copied;
  }

  // A realistic copy of the source's contiguous part of `prefix`: both links are busy for
  // the transfer; the target stores the blocks when it ends (CopyArrived).
  uint32_t StartCopy(uint32_t source, uint32_t target, std::span<const BlockId> prefix) {
    uint32_t have = 0;
    while (have < prefix.size() && cluster_.Holds(source, prefix[have])) ++have;
    uint32_t missing = 0;
    for (uint32_t i = 0; i < have; ++i) missing += !cluster_.Holds(target, prefix[i]);
    if (missing == 0) return 0;
    const uint64_t key = (uint64_t{target} << 32) | prefix[have - 1];
    if (copies_in_flight_.contains(key)) return 0;
    if (OverReplicaBudget(missing)) {
      ++result_.copies_refused;
      return 0;
    }
    const uint64_t bytes = uint64_t{missing} * config_.cost.BlockBytes();
    NodeState& src = nodes_[source];
    NodeState& dst = nodes_[target];
    const double start = std::max({now_s_, src.nic_free_s, dst.nic_free_s});
    const double end = start + config_.cost.TransferSeconds(bytes);
    src.nic_free_s = dst.nic_free_s = end;
    result_.transfer_bytes += bytes;
    ++result_.copies;
    result_.copied_blocks += missing;
    const uint64_t seq = next_copy_++;
    pending_copies_.emplace(
        seq, PendingCopy{target, std::vector<BlockId>(prefix.begin(), prefix.begin() + have), key,
                         missing});
    copies_in_flight_.insert(key);
    blocks_in_flight_ += missing;
    events_.push({end, kCopyArrival, seq});
    return missing;
  }

  void CopyArrived(uint64_t seq) {
    auto it = pending_copies_.find(seq);
    const PendingCopy& copy = it->second;
    cluster_.StorePrefix(copy.target, copy.prefix);
    copies_in_flight_.erase(copy.key);
    blocks_in_flight_ -= copy.missing_blocks;
    pending_copies_.erase(it);
  }

  // Whether `more` replica blocks (besides those in flight) would exceed the budget.
  bool OverReplicaBudget(uint64_t more) const {
    return cluster_.replica_blocks() + blocks_in_flight_ + more > max_replica_blocks_;
  }

  bool KeepsFetched(uint32_t fetched) const {
    const bool keeps = replication_ == nullptr || replication_->keeps_fetched();
    return keeps && !OverReplicaBudget(fetched);
  }

  // Routes request i arriving at t; returns its node or kRejectRequest.
  uint32_t Arrive(uint32_t i, double t) {
    const Request r = trace_[i];
    PrepareView(r, t);
    // queue_length_, queued_predicted_s_ and busy_until_s_ follow each enqueue, start and
    // completion; the view derives the queued work at t from them.
    WindowRow& window = WindowFor(i, t);
    ++window.arrivals;
    CountHeatKeys(r, window);
    if (replication_ != nullptr) replication_->BeforeRoute(view_.view());
    const RouteDecision decision = router_.Route(view_.view());
    uint32_t node = decision.node;
    if (tracker_) tracker_->RecordRequest(TrackedPrefix(r), t);
    double predicted_s = 0;
    if (node != kRejectRequest) {
      CheckNode(node);
      CheckFetchPlan(decision);
      predicted_s = PredictPrefill(r, node, prefix_[node]);
      if (config_.reject_over_slo && config_.ttft_slo_s > 0 &&
          view_.view().queued_work_s(node) + predicted_s > config_.ttft_slo_s) {
        node = kRejectRequest;
      }
    }
    if (node == kRejectRequest) {
      ++result_.rejected;
      ++window.rejected;
      return node;
    }
    NodeState& s = nodes_[node];
    const auto pending = static_cast<uint32_t>(r.blocks.size() - prefix_[node]);
    s.queue.push_back(Queued{i, t, predicted_s, decision.fetch_from, decision.fetch_to, pending});
    ++queue_length_[node];
    queued_predicted_s_[node] += predicted_s;
    pending_prefill_blocks_[node] += pending;
    return node;
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

    uint32_t local = 0;
    while (local < r.blocks.size() && cluster_.Holds(node, r.blocks[local])) ++local;
    // The fetch: from which node, up to which block (source == node: none).
    uint32_t source = node;
    uint32_t best = local;
    if (config_.cluster.scope == CacheScope::kGlobal && local < r.blocks.size()) {
      if (q.fetch_from == kEngineFetch) {
        // The engine's rule: the longest prefix held elsewhere, if moving it beats
        // recomputing it.
        cluster_.holders().LongestPrefix(r.blocks, scratch_prefix_);
        for (uint32_t n = 0; n < nodes_.size(); ++n) {
          if (n != node && scratch_prefix_[n] > best) {
            source = n;
            best = scratch_prefix_[n];
          }
        }
        if (source != node && FetchSeconds(best - local) + PredictPrefill(r, node, best) >=
                                  PredictPrefill(r, node, local)) {
          source = node;
          best = local;
        }
      } else if (q.fetch_from != kNoFetch && q.fetch_from != node) {
        // The router's plan, bounded by what the source holds now.
        const uint32_t limit =
            std::min<uint32_t>(q.fetch_to, static_cast<uint32_t>(r.blocks.size()));
        uint32_t have = 0;
        while (have < limit && cluster_.Holds(q.fetch_from, r.blocks[have])) ++have;
        if (have > local) {
          source = q.fetch_from;
          best = have;
        }
      }
    }
    uint32_t reused = local;
    double transfer_s = 0;
    uint32_t fetched = 0;
    if (source != node) {
      const uint64_t bytes = uint64_t{best - local} * config_.cost.BlockBytes();
      const double fetch_s = FetchSeconds(best - local);
      NodeState& src = nodes_[source];
      const double start = std::max({t, s.nic_free_s, src.nic_free_s});
      s.nic_free_s = src.nic_free_s = start + fetch_s;
      transfer_s = start + fetch_s - t;
      fetched = best - local;
      reused = best;
      result_.transfer_bytes += bytes;
    }
    const double prefill_s = PredictPrefill(r, node, reused);
    const double ttft_s = (t - q.arrival_s) + transfer_s + prefill_s;
    s.busy = true;
    const auto pending = static_cast<uint32_t>(r.blocks.size() - reused);
    s.current = InService{q.request, t + transfer_s + prefill_s, local, fetched, pending};
    busy_until_s_[node] = s.current.end_s;
    pending_prefill_blocks_[node] += pending;
    result_.nodes[node].busy_s += prefill_s;
    result_.gpu_no_reuse_s += PredictPrefill(r, node, 0);
    ttft_s_.push_back(ttft_s);
    queue_wait_s_.push_back(t - q.arrival_s);
    WindowRow& window = WindowFor(q.request, t);
    ++window.served;
    window.ttft_sum_s += ttft_s;
    RecordService(r, node, reused, fetched, window);
    if (replication_ != nullptr) replication_->OnServed(r, node, ttft_s);
    return true;
  }

  double FetchSeconds(uint32_t blocks) const {
    return config_.cost.TransferSeconds(uint64_t{blocks} * config_.cost.BlockBytes());
  }

  // The prefill of the request in service on `node` ended at t: its blocks are stored.
  void Complete(uint32_t node, double t) {
    NodeState& s = nodes_[node];
    const std::span<const BlockId> blocks = trace_[s.current.request].blocks;
    if (s.current.fetched == 0 || KeepsFetched(s.current.fetched)) {
      cluster_.StorePrefix(node, blocks);
    } else {
      // The fetched prefix was borrowed: the node keeps only what it held itself.
      cluster_.StorePrefix(node, blocks.first(s.current.local));
      ++result_.fetches_dropped;
    }
    pending_prefill_blocks_[node] -= s.current.pending_blocks;
    s.busy = false;
    busy_until_s_[node] = -std::numeric_limits<double>::infinity();
    --queue_length_[node];
    result_.makespan_s = std::max(result_.makespan_s, t);
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

  void PrepareView(const Request& r, double now_s) {
    view_.BeginRequest(r, now_s, cluster_.holders().LongestPrefix(r.blocks, prefix_));
  }

  void CheckNode(uint32_t node) const {
    if (node >= nodes_.size()) {
      throw std::logic_error(absl::StrCat("strategy named node ", node, " of ", nodes_.size()));
    }
  }

  void CheckFetchPlan(const RouteDecision& d) const {
    if (d.fetch_from == kEngineFetch || d.fetch_from == kNoFetch) return;
    if (config_.cluster.scope != CacheScope::kGlobal) {
      throw std::logic_error("router planned a fetch in a local-scope cluster");
    }
    CheckNode(d.fetch_from);
  }

  // ---- Time integrals and series. ----

  // Moves the clock to t, before any event at t is applied: closes the windows that
  // ended and samples the tracked keys.
  void AdvanceTo(double t) {
    if (t <= now_s_) return;
    // Arrivals are checked in Validate; completions can run far past them when the
    // cluster cannot keep up: refuse before the rows take the memory.
    if (t / config_.replica_sample_s > kMaxTimeRows || t / config_.window_s > kMaxTimeRows) {
      throw InputError(absl::StrCat(
          "the run lasts more than ", t, " s of simulated time: over ", kMaxTimeRows,
          " windows or replica samples (window_s ", config_.window_s, ", replica_sample_s ",
          config_.replica_sample_s, "); the cluster cannot keep up with this trace"));
    }
    while (next_sample_s_ <= t) {
      for (size_t k = 0; k < tracked_ids_.size(); ++k) {
        result_.tracked_keys[k].holders.push_back(cluster_.holders().HolderCount(tracked_ids_[k]));
      }
      next_sample_s_ += config_.replica_sample_s;
    }
    if (std::isfinite(t)) EnsureWindow(static_cast<size_t>(t / config_.window_s));
    now_s_ = t;
  }

  // The window of request i (seed mode) or of time t (realistic).
  WindowRow& WindowFor(uint32_t i, double t) {
    const size_t index = config_.mode == SimMode::kSeedCompat
                             ? i / config_.requests_window
                             : static_cast<size_t>(t / config_.window_s);
    EnsureWindow(index);
    return result_.windows[index];
  }

  // Creates windows up to `index`, recording each finished window's end state.
  void EnsureWindow(size_t index) {
    while (result_.windows.size() <= index) {
      if (!result_.windows.empty()) CloseWindow(result_.windows.back());
      WindowRow row;
      row.heat_key_accesses.assign(result_.heat_keys.size(), 0);
      row.start_s = config_.mode == SimMode::kSeedCompat
                        ? static_cast<double>(result_.windows.size() * config_.requests_window)
                        : static_cast<double>(result_.windows.size()) * config_.window_s;
      result_.windows.push_back(std::move(row));
    }
  }

  void CloseWindow(WindowRow& row) const {
    row.resident_blocks = cluster_.resident_blocks();
    row.replica_blocks = cluster_.replica_blocks();
    row.queue_length.resize(nodes_.size());
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const NodeState& s = nodes_[n];
      row.queue_length[n] = static_cast<uint32_t>(
          config_.mode == SimMode::kSeedCompat ? std::min<uint64_t>(s.routed, kSeedRecentRequests)
                                               : s.queue.size() + (s.busy ? 1 : 0));
    }
  }

  // Keys ranked by how many requests contain them (ties: lower interned id first).
  void PrepareTrackedKeys() {
    std::vector<uint32_t> count(trace_.distinct_blocks(), 0);
    for (BlockId id : trace_.all_blocks()) ++count[id];
    const uint32_t max_rank =
        config_.tracked_key_ranks.empty()
            ? 0
            : *std::max_element(config_.tracked_key_ranks.begin(), config_.tracked_key_ranks.end());
    const size_t k = std::min<size_t>(std::max<size_t>(max_rank, config_.heat_keys), count.size());
    const std::vector<BlockId> order = TopIdsByCount(count, k);
    for (uint32_t rank : config_.tracked_key_ranks) {
      if (rank == 0 || rank > order.size()) continue;
      const BlockId id = order[rank - 1];
      result_.tracked_keys.push_back(TrackedKey{rank, trace_.raw_id(id), count[id], {}});
      tracked_ids_.push_back(id);
    }
    result_.sample_period_s = config_.replica_sample_s;
    const size_t heat = std::min(config_.heat_keys, order.size());
    if (heat > 0) heat_rank_.assign(trace_.distinct_blocks(), 0);
    for (size_t i = 0; i < heat; ++i) {
      heat_rank_[order[i]] = static_cast<uint16_t>(i + 1);
      result_.heat_keys.push_back(
          TrackedKey{static_cast<uint32_t>(i + 1), trace_.raw_id(order[i]), count[order[i]], {}});
    }
  }

  // Counts the request's heat keys in its arrival window.
  void CountHeatKeys(const Request& r, WindowRow& window) const {
    if (heat_rank_.empty()) return;
    for (const BlockId id : r.blocks) {
      if (const uint16_t rank = heat_rank_[id]; rank != 0) ++window.heat_key_accesses[rank - 1];
    }
  }

  // ---- Summary. ----
  void Summarize() {
    if (config_.mode == SimMode::kRealistic) AdvanceTo(std::max(now_s_, result_.makespan_s));
    if (!result_.windows.empty()) CloseWindow(result_.windows.back());
    RunResult& r = result_;
    r.requests = trace_.size();
    r.window_s = config_.mode == SimMode::kSeedCompat ? 0 : config_.window_s;
    r.block_hit_rate = r.block_refs ? static_cast<double>(r.hit_blocks) / r.block_refs : 0;
    r.token_hit_rate = r.input_tokens ? static_cast<double>(r.hit_tokens) / r.input_tokens : 0;
    r.evictions = cluster_.evictions();
    r.stranded_evictions = cluster_.stranded_evictions();
    r.replicas_created = cluster_.replicas_created();
    r.peak_holders = cluster_.peak_holders();

    std::vector<double> requests, busy;
    for (size_t n = 0; n < nodes_.size(); ++n) {
      r.nodes[n].resident_blocks_end = cluster_.node_resident(n);
      requests.push_back(static_cast<double>(r.nodes[n].requests));
      busy.push_back(r.nodes[n].busy_s);
      r.gpu_busy_s += r.nodes[n].busy_s;
    }
    r.concentration = Concentration(requests);
    r.requests_cv = CoefficientOfVariation(requests);
    r.busy_cv = CoefficientOfVariation(busy);
    r.requests_jain = JainIndex(requests);
    r.requests_gini = Gini(requests);
    r.traditional_score = TraditionalScore(r.block_hit_rate, r.concentration);
    if (tracker_) {
      for (const HotspotStats& h : tracker_->Snapshot(config_.hot_prefixes_reported)) {
        r.hot_prefixes.push_back({trace_.raw_id(h.id), h.count, h.intensity, h.slope,
                                  h.prediction_score, h.current_hot, h.predicted_hot,
                                  h.replication_factor});
      }
    }

    if (config_.mode == SimMode::kRealistic) {
      r.gpu_saved_s = r.gpu_no_reuse_s - r.gpu_busy_s;
      if (!ttft_s_.empty()) {
        r.ttft_mean_s = Mean(ttft_s_);
        r.ttft_p50_s = Percentile(ttft_s_, 0.50);
        r.ttft_p90_s = Percentile(ttft_s_, 0.90);
        r.ttft_p99_s = Percentile(ttft_s_, 0.99);
        r.ttft_max_s = *std::max_element(ttft_s_.begin(), ttft_s_.end());
        std::vector<double> sorted = ttft_s_;
        std::sort(sorted.begin(), sorted.end());
        for (int p = 0; p <= 100; ++p) {
          r.ttft_percentiles.push_back(PercentileOfSorted(sorted, p / 100.0));
        }
        r.queue_wait_mean_s = Mean(queue_wait_s_);
        r.queue_wait_p99_s = Percentile(queue_wait_s_, 0.99);
      }
      uint64_t within = 0;
      for (double ttft : ttft_s_) within += (config_.ttft_slo_s <= 0 || ttft <= config_.ttft_slo_s);
      r.slo_attainment = r.requests ? static_cast<double>(within) / r.requests : 0;
      const double block_bytes = static_cast<double>(config_.cost.BlockBytes());
      const double resident_byte_s = resident_blocks_.Integral(now_s_) * block_bytes;
      const double replica_byte_s = replica_blocks_.Integral(now_s_) * block_bytes;
      constexpr double kByteSecondsPerGbHour = Prices::kBytesPerGb * Prices::kSecondsPerHour;
      r.cached_gb_hours = resident_byte_s / kByteSecondsPerGbHour;
      r.replica_gb_hours = replica_byte_s / kByteSecondsPerGbHour;
      const double span_s = now_s_ - replica_blocks_.start_s();
      r.replica_blocks_mean = span_s > 0 ? replica_blocks_.Integral(now_s_) / span_s : 0;
      r.replica_bytes_mean = r.replica_blocks_mean * block_bytes;
      ApplyPrices(config_.prices, r);
    } else if (trace_.size() > 0) {
      r.replica_blocks_mean = seed_replica_block_sum_ / static_cast<double>(trace_.size());
    }
  }

  // Throws SimulationStopped past the time limit or once cancelled; cheap enough to call
  // for every request (it reads the clock every kStopCheckPeriod calls).
  void CheckStop(size_t done) {
    if (++stop_check_count_ % kStopCheckPeriod != 0) return;
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
  std::vector<size_t> queue_length_;
  // Per node, kept apart from NodeState so that routers' passes over every node read dense
  // arrays: the predicted prefill of its queue, and when its request in service ends (-inf:
  // idle). The view's queued_work_s derives from them.
  std::vector<double> queued_predicted_s_;
  std::vector<double> busy_until_s_;
  std::vector<uint64_t> pending_prefill_blocks_;
  std::vector<uint32_t> scratch_prefix_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  absl::flat_hash_map<uint64_t, PendingCopy> pending_copies_;
  absl::flat_hash_set<uint64_t> copies_in_flight_;
  uint64_t blocks_in_flight_ = 0;  // missing blocks of copies in flight
  uint64_t next_copy_ = 0;
  uint64_t max_replica_blocks_ = std::numeric_limits<uint64_t>::max();
  ClusterViewBuilder view_;
  RunResult result_;
  std::vector<double> ttft_s_;
  std::vector<double> queue_wait_s_;
  std::vector<BlockId> tracked_ids_;
  std::vector<uint16_t> heat_rank_;  // per id: 1 + its rank among the heat keys, or 0
  std::unique_ptr<HotspotTracker> tracker_;
  double now_s_ = 0;
  double next_sample_s_ = 0;
  static constexpr uint64_t kStopCheckPeriod = 256;
  uint64_t stop_check_count_ = 0;
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  // PredictPrefill's memo: (input tokens, reused blocks) -> prefill and load seconds.
  mutable uint32_t memo_input_tokens_ = 0;
  mutable uint32_t memo_reused_blocks_ = 0;
  mutable double memo_prefill_s_ = 0;  // PrefillSeconds(0, 0) = 0
  mutable double memo_load_s_ = 0;
  double seed_replica_block_sum_ = 0;    // seed mode: replica blocks after each request
  TimeWeightedAverage resident_blocks_;  // blocks resident over the cluster, over time
  TimeWeightedAverage replica_blocks_;
};

RunResult Simulate(const Trace& trace, const SimConfig& config, Router& router,
                   ReplicationPolicy* replication) {
  return Simulator(trace, config, router, replication).Run();
}

void ApplyPrices(const Prices& prices, RunResult& r) {
  constexpr double kByteSecondsPerGbHour = Prices::kBytesPerGb * Prices::kSecondsPerHour;
  r.gpu_dollars = prices.GpuDollars(prices.gpu_billing == GpuBilling::kBusy
                                        ? r.gpu_busy_s
                                        : static_cast<double>(r.nodes.size()) * r.makespan_s);
  r.storage_dollars = prices.StorageDollars(r.cached_gb_hours * kByteSecondsPerGbHour);
  r.network_dollars = prices.NetworkDollars(r.transfer_bytes);
  r.dollars_per_1000_requests =
      r.served > 0 ? (r.gpu_dollars + r.storage_dollars + r.network_dollars) * 1000.0 / r.served
                   : 0;
}

RunResult Simulate(const Trace& trace, const SimConfig& config, Strategy& strategy) {
  return Simulate(trace, config, *strategy.router, strategy.replication.get());
}

}  // namespace kvb
