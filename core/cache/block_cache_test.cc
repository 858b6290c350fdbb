#include "core/cache/block_cache.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/cache/fifo.h"
#include "core/cache/id_index.h"
#include "core/cache/lru.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;

BlockCache MakeCache(const std::string& policy, size_t capacity, size_t universe) {
  return BlockCache(capacity, universe, FindEvictionPolicy(policy)->make(capacity, universe));
}

TEST(BlockCacheTest, InsertTouchContains) {
  BlockCache cache = MakeCache("lru", 3, 10);
  EXPECT_EQ(cache.capacity(), 3u);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Contains(4));
  EXPECT_FALSE(cache.Touch(4));
  cache.Insert(4);
  cache.Insert(9);
  EXPECT_TRUE(cache.Contains(4));
  EXPECT_TRUE(cache.Contains(9));
  EXPECT_FALSE(cache.Contains(5));
  EXPECT_TRUE(cache.Touch(4));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_TRUE(cache.uses_direct_index());
}

TEST(BlockCacheTest, OnEvictSeesVictimsInPolicyOrderAlreadyGone) {
  BlockCache cache = MakeCache("fifo", 2, 10);
  std::vector<BlockId> victims;
  auto record = [&](BlockId victim) {
    EXPECT_FALSE(cache.Contains(victim));
    EXPECT_EQ(cache.size(), 2u);  // the slot is reused right after
    victims.push_back(victim);
  };
  for (BlockId id : {1u, 2u, 3u, 4u}) cache.Insert(id, record);
  EXPECT_TRUE(cache.Touch(3));  // FIFO: changes nothing
  for (BlockId id : {5u, 6u}) cache.Insert(id, record);
  EXPECT_THAT(victims, ElementsAre(1u, 2u, 3u, 4u));
  EXPECT_EQ(cache.evictions(), 4u);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Contains(5));
  EXPECT_TRUE(cache.Contains(6));
}

TEST(BlockCacheTest, RemoveFreesASlotWithoutEviction) {
  BlockCache cache = MakeCache("lru", 2, 10);
  cache.Insert(1);
  cache.Insert(2);
  cache.Remove(1);
  EXPECT_FALSE(cache.Contains(1));
  EXPECT_EQ(cache.size(), 1u);
  int evicted = 0;
  cache.Insert(3, [&](BlockId) { ++evicted; });  // reuses the freed slot
  EXPECT_EQ(evicted, 0);
  EXPECT_EQ(cache.evictions(), 0u);
  cache.Insert(1, [&](BlockId victim) {
    ++evicted;
    EXPECT_EQ(victim, 2u);  // LRU: 2 is older than 3; the removed 1 is forgotten
  });
  EXPECT_EQ(evicted, 1);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_TRUE(cache.Contains(1));
  EXPECT_TRUE(cache.Contains(3));
}

TEST(BlockCacheTest, CapacityZeroHoldsNothing) {
  BlockCache cache = MakeCache("lru", 0, 10);
  int evicted = 0;
  cache.Insert(1, [&](BlockId) { ++evicted; });
  EXPECT_FALSE(cache.Contains(1));
  EXPECT_FALSE(cache.Touch(1));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(evicted, 0);
  EXPECT_EQ(cache.capacity(), 0u);
}

TEST(BlockCacheTest, CapacityBeyondTheUniverseNeverEvicts) {
  for (const EvictionPolicyInfo& info : EvictionPolicies()) {
    BlockCache cache(1000, 50, info.make(1000, 50));
    for (BlockId id = 0; id < 50; ++id) cache.Insert(id, [](BlockId) { FAIL(); });
    for (BlockId id = 0; id < 50; ++id) EXPECT_TRUE(cache.Touch(id)) << info.name;
    EXPECT_EQ(cache.size(), 50u);
    EXPECT_EQ(cache.capacity(), 1000u);
    EXPECT_EQ(cache.evictions(), 0u);
  }
}

TEST(IdIndexTest, ChoosesTheDirectArrayWhenAffordable) {
  EXPECT_TRUE(IdIndex::ChoosesDirect(1000, 1));
  EXPECT_TRUE(IdIndex::ChoosesDirect(size_t{1} << 18, 1));                // 1 MiB exactly
  EXPECT_FALSE(IdIndex::ChoosesDirect((size_t{1} << 18) + 1, 1));         // beyond 1 MiB
  EXPECT_FALSE(IdIndex::ChoosesDirect(14'000'000, 5'859));                // 1M requests, 3M tokens
  EXPECT_TRUE(IdIndex::ChoosesDirect(16 * 5'859, 5'859));                 // 64 bytes per entry
  EXPECT_TRUE(IdIndex::ChoosesDirect(size_t{1} << 30, size_t{1} << 26));  // <= 16 x entries
  EXPECT_FALSE(IdIndex::ChoosesDirect(size_t{1} << 30, (size_t{1} << 26) - 1));
  EXPECT_FALSE(IdIndex::ChoosesDirect(1000, 0));  // nothing to store
}

// Random inserts, touches and removals against a std::set model of residency; the same
// operations on a small universe (direct array) and, with ids spread over a huge one, on
// the hash map give the same outcomes.
TEST(BlockCacheTest, BothIndexRepresentationsAgreeAndNeverExceedCapacity) {
  constexpr size_t kCapacity = 16;
  constexpr size_t kSmallUniverse = 64;
  constexpr size_t kHugeUniverse = size_t{1} << 31;
  constexpr BlockId kSpread = 30'000'011;  // id -> id * kSpread stays below 2^31
  for (const EvictionPolicyInfo& info : EvictionPolicies()) {
    BlockCache direct(kCapacity, kSmallUniverse, info.make(kCapacity, kSmallUniverse));
    BlockCache hashed(kCapacity, kHugeUniverse, info.make(kCapacity, kHugeUniverse));
    ASSERT_TRUE(direct.uses_direct_index());
    ASSERT_FALSE(hashed.uses_direct_index());
    std::set<BlockId> resident;
    std::mt19937 rng(5);
    for (int step = 0; step < 20000; ++step) {
      const BlockId id = rng() % kSmallUniverse;
      const BlockId far_id = id * kSpread;
      ASSERT_EQ(direct.Contains(id), resident.count(id) > 0) << info.name << " step " << step;
      ASSERT_EQ(hashed.Contains(far_id), resident.count(id) > 0) << info.name << " step " << step;
      if (rng() % 10 == 0) {
        if (resident.count(id)) {
          direct.Remove(id);
          hashed.Remove(far_id);
          resident.erase(id);
        }
        continue;
      }
      const bool hit = direct.Touch(id);
      ASSERT_EQ(hashed.Touch(far_id), hit);
      if (hit) continue;
      BlockId direct_victim = kNoParent, hashed_victim = kNoParent;
      direct.Insert(id, [&](BlockId v) { direct_victim = v; });
      hashed.Insert(far_id, [&](BlockId v) { hashed_victim = v; });
      ASSERT_EQ(direct_victim == kNoParent, resident.size() < kCapacity);
      if (direct_victim != kNoParent) {
        ASSERT_EQ(hashed_victim, direct_victim * kSpread);
        ASSERT_EQ(resident.erase(direct_victim), 1u) << "victim was not resident";
      }
      resident.insert(id);
      ASSERT_LE(direct.size(), kCapacity);
      ASSERT_EQ(direct.size(), resident.size());
      ASSERT_EQ(hashed.size(), resident.size());
    }
    EXPECT_EQ(direct.evictions(), hashed.evictions());
    EXPECT_GT(direct.evictions(), 1000u) << info.name;
  }
}

TEST(BlockCacheTest, ConcretePolicyCallsMatchVirtualOnes) {
  BlockCache a = MakeCache("lru", 3, 20);
  BlockCache b = MakeCache("lru", 3, 20);
  std::vector<BlockId> victims_a, victims_b;
  std::mt19937 rng(11);
  for (int step = 0; step < 2000; ++step) {
    const BlockId id = rng() % 20;
    const bool hit = a.Touch(id);
    ASSERT_EQ(b.TouchAs<LruPolicy>(id), hit);
    if (hit) continue;
    a.Insert(id, [&](BlockId v) { victims_a.push_back(v); });
    b.InsertAs<LruPolicy>(id, [&](BlockId v) { victims_b.push_back(v); });
  }
  EXPECT_EQ(victims_a, victims_b);
  EXPECT_FALSE(victims_a.empty());
}

TEST(BlockCacheTest, IsMovable) {
  std::vector<BlockCache> caches;
  for (int i = 0; i < 4; ++i) caches.push_back(MakeCache("fifo", 2, 10));
  caches[3].Insert(7);
  std::vector<BlockCache> moved = std::move(caches);
  moved.push_back(MakeCache("lru", 1, 10));
  EXPECT_TRUE(moved[3].Contains(7));
  EXPECT_FALSE(moved[2].Contains(7));
}

}  // namespace
}  // namespace kvb
