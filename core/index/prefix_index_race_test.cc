// Concurrent use of the lock-sharded index: four threads, each owning two nodes, mix
// Add / Remove / Holders / LongestPrefix on overlapping ids. Meaningful under
// ThreadSanitizer (data races in the index fail it) and without it (the checks below).

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <latch>
#include <random>
#include <thread>
#include <vector>

#include "core/index/prefix_index.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

constexpr size_t kThreads = 4;
constexpr size_t kNodesPerThread = 2;
constexpr size_t kNodes = kThreads * kNodesPerThread;  // node n belongs to thread n / 2
constexpr size_t kChains = 24;
constexpr size_t kDepth = 8;
constexpr size_t kIds = kChains * kDepth;  // chain c = ids c*kDepth .. c*kDepth+kDepth-1
constexpr int kOpsPerThread = 10000;

template <typename Key>
Key K(size_t i) {
  if constexpr (std::is_same_v<Key, BlockId>) {
    return static_cast<BlockId>(i);
  } else {
    return (uint64_t{i} + 1) * 0xD6E8FEB86659FD93ull;
  }
}

// One logged mutation of a node, for the sequential replay.
struct Op {
  bool add;
  NodeId node;
  uint32_t first;  // ids first .. first+len-1 (a chain prefix); remove: len == 1
  uint32_t len;
};

// Shared between threads: every (node, id) pair ever added. A flag is set before the Add
// that publishes it, so a reader seeing the holder (through the shard lock) sees the flag.
struct EverAdded {
  std::array<std::atomic<bool>, kNodes * kIds> flags{};
  void Set(size_t node, size_t id) {
    flags[node * kIds + id].store(true, std::memory_order_relaxed);
  }
  bool Get(size_t node, size_t id) const {
    return flags[node * kIds + id].load(std::memory_order_relaxed);
  }
};

// What one thread found wrong; checked on the main thread after joining.
struct Failures {
  int phantom_holder = 0;   // a holder reported for an id that node never added
  int own_state_wrong = 0;  // an owned node's reported state differs from its model
  int inconsistent = 0;     // a result disagreeing with itself (order, best nodes)
  int remove_result_wrong = 0;
  int64_t added = 0;    // sum of Add return values
  int64_t removed = 0;  // successful removes
};

template <typename Index>
void Worker(Index& index, size_t thread, EverAdded& ever, std::latch& start, std::vector<Op>& log,
            Failures& fail) {
  using Key = typename Index::KeyType;
  std::mt19937_64 rng(1000 + thread);
  // model[j][id]: does my node thread*2+j hold id (only this thread writes those nodes).
  std::vector<std::vector<bool>> model(kNodesPerThread, std::vector<bool>(kIds, false));
  std::vector<Key> keys;
  std::vector<uint32_t> prefix(kNodes);
  auto own = [&](size_t node) { return node / kNodesPerThread == thread; };
  start.arrive_and_wait();
  for (int op = 0; op < kOpsPerThread; ++op) {
    const size_t j = rng() % kNodesPerThread;
    const NodeId node = static_cast<NodeId>(thread * kNodesPerThread + j);
    const uint32_t first = static_cast<uint32_t>(rng() % kChains * kDepth);
    const uint32_t len = 1 + static_cast<uint32_t>(rng() % kDepth);
    keys.clear();
    for (uint32_t d = 0; d < len; ++d) keys.push_back(K<Key>(first + d));
    switch (rng() % 4) {
      case 0: {  // add a chain prefix
        for (uint32_t d = 0; d < len; ++d) ever.Set(node, first + d);
        fail.added += index.Add(node, keys);
        for (uint32_t d = 0; d < len; ++d) model[j][first + d] = true;
        log.push_back({true, node, first, len});
        break;
      }
      case 1: {  // remove one id of it
        const uint32_t id = first + static_cast<uint32_t>(rng() % len);
        const bool removed = index.Remove(node, K<Key>(id));
        fail.remove_result_wrong += removed != model[j][id];
        fail.removed += removed;
        model[j][id] = false;
        log.push_back({false, node, id, 1});
        break;
      }
      case 2: {  // holders of one id
        const uint32_t id = first + static_cast<uint32_t>(rng() % len);
        const HolderList holders = index.Holders(K<Key>(id));
        fail.inconsistent += !std::is_sorted(holders.begin(), holders.end()) ||
                             std::adjacent_find(holders.begin(), holders.end()) != holders.end();
        for (NodeId h : holders) fail.phantom_holder += !ever.Get(h, id);
        for (size_t jj = 0; jj < kNodesPerThread; ++jj) {
          const NodeId mine = static_cast<NodeId>(thread * kNodesPerThread + jj);
          const bool listed = std::binary_search(holders.begin(), holders.end(), mine);
          fail.own_state_wrong += listed != model[jj][id];
        }
        break;
      }
      default: {  // longest prefix of the chain prefix
        const LongestPrefixResult r = index.LongestPrefix(keys, prefix);
        uint32_t best = 0;
        for (size_t n = 0; n < kNodes; ++n) {
          best = std::max(best, prefix[n]);
          for (uint32_t d = 0; d < prefix[n]; ++d) fail.phantom_holder += !ever.Get(n, first + d);
          if (own(n)) {
            uint32_t expect = 0;
            while (expect < len && model[n % kNodesPerThread][first + expect]) ++expect;
            fail.own_state_wrong += prefix[n] != expect;
          }
        }
        HolderList best_nodes;
        for (size_t n = 0; n < kNodes && best > 0; ++n) {
          if (prefix[n] == best) best_nodes.push_back(static_cast<NodeId>(n));
        }
        fail.inconsistent += r.best_len != best || r.best_nodes != best_nodes;
        break;
      }
    }
  }
}

template <typename Index>
class PrefixIndexRaceTest : public ::testing::Test {};
using ShardedIndexes = ::testing::Types<BasicPrefixIndex<RawBlockId, ShardedLocking>,
                                        BasicPrefixIndex<BlockId, ShardedLocking>>;
TYPED_TEST_SUITE(PrefixIndexRaceTest, ShardedIndexes);

// Runs the workers on an index with `shards` shards and checks the final state.
template <typename Index>
void RunRace(size_t shards) {
  using Key = typename Index::KeyType;
  Index index(kNodes, shards);
  EverAdded ever;
  std::latch start(kThreads);
  std::vector<std::vector<Op>> logs(kThreads);
  std::vector<Failures> fails(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { Worker(index, t, ever, start, logs[t], fails[t]); });
  }
  for (std::thread& thread : threads) thread.join();

  int64_t added = 0, removed = 0;
  for (size_t t = 0; t < kThreads; ++t) {
    EXPECT_EQ(fails[t].phantom_holder, 0) << "thread " << t;
    EXPECT_EQ(fails[t].own_state_wrong, 0) << "thread " << t;
    EXPECT_EQ(fails[t].inconsistent, 0) << "thread " << t;
    EXPECT_EQ(fails[t].remove_result_wrong, 0) << "thread " << t;
    added += fails[t].added;
    removed += fails[t].removed;
  }
  // Sequential replay of every node's own operations, in a lock-free twin and a bitmap.
  BasicPrefixIndex<Key, NoLocking> replay(kNodes);
  std::vector<std::vector<bool>> held(kNodes, std::vector<bool>(kIds, false));
  for (const std::vector<Op>& log : logs) {
    for (const Op& op : log) {
      for (uint32_t id = op.first; id < op.first + op.len; ++id) {
        if (op.add) {
          replay.Add(op.node, K<Key>(id));
        } else {
          replay.Remove(op.node, K<Key>(id));
        }
        held[op.node][id] = op.add;
      }
    }
  }
  size_t ids_held = 0, entries = 0;
  for (size_t id = 0; id < kIds; ++id) {
    HolderList want;
    for (size_t n = 0; n < kNodes; ++n) {
      if (held[n][id]) want.push_back(static_cast<NodeId>(n));
    }
    ids_held += !want.empty();
    entries += want.size();
    ASSERT_EQ(index.Holders(K<Key>(id)), want) << "id " << id;
    ASSERT_EQ(replay.Holders(K<Key>(id)), want) << "id " << id;
  }
  // Counts are conserved: entries = adds - removes, and agree with the replay.
  EXPECT_EQ(index.holder_entries(), entries);
  EXPECT_EQ(static_cast<int64_t>(entries), added - removed);
  EXPECT_EQ(index.size(), ids_held);
  EXPECT_EQ(replay.size(), ids_held);
  EXPECT_GT(entries, 0u);
}

TYPED_TEST(PrefixIndexRaceTest, FourShardsHeavyContention) { RunRace<TypeParam>(4); }
TYPED_TEST(PrefixIndexRaceTest, DefaultShards) { RunRace<TypeParam>(0); }

// The no-lock index may be read by many threads at once while nobody writes.
TEST(PrefixIndexRaceTest, NoLockingConcurrentReaders) {
  SimPrefixIndex index(kNodes);
  for (size_t c = 0; c < kChains; ++c) {
    for (size_t d = 0; d < kDepth; ++d) index.Add(c % kNodes, static_cast<BlockId>(c * kDepth + d));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<BlockId> chain(kDepth);
      std::vector<uint32_t> prefix(kNodes);
      for (int i = 0; i < 2000; ++i) {
        const size_t c = static_cast<size_t>(i) % kChains;
        for (size_t d = 0; d < kDepth; ++d) chain[d] = static_cast<BlockId>(c * kDepth + d);
        const LongestPrefixResult r = index.LongestPrefix(chain, prefix);
        wrong +=
            r.best_len != kDepth || r.best_nodes != HolderList{static_cast<NodeId>(c % kNodes)};
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace kvb
