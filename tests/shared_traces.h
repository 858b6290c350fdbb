#ifndef KVB_TESTS_SHARED_TRACES_H_
#define KVB_TESTS_SHARED_TRACES_H_

// For tests and benchmarks (targets made by kvb_cc_test / kvb_cc_benchmark, which define
// KVB_DEFAULT_TRACE_DIR): where the public Mooncake traces are, and a stand-in when not.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"

namespace kvb::testing {

// $KVB_TRACE_DIR if set, else the directory configured at build time.
inline std::filesystem::path SharedTraceDir() {
  const char* env = std::getenv("KVB_TRACE_DIR");
  return (env != nullptr && *env != '\0') ? env : KVB_DEFAULT_TRACE_DIR;
}

struct NamedTrace {
  std::shared_ptr<const Trace> trace;
  std::string source;  // "real conversation trace" or "conversation preset"
};

// The real conversation trace when present, else the conversation preset at its default
// size (seed 1), so benchmarks run everywhere and say which they used.
inline NamedTrace ConversationTraceOrPreset() {
  const std::filesystem::path path = SharedTraceDir() / "conversation_trace.jsonl";
  if (std::filesystem::exists(path)) {
    return {ReadMooncakeTrace(path.string()).trace, "real conversation trace"};
  }
  const WorkloadPreset* preset = FindWorkloadPreset("conversation");
  return {GenerateWorkload(preset->spec, preset->default_requests, /*seed=*/1),
          "conversation preset"};
}

}  // namespace kvb::testing

#endif  // KVB_TESTS_SHARED_TRACES_H_
