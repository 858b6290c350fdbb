#include "core/sim/run_telemetry.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/metrics/statistics.h"
#include "core/model/prices.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

constexpr double kMaxTimeRows = 1e6;  // windows or replica samples kept in memory

}  // namespace

// A histogram of counts gives each count at or above the k-th its first position, and one
// pass over the ids in ascending order places them (the trace has millions of ids).
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

RunTelemetry::RunTelemetry(const Trace& trace, const SimConfig& config, const Cluster& cluster,
                           RunResult& result, std::function<uint32_t(size_t)> queue_length)
    : trace_(trace),
      config_(config),
      cluster_(cluster),
      result_(result),
      queue_length_(std::move(queue_length)),
      queue_nodes_(config.cluster.nodes.size()) {
  PrepareTrackedKeys();
}

void RunTelemetry::TrackEngines(std::function<EngineTotals()> totals, double kv_blocks,
                                size_t nodes) {
  engine_totals_ = std::move(totals);
  kv_blocks_ = kv_blocks;
  queue_nodes_ = nodes;
}

WindowRow& RunTelemetry::WindowFor(uint32_t i, double t) {
  const size_t index = config_.mode == SimMode::kSeedCompat
                           ? i / config_.requests_window
                           : static_cast<size_t>(t / config_.window_s);
  EnsureWindow(index);
  return result_.windows[index];
}

void RunTelemetry::CountHeatKeys(const Request& r, WindowRow& window) const {
  if (heat_rank_.empty()) return;
  for (const BlockId id : r.blocks) {
    if (const uint16_t rank = heat_rank_[id]; rank != 0) ++window.heat_key_accesses[rank - 1];
  }
}

void RunTelemetry::AdvanceTo(double t) {
  // Arrivals are checked by ValidateSimConfig; completions can run far past them when the
  // cluster cannot keep up: refuse before the rows take the memory.
  if (t / config_.replica_sample_s > kMaxTimeRows || t / config_.window_s > kMaxTimeRows) {
    throw InputError(absl::StrCat("the run lasts more than ", t, " s of simulated time: over ",
                                  kMaxTimeRows, " windows or replica samples (window_s ",
                                  config_.window_s, ", replica_sample_s ", config_.replica_sample_s,
                                  "); the cluster cannot keep up with this trace"));
  }
  while (next_sample_s_ <= t) {
    for (size_t k = 0; k < tracked_ids_.size(); ++k) {
      result_.tracked_keys[k].holders.push_back(cluster_.holders().HolderCount(tracked_ids_[k]));
    }
    next_sample_s_ += config_.replica_sample_s;
  }
  if (std::isfinite(t)) EnsureWindow(static_cast<size_t>(t / config_.window_s));
}

void RunTelemetry::SampleStorage(double t) {
  resident_blocks_.Set(t, static_cast<double>(cluster_.resident_blocks()));
  replica_blocks_.Set(t, static_cast<double>(cluster_.replica_blocks()));
  if (cluster_.has_ssd())
    ssd_resident_blocks_.Set(t, static_cast<double>(cluster_.ssd_resident_blocks()));
}

// Creates windows up to `index`, recording each finished window's end state.
void RunTelemetry::EnsureWindow(size_t index) {
  while (result_.windows.size() <= index) {
    if (!result_.windows.empty()) {
      CloseWindow(result_.windows.back(), result_.windows.back().start_s + config_.window_s);
    }
    WindowRow row;
    row.heat_key_accesses.assign(result_.heat_keys.size(), 0);
    row.start_s = config_.mode == SimMode::kSeedCompat
                      ? static_cast<double>(result_.windows.size() * config_.requests_window)
                      : static_cast<double>(result_.windows.size()) * config_.window_s;
    result_.windows.push_back(std::move(row));
  }
}

void RunTelemetry::CloseWindow(WindowRow& row, double end_s) {
  row.resident_blocks = cluster_.resident_blocks();
  row.replica_blocks = cluster_.replica_blocks();
  row.queue_length.resize(queue_nodes_);
  for (size_t n = 0; n < queue_nodes_; ++n) row.queue_length[n] = queue_length_(n);
  if (engine_totals_) {
    const EngineTotals now = engine_totals_();
    const double elapsed = end_s - row.start_s;
    if (elapsed > 0 && kv_blocks_ > 0) {
      row.hbm_utilisation = (now.used_block_s - last_totals_.used_block_s) / (kv_blocks_ * elapsed);
    }
    const double busy = now.busy_s - last_totals_.busy_s;
    if (busy > 0) row.batch_size = (now.batch_s - last_totals_.batch_s) / busy;
    last_totals_ = now;
  }
}

// Keys ranked by how many requests contain them (ties: lower interned id first).
void RunTelemetry::PrepareTrackedKeys() {
  std::vector<uint32_t> count(trace_.distinct_blocks(), 0);
  for (BlockId id : trace_.all_blocks()) ++count[id];
  const uint32_t max_rank =
      config_.tracked_key_ranks.empty()
          ? 0
          : *std::max_element(config_.tracked_key_ranks.begin(), config_.tracked_key_ranks.end());
  const size_t k = std::min<size_t>(max_rank, count.size());
  const std::vector<BlockId> order = TopIdsByCount(count, k);
  for (uint32_t rank : config_.tracked_key_ranks) {
    if (rank == 0 || rank > order.size()) continue;
    const BlockId id = order[rank - 1];
    result_.tracked_keys.push_back(TrackedKey{rank, trace_.raw_id(id), count[id], {}});
    tracked_ids_.push_back(id);
  }
  result_.sample_period_s = config_.replica_sample_s;
  PrepareHeatChains(count);
}

// A heat key is a prefix chain: ids whose requests are the same set (a parent and a child
// with equal counts) count once, at the deepest id; the chain's head is its first id.
void RunTelemetry::PrepareHeatChains(const std::vector<uint32_t>& count) {
  if (config_.heat_keys == 0 || count.empty()) return;
  std::vector<uint32_t> chain_count = count;
  for (BlockId id = 0; id < count.size(); ++id) {
    // Every request containing `id` contains its parent: equal counts mean equal sets.
    const BlockId parent = trace_.parent(id);
    if (parent != kNoParent && count[parent] == count[id]) chain_count[parent] = 0;
  }
  const size_t ends = static_cast<size_t>(
      std::count_if(chain_count.begin(), chain_count.end(), [](uint32_t c) { return c > 0; }));
  const std::vector<BlockId> order = TopIdsByCount(chain_count, std::min(config_.heat_keys, ends));
  heat_rank_.assign(trace_.distinct_blocks(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    const BlockId end = order[i];
    BlockId head = end;
    while (trace_.parent(head) != kNoParent && count[trace_.parent(head)] == count[end]) {
      head = trace_.parent(head);
    }
    heat_rank_[end] = static_cast<uint16_t>(i + 1);
    TrackedKey key{static_cast<uint32_t>(i + 1), trace_.raw_id(end), count[end], {}};
    key.chain_first_id = trace_.raw_id(head);
    key.chain_length = trace_.depth(end) - trace_.depth(head) + 1;
    result_.heat_keys.push_back(std::move(key));
  }
}

void RunTelemetry::Finish(double now_s) {
  if (!result_.windows.empty()) {
    WindowRow& last = result_.windows.back();
    const double end_s = config_.mode == SimMode::kRealistic ? std::max(now_s, last.start_s)
                                                             : last.start_s + config_.window_s;
    CloseWindow(last, end_s);
  }
  RunResult& r = result_;
  r.window_s = config_.mode == SimMode::kSeedCompat ? 0 : config_.window_s;
  if (config_.mode != SimMode::kRealistic) {
    if (trace_.size() > 0) {
      r.replica_blocks = seed_replica_block_sum_ / static_cast<double>(trace_.size());
    }
    return;
  }
  if (!ttft_s_.empty()) {
    r.ttft_mean_s = Mean(ttft_s_);
    r.ttft_p50_s = Percentile(ttft_s_, 0.50);
    r.ttft_p90_s = Percentile(ttft_s_, 0.90);
    r.ttft_p99_s = Percentile(ttft_s_, 0.99);
    r.ttft_max_s = *std::max_element(ttft_s_.begin(), ttft_s_.end());
    std::vector<double> sorted = ttft_s_;
    std::sort(sorted.begin(), sorted.end());
    for (int p = 0; p <= 100; ++p)
      r.ttft_percentiles.push_back(PercentileOfSorted(sorted, p / 100.0));
    r.queue_wait_mean_s = Mean(queue_wait_s_);
    r.queue_wait_p99_s = Percentile(queue_wait_s_, 0.99);
  }
  uint64_t within = 0;
  for (double ttft : ttft_s_) within += (config_.ttft_slo_s <= 0 || ttft <= config_.ttft_slo_s);
  r.slo_attainment = r.requests ? static_cast<double>(within) / r.requests : 0;
  const double block_bytes = static_cast<double>(config_.cost.BlockBytes());
  const double resident_byte_s = resident_blocks_.Integral(now_s) * block_bytes;
  const double replica_byte_s = replica_blocks_.Integral(now_s) * block_bytes;
  constexpr double kByteSecondsPerGbHour = Prices::kBytesPerGb * Prices::kSecondsPerHour;
  r.cached_gb_hours = resident_byte_s / kByteSecondsPerGbHour;
  r.replica_gb_hours = replica_byte_s / kByteSecondsPerGbHour;
  r.ssd_cached_gb_hours =
      ssd_resident_blocks_.Integral(now_s) * block_bytes / kByteSecondsPerGbHour;
  const double span_s = now_s - replica_blocks_.start_s();
  r.replica_blocks = span_s > 0 ? replica_blocks_.Integral(now_s) / span_s : 0;
  r.replica_bytes = r.replica_blocks * block_bytes;
}

}  // namespace kvb
