#include "core/cluster/hbm_prefix_cache.h"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Eviction = std::pair<size_t, BlockId>;

constexpr size_t kUniverse = 16;
constexpr char kPath[] = "cluster.hbm.evictions";

// Records every (node, id) passed to the eviction callback, in order.
struct Recorder {
  std::vector<Eviction> evicted;
  HbmPrefixCache::OnEvict callback() {
    return [this](size_t node, BlockId id) { evicted.emplace_back(node, id); };
  }
};

HbmPrefixCache MakeCache(std::vector<std::string> evictions, size_t max_cached_blocks) {
  return HbmPrefixCache(evictions, max_cached_blocks, kUniverse, kPath);
}

std::vector<BlockId> Ids(std::initializer_list<BlockId> ids) { return ids; }

TEST(HbmPrefixCacheTest, PinHoldsAndCountsDistinctIdsUntilTheLastUnpin) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  Recorder rec;
  const auto ids = Ids({4, 5});
  cache.Pin(0, ids);
  EXPECT_TRUE(cache.Holds(0, 4));
  EXPECT_TRUE(cache.Holds(0, 5));
  EXPECT_TRUE(cache.holders().Holds(4, 0));
  EXPECT_FALSE(cache.Holds(0, 6));  // never pinned
  EXPECT_EQ(cache.pinned_blocks(0), 2u);
  EXPECT_EQ(cache.cached_blocks(0), 0u);
  // Id 4 pinned a second time: still 2 distinct pinned ids (4 and 5).
  cache.Pin(0, Ids({4}));
  EXPECT_EQ(cache.pinned_blocks(0), 2u);
  // One holder of 4 left after one Unpin: 4 stays pinned, not cached.
  cache.Unpin(0, Ids({4}), rec.callback());
  EXPECT_EQ(cache.pinned_blocks(0), 2u);
  EXPECT_EQ(cache.cached_blocks(0), 0u);
  EXPECT_TRUE(cache.Holds(0, 4));
  // The second Unpin releases the last holder: 4 moves to the free queue, still in HBM.
  cache.Unpin(0, Ids({4}), rec.callback());
  EXPECT_EQ(cache.pinned_blocks(0), 1u);  // only 5
  EXPECT_EQ(cache.cached_blocks(0), 1u);  // 4
  EXPECT_TRUE(cache.Holds(0, 4));
  EXPECT_TRUE(cache.holders().Holds(4, 0));
  EXPECT_TRUE(rec.evicted.empty());
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(HbmPrefixCacheTest, DuplicateIdInOneSpanCountsTwoHolders) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  Recorder rec;
  cache.Pin(0, Ids({7, 7}));
  EXPECT_EQ(cache.pinned_blocks(0), 1u);  // one distinct id, two holders
  cache.Unpin(0, Ids({7}), rec.callback());
  EXPECT_EQ(cache.cached_blocks(0), 0u);  // one holder left
  cache.Unpin(0, Ids({7}), rec.callback());
  EXPECT_EQ(cache.cached_blocks(0), 1u);
  EXPECT_EQ(cache.pinned_blocks(0), 0u);
}

TEST(HbmPrefixCacheTest, UnpinVisitsLastToFirstSoLruEvictsChildrenFirst) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  cache.Unpin(0, chain, rec.callback());
  EXPECT_EQ(cache.cached_blocks(0), 3u);
  EXPECT_EQ(cache.pinned_blocks(0), 0u);
  EXPECT_TRUE(rec.evicted.empty());  // capacity 8: nothing leaves on Unpin
  // Unpin inserted 3, then 2, then 1: LRU order oldest -> newest is 3, 2, 1; keep 1 block.
  cache.Fit(0, 1, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}, Eviction{0, 2}));
  EXPECT_EQ(cache.evictions(), 2u);
  EXPECT_EQ(cache.cached_blocks(0), 1u);
  EXPECT_FALSE(cache.Holds(0, 3));
  EXPECT_FALSE(cache.Holds(0, 2));
  EXPECT_FALSE(cache.holders().Holds(3, 0));
  EXPECT_TRUE(cache.Holds(0, 1));
  // Fit to a limit already met evicts nothing.
  cache.Fit(0, 1, rec.callback());
  EXPECT_EQ(rec.evicted.size(), 2u);
  EXPECT_EQ(cache.evictions(), 2u);
}

TEST(HbmPrefixCacheTest, FitWithoutCallbackStillEvicts) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  const auto chain = Ids({1, 2});
  cache.Pin(0, chain);
  cache.Unpin(0, chain, nullptr);
  cache.Fit(0, 0, nullptr);  // both cached blocks leave; an empty callback is allowed
  EXPECT_EQ(cache.evictions(), 2u);
  EXPECT_EQ(cache.cached_blocks(0), 0u);
  EXPECT_FALSE(cache.Holds(0, 1));
  EXPECT_FALSE(cache.Holds(0, 2));
}

TEST(HbmPrefixCacheTest, RepinnedCachedBlockLeavesTheFreeQueue) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  cache.Unpin(0, chain, rec.callback());  // LRU oldest -> newest: 3, 2, 1
  cache.Pin(0, Ids({3}));
  EXPECT_EQ(cache.cached_blocks(0), 2u);  // 3 left the free queue: 2 and 1 remain
  EXPECT_EQ(cache.pinned_blocks(0), 1u);
  EXPECT_TRUE(cache.Holds(0, 3));
  // Fit(0, 0) can only evict the cached 2 then 1 (oldest first); pinned 3 stays.
  cache.Fit(0, 0, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 2}, Eviction{0, 1}));
  EXPECT_TRUE(cache.Holds(0, 3));
  EXPECT_EQ(cache.cached_blocks(0), 0u);
  cache.Unpin(0, Ids({3}), rec.callback());
  EXPECT_EQ(cache.cached_blocks(0), 1u);
  EXPECT_TRUE(cache.Holds(0, 3));
}

TEST(HbmPrefixCacheTest, RepinnedThenUnpinnedBlockIsTheMostRecent) {
  HbmPrefixCache cache = MakeCache({"lru"}, 8);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  cache.Unpin(0, chain, rec.callback());  // oldest -> newest: 3, 2, 1
  cache.Pin(0, Ids({3}));
  cache.Unpin(0, Ids({3}), rec.callback());  // 3 re-enters as newest: 2, 1, 3
  EXPECT_EQ(cache.cached_blocks(0), 3u);
  cache.Fit(0, 1, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 2}, Eviction{0, 1}));
  EXPECT_TRUE(cache.Holds(0, 3));
}

TEST(HbmPrefixCacheTest, CapacityEvictsTheLruBlockOnUnpin) {
  HbmPrefixCache cache = MakeCache({"lru"}, 2);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  EXPECT_EQ(cache.pinned_blocks(0), 3u);  // pins are not bounded by max_cached_blocks
  // Unpin inserts 3, 2 (full), then 1 evicts the LRU one: 3.
  cache.Unpin(0, chain, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}));
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.cached_blocks(0), 2u);
  EXPECT_FALSE(cache.Holds(0, 3));
  EXPECT_TRUE(cache.Holds(0, 2));
  EXPECT_TRUE(cache.Holds(0, 1));
}

TEST(HbmPrefixCacheTest, ZeroCachedBlocksEvictsEveryUnpinnedBlockAtOnce) {
  HbmPrefixCache cache = MakeCache({"lru"}, 0);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  EXPECT_TRUE(cache.Holds(0, 1));  // pinned blocks are held even with no cache room
  // No room for cached blocks: each is evicted as Unpin visits it, last to first.
  cache.Unpin(0, chain, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}, Eviction{0, 2}, Eviction{0, 1}));
  EXPECT_EQ(cache.evictions(), 3u);
  EXPECT_EQ(cache.cached_blocks(0), 0u);
  EXPECT_EQ(cache.pinned_blocks(0), 0u);
  for (BlockId id : chain) EXPECT_FALSE(cache.Holds(0, id));
}

TEST(HbmPrefixCacheTest, NodesAreIndependent) {
  HbmPrefixCache cache = MakeCache({"lru", "lru", "lru"}, 8);
  Recorder rec;
  cache.Pin(0, Ids({1, 2, 3}));
  EXPECT_TRUE(cache.Holds(0, 1));
  EXPECT_FALSE(cache.Holds(1, 1));
  EXPECT_EQ(cache.pinned_blocks(1), 0u);
  cache.Pin(1, Ids({1, 2}));
  cache.Pin(2, Ids({2, 3}));
  // Over {1, 2, 3, 4}: node 0 holds 1, 2, 3 (3); node 1 holds 1, 2 (2); node 2 lacks 1 (0).
  const auto query = Ids({1, 2, 3, 4});
  std::array<uint32_t, 3> per_node{};
  LongestPrefixResult result = cache.holders().LongestPrefix(query, per_node);
  EXPECT_THAT(per_node, ElementsAre(3u, 2u, 0u));
  EXPECT_EQ(result.best_len, 3u);
  EXPECT_THAT(result.best_nodes, ElementsAre(0));
  // Node 1's blocks cached and node 0's evicted: node 1 still holds 1, 2 (2); node 0 none.
  cache.Unpin(1, Ids({1, 2}), rec.callback());
  cache.Unpin(0, Ids({1, 2, 3}), rec.callback());
  cache.Fit(0, 0, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}, Eviction{0, 2}, Eviction{0, 1}));
  EXPECT_EQ(cache.cached_blocks(1), 2u);
  EXPECT_EQ(cache.pinned_blocks(2), 2u);
  result = cache.holders().LongestPrefix(query, per_node);
  EXPECT_THAT(per_node, ElementsAre(0u, 2u, 0u));
  EXPECT_EQ(result.best_len, 2u);
  EXPECT_THAT(result.best_nodes, ElementsAre(1));
  // Over {2, 3}: node 2 holds both (2); node 1 holds 2 only (1); node 0 none.
  result = cache.holders().LongestPrefix(Ids({2, 3}), per_node);
  EXPECT_THAT(per_node, ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(result.best_nodes, ElementsAre(2));
}

TEST(HbmPrefixCacheTest, UnpinOfABlockNotPinnedThereIsALogicError) {
  HbmPrefixCache cache = MakeCache({"lru", "lru"}, 8);
  Recorder rec;
  EXPECT_THROW(cache.Unpin(0, Ids({1}), rec.callback()), std::logic_error);
  cache.Pin(0, Ids({1}));
  EXPECT_THROW(cache.Unpin(1, Ids({1}), rec.callback()), std::logic_error);  // other node
  cache.Unpin(0, Ids({1}), rec.callback());
  // Now cached, not pinned: unpinning it again is an error too.
  EXPECT_THROW(cache.Unpin(0, Ids({1}), rec.callback()), std::logic_error);
}

TEST(HbmPrefixCacheTest, UnknownPolicyIsAnInputErrorNamingPathAndPolicy) {
  const std::string path = "cluster.nodes[1].hbm_eviction";
  try {
    HbmPrefixCache cache({"lru", "lur"}, 8, kUniverse, path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("'lur'"));
  }
  EXPECT_THROW(HbmPrefixCache::EstimateBytes({"nope"}, 8, kUniverse), InputError);
}

TEST(HbmPrefixCacheTest, EmptyClusterIsAnInputError) {
  EXPECT_THROW(HbmPrefixCache({}, 8, kUniverse, kPath), InputError);
}

TEST(HbmPrefixCacheTest, FifoEvictsInUnpinOrder) {
  HbmPrefixCache cache = MakeCache({"fifo"}, 8);
  Recorder rec;
  cache.Pin(0, Ids({1, 2, 3, 4}));
  // Separate Unpins in the order 2, 4, 1, 3: FIFO evicts in that same order.
  for (BlockId id : {2, 4, 1, 3}) cache.Unpin(0, Ids({id}), rec.callback());
  cache.Fit(0, 0, rec.callback());
  EXPECT_THAT(rec.evicted,
              ElementsAre(Eviction{0, 2}, Eviction{0, 4}, Eviction{0, 1}, Eviction{0, 3}));
}

TEST(HbmPrefixCacheTest, FifoCapacityEvictsTheFirstUnpinned) {
  HbmPrefixCache cache = MakeCache({"fifo"}, 2);
  Recorder rec;
  const auto chain = Ids({1, 2, 3});
  cache.Pin(0, chain);
  // One Unpin visits 3, 2, 1: inserting 1 into the full cache evicts the first in: 3.
  cache.Unpin(0, chain, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}));
  // Queue now 2, 1; a re-pin of 2 takes it out, its Unpin puts it last: 1, 2.
  cache.Pin(0, Ids({2}));
  cache.Unpin(0, Ids({2}), rec.callback());
  cache.Fit(0, 0, rec.callback());
  EXPECT_THAT(rec.evicted, ElementsAre(Eviction{0, 3}, Eviction{0, 1}, Eviction{0, 2}));
}

TEST(HbmPrefixCacheTest, EstimateBytesGrowsWithNodes) {
  const BlockCacheBytes one = HbmPrefixCache::EstimateBytes({"lru"}, 8, kUniverse);
  const BlockCacheBytes two = HbmPrefixCache::EstimateBytes({"lru", "fifo"}, 8, kUniverse);
  const BlockCacheBytes two_again = HbmPrefixCache::EstimateBytes({"lru", "fifo"}, 8, kUniverse);
  EXPECT_GT(one.total(), 0u);
  EXPECT_GT(two.total(), one.total());
  EXPECT_GT(two.slots, one.slots);
  EXPECT_EQ(two.total(), two_again.total());
  EXPECT_EQ(two.slots, two_again.slots);
  EXPECT_EQ(two.index, two_again.index);
  EXPECT_EQ(two.policy, two_again.policy);
}

// Under every policy, random pins, unpins and fits on two nodes: a node never caches more
// than its maximum, Fit leaves at most its limit, and the pinned and held blocks match a
// model kept here (the requests in flight) and a count over every id.
TEST(HbmPrefixCacheTest, NoNodeEverCachesMoreThanItsLimit) {
  std::mt19937 rng(11);
  for (const EvictionPolicyInfo& policy : EvictionPolicies()) {
    SCOPED_TRACE(std::string(policy.name));
    const std::string name(policy.name);
    constexpr size_t kMax = 6;
    HbmPrefixCache cache = MakeCache({name, name}, kMax);
    std::array<std::vector<std::vector<BlockId>>, 2> in_flight;  // per node: pinned spans
    for (int op = 0; op < 3000; ++op) {
      const size_t node = rng() % 2;
      const uint32_t kind = rng() % 3;
      if (kind == 0 || in_flight[node].empty()) {
        std::vector<BlockId> ids;
        for (size_t k = 1 + rng() % 4; k > 0; --k) ids.push_back(rng() % kUniverse);
        cache.Pin(node, ids);
        in_flight[node].push_back(ids);
      } else if (kind == 1) {
        const size_t pick = rng() % in_flight[node].size();
        cache.Unpin(node, in_flight[node][pick], nullptr);
        in_flight[node].erase(in_flight[node].begin() + static_cast<ptrdiff_t>(pick));
      } else {
        const size_t limit = rng() % (kMax + 1);
        cache.Fit(node, limit, nullptr);
        ASSERT_LE(cache.cached_blocks(node), limit);
      }
      for (size_t n = 0; n < 2; ++n) {
        ASSERT_LE(cache.cached_blocks(n), kMax);
        std::vector<BlockId> pinned;
        for (const auto& ids : in_flight[n]) pinned.insert(pinned.end(), ids.begin(), ids.end());
        std::sort(pinned.begin(), pinned.end());
        pinned.erase(std::unique(pinned.begin(), pinned.end()), pinned.end());
        ASSERT_EQ(cache.pinned_blocks(n), pinned.size());
        size_t held = 0;
        for (BlockId b = 0; b < kUniverse; ++b) {
          held += cache.Holds(n, b);
          if (std::binary_search(pinned.begin(), pinned.end(), b)) {
            ASSERT_TRUE(cache.Holds(n, b));
          }
        }
        ASSERT_EQ(held, cache.pinned_blocks(n) + cache.cached_blocks(n));
      }
    }
  }
}

}  // namespace
}  // namespace kvb
