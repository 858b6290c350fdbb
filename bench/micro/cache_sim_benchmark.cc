// Speed of the single-cache replay (SimulateCache): block references per second.
// Uses the real conversation trace when present (KVB_TRACE_DIR, else the build's default
// trace directory), otherwise the built-in conversation workload.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/micro/shared_traces.h"
#include "benchmark/benchmark.h"
#include "core/cache/cache_sim.h"
#include "core/cache/eviction_policy.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"

namespace kvb {
namespace {

// The trace, read or generated once per process.
const micro::NamedTrace& Input() {
  static const micro::NamedTrace input = micro::ConversationTraceOrPreset();
  return input;
}

void Replay(benchmark::State& state, const char* policy_name, ReuseMode mode) {
  const Trace& trace = *Input().trace;
  const EvictionPolicyInfo& policy = *FindEvictionPolicy(policy_name);
  const auto capacity = static_cast<size_t>(state.range(0));
  CacheSimResult result;
  for (auto _ : state) {
    result = SimulateCache(trace, policy, capacity, mode);
    benchmark::DoNotOptimize(result);
  }
  state.counters["block_refs"] = benchmark::Counter(
      static_cast<double>(state.iterations() * result.block_refs), benchmark::Counter::kIsRate);
  state.counters["hit_rate"] = result.hit_rate;
  state.SetLabel(Input().source);
}

// The seed's setting: one node, per-block reuse, 512 blocks (2 MiB of 4 KiB blocks), and a
// larger cache.
void BM_PerBlockLru(benchmark::State& state) { Replay(state, "lru", ReuseMode::kPerBlock); }
BENCHMARK(BM_PerBlockLru)->Arg(512)->Arg(16384)->Unit(benchmark::kMillisecond);

void BM_PrefixLru(benchmark::State& state) { Replay(state, "lru", ReuseMode::kPrefix); }
void BM_PrefixLfu(benchmark::State& state) { Replay(state, "lfu", ReuseMode::kPrefix); }
void BM_PrefixFifo(benchmark::State& state) { Replay(state, "fifo", ReuseMode::kPrefix); }
void BM_PrefixSieve(benchmark::State& state) { Replay(state, "sieve", ReuseMode::kPrefix); }
void BM_PrefixS3Fifo(benchmark::State& state) { Replay(state, "s3fifo", ReuseMode::kPrefix); }
BENCHMARK(BM_PrefixLru)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefixLfu)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefixFifo)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefixSieve)->Arg(16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrefixS3Fifo)->Arg(16384)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
