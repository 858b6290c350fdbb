#include "core/hotspot/hotspot_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/cache/id_index.h"
#include "core/hotspot/seed_rules.h"
#include "core/trace/trace.h"
#include "core/util/memory_arithmetic.h"
#include "core/util/mix.h"
#include "core/util/mutex.h"

namespace kvb {
namespace {

void Require(bool ok, const char* field, const char* what) {
  if (!ok) {
    throw std::invalid_argument(std::string("HotspotConfig.") + field + ": " + what);
  }
}

const HotspotConfig& Validated(const HotspotConfig& c) {
  Require(c.shards >= 1 && c.shards <= (size_t{1} << 16), "shards", "expected 1..65536");
  Require(c.capacity >= 1 && c.capacity <= std::numeric_limits<uint32_t>::max() / 2, "capacity",
          "expected 1..2^31-1");
  if (c.window_kind == WindowKind::kRequests) {
    Require(
        c.window_size >= 1 && c.window_size <= 1e15 && c.window_size == std::floor(c.window_size),
        "window_size", "a request window must be a whole number >= 1");
  } else {
    Require(c.window_size > 0 && std::isfinite(c.window_size), "window_size",
            "a time window must be a finite number of seconds > 0");
  }
  Require(c.history_length >= 1 && c.history_length <= 4096, "history_length", "expected 1..4096");
  Require(c.decay > 0 && c.decay <= 1, "decay", "expected a factor in (0, 1]");
  Require(c.nodes >= 1, "nodes", "expected >= 1");
  Require(c.rules.theta > 0, "rules.theta", "expected > 0");
  return c;
}

}  // namespace

// One lock shard: a space-saving table of at most `capacity` ids. `heap` is a min-heap
// (by count) of slots, so the replacement victim is heap[0]; `history` holds K window
// counts per slot as a ring. Without decay a window's close is lazy: an entry catches up
// (its window counts move to its history) when next touched, so a close costs nothing per
// tracked id; with decay every count changes at a close, which stays eager.
struct alignas(64) HotspotTracker::Shard {
  struct Entry {
    BlockId id = 0;
    uint32_t heap_pos = 0;
    double count = 0;
    double error = 0;
    uint32_t current = 0;   // count in the entry's window
    uint32_t previous = 0;  // count in the window before it
    uint32_t history_head = 0;
    uint32_t history_size = 0;
    int64_t window = 0;  // the window `current` counts (<= the shard's)
  };

  OptionalMutex mu;
  int64_t window ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<BlockId, uint32_t> slot_of ABSL_GUARDED_BY(mu);
  std::vector<Entry> entries ABSL_GUARDED_BY(mu);
  std::vector<uint32_t> heap ABSL_GUARDED_BY(mu);
  std::vector<uint32_t> history ABSL_GUARDED_BY(mu);

  void PushHistory(uint32_t slot, uint32_t value, size_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Entry& e = entries[slot];
    uint32_t* ring = history.data() + static_cast<size_t>(slot) * k;
    if (e.history_size < k) {
      ring[(e.history_head + e.history_size) % k] = value;
      ++e.history_size;
    } else {
      ring[e.history_head] = value;
      e.history_head = static_cast<uint32_t>((e.history_head + 1) % k);
    }
  }

  // Closes the entry's windows before `target`: its window count, then a 0 for each window
  // it missed, go to its history (at most K of them matter).
  void CloseEntryWindows(uint32_t slot, int64_t target, size_t k)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Entry& e = entries[slot];
    if (e.window >= target) return;
    const int64_t gap = target - e.window;
    const size_t zeros = static_cast<size_t>(std::min<int64_t>(gap - 1, static_cast<int64_t>(k)));
    PushHistory(slot, e.current, k);
    for (size_t z = 0; z < zeros; ++z) PushHistory(slot, 0, k);
    e.previous = gap == 1 ? e.current : 0;
    e.current = 0;
    e.window = target;
  }

  // Brings the entry to the shard's window (before it is read or counted).
  void CatchUpEntry(uint32_t slot, size_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    CloseEntryWindows(slot, window, k);
  }

  // Closes every window before `target`: lazily without decay; with decay every entry's
  // windows close now and counts decay.
  void AdvanceTo(int64_t target, const HotspotConfig& config) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (target <= window) return;
    if (config.decay != 1) {
      const double factor = std::pow(config.decay, static_cast<double>(target - window));
      for (uint32_t slot = 0; slot < entries.size(); ++slot) {
        CloseEntryWindows(slot, target, config.history_length);
        entries[slot].count *= factor;
        entries[slot].error *= factor;
      }
    }
    window = target;
  }

  bool Less(uint32_t a, uint32_t b) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return entries[a].count < entries[b].count;
  }
  void Place(size_t pos, uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    heap[pos] = slot;
    entries[slot].heap_pos = static_cast<uint32_t>(pos);
  }
  void SiftUp(size_t pos) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const uint32_t slot = heap[pos];
    while (pos > 0) {
      const size_t parent = (pos - 1) / 2;
      if (!Less(slot, heap[parent])) break;
      Place(pos, heap[parent]);
      pos = parent;
    }
    Place(pos, slot);
  }
  void SiftDown(size_t pos) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const uint32_t slot = heap[pos];
    const size_t n = heap.size();
    while (true) {
      size_t child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && Less(heap[child + 1], heap[child])) ++child;
      if (!Less(heap[child], slot)) break;
      Place(pos, heap[child]);
      pos = child;
    }
    Place(pos, slot);
  }

  // Counts one occurrence of `id` (space-saving: an untracked id replaces the minimum).
  void Record(BlockId id, size_t capacity, size_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto [it, inserted] = slot_of.try_emplace(id, 0);
    if (!inserted) {
      CatchUpEntry(it->second, k);
      Entry& e = entries[it->second];
      e.count += 1;
      ++e.current;
      SiftDown(e.heap_pos);
      return;
    }
    if (entries.size() < capacity) {
      const auto slot = static_cast<uint32_t>(entries.size());
      it->second = slot;
      Entry& e = entries.emplace_back();
      e.id = id;
      e.count = 1;
      e.current = 1;
      e.window = window;
      history.resize(history.size() + k);
      heap.push_back(slot);
      SiftUp(heap.size() - 1);
      return;
    }
    const uint32_t slot = heap[0];
    it->second = slot;
    Entry& e = entries[slot];
    slot_of.erase(e.id);
    e.id = id;
    e.error = e.count;
    e.count += 1;
    e.current = 1;
    e.previous = 0;
    e.history_head = 0;
    e.history_size = 0;
    e.window = window;
    SiftDown(0);
  }
};

HotspotTracker::HotspotTracker(const HotspotConfig& config)
    : config_(Validated(config)),
      shard_capacity_((config.capacity + config.shards - 1) / config.shards),
      window_requests_(static_cast<int64_t>(config.window_size)),
      shards_(new Shard[config.shards]) {
  if (!config_.concurrent) {
    clock_mu_.Disable();
    for (size_t s = 0; s < config_.shards; ++s) shards_[s].mu.Disable();
  }
}

HotspotTracker::~HotspotTracker() = default;

size_t HotspotTracker::ShardOf(BlockId id) const {
  return config_.shards == 1 ? 0 : static_cast<size_t>(Mix64(id) % config_.shards);
}

int64_t HotspotTracker::Tick(double t_s) {
  OptionalMutexLock lock(&clock_mu_);
  int64_t target = clock_.window;
  if (config_.window_kind == WindowKind::kRequests) {
    target = clock_.requests / window_requests_;
  } else if (std::isfinite(t_s)) {
    const double w = std::floor(t_s / config_.window_size);
    if (w > static_cast<double>(target)) {
      target = w >= 1e18 ? static_cast<int64_t>(1e18) : static_cast<int64_t>(w);
    }
  }
  if (target > clock_.window) {
    clock_.previous_requests = target == clock_.window + 1 ? clock_.current_requests : 0;
    clock_.current_requests = 0;
    clock_.window = target;
  }
  ++clock_.current_requests;
  ++clock_.requests;
  return clock_.window;
}

HotspotTracker::Clock HotspotTracker::ReadClock() const {
  OptionalMutexLock lock(&clock_mu_);
  return clock_;
}

HotspotTracker::Clock HotspotTracker::Catchup(Shard& shard) const
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  // Writers never hold a shard while taking the clock, so shard -> clock cannot deadlock.
  // Every writer read the clock before locking this shard, so shard.window <= clock.window.
  const Clock clock = ReadClock();
  shard.AdvanceTo(clock.window, config_);
  return clock;
}

void HotspotTracker::RecordRequest(std::span<const BlockId> ids, double t_s) {
  const int64_t window = Tick(t_s);
  // Sort (shard, id) keys: one lock per shard touched, and duplicates become neighbours.
  thread_local std::vector<uint64_t> keys;
  keys.clear();
  for (const BlockId id : ids) keys.push_back((uint64_t{ShardOf(id)} << 32) | id);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const size_t k = config_.history_length;
  for (size_t i = 0; i < keys.size();) {
    const uint64_t shard_index = keys[i] >> 32;
    Shard& shard = shards_[shard_index];
    OptionalMutexLock lock(&shard.mu);
    shard.AdvanceTo(window, config_);
    for (; i < keys.size() && (keys[i] >> 32) == shard_index; ++i) {
      shard.Record(static_cast<BlockId>(keys[i]), shard_capacity_, k);
    }
  }
}

void HotspotTracker::AppendHistory(const Shard& shard, uint32_t slot,
                                   std::vector<int64_t>& out) const
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  const Shard::Entry& e = shard.entries[slot];
  const size_t k = config_.history_length;
  const uint32_t* ring = shard.history.data() + static_cast<size_t>(slot) * k;
  for (uint32_t i = 0; i < e.history_size; ++i) out.push_back(ring[(e.history_head + i) % k]);
}

double HotspotTracker::IntensityOf(const Shard& shard, uint32_t slot, const Clock& clock)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  const Shard::Entry& e = shard.entries[slot];
  const int64_t requests = clock.current_requests + clock.previous_requests;
  if (requests <= 0) return 0;
  // At most 1 single-threaded; a request counted across a concurrent roll-over could make
  // the share exceed 1 by a hair, so clamp.
  return std::min(1.0, static_cast<double>(e.current + e.previous) / static_cast<double>(requests));
}

HotspotStats HotspotTracker::StatsOf(const Shard& shard, uint32_t slot, const Clock& clock,
                                     std::vector<int64_t>& scratch) const
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  const Shard::Entry& e = shard.entries[slot];
  scratch.clear();
  AppendHistory(shard, slot, scratch);

  HotspotStats s;
  s.id = e.id;
  s.count = e.count;
  s.error = e.error;
  s.window_count = e.current;
  s.intensity = IntensityOf(shard, slot, clock);
  const int64_t last = scratch.empty() ? 0 : scratch.back();
  const PrefixVerdict v = EvaluatePrefix(scratch, last, s.intensity, config_.nodes, config_.rules);
  s.slope = v.slope;
  s.prediction_score = v.prediction_score;
  s.current_hot = v.current_hot;
  s.predicted_hot = v.predicted_hot;
  s.replication_factor = v.replication_factor;
  return s;
}

namespace {

bool Hotter(const HotspotStats& a, const HotspotStats& b) {
  return a.count != b.count ? a.count > b.count : a.id < b.id;
}

}  // namespace

std::vector<HotspotStats> HotspotTracker::Snapshot(size_t top_k) const {
  // `out` is a heap whose front is the coldest kept entry: one linear scan per shard,
  // and statistics only for entries that enter it.
  std::vector<HotspotStats> out;
  if (top_k == 0) return out;
  std::vector<int64_t> scratch;
  for (size_t s = 0; s < config_.shards; ++s) {
    Shard& shard = shards_[s];
    OptionalMutexLock lock(&shard.mu);
    const Clock clock = Catchup(shard);
    for (uint32_t slot = 0; slot < shard.entries.size(); ++slot) {
      const Shard::Entry& e = shard.entries[slot];
      if (out.size() == top_k) {
        const HotspotStats& coldest = out.front();
        if (e.count < coldest.count || (e.count == coldest.count && e.id > coldest.id)) continue;
        std::pop_heap(out.begin(), out.end(), Hotter);
        shard.CatchUpEntry(slot, config_.history_length);
        out.back() = StatsOf(shard, slot, clock, scratch);
      } else {
        shard.CatchUpEntry(slot, config_.history_length);
        out.push_back(StatsOf(shard, slot, clock, scratch));
      }
      std::push_heap(out.begin(), out.end(), Hotter);
    }
  }
  std::sort(out.begin(), out.end(), Hotter);
  return out;
}

std::optional<HotspotStats> HotspotTracker::Lookup(BlockId id) const {
  Shard& shard = shards_[ShardOf(id)];
  OptionalMutexLock lock(&shard.mu);
  const Clock clock = Catchup(shard);
  const auto it = shard.slot_of.find(id);
  if (it == shard.slot_of.end()) return std::nullopt;
  shard.CatchUpEntry(it->second, config_.history_length);
  std::vector<int64_t> scratch;
  return StatsOf(shard, it->second, clock, scratch);
}

std::vector<int64_t> HotspotTracker::History(BlockId id) const {
  Shard& shard = shards_[ShardOf(id)];
  OptionalMutexLock lock(&shard.mu);
  Catchup(shard);
  const auto it = shard.slot_of.find(id);
  std::vector<int64_t> out;
  if (it != shard.slot_of.end()) {
    shard.CatchUpEntry(it->second, config_.history_length);
    AppendHistory(shard, it->second, out);
  }
  return out;
}

bool HotspotTracker::ReadHistory(BlockId id, double* intensity,
                                 std::vector<int64_t>* history) const {
  Shard& shard = shards_[ShardOf(id)];
  OptionalMutexLock lock(&shard.mu);
  const Clock clock = Catchup(shard);
  const auto it = shard.slot_of.find(id);
  if (it == shard.slot_of.end()) return false;
  shard.CatchUpEntry(it->second, config_.history_length);
  *intensity = IntensityOf(shard, it->second, clock);
  history->clear();
  AppendHistory(shard, it->second, *history);
  return true;
}

int64_t HotspotTracker::requests() const { return ReadClock().requests; }

int64_t HotspotTracker::window() const { return ReadClock().window; }

size_t HotspotTracker::tracked() const {
  size_t n = 0;
  for (size_t s = 0; s < config_.shards; ++s) {
    OptionalMutexLock lock(&shards_[s].mu);
    n += shards_[s].entries.size();
  }
  return n;
}

uint64_t HotspotTracker::EstimateBytes(const HotspotConfig& config, uint64_t ids) {
  const uint64_t shards = std::max<uint64_t>(1, config.shards);
  const uint64_t shard_capacity = CeilDiv(config.capacity, shards);
  const uint64_t per_shard = std::min(shard_capacity, CeilDiv(ids, shards));
  const uint64_t grown = Pow2Ceil(per_shard);
  return shards * (sizeof(Shard) + IdIndex::HashTableBytes(IdIndex::HashCapacityGrown(per_shard)) +
                   grown * (sizeof(Shard::Entry) + sizeof(uint32_t)) +
                   grown * config.history_length * sizeof(uint32_t));
}

}  // namespace kvb
