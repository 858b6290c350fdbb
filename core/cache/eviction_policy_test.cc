// Every eviction policy against an independent reference model written here (plain std
// containers and linear scans, sharing no code with the policies), on hand-written
// streams whose victims were worked out by hand and on long random streams.

#include "core/cache/eviction_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/cache/lfu.h"
#include "core/cache/s3fifo.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

constexpr int kNone = -1;

// An id-level cache model: Access returns whether `id` hit and sets *victim (kNone if no
// block left) on a miss, which inserts it.
class ReferenceCache {
 public:
  explicit ReferenceCache(size_t capacity) : capacity_(capacity) {}
  virtual ~ReferenceCache() = default;
  virtual bool Contains(int id) const = 0;
  virtual bool Access(int id, int* victim) = 0;
  virtual void Remove(int id) = 0;

 protected:
  size_t capacity_;
};

// LRU: list ordered most recent first.
class ReferenceLru : public ReferenceCache {
 public:
  using ReferenceCache::ReferenceCache;
  bool Contains(int id) const override {
    return std::find(order_.begin(), order_.end(), id) != order_.end();
  }
  bool Access(int id, int* victim) override {
    *victim = kNone;
    auto it = std::find(order_.begin(), order_.end(), id);
    if (it != order_.end()) {
      order_.erase(it);
      order_.push_front(id);
      return true;
    }
    if (capacity_ == 0) return false;
    if (order_.size() == capacity_) {
      *victim = order_.back();
      order_.pop_back();
    }
    order_.push_front(id);
    return false;
  }
  void Remove(int id) override { order_.remove(id); }

 private:
  std::list<int> order_;
};

// FIFO: deque ordered oldest first; hits change nothing.
class ReferenceFifo : public ReferenceCache {
 public:
  using ReferenceCache::ReferenceCache;
  bool Contains(int id) const override {
    return std::find(queue_.begin(), queue_.end(), id) != queue_.end();
  }
  bool Access(int id, int* victim) override {
    *victim = kNone;
    if (Contains(id)) return true;
    if (capacity_ == 0) return false;
    if (queue_.size() == capacity_) {
      *victim = queue_.front();
      queue_.pop_front();
    }
    queue_.push_back(id);
    return false;
  }
  void Remove(int id) override { queue_.erase(std::find(queue_.begin(), queue_.end(), id)); }

 private:
  std::deque<int> queue_;
};

// LFU as the seed states it: the victim has the lowest frequency and, among those, joined
// that frequency earliest (by insertion or by the hit that raised it).
class ReferenceLfu : public ReferenceCache {
 public:
  using ReferenceCache::ReferenceCache;
  bool Contains(int id) const override { return entries_.count(id) > 0; }
  bool Access(int id, int* victim) override {
    *victim = kNone;
    auto it = entries_.find(id);
    if (it != entries_.end()) {
      ++it->second.frequency;
      it->second.joined = ++clock_;
      return true;
    }
    if (capacity_ == 0) return false;
    if (entries_.size() == capacity_) {
      auto lowest = entries_.begin();
      for (auto e = entries_.begin(); e != entries_.end(); ++e) {
        if (std::make_pair(e->second.frequency, e->second.joined) <
            std::make_pair(lowest->second.frequency, lowest->second.joined)) {
          lowest = e;
        }
      }
      *victim = lowest->first;
      entries_.erase(lowest);
    }
    entries_[id] = Entry{1, ++clock_};
    return false;
  }
  void Remove(int id) override { entries_.erase(id); }

 private:
  struct Entry {
    int64_t frequency;
    int64_t joined;
  };
  std::map<int, Entry> entries_;
  int64_t clock_ = 0;
};

// SIEVE: list from head (newest) to tail (oldest); the hand is an iterator, end() = "at the
// tail".
class ReferenceSieve : public ReferenceCache {
 public:
  using ReferenceCache::ReferenceCache;
  bool Contains(int id) const override { return Find(id) != queue_.end(); }
  bool Access(int id, int* victim) override {
    *victim = kNone;
    auto it = Find(id);
    if (it != queue_.end()) {
      it->visited = true;
      return true;
    }
    if (capacity_ == 0) return false;
    if (queue_.size() == capacity_) {
      auto look = hand_ == queue_.end() ? std::prev(queue_.end()) : hand_;
      while (look->visited) {
        look->visited = false;
        look = look == queue_.begin() ? std::prev(queue_.end()) : std::prev(look);
      }
      hand_ = look == queue_.begin() ? queue_.end() : std::prev(look);
      *victim = look->id;
      queue_.erase(look);
    }
    queue_.push_front(Entry{id, false});
    return false;
  }
  void Remove(int id) override {
    auto it = Find(id);
    if (hand_ == it) hand_ = it == queue_.begin() ? queue_.end() : std::prev(it);
    queue_.erase(it);
  }

 private:
  struct Entry {
    int id;
    bool visited;
  };
  std::list<Entry>::const_iterator Find(int id) const {
    return std::find_if(queue_.begin(), queue_.end(), [&](const Entry& e) { return e.id == id; });
  }
  std::list<Entry>::iterator Find(int id) {
    return std::find_if(queue_.begin(), queue_.end(), [&](const Entry& e) { return e.id == id; });
  }
  std::list<Entry> queue_;
  std::list<Entry>::iterator hand_ = queue_.end();
};

// S3-FIFO, Algorithm 1 with the choices documented in s3fifo.h. Deques run from head
// (front, newest) to tail (back).
class ReferenceS3Fifo : public ReferenceCache {
 public:
  explicit ReferenceS3Fifo(size_t capacity)
      : ReferenceCache(capacity),
        small_target_(static_cast<size_t>(std::ceil(0.1 * static_cast<double>(capacity)))),
        main_capacity_(capacity > small_target_ ? capacity - small_target_ : 0) {}
  bool Contains(int id) const override { return In(small_, id) || In(main_, id); }
  bool Access(int id, int* victim) override {
    *victim = kNone;
    if (Contains(id)) {
      frequency_[id] = std::min(frequency_[id] + 1, 3);
      return true;
    }
    if (capacity_ == 0) return false;
    if (small_.size() + main_.size() == capacity_) *victim = Evict();
    frequency_[id] = 0;
    auto in_ghost = std::find(ghost_.begin(), ghost_.end(), id);
    if (in_ghost != ghost_.end()) {
      ghost_.erase(in_ghost);
      main_.push_front(id);
    } else {
      small_.push_front(id);
    }
    return false;
  }
  void Remove(int id) override {
    if (In(small_, id)) small_.erase(std::find(small_.begin(), small_.end(), id));
    if (In(main_, id)) main_.erase(std::find(main_.begin(), main_.end(), id));
  }

 private:
  static bool In(const std::deque<int>& q, int id) {
    return std::find(q.begin(), q.end(), id) != q.end();
  }
  int Evict() {
    // |S| >= 10% of the capacity, in integers.
    if (small_.size() * 10 >= capacity_ || main_.empty()) return EvictSmall();
    return EvictMain();
  }
  int EvictSmall() {
    while (!small_.empty()) {
      const int tail = small_.back();
      small_.pop_back();
      if (frequency_[tail] > 1) {
        int victim = kNone;
        if (main_.size() >= main_capacity_ && !main_.empty()) victim = EvictMain();
        main_.push_front(tail);
        if (victim != kNone) return victim;
      } else {
        ghost_.push_front(tail);
        while (ghost_.size() > main_capacity_) ghost_.pop_back();
        return tail;
      }
    }
    return EvictMain();
  }
  int EvictMain() {
    for (;;) {
      const int tail = main_.back();
      main_.pop_back();
      if (frequency_[tail] == 0) return tail;
      --frequency_[tail];
      main_.push_front(tail);
    }
  }

  size_t small_target_;
  size_t main_capacity_;
  std::deque<int> small_, main_, ghost_;
  std::map<int, int> frequency_;
};

std::unique_ptr<ReferenceCache> MakeReference(const std::string& name, size_t capacity) {
  if (name == "lru") return std::make_unique<ReferenceLru>(capacity);
  if (name == "fifo") return std::make_unique<ReferenceFifo>(capacity);
  if (name == "lfu") return std::make_unique<ReferenceLfu>(capacity);
  if (name == "sieve") return std::make_unique<ReferenceSieve>(capacity);
  if (name == "s3fifo") return std::make_unique<ReferenceS3Fifo>(capacity);
  ADD_FAILURE() << "no reference for " << name;
  return nullptr;
}

// The policy under test, behind a BlockCache, with the reference's interface.
class CacheUnderTest {
 public:
  CacheUnderTest(const std::string& name, size_t capacity, size_t universe)
      : cache_(capacity, universe, FindEvictionPolicy(name)->make(capacity, universe)) {}
  bool Access(int id, int* victim) {
    *victim = kNone;
    if (cache_.Touch(static_cast<BlockId>(id))) return true;
    cache_.Insert(static_cast<BlockId>(id), [&](BlockId v) {
      EXPECT_EQ(*victim, kNone) << "two victims for one insert";
      *victim = static_cast<int>(v);
    });
    return false;
  }
  BlockCache& cache() { return cache_; }

 private:
  BlockCache cache_;
};

// A stream written as "1 2 1h 3-2": "ID" = miss with no victim, "IDh" = hit, "ID-V" = miss
// evicting V.
struct Step {
  int id;
  bool hit;
  int victim;
};
std::vector<Step> ParseStream(const std::string& text) {
  std::vector<Step> steps;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    Step step{std::stoi(token), token.back() == 'h', kNone};
    const size_t dash = token.find('-');
    if (dash != std::string::npos) step.victim = std::stoi(token.substr(dash + 1));
    steps.push_back(step);
  }
  return steps;
}

// Runs the stream through the policy and its reference; both must match every step.
void ExpectStream(const std::string& name, size_t capacity, const std::string& stream,
                  CacheUnderTest* keep = nullptr) {
  CacheUnderTest local(name, capacity, 100);
  CacheUnderTest& actual = keep != nullptr ? *keep : local;
  std::unique_ptr<ReferenceCache> reference = MakeReference(name, capacity);
  const std::vector<Step> steps = ParseStream(stream);
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    int victim = kNone;
    EXPECT_EQ(actual.Access(s.id, &victim), s.hit) << name << " step " << i << " id " << s.id;
    EXPECT_EQ(victim, s.victim) << name << " step " << i << " id " << s.id;
    EXPECT_EQ(reference->Access(s.id, &victim), s.hit) << "reference step " << i;
    EXPECT_EQ(victim, s.victim) << "reference step " << i << " id " << s.id;
  }
}

TEST(EvictionPolicyRegistryTest, ListsEveryPolicyInAStableOrder) {
  std::vector<std::string> names;
  for (const EvictionPolicyInfo& info : EvictionPolicies()) {
    names.emplace_back(info.name);
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_FALSE(info.source.empty()) << info.name;
    EXPECT_EQ(FindEvictionPolicy(info.name), &info);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"lru", "lfu", "fifo", "sieve", "s3fifo"}));
  EXPECT_EQ(FindEvictionPolicy("LRU"), nullptr);
  EXPECT_EQ(FindEvictionPolicy(""), nullptr);
}

TEST(LruTest, EvictsLeastRecentlyInsertedOrHit) {
  // Recency after each step (most recent first): 1 | 21 | 321 | 132 | 4 evicts 2: 413 |
  // 341 | 5 evicts 1: 534 | 453 | 6 evicts 3.
  ExpectStream("lru", 3, "1 2 3 1h 4-2 3h 5-1 4h 6-3");
}

TEST(FifoTest, EvictsOldestInsertedAndIgnoresHits) {
  // Queue oldest first: 123 | hit 1 changes nothing | 4 evicts 1: 234 | 5 evicts 2: 345 |
  // 1 evicts 3: 451 | 6 evicts 4 although it was just hit.
  ExpectStream("fifo", 3, "1 2 3 1h 4-1 2h 5-2 1-3 4h 6-4");
}

TEST(LfuTest, EvictsOldestOfLowestFrequencyGroup) {
  // Groups (frequency: oldest first): f1:123 | 1h: f1:23 f2:1 | 2h: f1:3 f2:12 |
  // 4 evicts 3 (lowest group): f1:4 f2:12 | 4h: f2:124 | 5 evicts 1 (oldest of f2, as f1
  // is empty): f1:5 f2:24 | 2h: f1:5 f2:4 f3:2 | 6 evicts 5 | 7 evicts 6 | 7h: f2:47 f3:2 |
  // 8 evicts 4, which joined f2 before 7 did.
  ExpectStream("lfu", 3, "1 2 3 1h 2h 4-3 4h 5-1 2h 6-5 7-6 7h 8-4");
}

TEST(LfuTest, FrequencyStartsAtOneAndCountsHits) {
  LfuPolicy lfu(4);
  lfu.OnInsert(0, 10);
  lfu.OnInsert(1, 11);
  EXPECT_EQ(lfu.frequency(0), 1u);
  lfu.OnHit(0);
  lfu.OnHit(0);
  lfu.OnHit(1);
  EXPECT_EQ(lfu.frequency(0), 3u);
  EXPECT_EQ(lfu.frequency(1), 2u);
  EXPECT_EQ(lfu.Evict(), 1u);
  lfu.OnInsert(2, 12);
  lfu.OnRemove(2);
  EXPECT_EQ(lfu.Evict(), 0u);
}

TEST(SieveTest, HandKeepsItsPlaceAndWraps) {
  // Queue from head to tail, * = visited, ^ = hand (none: the tail).
  // 1 2 3: 3 2 1 | 1h 2h: 3 2* 1* | 4: the hand clears 1 and 2 and evicts 3; 3 was the
  // head, so the hand goes back to the tail: 4 2 1 | 1h: 4 2 1* | 5: clears 1, evicts 2,
  // hand on 4: 5 4^ 1 | 6 evicts 4, not the older unvisited 1, since the hand is past it:
  // 6 5^ 1 | 7 evicts 5: 7 6^ 1 | 6h 7h: 7* 6*^ 1 | 8: clears 6 and 7, wraps to the tail and
  // evicts 1; hand on 6: 8 7 6^ | 9 evicts 6.
  ExpectStream("sieve", 3, "1 2 3 1h 2h 4-3 1h 5-2 6-4 7-5 6h 7h 8-1 9-6");
}

TEST(S3FifoTest, GhostPromotionAndMainReinsertion) {
  // Capacity 4: S target 1, M capacity 3, G holds 3 ids. Queues from head to tail.
  // 1 2 3 4: S 4321 | 1h 1h 3h: freq 1=2, 3=1.
  // 5: S's tail 1 has freq 2 > 1: moves to M; tail 2 (freq 0) leaves, G 2 | S 543 M 1.
  // 2: S's tail 3 (freq 1, not > 1) leaves, G 32; 2 is in G: enters M, G 3 | S 54 M 21.
  // 6 evicts 4 (G 43), 7 evicts 5 (G 543) | S 76 M 21.
  // 4 evicts 6 (G 654; 3 falls out); 4 is in G: M 421, G 65 | S 7.
  // 5 evicts 7 (G 765); 5 is in G: M 5421, G 76 | S empty.
  // 8: |S| = 0 < 1, so M: tail 1 (freq 2) goes back to the head with freq 1, tail 2 (freq 0)
  //    is evicted | S 8 M 154.
  // 9 evicts 8 (G 876) | S 9. 9h 9h: freq 2.
  // 10: S's tail 9 must move to M, which is full (3): M evicts its tail 4 first | S 10 M 915.
  // 11 evicts 10 (G 10 8 7) | 1h | 12 evicts 11 (G 11 10 8) | S 12 M 915.
  CacheUnderTest cache("s3fifo", 4, 100);
  ExpectStream("s3fifo", 4,
               "1 2 3 4 1h 1h 3h 5-2 2-3 6-4 7-5 4-6 5-7 8-2 9-8 9h 9h 10-4 11-10 1h 12-11",
               &cache);
  const auto& s3 = dynamic_cast<const S3FifoPolicy&>(cache.cache().policy());
  EXPECT_EQ(s3.small_target(), 1u);
  EXPECT_EQ(s3.main_capacity(), 3u);
  EXPECT_EQ(s3.small_size(), 1u);
  EXPECT_EQ(s3.main_size(), 3u);
  EXPECT_EQ(s3.ghost_size(), 3u);
  for (BlockId id : {12u, 9u, 1u, 5u}) EXPECT_TRUE(cache.cache().Contains(id)) << id;
}

TEST(S3FifoTest, SmallQueueTargetRoundsUp) {
  // |S| >= 0.1 * capacity: 1 -> 1, 10 -> 1, 11 -> 2 (1.1 rounds up), 100 -> 10.
  for (const auto& [capacity, target] : std::vector<std::pair<size_t, size_t>>{
           {1, 1}, {2, 1}, {10, 1}, {11, 2}, {19, 2}, {20, 2}, {21, 3}, {100, 10}}) {
    const S3FifoPolicy s3(capacity, 1000);
    EXPECT_EQ(s3.small_target(), target) << capacity;
    EXPECT_EQ(s3.main_capacity(), capacity - target) << capacity;
  }
}

// Ids drawn uniformly or with Zipf-like popularity (weight of id k ~ 1 / (k+1)^0.9).
std::vector<int> RandomStream(bool zipf, int universe, size_t length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> weights(universe);
  for (int k = 0; k < universe; ++k) weights[k] = zipf ? std::pow(k + 1.0, -0.9) : 1.0;
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::vector<int> stream(length);
  for (int& id : stream) id = pick(rng);
  return stream;
}

struct RandomCase {
  std::string policy;
  bool zipf;
};

class PolicyMatchesReferenceTest : public ::testing::TestWithParam<RandomCase> {};

TEST_P(PolicyMatchesReferenceTest, OnRandomStreams) {
  const RandomCase& c = GetParam();
  constexpr int kUniverse = 300;
  for (const size_t capacity : {1, 2, 3, 10, 41, 150, 299, 300, 450}) {
    const std::vector<int> stream = RandomStream(c.zipf, kUniverse, 6000, 7 + capacity);
    CacheUnderTest actual(c.policy, capacity, kUniverse);
    std::unique_ptr<ReferenceCache> reference = MakeReference(c.policy, capacity);
    size_t hits = 0, evictions = 0;
    for (size_t i = 0; i < stream.size(); ++i) {
      int expected_victim = kNone, victim = kNone;
      const bool expected_hit = reference->Access(stream[i], &expected_victim);
      ASSERT_EQ(actual.Access(stream[i], &victim), expected_hit)
          << c.policy << " capacity " << capacity << " step " << i;
      ASSERT_EQ(victim, expected_victim) << c.policy << " capacity " << capacity << " step " << i;
      hits += expected_hit;
      evictions += expected_victim != kNone;
    }
    EXPECT_EQ(actual.cache().evictions(), evictions);
    EXPECT_LE(actual.cache().size(), capacity);
    // The streams exercise both outcomes (except where nothing can be evicted).
    EXPECT_GT(hits, 0u) << capacity;
    if (capacity < static_cast<size_t>(kUniverse)) {
      EXPECT_GT(evictions, 0u) << capacity;
    } else {
      EXPECT_EQ(evictions, 0u) << capacity;
    }
  }
}

TEST_P(PolicyMatchesReferenceTest, OnRandomStreamsWithRemovals) {
  const RandomCase& c = GetParam();
  constexpr int kUniverse = 200;
  size_t removals = 0;
  for (const size_t capacity : {1, 2, 7, 60}) {
    const std::vector<int> stream = RandomStream(c.zipf, kUniverse, 6000, 99 + capacity);
    std::mt19937_64 rng(capacity);
    CacheUnderTest actual(c.policy, capacity, kUniverse);
    std::unique_ptr<ReferenceCache> reference = MakeReference(c.policy, capacity);
    for (size_t i = 0; i < stream.size(); ++i) {
      const int id = stream[i];
      if (rng() % 8 == 0) {  // remove it instead of accessing it, if resident
        const bool resident = reference->Contains(id);
        ASSERT_EQ(actual.cache().Contains(static_cast<BlockId>(id)), resident) << i;
        if (resident) {
          reference->Remove(id);
          actual.cache().Remove(static_cast<BlockId>(id));
          ++removals;
        }
        continue;
      }
      int expected_victim = kNone, victim = kNone;
      const bool expected_hit = reference->Access(id, &expected_victim);
      ASSERT_EQ(actual.Access(id, &victim), expected_hit)
          << c.policy << " capacity " << capacity << " step " << i;
      ASSERT_EQ(victim, expected_victim) << c.policy << " capacity " << capacity << " step " << i;
    }
  }
  EXPECT_GT(removals, 100u);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, PolicyMatchesReferenceTest,
                         ::testing::Values(RandomCase{"lru", true}, RandomCase{"lru", false},
                                           RandomCase{"lfu", true}, RandomCase{"lfu", false},
                                           RandomCase{"fifo", true}, RandomCase{"fifo", false},
                                           RandomCase{"sieve", true}, RandomCase{"sieve", false},
                                           RandomCase{"s3fifo", true}, RandomCase{"s3fifo", false}),
                         [](const ::testing::TestParamInfo<RandomCase>& param) {
                           return param.param.policy + (param.param.zipf ? "Zipf" : "Uniform");
                         });

}  // namespace
}  // namespace kvb
