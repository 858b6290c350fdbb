#include "core/hotspot/hotspot_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using Ids = std::vector<BlockId>;

HotspotConfig RequestWindows(double size, size_t shards = 4) {
  HotspotConfig config;
  config.shards = shards;
  config.capacity = 1 << 16;
  config.window_size = size;
  return config;
}

HotspotStats Get(const HotspotTracker& tracker, BlockId id) {
  const auto stats = tracker.Lookup(id);
  EXPECT_TRUE(stats.has_value()) << id;
  return stats.value_or(HotspotStats{});
}

TEST(HotspotTrackerTest, CountsEachIdOncePerRequest) {
  HotspotTracker tracker(RequestWindows(1000));
  tracker.RecordRequest(Ids{1, 2, 3});
  tracker.RecordRequest(Ids{1, 2});
  tracker.RecordRequest(Ids{1});
  tracker.RecordRequest(Ids{1, 1, 1});  // one request containing 1
  tracker.RecordRequest(Ids{});         // counts in the request total only
  tracker.RecordRequest(Ids{7, 5});
  EXPECT_EQ(tracker.requests(), 6);
  EXPECT_EQ(tracker.tracked(), 5u);

  const auto top = tracker.Snapshot(10);
  ASSERT_EQ(top.size(), 5u);
  const std::vector<std::pair<BlockId, double>> want = {{1, 4}, {2, 2}, {3, 1}, {5, 1}, {7, 1}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(top[i].id, want[i].first) << i;
    EXPECT_EQ(top[i].count, want[i].second) << i;
    EXPECT_EQ(top[i].error, 0);
  }
  // 1 is in 4 of 6 requests of window 0.
  EXPECT_DOUBLE_EQ(top[0].intensity, 4.0 / 6);
  const auto two = tracker.Snapshot(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].id, 2u);
  EXPECT_TRUE(tracker.Snapshot(0).empty());
  EXPECT_FALSE(tracker.Lookup(4).has_value());
}

TEST(HotspotTrackerTest, IntensityOverTheCurrentAndPreviousRequestWindow) {
  HotspotTracker tracker(RequestWindows(10));
  // Window 0 (requests 0..9): 1 in all, 2 in the first 5, 3 in one.
  for (int i = 0; i < 10; ++i) {
    Ids ids = {1};
    if (i < 5) ids.push_back(2);
    if (i == 9) ids.push_back(3);
    tracker.RecordRequest(ids);
  }
  EXPECT_EQ(tracker.window(), 0);
  EXPECT_DOUBLE_EQ(Get(tracker, 1).intensity, 1.0);  // 10 / 10
  EXPECT_DOUBLE_EQ(Get(tracker, 2).intensity, 0.5);  // 5 / 10
  EXPECT_TRUE(Get(tracker, 2).current_hot);          // 0.5 > theta 0.1
  // Request 10 opens window 1: shares over window 0 and 1 = 11 requests.
  tracker.RecordRequest(Ids{1});
  EXPECT_EQ(tracker.window(), 1);
  EXPECT_DOUBLE_EQ(Get(tracker, 1).intensity, 1.0);       // (1 + 10) / 11
  EXPECT_DOUBLE_EQ(Get(tracker, 2).intensity, 5.0 / 11);  // (0 + 5) / 11
  EXPECT_DOUBLE_EQ(Get(tracker, 3).intensity, 1.0 / 11);
  EXPECT_EQ(Get(tracker, 2).window_count, 0u);
  // Requests 11..20: window 1 completes, request 20 opens window 2 -> windows 1 and 2 count,
  // which hold neither 2 nor 3: their intensities fall to 0, counts stay.
  for (int i = 11; i <= 20; ++i) tracker.RecordRequest(Ids{1});
  EXPECT_EQ(tracker.window(), 2);
  EXPECT_EQ(Get(tracker, 2).intensity, 0);
  EXPECT_EQ(Get(tracker, 2).count, 5);
  EXPECT_FALSE(Get(tracker, 2).current_hot);
  EXPECT_EQ(Get(tracker, 3).intensity, 0);
  EXPECT_DOUBLE_EQ(Get(tracker, 1).intensity, 1.0);  // 11 / 11
}

TEST(HotspotTrackerTest, RollOverBuildsHistoryAndTrend) {
  HotspotConfig config = RequestWindows(10, 2);
  config.history_length = 5;
  HotspotTracker tracker(config);
  // Windows 0..5: id 7 in w + 1 of the 10 requests of window w; 99 in every request.
  for (int w = 0; w <= 5; ++w) {
    for (int i = 0; i < 10; ++i) {
      Ids ids = {99};
      if (i <= w) ids.push_back(7);
      tracker.RecordRequest(ids);
    }
  }
  EXPECT_EQ(tracker.History(7), (std::vector<int64_t>{1, 2, 3, 4, 5}));  // windows 0..4
  tracker.RecordRequest(Ids{99});  // request 60 opens window 6 and closes window 5
  // K = 5 keeps windows 1..5.
  EXPECT_EQ(tracker.History(7), (std::vector<int64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(tracker.History(99), (std::vector<int64_t>{10, 10, 10, 10, 10}));
  const HotspotStats s = Get(tracker, 7);
  EXPECT_EQ(s.count, 21);  // 1 + 2 + ... + 6
  // slope of [2..6] = 1 -> trend 1; intensity (0 + 6) / (1 + 10) = 0.545 -> ratio 5.45 ->
  // 1; freq: a = (4 + 5 + 6) / 3 = 5 > last point 6 / 2 = 3 -> 1; score 1.
  EXPECT_DOUBLE_EQ(s.slope, 1);
  EXPECT_DOUBLE_EQ(s.intensity, 6.0 / 11);
  EXPECT_DOUBLE_EQ(s.prediction_score, 1);
  EXPECT_TRUE(s.predicted_hot);
  EXPECT_TRUE(s.current_hot);
  EXPECT_EQ(s.replication_factor, 4);  // current, 0.545 >= 0.5 -> 1 + min(3, 3)
  // A flat id: slope 0 -> 0; intensity 1 -> 0.4; a = 10 > 10 / 2 -> freq 1 -> 0.2. In
  // doubles 0 + 0.4 + 0.2 = 0.6000000000000001 > 0.6: predicted hot, as in the seed; but
  // slope 0 <= 0.1, so only the current rule replicates: intensity 1 -> 4.
  const HotspotStats flat = Get(tracker, 99);
  EXPECT_EQ(flat.slope, 0);
  EXPECT_DOUBLE_EQ(flat.prediction_score, 0.6);
  EXPECT_TRUE(flat.predicted_hot);
  EXPECT_EQ(flat.replication_factor, 4);
  // A new id seen once in the open window: no history; intensity (1 + 0) / (2 + 10) = 1/12
  // -> ratio 0.83 -> 1 -> score 0.4: neither hot (1/12 <= 0.1), r = 1.
  tracker.RecordRequest(Ids{99, 5});
  const HotspotStats fresh = Get(tracker, 5);
  EXPECT_DOUBLE_EQ(fresh.intensity, 1.0 / 12);
  EXPECT_DOUBLE_EQ(fresh.prediction_score, 0.4);
  EXPECT_FALSE(fresh.predicted_hot);
  EXPECT_FALSE(fresh.current_hot);
  EXPECT_EQ(fresh.replication_factor, 1);
}

TEST(HotspotTrackerTest, AnIdUntouchedForWindowsCatchesUpWithZeros) {
  // Windows of 10 requests, K = 4. Id 7 is in 3 requests of window 0, then absent while id
  // 99 fills the windows after. Read in window 2: closed windows 0, 1 hold 3, 0. Read in
  // window 6: the last K closed windows, 2..5, all hold 0 (its 3 fell off the ring).
  for (const bool late : {false, true}) {
    HotspotConfig config = RequestWindows(10, 1);
    config.history_length = 4;
    HotspotTracker tracker(config);
    for (int i = 0; i < 10; ++i) tracker.RecordRequest(i < 3 ? Ids{7, 99} : Ids{99});
    const int windows = late ? 6 : 2;
    for (int w = 1; w < windows; ++w) {
      for (int i = 0; i < 10; ++i) tracker.RecordRequest(Ids{99});
    }
    tracker.RecordRequest(Ids{99});  // opens the window it is read in
    EXPECT_EQ(tracker.History(7),
              late ? (std::vector<int64_t>{0, 0, 0, 0}) : (std::vector<int64_t>{3, 0}));
    EXPECT_EQ(tracker.History(99),
              late ? (std::vector<int64_t>{10, 10, 10, 10}) : (std::vector<int64_t>{10, 10}));
    // Intensity: none of id 7 in the open window (1 request) or the one before (10).
    EXPECT_DOUBLE_EQ(Get(tracker, 7).intensity, 0.0);
    // Counted again: the catch-up happens before the count, which lands in the open window.
    tracker.RecordRequest(Ids{7});
    EXPECT_EQ(Get(tracker, 7).window_count, 1u);
    EXPECT_EQ(Get(tracker, 7).count, 4);
  }
}

TEST(HotspotTrackerTest, ReadHistoryIsLookupsIntensityAndHistorysCounts) {
  HotspotConfig config = RequestWindows(10, 2);
  config.history_length = 5;
  HotspotTracker tracker(config);
  for (int w = 0; w <= 6; ++w) {
    for (int i = 0; i < 10; ++i) {
      Ids ids = {99};
      if (i <= w) ids.push_back(7);
      tracker.RecordRequest(ids);
    }
  }
  tracker.RecordRequest(Ids{99});                               // opens window 7
  std::vector<int64_t> history = {42, 42, 42, 42, 42, 42, 42};  // cleared, not appended to
  double intensity = -1;
  ASSERT_TRUE(tracker.ReadHistory(7, &intensity, &history));
  // Windows 2..6 hold 3..7 of id 7's requests; (0 + 7) / (1 + 10) of the open and last.
  EXPECT_EQ(history, (std::vector<int64_t>{3, 4, 5, 6, 7}));
  EXPECT_EQ(history, tracker.History(7));
  EXPECT_DOUBLE_EQ(intensity, 7.0 / 11);
  EXPECT_DOUBLE_EQ(intensity, Get(tracker, 7).intensity);
  // Untracked: false, and the outputs are left alone.
  EXPECT_FALSE(tracker.ReadHistory(12345, &intensity, &history));
  EXPECT_DOUBLE_EQ(intensity, 7.0 / 11);
  EXPECT_EQ(history.size(), 5u);
}

TEST(HotspotTrackerTest, DecayScalesCountsAtEachRollOver) {
  HotspotConfig config = RequestWindows(2, 1);
  config.decay = 0.5;
  HotspotTracker tracker(config);
  tracker.RecordRequest(Ids{1});
  tracker.RecordRequest(Ids{1});  // window 0: 1 -> 2
  tracker.RecordRequest(Ids{2});  // window 1: 1 -> 2 * 0.5 = 1, 2 -> 1
  EXPECT_EQ(Get(tracker, 1).count, 1);
  EXPECT_EQ(Get(tracker, 2).count, 1);
  tracker.RecordRequest(Ids{1});  // 1 -> 2
  tracker.RecordRequest(Ids{3});  // window 2: 1 -> 1, 2 -> 0.5, 3 -> 1
  EXPECT_EQ(Get(tracker, 1).count, 1);
  EXPECT_EQ(Get(tracker, 2).count, 0.5);
  EXPECT_EQ(Get(tracker, 3).count, 1);
  // Histories keep raw window counts.
  EXPECT_EQ(tracker.History(1), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(tracker.History(2), (std::vector<int64_t>{1}));
  // Ties on count: lower id first.
  const auto top = tracker.Snapshot(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 1u);
  EXPECT_EQ(top[1].id, 3u);
  EXPECT_EQ(top[2].id, 2u);
}

TEST(HotspotTrackerTest, TimeWindows) {
  HotspotConfig config = RequestWindows(2, 3);
  config.window_kind = WindowKind::kSeconds;
  HotspotTracker tracker(config);
  tracker.RecordRequest(Ids{1}, 0.5);
  tracker.RecordRequest(Ids{1}, 1.9);
  EXPECT_EQ(tracker.window(), 0);
  tracker.RecordRequest(Ids{1, 2}, 2.0);  // [2, 4): window 1
  tracker.RecordRequest(Ids{2}, 1.0);     // late: stays in window 1
  EXPECT_EQ(tracker.window(), 1);
  // Window 1 and 0: 4 requests; 1 in 3, 2 in 2.
  EXPECT_DOUBLE_EQ(Get(tracker, 1).intensity, 0.75);
  EXPECT_DOUBLE_EQ(Get(tracker, 2).intensity, 0.5);
  tracker.RecordRequest(Ids{3}, 7.5);  // window 3: window 2 passes empty
  EXPECT_EQ(tracker.window(), 3);
  EXPECT_EQ(tracker.requests(), 5);
  EXPECT_EQ(tracker.History(1), (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(tracker.History(2), (std::vector<int64_t>{2, 0}));
  // Windows 3 and 2 hold one request, containing only 3.
  EXPECT_EQ(Get(tracker, 1).intensity, 0);
  EXPECT_EQ(Get(tracker, 3).intensity, 1);
  // A jump far ahead costs at most K zeros per id.
  tracker.RecordRequest(Ids{3}, 1e9);
  EXPECT_EQ(tracker.History(1).size(), 20u);
  EXPECT_EQ(tracker.History(1).back(), 0);
}

// Zipf(s) ids over 0..n-1 by inverse CDF.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1 / std::pow(static_cast<double>(i + 1), s);
    for (double& c : cdf_) c /= sum;
  }
  BlockId operator()(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<BlockId>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

// Checks the space-saving guarantees against exact counts of a Zipf stream.
void CheckSpaceSaving(size_t shards, size_t capacity) {
  HotspotConfig config = RequestWindows(1e9, shards);
  config.capacity = capacity;
  HotspotTracker tracker(config);
  Zipf zipf(20000, 1.05);
  std::mt19937_64 rng(42);
  absl::flat_hash_map<BlockId, int64_t> exact;
  std::vector<int64_t> shard_total(shards, 0);
  for (int r = 0; r < 20000; ++r) {
    Ids ids;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) ids.push_back(zipf(rng));
    tracker.RecordRequest(ids);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const BlockId id : ids) {
      ++exact[id];
      ++shard_total[tracker.ShardOf(id)];
    }
  }
  ASSERT_EQ(tracker.tracked(), shards * tracker.shard_capacity());  // every shard is full
  const auto all = tracker.Snapshot(capacity + shards);
  double max_error = 0;
  for (const HotspotStats& s : all) {
    const double truth = static_cast<double>(exact[s.id]);
    EXPECT_LE(s.count - s.error, truth) << s.id;
    EXPECT_GE(s.count, truth) << s.id;
    max_error = std::max(max_error, s.error);
  }
  EXPECT_GT(max_error, 0);  // the stream did overflow the table
  size_t heavy = 0;
  for (const auto& [id, truth] : exact) {
    const double bound = static_cast<double>(shard_total[tracker.ShardOf(id)]) /
                         static_cast<double>(tracker.shard_capacity());
    if (static_cast<double>(truth) > bound) {
      ++heavy;
      EXPECT_TRUE(tracker.Lookup(id).has_value()) << id << " true " << truth;
    }
  }
  EXPECT_GT(heavy, 10u);
}

TEST(HotspotTrackerTest, SpaceSavingGuaranteesOneShard) { CheckSpaceSaving(1, 200); }

TEST(HotspotTrackerTest, SpaceSavingGuaranteesPerShard) { CheckSpaceSaving(4, 400); }

// The same calls give the same snapshots, with locks or without (one owning thread).
TEST(HotspotTrackerTest, DeterministicSnapshots) {
  bool concurrent = true;
  auto run = [&concurrent] {
    HotspotConfig config = RequestWindows(50, 8);
    config.capacity = 300;
    config.decay = 0.9;
    config.concurrent = concurrent;
    HotspotTracker tracker(config);
    Zipf zipf(5000, 1.1);
    std::mt19937_64 rng(7);
    for (int r = 0; r < 3000; ++r) {
      Ids ids;
      for (int i = 0; i < 6; ++i) ids.push_back(zipf(rng));
      tracker.RecordRequest(ids);
    }
    return tracker.Snapshot(50);
  };
  const auto a = run();
  concurrent = false;
  const auto b = run();
  ASSERT_EQ(a.size(), 50u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].count, b[i].count);
    EXPECT_EQ(a[i].error, b[i].error);
    EXPECT_EQ(a[i].intensity, b[i].intensity);
    EXPECT_EQ(a[i].slope, b[i].slope);
    EXPECT_EQ(a[i].prediction_score, b[i].prediction_score);
  }
  for (size_t i = 1; i < a.size(); ++i) {
    EXPECT_TRUE(a[i - 1].count > a[i].count ||
                (a[i - 1].count == a[i].count && a[i - 1].id < a[i].id));
  }
}

TEST(HotspotTrackerTest, RejectsBadConfig) {
  const auto bad = [](auto change) {
    HotspotConfig config;
    change(config);
    EXPECT_THROW(HotspotTracker{config}, std::invalid_argument);
  };
  bad([](HotspotConfig& c) { c.shards = 0; });
  bad([](HotspotConfig& c) { c.capacity = 0; });
  bad([](HotspotConfig& c) { c.window_size = 0; });
  bad([](HotspotConfig& c) { c.window_size = 2.5; });
  bad([](HotspotConfig& c) {
    c.window_kind = WindowKind::kSeconds;
    c.window_size = -1;
  });
  bad([](HotspotConfig& c) { c.history_length = 0; });
  bad([](HotspotConfig& c) { c.decay = 0; });
  bad([](HotspotConfig& c) { c.decay = 1.5; });
  bad([](HotspotConfig& c) { c.nodes = 0; });
  bad([](HotspotConfig& c) { c.rules.theta = 0; });
  HotspotConfig seconds;
  seconds.window_kind = WindowKind::kSeconds;
  seconds.window_size = 2.5;
  EXPECT_NO_THROW(HotspotTracker{seconds});
}

}  // namespace
}  // namespace kvb
