// Speed of one cell: the realistic 16-node cluster on the conversation trace (the real
// file when present, else the conversation preset) under the simple cache-aware router,
// and the same cell (global cache scope) under every registered strategy: its cost per
// routing decision, engine included. Then the serving shapes: 16 aggregated nodes and
// 8 prefill + 8 decode nodes, every node stepping batches (docs/ENGINE.md).

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/micro/shared_traces.h"
#include "benchmark/benchmark.h"
#include "core/model/cost_model.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"

namespace kvb {
namespace {

void RunCell(benchmark::State& state, SimMode mode, CacheScope scope, size_t nodes,
             size_t capacity_blocks, const char* eviction, const std::string& strategy_spec,
             ClusterShape shape = ClusterShape::kPrefillOnly, size_t decode_nodes = 0) {
  static const std::shared_ptr<const Trace> trace = micro::ConversationTraceOrPreset().trace;
  SimConfig config;
  config.mode = mode;
  config.shape = shape;
  config.decode_nodes = decode_nodes;
  config.cluster.scope = scope;
  config.cluster.nodes.assign(nodes, NodeSpec{capacity_blocks, eviction, 1.0});
  double hit_rate = 0;
  uint64_t output_tokens = 0;
  for (auto _ : state) {
    Strategy strategy = MakeStrategy(strategy_spec, 1);
    const RunResult r = Simulate(*trace, config, strategy);
    hit_rate = r.hit_rate;
    output_tokens = r.output_tokens;
    benchmark::DoNotOptimize(r.ttft_mean_s);
  }
  if (shape != ClusterShape::kPrefillOnly) {
    state.counters["output_tokens"] = static_cast<double>(output_tokens);
  }
  state.counters["block_refs"] = benchmark::Counter(
      static_cast<double>(state.iterations() * trace->block_count()), benchmark::Counter::kIsRate);
  state.counters["hit_rate"] = hit_rate;
  state.counters["decisions"] = benchmark::Counter(
      static_cast<double>(state.iterations() * trace->size()), benchmark::Counter::kIsRate);
  // Seconds of the cell per decision, in nanoseconds: time / (decisions / 1e9).
  state.counters["ns_per_decision"] =
      benchmark::Counter(static_cast<double>(state.iterations() * trace->size()) / 1e9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
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
  RunCell(state, SimMode::kSeedCompat, CacheScope::kLocal, 4, 512, "lfu", "random");
}
BENCHMARK(BM_Seed4Nodes)->Unit(benchmark::kMillisecond);

// The serving shapes on the same nodes (LLaMA3-70B on 8xA800, its serving profile): every
// node runs the batching engine; targets 100 ms (aggregated) and 150 ms (8P+8D) per cell.
// BM_Aggregated16Nodes/<router> is registered for every router in main().
void BM_Aggregated16Nodes(benchmark::State& state, const std::string& router) {
  RunCell(state, SimMode::kRealistic, CacheScope::kLocal, 16, 5859, "lru", router,
          ClusterShape::kAggregated);
}

void BM_Disaggregated8P8D(benchmark::State& state, const std::string& router) {
  RunCell(state, SimMode::kRealistic, CacheScope::kLocal, 8, 5859, "lru", router,
          ClusterShape::kDisaggregated, 8);
}
BENCHMARK_CAPTURE(BM_Disaggregated8P8D, dynamo, std::string("dynamo"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Disaggregated8P8D, random, std::string("random"))
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvb

int main(int argc, char** argv) {
  // BM_Strategy16Nodes/<spec>: every router with the default replication, then every
  // replication policy behind least_loaded.
  std::vector<std::string> specs;
  for (const kvb::RouterInfo& r : kvb::Routers()) specs.emplace_back(r.name);
  for (const kvb::ReplicationInfo& p : kvb::ReplicationPolicies()) {
    if (p.name != kvb::kDefaultReplication) specs.push_back("least_loaded+" + std::string(p.name));
  }
  // BM_Aggregated16Nodes/<router>: every router on the aggregated engine (the cost of
  // routing next to random's on the engine production routers are written for).
  for (const kvb::RouterInfo& r : kvb::Routers()) {
    const std::string router(r.name);
    benchmark::RegisterBenchmark(
        ("BM_Aggregated16Nodes/" + router).c_str(),
        [router](benchmark::State& state) { kvb::BM_Aggregated16Nodes(state, router); })
        ->Unit(benchmark::kMillisecond);
  }
  for (const std::string& spec : specs) {
    benchmark::RegisterBenchmark(("BM_Strategy16Nodes/" + spec).c_str(),
                                 [spec](benchmark::State& state) {
                                   kvb::RunCell(state, kvb::SimMode::kRealistic,
                                                kvb::CacheScope::kGlobal, 16, 5859, "lru", spec);
                                 })
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
