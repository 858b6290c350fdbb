// HotspotTracker speed: RecordRequest throughput (ids/s) from 1 and 2 threads sharing one
// tracker, and Snapshot(100) latency, on ~24-id requests of Zipf ids over 1M prefixes.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/hotspot/hotspot_tracker.h"

namespace kvb {
namespace {

constexpr size_t kPrefixes = 1'000'000;
constexpr size_t kPoolRequests = 8192;
constexpr int kIdsPerRequest = 24;

// A fixed pool of requests: 24 Zipf(1.0) ids each, drawn once per process.
const std::vector<std::vector<BlockId>>& Pool() {
  static const std::vector<std::vector<BlockId>> pool = [] {
    std::vector<double> cdf(kPrefixes);
    double sum = 0;
    for (size_t i = 0; i < kPrefixes; ++i) cdf[i] = sum += 1.0 / static_cast<double>(i + 1);
    std::mt19937_64 rng(2024);
    std::uniform_real_distribution<double> uniform(0, sum);
    std::vector<std::vector<BlockId>> requests(kPoolRequests);
    for (auto& ids : requests) {
      for (int i = 0; i < kIdsPerRequest; ++i) {
        const auto it = std::lower_bound(cdf.begin(), cdf.end(), uniform(rng));
        ids.push_back(static_cast<BlockId>(std::min<size_t>(it - cdf.begin(), kPrefixes - 1)));
      }
    }
    return requests;
  }();
  return pool;
}

HotspotConfig BenchConfig() {
  HotspotConfig config;  // 16 shards, 65536 tracked ids, windows of 1000 requests
  return config;
}

void BM_RecordRequest(benchmark::State& state) {
  static HotspotTracker tracker(BenchConfig());  // shared by the benchmark's threads
  const auto& pool = Pool();
  size_t next = static_cast<size_t>(state.thread_index()) * (kPoolRequests / 2);
  int64_t ids = 0;
  for (auto _ : state) {
    const auto& request = pool[next];
    tracker.RecordRequest(request);
    ids += static_cast<int64_t>(request.size());
    next = next + 1 == kPoolRequests ? 0 : next + 1;
  }
  state.SetItemsProcessed(ids);
}
BENCHMARK(BM_RecordRequest)->Threads(1)->Threads(2)->UseRealTime();

void BM_Snapshot100(benchmark::State& state) {
  static const HotspotTracker* tracker = [] {
    auto* t = new HotspotTracker(BenchConfig());
    for (const auto& request : Pool()) t->RecordRequest(request);
    return t;
  }();
  for (auto _ : state) {
    auto top = tracker->Snapshot(100);
    benchmark::DoNotOptimize(top.data());
  }
  state.counters["tracked"] = static_cast<double>(tracker->tracked());
}
BENCHMARK(BM_Snapshot100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
