// kvbench: runs strategy matrices (configs/**/*.json) as Google Benchmark suites, the cells
// in parallel on TBB workers, and writes Google Benchmark's JSON with kvbench's details.
//   kvbench --config configs/default.json --out results/latest.json
//   kvbench merge a.json b.json -o all.json
// A run is four steps: flags (kvbench_flags.h) -> plan (kvbench_plan.h) -> execute
// (kvbench_execute.h) -> report (kvbench_report.h).

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cell_distribution.h"
#include "bench/cli_common.h"
#include "bench/kvbench_execute.h"
#include "bench/kvbench_flags.h"
#include "bench/kvbench_listings.h"
#include "bench/kvbench_merge.h"
#include "bench/kvbench_plan.h"
#include "bench/kvbench_report.h"
#include "benchmark/benchmark.h"
#include "core/util/input_error.h"
#include "kvb_git_commit.h"

namespace kvb {
namespace {

int Run(int argc, char** argv, bool benchmark_json) {
  KvbenchFlags flags = ParseKvbenchFlags(argc, argv);
  flags.benchmark_json = benchmark_json;
  if (flags.help) {
    std::cout << KvbenchHelpText();
    return kExitOk;
  }
  if (flags.list_strategies) {
    ListStrategies();
    return kExitOk;
  }
  if (flags.list_metrics) {
    std::cout << MetricsMarkdown();
    return kExitOk;
  }
  std::vector<MatrixConfig> configs = ReadRunConfigs(flags);
  if (flags.print_config) {
    std::cout << ResolvedConfigsJson(configs).dump(2) << "\n";
    return kExitOk;
  }
  RunPlan plan = MakeRunPlan(flags, std::move(configs), {KVB_VERSION, KVB_GIT_COMMIT},
                             CellDistribution::Get().size());
  if (flags.list) {
    PrintCellList(plan);
    return kExitOk;
  }
  OpenRunJournal(plan);
  const RunOutcomes outcomes = ExecuteRunPlan(plan);
  if (!outcomes.reports) return kExitOk;
  return WriteRunReport(plan, outcomes);
}

// Google Benchmark answers --help itself and exits: keep it from seeing ours. Returns the
// arguments left once it took its --benchmark_* flags.
// `*json` tells whether they asked for --benchmark_format=json.
std::vector<char*> TakeGoogleBenchmarkFlags(int argc, char** argv, bool* json) {
  std::vector<char*> args;
  bool help = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && (arg == "--help" || arg == "-h")) {
      help = true;
    } else {
      if (arg.starts_with("--benchmark_format=")) *json = arg == "--benchmark_format=json";
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());  // removes the --benchmark_* flags
  args.resize(static_cast<size_t>(count));
  static char help_flag[] = "--help";
  if (help) args.push_back(help_flag);
  return args;
}

}  // namespace
}  // namespace kvb

int main(int argc, char** argv) {
  kvb::CellDistribution::Init(&argc, &argv);
  int code = kvb::kExitOk;
  try {
    bool benchmark_json = false;
    std::vector<char*> args = kvb::TakeGoogleBenchmarkFlags(argc, argv, &benchmark_json);
    const int count = static_cast<int>(args.size());
    if (count >= 2 && std::string_view(args[1]) == "merge") {
      code = kvb::RunKvbenchMerge(std::vector<std::string>(args.begin() + 2, args.end()));
    } else {
      code = kvb::Run(count, args.data(), benchmark_json);
    }
  } catch (const kvb::UsageError& e) {
    std::fprintf(stderr, "kvbench: error: %s (see kvbench --help)\n", e.what());
    code = kvb::kExitUsage;
  } catch (const kvb::InputError& e) {
    std::fprintf(stderr, "kvbench: error: %s\n", e.what());
    code = kvb::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvbench: error: %s\n", e.what());
    code = kvb::kExitFailure;
  }
  if (code != kvb::kExitOk && code != kvb::kExitFailure) kvb::CellDistribution::Abort(code);
  kvb::CellDistribution::Finalize();
  return code;
}
