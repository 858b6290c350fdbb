// Speed of the prefix index: holder lookups, longest-prefix walks (also next to a writer)
// and add/remove churn, for the simulation variant (interned ids, no locks, dense array)
// and the router variant (raw 64-bit ids, lock-sharded hash maps), at 1K, 100K and 10M ids
// and 16 or 1,024 nodes.
//
// Population: ids form chains of 32 (one request's blocks, c*32 .. c*32+31). Each chain has
// 1..3 holders drawn from nodes 0..nodes-3: the first holds the whole chain, the others a
// random prefix. Nodes nodes-2 and nodes-1 are left to the add/remove writers. Indexes are
// built once per (variant, ids, nodes), lazily, and shared by every benchmark and thread.
//
// Counters: items_per_second = block lookups (or updates) per second over all threads;
// per_thread = the same per thread.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/index/prefix_index.h"
#include "core/index/sim_prefix_index.h"

namespace kvb {
namespace {

constexpr uint32_t kChainLength = 32;

// splitmix64: a fast per-thread random stream.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    __extension__ using U128 = unsigned __int128;  // the multiply-high: no division
    return static_cast<uint64_t>((static_cast<U128>(Next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

// The key of dense id i: itself when interned, a hash-like raw id otherwise.
template <typename Key>
Key KeyOf(uint64_t i) {
  if constexpr (std::is_same_v<Key, BlockId>) {
    return static_cast<BlockId>(i);
  } else {
    return (i + 1) * 0xD6E8FEB86659FD93ull;  // odd multiplier: a bijection on uint64
  }
}

template <typename Index>
std::unique_ptr<Index> Build(uint64_t ids, size_t nodes) {
  using Key = typename Index::KeyType;
  auto index = std::make_unique<Index>(nodes);
  index->Reserve(ids);
  Rng rng(ids * 31 + nodes);
  std::vector<Key> chain;
  const uint64_t chains = ids / kChainLength;
  const size_t readers = nodes - 2;
  for (uint64_t c = 0; c < chains; ++c) {
    chain.clear();
    for (uint32_t d = 0; d < kChainLength; ++d) chain.push_back(KeyOf<Key>(c * kChainLength + d));
    const size_t holders = 1 + rng.Below(3);
    for (size_t h = 0; h < holders; ++h) {
      const size_t len = h == 0 ? kChainLength : 1 + rng.Below(kChainLength);
      index->Add(rng.Below(readers), std::span<const Key>(chain).first(len));
    }
  }
  return index;
}

// The index of (Index, ids, nodes), built on first use.
template <typename Index>
Index& Populated(uint64_t ids, size_t nodes) {
  static std::mutex mu;
  static std::map<std::pair<uint64_t, size_t>, std::unique_ptr<Index>> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Index>& slot = cache[{ids, nodes}];
  if (slot == nullptr) slot = Build<Index>(ids, nodes);
  return *slot;
}

void Report(benchmark::State& state, int64_t items) {
  state.SetItemsProcessed(items);
  state.counters["per_thread"] =
      benchmark::Counter(static_cast<double>(items), benchmark::Counter::kAvgThreadsRate);
}

// Holders() of uniformly random ids, 64 per iteration.
template <typename Index>
void BM_Holders(benchmark::State& state) {
  using Key = typename Index::KeyType;
  const uint64_t ids = static_cast<uint64_t>(state.range(0)) / kChainLength * kChainLength;
  const Index& index = Populated<Index>(ids, static_cast<size_t>(state.range(1)));
  Rng rng(17 + state.thread_index());
  constexpr int kBatch = 64;
  size_t found = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) found += index.HolderCount(KeyOf<Key>(rng.Below(ids)));
  }
  benchmark::DoNotOptimize(found);
  Report(state, static_cast<int64_t>(state.iterations()) * kBatch);
}

// The benchmark loop of the readers: LongestPrefix() of a random whole chain of the
// `ids` in `index`, with per-node output. Returns the ids visited.
template <typename Index>
int64_t ReadRandomChains(benchmark::State& state, const Index& index, uint64_t ids, size_t nodes) {
  using Key = typename Index::KeyType;
  Rng rng(29 + state.thread_index());
  // On this thread's stack: a heap buffer written every iteration may share a cache line
  // with the index's data, which the other threads read (false sharing).
  alignas(64) std::array<Key, kChainLength> chain;
  alignas(64) std::array<uint32_t, kMaxPrefixIndexNodes> prefix_storage;
  const std::span<uint32_t> prefix = std::span(prefix_storage).first(nodes);
  int64_t visited = 0;
  for (auto _ : state) {
    const uint64_t first = rng.Below(ids / kChainLength) * kChainLength;
    for (uint32_t d = 0; d < kChainLength; ++d) chain[d] = KeyOf<Key>(first + d);
    const LongestPrefixResult r = index.LongestPrefix(chain, prefix);
    visited += std::min<uint32_t>(r.best_len + 1, kChainLength);
    benchmark::DoNotOptimize(r.best_nodes.data());
  }
  return visited;
}

// LongestPrefix() of a random whole chain with per-node output; items = ids visited.
template <typename Index>
void BM_LongestPrefix(benchmark::State& state) {
  const uint64_t ids = static_cast<uint64_t>(state.range(0)) / kChainLength * kChainLength;
  const size_t nodes = static_cast<size_t>(state.range(1));
  const Index& index = Populated<Index>(ids, nodes);
  const int64_t visited = ReadRandomChains(state, index, ids, nodes);
  Report(state, visited);
}

// The writers' step: `writer` adds a random whole chain of the `ids` in `index`, then
// removes it again, so the index keeps its size (2 x kChainLength updates).
template <typename Index, typename Key = typename Index::KeyType>
void ChurnRandomChain(Index& index, size_t writer, uint64_t ids, Rng& rng,
                      std::array<Key, kChainLength>& chain) {
  const uint64_t first = rng.Below(ids / kChainLength) * kChainLength;
  for (uint32_t d = 0; d < kChainLength; ++d) chain[d] = KeyOf<Key>(first + d);
  index.Add(writer, chain);
  for (Key key : chain) index.Remove(writer, key);
}

// A writer node (one per thread, not used by the population) adds a random whole chain
// and removes it again, so the index keeps its size; items = adds + removes.
template <typename Index>
void BM_AddRemove(benchmark::State& state) {
  using Key = typename Index::KeyType;
  const uint64_t ids = static_cast<uint64_t>(state.range(0)) / kChainLength * kChainLength;
  const size_t nodes = static_cast<size_t>(state.range(1));
  Index& index = Populated<Index>(ids, nodes);
  const size_t writer = nodes - 1 - static_cast<size_t>(state.thread_index());
  Rng rng(43 + state.thread_index());
  alignas(64) std::array<Key, kChainLength> chain;  // on the stack, as in BM_LongestPrefix
  for (auto _ : state) ChurnRandomChain(index, writer, ids, rng, chain);
  Report(state, static_cast<int64_t>(state.iterations()) * 2 * kChainLength);
}

// LongestPrefix() as in BM_LongestPrefix on the benchmark's threads, while one more thread
// churns as in BM_AddRemove: the readers' speed next to a busy writer. items = ids visited
// by the readers; writes_per_second = the writer's adds + removes.
template <typename Index>
void BM_LongestPrefixWhileWriting(benchmark::State& state) {
  using Key = typename Index::KeyType;
  const uint64_t ids = static_cast<uint64_t>(state.range(0)) / kChainLength * kChainLength;
  const size_t nodes = static_cast<size_t>(state.range(1));
  Index& index = Populated<Index>(ids, nodes);
  std::atomic<bool> stop{false};
  int64_t writes = 0;
  std::thread writer;
  if (state.thread_index() == 0) {
    writer = std::thread([&] {
      Rng rng(43);
      alignas(64) std::array<Key, kChainLength> chain;
      while (!stop.load(std::memory_order_relaxed)) {
        ChurnRandomChain(index, nodes - 1, ids, rng, chain);
        writes += 2 * kChainLength;
      }
    });
  }
  const int64_t visited = ReadRandomChains(state, index, ids, nodes);
  if (state.thread_index() == 0) {
    stop = true;
    writer.join();
    state.counters["writes_per_second"] =
        benchmark::Counter(static_cast<double>(writes), benchmark::Counter::kIsRate);
  }
  Report(state, visited);
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"ids", "nodes"})->ArgsProduct({{1 << 10, 100'000, 10'000'000}, {16, 1024}});
}

using InternedLockedIndex = BasicPrefixIndex<BlockId, ShardedLocking>;

// Simulation path: interned ids, no locks. Reads may run on two threads (const methods).
BENCHMARK_TEMPLATE(BM_Holders, SimPrefixIndex)->Apply(Sizes)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_LongestPrefix, SimPrefixIndex)
    ->Apply(Sizes)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_AddRemove, SimPrefixIndex)->Apply(Sizes)->Threads(1)->UseRealTime();

// Router path: raw ids, lock-sharded.
BENCHMARK_TEMPLATE(BM_Holders, PrefixIndex)->Apply(Sizes)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_LongestPrefix, PrefixIndex)
    ->Apply(Sizes)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_AddRemove, PrefixIndex)->Apply(Sizes)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_LongestPrefixWhileWriting, PrefixIndex)
    ->Apply(Sizes)
    ->Threads(1)
    ->UseRealTime();

// Interned ids behind sharded locks and hash maps: the price of locking alone, next to
// the simulation path at the same sizes.
BENCHMARK_TEMPLATE(BM_LongestPrefix, InternedLockedIndex)
    ->ArgNames({"ids", "nodes"})
    ->Args({100'000, 16})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
