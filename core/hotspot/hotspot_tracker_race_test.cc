// Concurrent writers and readers; meant to run under ThreadSanitizer as well.

#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/hotspot/hotspot_tracker.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

constexpr int kWriters = 4;

// Writer w's requests: `per_writer` requests of 1..12 ids, skewed to small ids so writers
// collide on the same ids and shards.
std::vector<std::vector<BlockId>> Stream(int writer, int per_writer) {
  std::mt19937_64 rng(1000 + writer);
  std::vector<std::vector<BlockId>> requests(per_writer);
  for (auto& ids : requests) {
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      const uint64_t r = rng();
      ids.push_back(static_cast<BlockId>((r & 1) != 0 ? (r >> 1) % 64 : (r >> 1) % 3000));
    }
  }
  return requests;
}

// Checks what must hold of any snapshot; returns false at the first violation.
bool Consistent(const std::vector<HotspotStats>& snap, const HotspotConfig& config, bool exact) {
  absl::flat_hash_map<BlockId, int> seen;
  for (size_t i = 0; i < snap.size(); ++i) {
    const HotspotStats& s = snap[i];
    if (i > 0) {
      const HotspotStats& p = snap[i - 1];
      if (!(p.count > s.count || (p.count == s.count && p.id < s.id))) return false;
    }
    if (++seen[s.id] > 1) return false;
    if (s.count < 1 - 1e-9 && config.decay == 1) return false;
    if (s.error < 0 || s.error > s.count) return false;
    if (exact && s.error != 0) return false;
    if (config.decay == 1 && s.window_count > s.count) return false;
    if (s.intensity < 0 || s.intensity > 1) return false;
    if (s.current_hot != (s.intensity > config.rules.theta)) return false;
    if (s.prediction_score < 0 || s.prediction_score > 1 + 1e-12) return false;
    if (s.replication_factor < 1 || s.replication_factor > config.nodes) return false;
  }
  return true;
}

TEST(HotspotTrackerRaceTest, WritersAndSnapshotReader) {
  HotspotConfig config;
  config.shards = 8;
  config.capacity = 1 << 14;  // > 3000 ids: exact counts
  config.window_size = 97;    // many roll-overs while the reader reads
  HotspotTracker tracker(config);
  constexpr int kPerWriter = 3000;
  std::vector<std::vector<std::vector<BlockId>>> streams;
  for (int w = 0; w < kWriters; ++w) streams.push_back(Stream(w, kPerWriter));

  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (const auto& ids : streams[w]) tracker.RecordRequest(ids);
      writers_left.fetch_sub(1);
    });
  }
  int snapshots = 0;
  bool all_consistent = true;
  bool monotone = true;
  std::thread reader([&] {
    absl::flat_hash_map<BlockId, double> last;
    do {
      const auto snap = tracker.Snapshot(40);
      all_consistent = all_consistent && Consistent(snap, config, /*exact=*/true);
      for (const HotspotStats& s : snap) {
        double& before = last[s.id];
        monotone = monotone && s.count >= before;  // no decay: counts never fall
        before = s.count;
      }
      ++snapshots;
    } while (writers_left.load() > 0);
  });
  for (auto& t : threads) t.join();
  reader.join();
  EXPECT_TRUE(all_consistent);
  EXPECT_TRUE(monotone);
  EXPECT_GT(snapshots, 0);

  // Exact totals: per id, the requests of all writers containing it.
  absl::flat_hash_map<BlockId, double> exact;
  for (const auto& stream : streams) {
    for (const auto& ids : stream) {
      absl::flat_hash_map<BlockId, bool> once;
      for (const BlockId id : ids) {
        if (once.emplace(id, true).second) exact[id] += 1;
      }
    }
  }
  EXPECT_EQ(tracker.requests(), int64_t{kWriters} * kPerWriter);
  const auto all = tracker.Snapshot(config.capacity);
  ASSERT_EQ(all.size(), exact.size());
  double total = 0;
  double want_total = 0;
  for (const HotspotStats& s : all) {
    total += s.count;
    EXPECT_EQ(s.count, exact[s.id]) << s.id;
  }
  for (const auto& [id, n] : exact) want_total += n;
  EXPECT_EQ(total, want_total);
  EXPECT_TRUE(Consistent(all, config, /*exact=*/true));
}

TEST(HotspotTrackerRaceTest, EvictingDecayingTimeWindowsWithLookups) {
  HotspotConfig config;
  config.shards = 4;
  config.capacity = 256;  // far fewer than the ids: replacement under contention
  config.window_kind = WindowKind::kSeconds;
  config.window_size = 0.5;
  config.decay = 0.8;
  config.history_length = 8;
  HotspotTracker tracker(config);
  constexpr int kPerWriter = 2000;
  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const auto stream = Stream(w, kPerWriter);
      for (int i = 0; i < kPerWriter; ++i) tracker.RecordRequest(stream[i], i * 0.01);
      writers_left.fetch_sub(1);
    });
  }
  bool all_consistent = true;
  std::thread reader([&] {
    BlockId probe = 0;
    do {
      all_consistent = all_consistent && Consistent(tracker.Snapshot(20), config, false);
      const auto one = tracker.Lookup(probe % 64);
      if (one.has_value()) all_consistent = all_consistent && Consistent({*one}, config, false);
      all_consistent = all_consistent && tracker.History(probe % 64).size() <= 8;
      ++probe;
    } while (writers_left.load() > 0);
  });
  for (auto& t : threads) t.join();
  reader.join();
  EXPECT_TRUE(all_consistent);
  EXPECT_EQ(tracker.requests(), int64_t{kWriters} * kPerWriter);
  EXPECT_EQ(tracker.tracked(), 256u);
  EXPECT_EQ(tracker.window(), 39);  // last time 1999 * 0.01 = 19.99 s -> window 39
}

}  // namespace
}  // namespace kvb
