// Speed of the Mooncake JSONL reader: the real conversation trace from disk (when present)
// and the built-in conversation workload held in memory (always available).

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/micro/shared_traces.h"
#include "benchmark/benchmark.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/mooncake_writer.h"
#include "core/trace/trace.h"

namespace kvb {
namespace {

void ReportThroughput(benchmark::State& state, uint64_t bytes, uint64_t block_refs) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["block_refs"] = benchmark::Counter(
      static_cast<double>(state.iterations() * block_refs), benchmark::Counter::kIsRate);
}

void BM_ReadConversationTrace(benchmark::State& state) {
  const std::filesystem::path path = micro::SharedTraceDir() / "conversation_trace.jsonl";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("absent: " + path.string() + " (set KVB_TRACE_DIR)").c_str());
    return;
  }
  uint64_t bytes = 0;
  uint64_t block_refs = 0;
  for (auto _ : state) {
    const LoadedTrace loaded = ReadMooncakeTrace(path.string());
    benchmark::DoNotOptimize(loaded.trace.get());
    bytes = loaded.report.bytes;
    block_refs = loaded.trace->block_count();
  }
  ReportThroughput(state, bytes, block_refs);
}
BENCHMARK(BM_ReadConversationTrace)->Unit(benchmark::kMillisecond);

// 20,000 requests of the built-in conversation workload as JSONL text.
std::string GeneratedTraceText() {
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  return MooncakeTraceToString(*GenerateWorkload(preset->spec, 20000, /*seed=*/1));
}

void BM_ReadGeneratedTrace(benchmark::State& state) {
  const std::string text = GeneratedTraceText();
  uint64_t block_refs = 0;
  for (auto _ : state) {
    const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "generated");
    benchmark::DoNotOptimize(loaded.trace.get());
    block_refs = loaded.trace->block_count();
  }
  ReportThroughput(state, text.size(), block_refs);
}
BENCHMARK(BM_ReadGeneratedTrace)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvb

BENCHMARK_MAIN();
