#ifndef KVB_CORE_HOTSPOT_HOTSPOT_TRACKER_H_
#define KVB_CORE_HOTSPOT_HOTSPOT_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/hotspot/seed_rules.h"
#include "core/trace/trace.h"
#include "core/util/mutex.h"

namespace kvb {

// What closes a window: a number of requests, or a span of request time.
enum class WindowKind { kRequests, kSeconds };

// Configuration of a HotspotTracker; the defaults follow the seed (W = 1000 requests,
// 20 history points, no decay, 4 nodes, the "paper" theta).
struct HotspotConfig {
  size_t shards = 16;       // lock shards, >= 1; ids go to shards by a fixed hash
  size_t capacity = 65536;  // ids tracked in total (space-saving), split evenly over shards
  WindowKind window_kind = WindowKind::kRequests;
  double window_size = 1000;   // requests (a whole number >= 1) or seconds (> 0)
  size_t history_length = 20;  // K: completed windows kept per id, >= 1
  double decay = 1;            // counts and errors are multiplied by this per window, (0, 1]
  int nodes = 4;               // cluster size for the replication factor, >= 1
  SeedRules rules;
  bool concurrent = true;  // false: one thread alone uses the tracker, which takes no locks
};

// One tracked id's statistics.
struct HotspotStats {
  BlockId id = 0;
  double count = 0;           // space-saving estimate (decayed): true <= count <= true + error
  double error = 0;           // over-estimation bound; 0 while the id never replaced another
  uint32_t window_count = 0;  // requests containing it in the current window, since tracked
  double intensity = 0;       // share of the current and previous windows' requests with it
  double slope = 0;           // least-squares slope of the last K window counts
  double prediction_score = 0;
  bool current_hot = false;    // intensity > theta
  bool predicted_hot = false;  // prediction score > predicted_hot_score
  int replication_factor = 1;  // the seed's rule for config.nodes nodes
};

// Counts, per id, the requests containing it, from any number of threads (one, and no
// locks taken, with config.concurrent false), in bounded
// memory (space-saving per shard), over windows of requests or seconds, and derives the
// seed's hot-spot statistics (seed_rules.h) from the last K windows. Single-threaded use
// is deterministic: the same calls give the same snapshots, in any process.
//
// Windows: the request (or its time) decides its window. Shards roll over lazily (on the
// next write or read that finds them behind): each tracked id's window count is appended
// to its history, and counts decay. Under concurrency a request crossing into a new window
// may be counted in the next window of a shard another thread already rolled over.
class HotspotTracker {
 public:
  // Throws std::invalid_argument naming the field when `config` is out of range.
  explicit HotspotTracker(const HotspotConfig& config);
  ~HotspotTracker();
  HotspotTracker(const HotspotTracker&) = delete;
  HotspotTracker& operator=(const HotspotTracker&) = delete;

  // Counts one request at time `t_s` (used by second windows only): each distinct id once.
  // Time windows never go backwards: a late request counts in the current window.
  void RecordRequest(std::span<const BlockId> ids, double t_s = 0);

  // The `top_k` tracked ids of highest count (ties: lower id first), with statistics.
  // Locks one shard at a time: each shard's entries are a consistent cut of that shard,
  // but shards are read at slightly different moments (not a global atomic cut). That
  // suffices for routing, which acts on the few ids far above the rest and re-reads soon;
  // writers wait at most for one shard's selection, never for the whole snapshot.
  std::vector<HotspotStats> Snapshot(size_t top_k) const;

  // Statistics of one id, or nullopt if it is not tracked.
  std::optional<HotspotStats> Lookup(BlockId id) const;
  // Completed windows' counts of one id, oldest first (at most K); empty if untracked.
  std::vector<int64_t> History(BlockId id) const;
  // Lookup's intensity and History's counts of one id under one lock, into `history`
  // (cleared; its capacity is reused); false, and nothing written, if it is untracked.
  bool ReadHistory(BlockId id, double* intensity, std::vector<int64_t>* history) const;

  // Requests recorded so far, and the index of the current window.
  int64_t requests() const;
  int64_t window() const;
  // Ids tracked now (<= capacity).
  size_t tracked() const;
  // The shard an id belongs to, and the per-shard capacity (space-saving guarantees hold
  // per shard: an id whose true count exceeds shard total / shard capacity is tracked).
  size_t ShardOf(BlockId id) const;
  size_t shard_capacity() const { return shard_capacity_; }
  const HotspotConfig& config() const { return config_; }

  // The heap a tracker with `config` takes at most when shown `ids` distinct ids: per shard
  // a space-saving table of at most ceil(capacity / shards) ids, each with an entry, a heap
  // position, K history counts and a map slot, grown by doubling.
  static uint64_t EstimateBytes(const HotspotConfig& config, uint64_t ids);

 private:
  struct Shard;
  struct Clock {
    int64_t window = 0;
    int64_t requests = 0;
    int64_t current_requests = 0;   // requests of window `window`
    int64_t previous_requests = 0;  // requests of window `window` - 1
  };

  // Counts a request in the clock; returns the request's window.
  int64_t Tick(double t_s);
  Clock ReadClock() const;
  // Brings `shard` to the clock's window and returns the clock as then read.
  Clock Catchup(Shard& shard) const;
  HotspotStats StatsOf(const Shard& shard, uint32_t slot, const Clock& clock,
                       std::vector<int64_t>& scratch) const;
  // The slot's completed-window counts, oldest first, appended to `out`.
  void AppendHistory(const Shard& shard, uint32_t slot, std::vector<int64_t>& out) const;
  // Share of the current and previous windows' requests containing the slot's id.
  static double IntensityOf(const Shard& shard, uint32_t slot, const Clock& clock);

  const HotspotConfig config_;
  const size_t shard_capacity_;
  const int64_t window_requests_;
  std::unique_ptr<Shard[]> shards_;  // logically const readers may roll shards over

  mutable OptionalMutex clock_mu_;
  Clock clock_ ABSL_GUARDED_BY(clock_mu_);
};

}  // namespace kvb

#endif  // KVB_CORE_HOTSPOT_HOTSPOT_TRACKER_H_
