#include <algorithm>
#include <chrono>
#include <cstdio>

#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "bench/trace_json.h"
#include "core/trace/trace_stats.h"

namespace kvb {

namespace {

void PrintStatsText(const std::string& name, const TraceStats& s) {
  std::printf("trace              %s\n", name.c_str());
  std::printf("requests           %s\n", WithCommas(s.requests).c_str());
  std::printf("blocks             %s (%u tokens each, %.1f per request)\n",
              WithCommas(s.blocks).c_str(), s.block_tokens, s.avg_blocks);
  std::printf("distinct ids       %s\n", WithCommas(s.distinct_blocks).c_str());
  std::printf("input tokens       avg %s  p50 %s  p90 %s  p99 %s  max %s\n",
              WithCommas(s.avg_input_tokens).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p50)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p90)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p99)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.max)).c_str());
  std::printf("output tokens      avg %s  p50 %s  p90 %s  p99 %s  max %s\n",
              WithCommas(s.avg_output_tokens).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p50)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p90)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p99)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.max)).c_str());
  std::printf("reusable blocks    %s (%s of %s; unbounded cache, contiguous prefix)\n",
              Percent(s.reusable_share).c_str(), WithCommas(s.reusable_blocks).c_str(),
              WithCommas(s.blocks).c_str());
  std::printf("reusable tokens    %s\n", Percent(s.reusable_token_share).c_str());
  std::printf("requests reusing   %s (%s)\n", WithCommas(s.requests_with_reuse).c_str(),
              Percent(static_cast<double>(s.requests_with_reuse) / std::max<size_t>(1, s.requests))
                  .c_str());
  std::printf("arrivals           %.1f s span, %.2f requests/s\n",
              static_cast<double>(s.last_arrival_ms - s.first_arrival_ms) / 1000.0,
              s.arrival_rate_per_s);
  std::printf("trace in memory    %.1f MB (%.1f bytes per block reference)\n",
              static_cast<double>(s.trace_memory_bytes) / 1e6,
              static_cast<double>(s.trace_memory_bytes) /
                  static_cast<double>(std::max<size_t>(1, s.blocks)));
  std::printf("hottest prefixes   (longest prefix shared by that many requests)\n");
  std::printf("  %4s %8s %10s %8s  %s\n", "rank", "blocks", "requests", "share", "last id");
  for (size_t i = 0; i < s.hottest.size(); ++i) {
    const HotPrefix& h = s.hottest[i];
    std::printf("  %4zu %8u %10s %8s  %llu\n", i + 1, h.blocks, WithCommas(h.requests).c_str(),
                Percent(h.share).c_str(), static_cast<unsigned long long>(h.id));
  }
}

}  // namespace

int RunStats(const std::vector<std::string>& args) {
  po::options_description options("stats options");
  options.add_options()("file", po::value<std::string>(), "trace file (Mooncake JSONL)")(
      "preset,p", po::value<std::string>(),
      "generate a workload instead of reading a file: a preset name or a workload .json")(
      "top", po::value<size_t>()->default_value(10), "hottest prefixes to list")(
      "json", "print JSON instead of text")("output,o", po::value<std::string>(),
                                            "write to this file (atomically) instead of stdout");
  AddReadOptions(options);
  AddGeneratorOptions(options);
  po::variables_map vm;
  if (!ParseCommand("stats", args, options, "file", 1, "stats FILE | --preset NAME [options]",
                    vm)) {
    return kExitOk;
  }
  const auto start = std::chrono::steady_clock::now();
  const TraceArgument input = LoadTraceArgument("stats", vm);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const TraceStats stats = ComputeTraceStats(*input.trace, vm["top"].as<size_t>());

  if (vm.count("json")) {
    nlohmann::ordered_json out;
    out["trace"] = input.name;
    out["stats"] = TraceStatsToJson(stats);
    if (input.report) out["read"] = ReadReportToJson(*input.report);
    WriteOutput(vm, out.dump(2) + "\n");
  } else {
    if (vm.count("output")) throw UsageError{"stats: --output needs --json"};
    PrintStatsText(input.name, stats);
    std::printf("%-19s%.3f s", input.report ? "read in" : "generated in", load_s);
    if (input.report) {
      std::printf(" (%.0f MB/s)",
                  static_cast<double>(input.report->bytes) / 1e6 / std::max(load_s, 1e-9));
    }
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace kvb
