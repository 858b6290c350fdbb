#include "core/index/prefix_index.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <latch>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/index/bitset_holder_index.h"
#include "core/index/sim_prefix_index.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::Types;

// The i-th test key: interned ids are small and dense; raw ids look like hashes.
template <typename Key>
Key K(uint64_t i) {
  if constexpr (std::is_same_v<Key, BlockId>) {
    return static_cast<BlockId>(i);
  } else {
    return (i + 1) * 0x9E3779B97F4A7C15ull;
  }
}

template <typename Index>
std::vector<typename Index::KeyType> Keys(std::initializer_list<uint64_t> is) {
  std::vector<typename Index::KeyType> keys;
  for (uint64_t i : is) keys.push_back(K<typename Index::KeyType>(i));
  return keys;
}

HolderList Nodes(std::initializer_list<NodeId> nodes) { return HolderList(nodes); }

template <typename Index>
class PrefixIndexTest : public ::testing::Test {};

// SimPrefixIndex keeps masks up to 64 nodes and words and sets beyond: the tests below use
// both (most with a few nodes; ThousandTwentyFourNodeHolderSets and the 130-node reference
// check with words and sets).
using AllIndexes =
    Types<BasicPrefixIndex<RawBlockId, ShardedLocking>, BasicPrefixIndex<BlockId, NoLocking>,
          BasicPrefixIndex<RawBlockId, NoLocking>, BasicPrefixIndex<BlockId, ShardedLocking>,
          SimPrefixIndex>;
TYPED_TEST_SUITE(PrefixIndexTest, AllIndexes);

TYPED_TEST(PrefixIndexTest, AddHoldersRemove) {
  using Key = typename TypeParam::KeyType;
  TypeParam index(8);
  EXPECT_EQ(index.nodes(), 8u);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.Add(3, Keys<TypeParam>({0, 1, 2})), 3u);
  EXPECT_EQ(index.Add(1, K<Key>(1)), 1u);
  EXPECT_EQ(index.Add(7, K<Key>(1)), 1u);
  EXPECT_EQ(index.Holders(K<Key>(0)), Nodes({3}));
  EXPECT_EQ(index.Holders(K<Key>(1)), Nodes({1, 3, 7}));  // ascending, whatever the add order
  EXPECT_TRUE(index.Holders(K<Key>(99)).empty());
  EXPECT_TRUE(index.Holds(K<Key>(1), 7));
  EXPECT_FALSE(index.Holds(K<Key>(0), 7));
  EXPECT_EQ(index.HolderCount(K<Key>(1)), 3u);
  EXPECT_EQ(index.HolderCount(K<Key>(99)), 0u);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.holder_entries(), 5u);

  EXPECT_TRUE(index.Remove(3, K<Key>(1)));
  EXPECT_EQ(index.Holders(K<Key>(1)), Nodes({1, 7}));
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.holder_entries(), 4u);
}

TYPED_TEST(PrefixIndexTest, AddIsIdempotent) {
  using Key = typename TypeParam::KeyType;
  TypeParam index(4);
  const auto ids = Keys<TypeParam>({5, 6});
  EXPECT_EQ(index.Add(2, ids), 2u);
  EXPECT_EQ(index.Add(2, ids), 0u);
  EXPECT_EQ(index.Add(2, K<Key>(6)), 0u);
  EXPECT_EQ(index.Holders(K<Key>(5)), Nodes({2}));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.holder_entries(), 2u);
  // A repeated id within one call counts once.
  EXPECT_EQ(index.Add(1, Keys<TypeParam>({7, 7})), 1u);
  EXPECT_EQ(index.holder_entries(), 3u);
}

TYPED_TEST(PrefixIndexTest, RemoveOfAbsentHolderChangesNothing) {
  using Key = typename TypeParam::KeyType;
  TypeParam index(4);
  EXPECT_FALSE(index.Remove(0, K<Key>(1)));  // id never added
  index.Add(1, K<Key>(1));
  EXPECT_FALSE(index.Remove(0, K<Key>(1)));  // id present, node not a holder
  EXPECT_FALSE(index.Remove(2, K<Key>(1)));
  EXPECT_EQ(index.Holders(K<Key>(1)), Nodes({1}));
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.holder_entries(), 1u);
  EXPECT_TRUE(index.Remove(1, K<Key>(1)));
  EXPECT_FALSE(index.Remove(1, K<Key>(1)));  // second removal
}

TYPED_TEST(PrefixIndexTest, RemovingTheLastHolderErasesTheEntry) {
  using Key = typename TypeParam::KeyType;
  TypeParam index(4);
  index.Add(0, K<Key>(10));
  index.Add(3, K<Key>(10));
  index.Add(0, K<Key>(11));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_TRUE(index.Remove(0, K<Key>(10)));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_TRUE(index.Remove(3, K<Key>(10)));
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.holder_entries(), 1u);
  EXPECT_TRUE(index.Holders(K<Key>(10)).empty());
  EXPECT_EQ(index.HolderCount(K<Key>(10)), 0u);
  // The erased id no longer matches a prefix, and can come back.
  EXPECT_EQ(index.LongestPrefix(Keys<TypeParam>({10, 11})).best_len, 0u);
  EXPECT_EQ(index.Add(2, K<Key>(10)), 1u);
  EXPECT_EQ(index.Holders(K<Key>(10)), Nodes({2}));
  EXPECT_EQ(index.size(), 2u);
}

TYPED_TEST(PrefixIndexTest, LongestPrefixByHand) {
  TypeParam index(6);
  // Request ids 0..4. Node 0 holds all, node 1 the first three, node 2 ids 0 and 2 (a gap
  // at 1), node 3 only id 4 (no prefix), node 4 the first two.
  index.Add(0, Keys<TypeParam>({0, 1, 2, 3, 4}));
  index.Add(1, Keys<TypeParam>({0, 1, 2}));
  index.Add(2, Keys<TypeParam>({0, 2}));
  index.Add(3, Keys<TypeParam>({4}));
  index.Add(4, Keys<TypeParam>({1, 0}));
  const auto ids = Keys<TypeParam>({0, 1, 2, 3, 4});
  std::vector<uint32_t> prefix(6, 77);
  LongestPrefixResult r = index.LongestPrefix(ids, prefix);
  EXPECT_EQ(r.best_len, 5u);
  EXPECT_EQ(r.best_nodes, Nodes({0}));
  EXPECT_EQ(prefix, (std::vector<uint32_t>{5, 3, 1, 0, 2, 0}));

  // Shorter queries and a query whose first id nobody holds.
  r = index.LongestPrefix(std::span(ids).first(2), prefix);
  EXPECT_EQ(r.best_len, 2u);
  EXPECT_EQ(r.best_nodes, Nodes({0, 1, 4}));
  EXPECT_EQ(prefix, (std::vector<uint32_t>{2, 2, 1, 0, 2, 0}));
  r = index.LongestPrefix(Keys<TypeParam>({42, 0, 1}), prefix);
  EXPECT_EQ(r.best_len, 0u);
  EXPECT_TRUE(r.best_nodes.empty());
  EXPECT_EQ(prefix, std::vector<uint32_t>(6, 0));
  r = index.LongestPrefix({}, prefix);
  EXPECT_EQ(r.best_len, 0u);
  EXPECT_EQ(prefix, std::vector<uint32_t>(6, 0));

  // Without the per-node output the result is the same.
  r = index.LongestPrefix(ids);
  EXPECT_EQ(r.best_len, 5u);
  EXPECT_EQ(r.best_nodes, Nodes({0}));

  // The walk ends once no node matches, even if later ids are held (node 3 holds id 4).
  index.Remove(0, Keys<TypeParam>({3})[0]);
  r = index.LongestPrefix(ids, prefix);
  EXPECT_EQ(r.best_len, 3u);
  EXPECT_EQ(r.best_nodes, Nodes({0, 1}));
  EXPECT_EQ(prefix, (std::vector<uint32_t>{3, 3, 1, 0, 2, 0}));
}

TYPED_TEST(PrefixIndexTest, BestNodeTies) {
  TypeParam index(5);
  index.Add(4, Keys<TypeParam>({0, 1}));
  index.Add(0, Keys<TypeParam>({0, 1}));
  index.Add(2, Keys<TypeParam>({0, 1, 9}));
  index.Add(3, Keys<TypeParam>({0}));
  const auto ids = Keys<TypeParam>({0, 1, 2, 3});
  std::vector<uint32_t> prefix(5);
  const LongestPrefixResult r = index.LongestPrefix(ids, prefix);
  EXPECT_EQ(r.best_len, 2u);
  EXPECT_EQ(r.best_nodes, Nodes({0, 2, 4}));
  EXPECT_EQ(prefix, (std::vector<uint32_t>{2, 0, 2, 1, 2}));
}

TYPED_TEST(PrefixIndexTest, ThousandTwentyFourNodeHolderSets) {
  using Key = typename TypeParam::KeyType;
  TypeParam index(kMaxPrefixIndexNodes);
  const auto ids = Keys<TypeParam>({0, 1, 2});
  // Every node holds id 0 (added in descending order), even nodes id 1, nodes % 4 == 0
  // id 2.
  for (size_t n = kMaxPrefixIndexNodes; n-- > 0;) {
    index.Add(n, ids[0]);
    if (n % 2 == 0) index.Add(n, ids[1]);
    if (n % 4 == 0) index.Add(n, ids[2]);
  }
  const HolderList all = index.Holders(ids[0]);
  ASSERT_EQ(all.size(), kMaxPrefixIndexNodes);
  for (size_t n = 0; n < all.size(); ++n) EXPECT_EQ(all[n], n);
  EXPECT_EQ(index.HolderCount(ids[1]), 512u);
  EXPECT_EQ(index.holder_entries(), 1024u + 512u + 256u);

  std::vector<uint32_t> prefix(kMaxPrefixIndexNodes);
  LongestPrefixResult r = index.LongestPrefix(ids, prefix);
  EXPECT_EQ(r.best_len, 3u);
  ASSERT_EQ(r.best_nodes.size(), 256u);
  for (size_t i = 0; i < r.best_nodes.size(); ++i) EXPECT_EQ(r.best_nodes[i], 4 * i);
  for (size_t n = 0; n < kMaxPrefixIndexNodes; ++n) {
    EXPECT_EQ(prefix[n], n % 4 == 0 ? 3u : n % 2 == 0 ? 2u : 1u) << n;
  }
  std::vector<uint32_t> resident(kMaxPrefixIndexNodes);
  index.ResidentCounts(ids, resident);
  EXPECT_EQ(resident[1023], 1u);
  EXPECT_EQ(resident[1020], 3u);

  // Draining a 1,024-node set down to nothing erases it.
  for (size_t n = 0; n < kMaxPrefixIndexNodes; ++n) EXPECT_TRUE(index.Remove(n, ids[0]));
  EXPECT_TRUE(index.Holders(ids[0]).empty());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.LongestPrefix(ids).best_len, 0u);
  EXPECT_EQ(index.Holders(K<Key>(1)).size(), 512u);
}

TYPED_TEST(PrefixIndexTest, ResidentCountsIgnoreThePrefixRule) {
  TypeParam index(3);
  index.Add(1, Keys<TypeParam>({1, 3}));
  index.Add(2, Keys<TypeParam>({0, 1, 2, 3}));
  std::vector<uint32_t> resident(3, 9);
  index.ResidentCounts(Keys<TypeParam>({0, 1, 2, 3, 8}), resident);
  EXPECT_EQ(resident, (std::vector<uint32_t>{0, 2, 4}));
}

TYPED_TEST(PrefixIndexTest, RejectsBadArguments) {
  using Key = typename TypeParam::KeyType;
  EXPECT_THROW(TypeParam(0), std::invalid_argument);
  EXPECT_THROW(TypeParam(kMaxPrefixIndexNodes + 1), std::invalid_argument);
  EXPECT_THROW(TypeParam(4, 3), std::invalid_argument);
  TypeParam index(4);
  EXPECT_THROW(index.Add(4, K<Key>(0)), std::out_of_range);
  EXPECT_THROW(index.Remove(4, K<Key>(0)), std::out_of_range);
  EXPECT_THROW(index.Holds(K<Key>(0), 4), std::out_of_range);
  EXPECT_EQ(index.size(), 0u);
  std::vector<uint32_t> wrong(3);
  EXPECT_THROW(index.LongestPrefix(Keys<TypeParam>({0}), wrong), std::invalid_argument);
  EXPECT_THROW(index.ResidentCounts(Keys<TypeParam>({0}), wrong), std::invalid_argument);
}

TEST(PrefixIndexShardsTest, ShardCounts) {
  EXPECT_EQ(PrefixIndex(4).shards(), ShardedLocking::kDefaultShards);
  EXPECT_EQ(PrefixIndex(4, 8).shards(), 8u);
  EXPECT_EQ(SimPrefixIndex(4, 8).shards(), 1u);  // no locks: sharding buys nothing
  // One shard with locks works too.
  PrefixIndex single(4, 1);
  single.Add(1, std::vector<RawBlockId>{1, 2, 3});
  EXPECT_EQ(single.LongestPrefix(std::vector<RawBlockId>{1, 2, 3}).best_len, 3u);
}

// Threads alive at once get distinct reader slots (up to kSlots), each fixed for the
// thread's life; a thread's exit frees its slot, so later rounds find them free again.
TEST(BigReaderMutexTest, LiveThreadsGetDistinctSlots) {
  constexpr size_t kSlots = BigReaderMutex::kSlots;
  const size_t main_slot = BigReaderMutex::ThisThreadSlot();
  EXPECT_LT(main_slot, kSlots);
  EXPECT_EQ(BigReaderMutex::ThisThreadSlot(), main_slot);
  for (int round = 0; round < 3; ++round) {
    std::array<size_t, kSlots - 1> slot_of{};
    std::array<bool, kSlots - 1> stable{};
    std::latch all_assigned(kSlots - 1);
    std::vector<std::thread> threads;
    for (size_t t = 0; t + 1 < kSlots; ++t) {
      threads.emplace_back([&, t] {
        slot_of[t] = BigReaderMutex::ThisThreadSlot();
        all_assigned.arrive_and_wait();  // keeps every thread alive until all have a slot
        stable[t] = BigReaderMutex::ThisThreadSlot() == slot_of[t];
      });
    }
    for (std::thread& thread : threads) thread.join();
    std::set<size_t> slots(slot_of.begin(), slot_of.end());
    slots.insert(main_slot);
    EXPECT_EQ(slots.size(), kSlots) << "round " << round;
    for (size_t t = 0; t + 1 < kSlots; ++t) EXPECT_TRUE(stable[t]) << "round " << round;
  }
}

// Random adds and removes over 130 nodes (three 64-bit words in HolderIndex): every query
// agrees with the simulator's existing bitset index.
// Random adds and removes of prefix chains on `kNodes` nodes; after each step every
// query's per-node prefixes and resident counts equal the bitset reference's.
template <typename Index>
void CheckAgainstHolderIndex(const size_t kNodes) {
  using Key = typename Index::KeyType;
  constexpr size_t kChains = 20;
  constexpr size_t kDepth = 12;
  constexpr size_t kUniverse = kChains * kDepth;  // chain c is ids c*kDepth .. +kDepth-1
  Index index(kNodes);
  HolderIndex reference(kUniverse, kNodes);
  std::mt19937_64 rng(7);
  auto chain = [](size_t c, size_t len) {
    std::vector<BlockId> ids(len);
    std::iota(ids.begin(), ids.end(), static_cast<BlockId>(c * kDepth));
    return ids;
  };
  auto keys = [](std::span<const BlockId> ids) {
    std::vector<Key> out;
    for (BlockId id : ids) out.push_back(K<Key>(id));
    return out;
  };
  std::vector<uint32_t> got(kNodes), want(kNodes);
  for (int step = 0; step < 3000; ++step) {
    const size_t node = rng() % kNodes;
    const std::vector<BlockId> ids = chain(rng() % kChains, 1 + rng() % kDepth);
    if (rng() % 3 != 0) {
      index.Add(node, keys(ids));
      for (BlockId id : ids) reference.Add(id, node);
    } else {
      const BlockId id = ids[rng() % ids.size()];
      EXPECT_EQ(index.Remove(node, K<Key>(id)), reference.Holds(id, node));
      reference.Remove(id, node);
    }
    const std::vector<BlockId> query = chain(rng() % kChains, 1 + rng() % kDepth);
    const LongestPrefixResult r = index.LongestPrefix(keys(query), got);
    reference.LongestPrefixes(query, want);
    ASSERT_EQ(got, want) << "step " << step;
    EXPECT_EQ(r.best_len, *std::max_element(want.begin(), want.end()));
    index.ResidentCounts(keys(query), got);
    reference.ResidentCounts(query, want);
    ASSERT_EQ(got, want) << "step " << step;
  }
  size_t ids_held = 0, entries = 0;
  for (BlockId id = 0; id < kUniverse; ++id) {
    EXPECT_EQ(index.HolderCount(K<Key>(id)), reference.Count(id));
    ids_held += reference.Count(id) > 0;
    entries += reference.Count(id);
    for (NodeId n : index.Holders(K<Key>(id))) EXPECT_TRUE(reference.Holds(id, n));
  }
  EXPECT_EQ(index.size(), ids_held);
  EXPECT_EQ(index.holder_entries(), entries);
}

// 130 nodes: three words per id in the reference, sets in SimPrefixIndex; 64 and 63: the
// largest masks, all bits and the top bit free; 5: a small cluster.
TYPED_TEST(PrefixIndexTest, AgreesWithHolderIndex) {
  for (const size_t nodes : {130, 64, 63, 5}) {
    SCOPED_TRACE(nodes);
    CheckAgainstHolderIndex<TypeParam>(nodes);
  }
}

// Masks up to 64 nodes, sets beyond; the masks take 8 B per reserved id.
TEST(SimPrefixIndexTest, MasksUpToSixtyFourNodes) {
  EXPECT_TRUE(SimPrefixIndex(1).masked());
  EXPECT_TRUE(SimPrefixIndex(64).masked());
  EXPECT_FALSE(SimPrefixIndex(65).masked());
  EXPECT_FALSE(SimPrefixIndex(kMaxPrefixIndexNodes).masked());
  SimPrefixIndex masked(16);
  const size_t empty = masked.MemoryBytes();
  masked.Reserve(1'000);
  EXPECT_EQ(masked.MemoryBytes() - empty, 8'000u);
  EXPECT_EQ(SimPrefixIndex::EstimateBytes(16, 1'000, 1'000), 8'000u);
  EXPECT_EQ(SimPrefixIndex::EstimateBytes(64, 3'000'000, 64), 12u * 2097152);  // huge pages
  // Beyond 64 nodes a word per id (3M x 4 B, in 6 huge pages) and a set (24 B) and free-list
  // entry (4 B) for each id that may have two holders: 64 pairs held -> 32 sets.
  EXPECT_EQ(SimPrefixIndex::EstimateBytes(65, 3'000'000, 64), 6u * 2097152 + 32 * 28);
  // Node 63, the mask's top bit, behaves as any other.
  SimPrefixIndex top(64);
  EXPECT_EQ(top.Add(63, std::vector<BlockId>{0, 1}), 2u);
  EXPECT_EQ(top.Add(0, BlockId{0}), 1u);
  EXPECT_EQ(top.Holders(0), Nodes({0, 63}));
  std::vector<uint32_t> prefix(64);
  const LongestPrefixResult r = top.LongestPrefix(std::vector<BlockId>{0, 1, 2}, prefix);
  EXPECT_EQ(r.best_len, 2u);
  EXPECT_EQ(r.best_nodes, Nodes({63}));
  EXPECT_EQ(prefix[63], 2u);
  EXPECT_EQ(prefix[0], 1u);
  EXPECT_TRUE(top.Remove(63, 1));
  EXPECT_EQ(top.HolderCount(0), 2u);
  EXPECT_TRUE(top.Held(0));
  EXPECT_FALSE(top.Held(1));
  EXPECT_EQ(top.size(), 1u);
  EXPECT_EQ(top.holder_entries(), 2u);
}

// Beyond 64 nodes: an id's single holder lives in its word; a second holder moves both
// into a pooled set, which returns to the pool when one holder is left, and is reused.
TEST(SimPrefixIndexTest, WordsKeepOneHolderAndPoolTheSetsOfSharedIds) {
  SimPrefixIndex index(1000);
  const size_t empty = index.MemoryBytes();
  index.Reserve(100, 10);  // 100 words, and room for 10 / 2 = 5 sets
  EXPECT_EQ(index.MemoryBytes() - empty, 100u * 4 + 5 * (24 + 4));
  EXPECT_EQ(index.Add(999, BlockId{7}), 1u);
  EXPECT_EQ(index.Add(999, BlockId{7}), 0u);
  EXPECT_EQ(index.Holders(7), Nodes({999}));
  EXPECT_TRUE(index.Holds(7, 999));
  EXPECT_FALSE(index.Holds(7, 0));
  EXPECT_FALSE(index.Remove(3, 7));
  // A second and a third holder: a set, ascending.
  EXPECT_EQ(index.Add(3, BlockId{7}), 1u);
  EXPECT_EQ(index.Add(500, BlockId{7}), 1u);
  EXPECT_EQ(index.Holders(7), Nodes({3, 500, 999}));
  EXPECT_EQ(index.HolderCount(7), 3u);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.holder_entries(), 3u);
  // Down to one holder, which is kept; then none.
  EXPECT_TRUE(index.Remove(999, 7));
  EXPECT_TRUE(index.Remove(3, 7));
  EXPECT_EQ(index.Holders(7), Nodes({500}));
  EXPECT_EQ(index.HolderCount(7), 1u);
  EXPECT_TRUE(index.Remove(500, 7));
  EXPECT_FALSE(index.Held(7));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.holder_entries(), 0u);
  // Two ids shared in turn reuse the freed set: memory stays at the reserve.
  for (BlockId id : {BlockId{1}, BlockId{2}}) {
    index.Add(10, id);
    index.Add(11, id);
  }
  EXPECT_EQ(index.MemoryBytes() - empty, 100u * 4 + 5 * (24 + 4));
  std::vector<uint32_t> prefix(1000);
  const LongestPrefixResult r = index.LongestPrefix(std::vector<BlockId>{1, 2, 3}, prefix);
  EXPECT_EQ(r.best_len, 2u);
  EXPECT_EQ(r.best_nodes, Nodes({10, 11}));
  EXPECT_EQ(prefix[10], 2u);
  EXPECT_EQ(prefix[12], 0u);
  // A set of more than 8 holders spills to the heap and shrinks back to a word.
  for (size_t n = 0; n < 300; ++n) index.Add(n, BlockId{50});
  EXPECT_EQ(index.HolderCount(50), 300u);
  for (size_t n = 0; n < 299; ++n) EXPECT_TRUE(index.Remove(n, 50));
  EXPECT_EQ(index.Holders(50), Nodes({299}));
}

// Two tiers of the same nodes: LongestPrefixWith matches an id held in either, against a
// walk per node over both indexes, with masks (5, 64 nodes) and words (130 nodes).
TEST(SimPrefixIndexTest, LongestPrefixWithMatchesEitherTier) {
  for (const size_t nodes : {5, 64, 130}) {
    SCOPED_TRACE(nodes);
    SimPrefixIndex a(nodes), b(nodes);
    std::mt19937_64 rng(nodes);
    for (int k = 0; k < 4000; ++k) {
      const size_t node = rng() % nodes;
      const BlockId id = rng() % 12;
      (rng() % 2 == 0 ? a : b).Add(node, id);
    }
    for (int q = 0; q < 200; ++q) {
      std::vector<BlockId> ids(rng() % 8);
      for (BlockId& id : ids) id = rng() % 14;  // ids 12 and 13 are held nowhere
      std::vector<uint32_t> prefix(nodes);
      const LongestPrefixResult r = a.LongestPrefixWith(b, ids, prefix);
      uint32_t best = 0;
      HolderList best_nodes;
      for (size_t n = 0; n < nodes; ++n) {
        uint32_t k = 0;
        while (k < ids.size() && (a.Holds(ids[k], n) || b.Holds(ids[k], n))) ++k;
        EXPECT_EQ(prefix[n], k);
        if (k > best) {
          best = k;
          best_nodes.clear();
        }
        if (k == best && k > 0) best_nodes.push_back(static_cast<NodeId>(n));
      }
      EXPECT_EQ(r.best_len, best);
      EXPECT_EQ(r.best_nodes, best_nodes);
      const LongestPrefixResult no_span = a.LongestPrefixWith(b, ids);
      EXPECT_EQ(no_span.best_len, best);
    }
  }
  // Node 2 holds id 1 in the first tier, id 2 in the second: a prefix of 2 only together.
  SimPrefixIndex first(3), second(3);
  first.Add(2, BlockId{1});
  second.Add(2, BlockId{2});
  EXPECT_EQ(first.LongestPrefix(std::vector<BlockId>{1, 2}).best_len, 1u);
  const LongestPrefixResult both = first.LongestPrefixWith(second, std::vector<BlockId>{1, 2});
  EXPECT_EQ(both.best_len, 2u);
  EXPECT_EQ(both.best_nodes, Nodes({2}));
  EXPECT_THROW(first.LongestPrefixWith(SimPrefixIndex(4), std::vector<BlockId>{1}),
               std::invalid_argument);
}

// Replays a generated conversation trace through a 16-node cluster routed by longest
// prefix (ties and misses go to the least-loaded node), each node keeping its most recent
// 400 blocks. The no-lock interned index and the sharded raw-id index must answer every
// query identically and end in the same state.
TEST(PrefixIndexTraceTest, NoLockAndShardedVariantsAgreeOnAConversationReplay) {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  ASSERT_NE(preset, nullptr);
  const std::shared_ptr<const Trace> trace = GenerateWorkload(preset->spec, 3000, /*seed=*/11);
  constexpr size_t kNodes = 16;
  constexpr size_t kCapacity = 400;
  SimPrefixIndex sim(kNodes);
  PrefixIndex sharded(kNodes, 16);
  std::vector<std::deque<BlockId>> resident(kNodes);  // per node, oldest first (FIFO)
  std::vector<uint64_t> load(kNodes, 0);
  std::vector<uint32_t> sim_prefix(kNodes), sharded_prefix(kNodes);
  std::vector<RawBlockId> raw;
  uint64_t hits = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    const Request request = (*trace)[i];
    raw.assign(request.blocks.size(), 0);
    for (size_t b = 0; b < raw.size(); ++b) raw[b] = trace->raw_id(request.blocks[b]);
    const LongestPrefixResult a = sim.LongestPrefix(request.blocks, sim_prefix);
    const LongestPrefixResult b = sharded.LongestPrefix(raw, sharded_prefix);
    ASSERT_EQ(a.best_len, b.best_len) << "request " << i;
    ASSERT_EQ(a.best_nodes, b.best_nodes) << "request " << i;
    ASSERT_EQ(sim_prefix, sharded_prefix) << "request " << i;
    hits += a.best_len;

    size_t target = 0;
    auto lighter = [&](size_t x, size_t y) {
      return load[x] < load[y] || (load[x] == load[y] && x < y);
    };
    if (a.best_len > 0) {
      target = a.best_nodes[0];
      for (NodeId n : a.best_nodes) target = lighter(n, target) ? n : target;
    } else {
      for (size_t n = 1; n < kNodes; ++n) target = lighter(n, target) ? n : target;
    }
    load[target] += request.blocks.size();
    // Blocks new to the node enter its FIFO; the oldest leave once it is over capacity.
    for (size_t k = 0; k < raw.size(); ++k) {
      const size_t added = sim.Add(target, request.blocks[k]);
      ASSERT_EQ(sharded.Add(target, raw[k]), added);
      if (added == 1) resident[target].push_back(request.blocks[k]);
    }
    while (resident[target].size() > kCapacity) {
      const BlockId old = resident[target].front();
      resident[target].pop_front();
      ASSERT_TRUE(sim.Remove(target, old));
      ASSERT_TRUE(sharded.Remove(target, trace->raw_id(old)));
    }
  }
  EXPECT_GT(hits, 0u);  // the replay exercised real prefix matches
  EXPECT_EQ(sim.size(), sharded.size());
  EXPECT_EQ(sim.holder_entries(), sharded.holder_entries());
  size_t entries = 0;
  for (const auto& fifo : resident) entries += fifo.size();
  EXPECT_EQ(sim.holder_entries(), entries);
  for (BlockId id = 0; id < trace->distinct_blocks(); ++id) {
    ASSERT_EQ(sim.Holders(id), sharded.Holders(trace->raw_id(id))) << "id " << id;
  }
}

}  // namespace
}  // namespace kvb
