#include "bench/trace_commands/trace_commands.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace kvb {
namespace {

constexpr std::array<TraceCommand, 7> kTraceCommands = {{
    {"stats", "stats FILE | --preset NAME",
     "statistics of a trace (requests, blocks, reuse, hot prefixes)", RunStats},
    {"cachesim", "cachesim FILE | --preset NAME",
     "replay a trace through one cache: hits, evictions", RunCacheSim},
    {"simulate", "simulate FILE | --preset NAME",
     "one cell: a trace through a cluster under a router", RunSimulate},
    {"validate", "validate FILE", "check a trace file (see --format) and report problems",
     RunValidate},
    {"convert", "convert FILE -o FILE",
     "rewrite a trace (Mooncake, Qwen-Bailian; any unit, re-blocked) as Mooncake JSONL",
     RunConvert},
    {"generate", "generate WORKLOAD -o FILE", "write a generated trace as Mooncake JSONL",
     RunGenerate},
    {"presets", "presets [--show NAME]", "list the workload presets, or print one as JSON",
     RunPresets},
}};

// The width of the usage text's synopsis column.
constexpr size_t kSynopsisWidth = 29;

}  // namespace

std::span<const TraceCommand> TraceCommands() { return kTraceCommands; }

const TraceCommand* FindTraceCommand(std::string_view name) {
  for (const TraceCommand& c : kTraceCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string TraceUsage() {
  std::string usage = "Usage: kvbench-trace COMMAND [options]\n\nCommands:\n";
  for (const TraceCommand& c : kTraceCommands) {
    // A synopsis too long for its column puts the help on the next line.
    const std::string gap = c.synopsis.size() + 2 <= kSynopsisWidth
                                ? std::string(kSynopsisWidth - c.synopsis.size(), ' ')
                                : "\n" + std::string(kSynopsisWidth + 2, ' ');
    usage += "  " + std::string(c.synopsis) + gap + std::string(c.help) + "\n";
  }
  absl::StrAppend(&usage,
                  "\n"
                  "Run 'kvbench-trace COMMAND --help' for a command's options.\n"
                  "FILE may be '-' (standard input) or end in .zst or .gz (decompressed).\n"
                  "WORKLOAD is a preset name or a workload file (.json, e.g. configs/workloads/).\n"
                  "Exit status: 0 ok, 1 failure (e.g. cannot write), 2 bad input or usage.\n");
  return usage;
}

}  // namespace kvb
