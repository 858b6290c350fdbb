#ifndef KVB_BENCH_MICRO_SHARED_TRACES_H_
#define KVB_BENCH_MICRO_SHARED_TRACES_H_

// For the micro suites (targets made by kvb_cc_benchmark, which defines
// KVB_DEFAULT_TRACE_DIR): where the public Mooncake traces are, and a stand-in when not.
// tests/real_traces_test.cc uses it too (tests/ may include bench/, not the reverse).

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"

namespace kvb::micro {

// $KVB_TRACE_DIR if set, else the directory configured at build time (KVB_TRACE_DIR,
// default ../shared/traces).
inline std::filesystem::path SharedTraceDir() {
  const char* env = std::getenv("KVB_TRACE_DIR");
  return (env != nullptr && *env != '\0') ? env : KVB_DEFAULT_TRACE_DIR;
}

struct NamedTrace {
  std::shared_ptr<const Trace> trace;
  std::string source;  // "real conversation trace" or "conversation preset"
};

// The real conversation trace when present, else the conversation preset at its default
// size (seed 1), so the suites run everywhere and say which they used.
inline NamedTrace ConversationTraceOrPreset() {
  const std::filesystem::path path = SharedTraceDir() / "conversation_trace.jsonl";
  if (std::filesystem::exists(path)) {
    return {ReadMooncakeTrace(path.string()).trace, "real conversation trace"};
  }
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  return {GenerateWorkload(preset->spec, preset->default_requests, /*seed=*/1),
          "conversation preset"};
}

}  // namespace kvb::micro

#endif  // KVB_BENCH_MICRO_SHARED_TRACES_H_
