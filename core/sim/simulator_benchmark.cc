// Speed of one cell: the realistic 16-node cluster on the conversation trace (the real
// file when present, else the conversation preset) under the simple cache-aware router.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "core/model/cost_model.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "tests/shared_traces.h"

namespace kvb {
namespace {

void RunCell(benchmark::State& state, SimMode mode, CacheScope scope, size_t nodes,
             size_t capacity_blocks, const char* eviction, const char* router_name) {
  static const std::shared_ptr<const Trace> trace = testing::ConversationTraceOrPreset().trace;
  SimConfig config;
  config.mode = mode;
  config.cluster.scope = scope;
  config.cluster.nodes.assign(nodes, NodeSpec{capacity_blocks, eviction, 1.0});
  double hit_rate = 0;
  for (auto _ : state) {
    std::unique_ptr<Router> router = MakeRouter(router_name, 1);
    const RunResult r = Simulate(*trace, config, *router);
    hit_rate = r.block_hit_rate;
    benchmark::DoNotOptimize(r.ttft_mean_s);
  }
  state.counters["block_refs"] = benchmark::Counter(
      static_cast<double>(state.iterations() * trace->block_count()), benchmark::Counter::kIsRate);
  state.counters["hit_rate"] = hit_rate;
}

// 16 prefill nodes of 3M tokens each (5,859 blocks of 512 tokens), as in Mooncake.
void BM_Realistic16NodesLocal(benchmark::State& state) {
  RunCell(state, SimMode::kRealistic, CacheScope::kLocal, 16, 5859, "lru", "prefix_greedy");
}
BENCHMARK(BM_Realistic16NodesLocal)->Unit(benchmark::kMillisecond);

void BM_Realistic16NodesGlobal(benchmark::State& state) {
  RunCell(state, SimMode::kRealistic, CacheScope::kGlobal, 16, 5859, "lru", "prefix_greedy");
}
BENCHMARK(BM_Realistic16NodesGlobal)->Unit(benchmark::kMillisecond);

// The seed's cluster: 4 nodes of 512 blocks with its LFU, per-block hits, no time.
void BM_Seed4Nodes(benchmark::State& state) {
  RunCell(state, SimMode::kSeed, CacheScope::kLocal, 4, 512, "lfu", "random");
}
BENCHMARK(BM_Seed4Nodes)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
