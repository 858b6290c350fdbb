// Router replay: K threads route the conversation trace's requests concurrently through a
// shared PrefixIndex (raw 64-bit ids, sharded locks) and HotspotTracker, as a real router
// serving many requests at once would: longest-prefix lookup, hot-spot update, then add of
// the request's blocks on the chosen node. Reports decisions/s, block-ops/s and the p50 /
// p99 latency of one decision.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "bench/micro/shared_traces.h"
#include "benchmark/benchmark.h"
#include "core/hotspot/hotspot_tracker.h"
#include "core/index/prefix_index.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"

namespace kvb {
namespace {

constexpr size_t kNodes = 16;

struct Replay {
  std::shared_ptr<const Trace> trace;
  std::vector<std::vector<RawBlockId>> raw;  // raw ids per request, as a router gets them
};

const Replay& ConversationReplay() {
  static const Replay replay = [] {
    Replay r;
    r.trace = micro::ConversationTraceOrPreset().trace;
    for (size_t i = 0; i < r.trace->size(); ++i) {
      std::vector<RawBlockId> ids;
      for (BlockId id : (*r.trace)[i].blocks) ids.push_back(r.trace->raw_id(id));
      r.raw.push_back(std::move(ids));
    }
    return r;
  }();
  return replay;
}

std::unique_ptr<PrefixIndex> index;
std::unique_ptr<HotspotTracker> tracker;

double PercentileOf(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void BM_RouterReplay(benchmark::State& state) {
  const Replay& replay = ConversationReplay();
  if (state.thread_index() == 0) {
    index = std::make_unique<PrefixIndex>(kNodes);
    HotspotConfig config;
    config.nodes = static_cast<int>(kNodes);
    tracker = std::make_unique<HotspotTracker>(config);
  }
  std::vector<double> latency_ns;
  std::vector<uint32_t> prefix(kNodes);
  size_t i = static_cast<size_t>(state.thread_index());
  uint64_t block_ops = 0;
  for (auto _ : state) {
    const size_t r = i % replay.raw.size();
    const std::vector<RawBlockId>& ids = replay.raw[r];
    const auto start = std::chrono::steady_clock::now();
    const LongestPrefixResult best = index->LongestPrefix(ids, prefix);
    // The longest holder wins; with no holder, spread by request number.
    const size_t node = best.best_len > 0 ? best.best_nodes.front() : r % kNodes;
    tracker->RecordRequest((*replay.trace)[r].blocks);
    index->Add(node, ids);
    latency_ns.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
    block_ops += 2 * ids.size();  // one lookup and one add per block
    i += static_cast<size_t>(state.threads());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["block_ops"] =
      benchmark::Counter(static_cast<double>(block_ops), benchmark::Counter::kIsRate);
  state.counters["p50_ns"] =
      benchmark::Counter(PercentileOf(latency_ns, 0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_ns"] =
      benchmark::Counter(PercentileOf(latency_ns, 0.99), benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_RouterReplay)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
