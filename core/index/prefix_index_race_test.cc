// Concurrent use of the lock-sharded index: four threads, each owning two nodes, mix
// Add / Remove / Holders / LongestPrefix on overlapping ids; and the shards' big-reader
// lock on its own. Meaningful under ThreadSanitizer (data races in the index fail it) and
// without it (the checks below).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/index/prefix_index.h"
#include "core/index/sim_prefix_index.h"
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

// Spins (yielding) until `counter` reaches `want`.
void AwaitCount(const std::atomic<int>& counter, int want) {
  while (counter.load() < want) std::this_thread::yield();
}

constexpr int kMoreThreadsThanSlots = 2 * BigReaderMutex::kSlots + 1;

// While a writer holds the lock, no reader on any slot gets in; every reader gets in once
// it is released. The readers outnumber the slots, so every slot is tried.
TEST(BigReaderMutexTest, WriterExcludesReadersOnEverySlot) {
  BigReaderMutex mu;
  std::atomic<bool> writer_holds{true};
  std::atomic<int> waiting{0};
  std::atomic<int> entered{0};
  std::atomic<int> entered_under_writer{0};
  std::array<std::atomic<size_t>, kMoreThreadsThanSlots> slot_of{};
  mu.Lock();
  std::vector<std::thread> readers;
  for (int t = 0; t < kMoreThreadsThanSlots; ++t) {
    readers.emplace_back([&, t] {
      slot_of[t] = BigReaderMutex::ThisThreadSlot();
      ++waiting;
      mu.ReaderLock();
      entered_under_writer += writer_holds.load();
      ++entered;
      mu.ReaderUnlock();
    });
  }
  AwaitCount(waiting, kMoreThreadsThanSlots);  // all live, each about to block
  // Not needed for correctness: lets the readers reach the mutex while it is held.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(entered.load(), 0);
  writer_holds = false;
  mu.Unlock();
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(entered_under_writer.load(), 0);
  EXPECT_EQ(entered.load(), kMoreThreadsThanSlots);
  // The readers were all alive at once, so they took every slot.
  std::set<size_t> slots;
  for (const std::atomic<size_t>& slot : slot_of) slots.insert(slot.load());
  EXPECT_EQ(slots.size(), BigReaderMutex::kSlots);
}

// A writer waits for the readers of every slot: it gets in only after the last leaves.
TEST(BigReaderMutexTest, ReadersOnEverySlotExcludeAWriter) {
  BigReaderMutex mu;
  constexpr size_t kSlots = BigReaderMutex::kSlots;
  // Threads alive at once take every slot; the first thread of each slot reads.
  std::array<std::atomic<size_t>, kMoreThreadsThanSlots> slot_of{};
  std::atomic<int> assigned{0};
  std::atomic<int> holding{0};
  std::atomic<int> release{0};  // the readers of slots 0..release-1 may leave
  std::atomic<int> readers_left_when_writer_entered{-1};
  std::vector<std::thread> threads;
  for (int t = 0; t < kMoreThreadsThanSlots; ++t) {
    threads.emplace_back([&, t] {
      const size_t slot = BigReaderMutex::ThisThreadSlot();
      slot_of[t] = slot;
      ++assigned;
      AwaitCount(assigned, kMoreThreadsThanSlots);
      for (int u = 0; u < t; ++u) {
        if (slot_of[u] == slot) return;  // another thread reads for this slot
      }
      mu.ReaderLock();
      ++holding;
      AwaitCount(release, static_cast<int>(slot) + 1);
      --holding;
      mu.ReaderUnlock();
    });
  }
  AwaitCount(assigned, kMoreThreadsThanSlots);
  std::set<size_t> slots;
  for (const std::atomic<size_t>& slot : slot_of) slots.insert(slot.load());
  EXPECT_EQ(slots.size(), kSlots);
  AwaitCount(holding, static_cast<int>(slots.size()));  // a reader on every slot is in
  std::atomic<bool> writer_started{false};
  std::thread writer([&] {
    writer_started = true;
    mu.Lock();
    readers_left_when_writer_entered = holding.load();
    mu.Unlock();
  });
  while (!writer_started.load()) std::this_thread::yield();
  // Release the readers one slot at a time; the writer must not get in before the last.
  for (size_t s = 0; s < kSlots; ++s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // gives the writer a chance
    EXPECT_EQ(readers_left_when_writer_entered.load(), -1) << s << " slots released";
    release = static_cast<int>(s) + 1;
  }
  for (std::thread& thread : threads) thread.join();
  writer.join();
  EXPECT_EQ(readers_left_when_writer_entered.load(), 0);
}

// Two fields updated together under the writer lock are always seen equal by readers,
// with more threads than slots (so some share a slot) mixing reads and writes.
TEST(BigReaderMutexTest, ReadersSeeWritersUpdatesWhole) {
  struct Guarded {
    BigReaderMutex mu;
    int64_t a ABSL_GUARDED_BY(mu) = 0;
    int64_t b ABSL_GUARDED_BY(mu) = 0;
  } g;
  constexpr int kOps = 3000;
  std::atomic<int> torn{0};
  std::atomic<int64_t> writes{0};
  std::latch start(kMoreThreadsThanSlots);
  std::vector<std::thread> threads;
  for (int t = 0; t < kMoreThreadsThanSlots; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      start.arrive_and_wait();
      for (int i = 0; i < kOps; ++i) {
        if (rng() % 8 == 0) {
          prefix_index_internal::WriterGuard<BigReaderMutex> lock(g.mu);
          ++g.a;
          ++g.b;
          ++writes;
        } else {
          prefix_index_internal::ReaderGuard<BigReaderMutex> lock(g.mu);
          torn += g.a != g.b;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(torn.load(), 0);
  g.mu.ReaderLock();
  EXPECT_EQ(g.a, writes.load());
  EXPECT_EQ(g.b, writes.load());
  g.mu.ReaderUnlock();
}

}  // namespace
}  // namespace kvb
