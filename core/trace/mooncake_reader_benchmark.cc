// Speed of the Mooncake JSONL reader: the real conversation trace from disk (when present)
// and a generated trace of the same shape held in memory (always available).

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"

namespace kvb {
namespace {

std::filesystem::path ConversationTracePath() {
  const char* env = std::getenv("KVB_TRACE_DIR");
  const std::filesystem::path dir = (env != nullptr && *env != '\0') ? env : KVB_DEFAULT_TRACE_DIR;
  return dir / "conversation_trace.jsonl";
}

void ReportThroughput(benchmark::State& state, uint64_t bytes, uint64_t block_refs) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["block_refs"] = benchmark::Counter(
      static_cast<double>(state.iterations() * block_refs), benchmark::Counter::kIsRate);
}

void BM_ReadConversationTrace(benchmark::State& state) {
  const std::filesystem::path path = ConversationTracePath();
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

// A deterministic JSONL text shaped like the conversation trace: 20,000 requests, every
// prompt starting with a shared system block (id 0), multi-turn conversations that resend
// their whole history plus 1-4 new blocks, ~24 ids per request, a partial last block.
std::string GeneratedTraceText() {
  constexpr int kRequests = 20000;
  constexpr int kActiveConversations = 64;
  constexpr size_t kMaxHistory = 46;
  std::mt19937_64 rng(20250226);  // mt19937_64's output is fixed by the standard
  std::vector<std::vector<uint64_t>> conversations(kActiveConversations);
  uint64_t next_id = 1;
  int64_t time_ms = 0;
  std::string text;
  text.reserve(size_t{kRequests} * 200);
  for (int i = 0; i < kRequests; ++i) {
    std::vector<uint64_t>& history = conversations[rng() % kActiveConversations];
    if (history.size() > kMaxHistory) history.clear();  // the conversation ends
    const uint64_t new_blocks = 1 + rng() % 4;
    for (uint64_t k = 0; k < new_blocks; ++k) history.push_back(next_id++);
    time_ms += static_cast<int64_t>(rng() % 400);
    const size_t blocks = history.size() + 1;  // + the system block
    const uint64_t input = blocks * 512 - rng() % 512;
    const uint64_t output = 20 + rng() % 600;
    text += "{\"timestamp\": " + std::to_string(time_ms) +
            ", \"input_length\": " + std::to_string(input) +
            ", \"output_length\": " + std::to_string(output) + ", \"hash_ids\": [0";
    for (uint64_t id : history) text += ", " + std::to_string(id);
    text += "]}\n";
  }
  return text;
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
