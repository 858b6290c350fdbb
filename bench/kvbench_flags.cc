#include "bench/kvbench_flags.h"

#include <cmath>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/capacity.h"
#include "bench/cli_common.h"
#include "boost/program_options.hpp"
#include "core/util/input_error.h"

namespace kvb {
namespace {

namespace po = boost::program_options;

po::options_description KvbenchOptions() {
  po::options_description options("kvbench options");
  options.add_options()("help,h", "this help")(
      "config,c", po::value<std::vector<std::string>>(),
      "matrix file (repeatable); see configs/ and --print-config")(
      "trace", po::value<std::string>(),
      "run every matrix on this trace file instead (see --trace-format; .zst, .gz)")(
      "trace-format", po::value<std::string>(),
      "with --trace: mooncake (512-token ids, ms), bailian (Qwen-Bailian: 16-token ids, s), "
      "azure or burstgpt (CSV without hashes: synthetic prefixes)")(
      "timestamp-unit", po::value<std::string>(),
      "with --trace: its timestamps' unit, ms, s or us (default: the format's)")(
      "reblock-tokens", po::value<uint32_t>(),
      "with --trace: re-block it to this many tokens per block (the profile's block size)")(
      "prefixes", po::value<std::string>(),
      "with --trace of a CSV without hashes (azure, burstgpt): the preset or workload .json "
      "giving its synthetic prefixes (default conversation; --trace-seed seeds them)")(
      "preset", po::value<std::string>(),
      "run every matrix on this generated workload instead (preset name or workload .json)")(
      "requests", po::value<uint64_t>(), "with --preset: requests to generate")(
      "trace-seed", po::value<uint64_t>()->default_value(1),
      "with --preset, or --trace without hashes: generator seed")(
      "threads,j", po::value<size_t>()->default_value(0),
      "TBB workers running cells (0: one per core)")(
      "shard", po::value<std::string>(), "run only the cells of shard k/N (by cell hash)")(
      "list", "print the cells (hash, name) and exit")("out,o", po::value<std::string>(),
                                                       "write the result JSON here (atomically)")(
      "progress", po::value<bool>()->implicit_value(true),
      "cells done / total, rate and ETA on stderr (default: on when stderr is a terminal)")(
      "mode", po::value<std::string>()->default_value("metrics"),
      "metrics: cells in parallel; timing: one cell at a time, --repetitions each")(
      "repetitions", po::value<int>()->default_value(9),
      "timing mode: runs per cell (>= 9 for compare.py's U test)")(
      "cell-time-limit", po::value<double>(),
      "seconds a cell may run before it is stopped and recorded as failed (overrides the "
      "configs' cell_time_limit_s)")(
      "cell-memory-limit", po::value<std::string>(),
      "largest estimated heap of one cell, a size (16GB, 512MiB) or auto: physical memory / "
      "worker threads (timing mode: / 1); a matrix with a cell over it exits 2 before any cell "
      "runs, --list included (overrides the configs' cell_memory_limit)")(
      "resume", "skip the cells already in OUT.journal (same config and version) and run the rest")(
      "grace", po::value<double>()->default_value(30),
      "after SIGINT/SIGTERM: seconds running cells may finish before they are abandoned")(
      "summary", po::value<bool>()->default_value(true)->implicit_value(true),
      "print a table per matrix and cluster")(
      "list-strategies", "every router and replication policy, with defaults and sources")(
      "list-metrics", "every result column: unit, better direction, meaning (Markdown)")(
      "print-config", "print the resolved configs with every default (or a template) and exit");
  return options;
}

template <typename T>
std::optional<T> Optional(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<T>();
}

}  // namespace

KvbenchFlags ParseKvbenchFlags(int argc, const char* const* argv) {
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, KvbenchOptions()), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  KvbenchFlags flags;
  flags.help = vm.count("help") > 0;
  flags.list_strategies = vm.count("list-strategies") > 0;
  flags.list_metrics = vm.count("list-metrics") > 0;
  flags.print_config = vm.count("print-config") > 0;
  flags.list = vm.count("list") > 0;
  flags.resume = vm.count("resume") > 0;
  if (vm.count("config")) flags.config_files = vm["config"].as<std::vector<std::string>>();
  flags.trace = Optional<std::string>(vm, "trace");
  flags.trace_format = Optional<std::string>(vm, "trace-format");
  flags.timestamp_unit = Optional<std::string>(vm, "timestamp-unit");
  flags.reblock_tokens = Optional<uint32_t>(vm, "reblock-tokens");
  flags.prefixes = Optional<std::string>(vm, "prefixes");
  flags.preset = Optional<std::string>(vm, "preset");
  flags.requests = Optional<uint64_t>(vm, "requests");
  flags.trace_seed = vm["trace-seed"].as<uint64_t>();
  flags.threads = vm["threads"].as<size_t>();
  flags.shard = Optional<std::string>(vm, "shard");
  flags.out = Optional<std::string>(vm, "out");
  flags.progress = Optional<bool>(vm, "progress");
  flags.mode = vm["mode"].as<std::string>();
  flags.repetitions = vm["repetitions"].as<int>();
  flags.cell_time_limit_s = Optional<double>(vm, "cell-time-limit");
  flags.cell_memory_limit = Optional<std::string>(vm, "cell-memory-limit");
  flags.grace_s = vm["grace"].as<double>();
  flags.summary = vm["summary"].as<bool>();
  return flags;
}

std::string KvbenchHelpText() {
  std::ostringstream text;
  text << "usage: kvbench --config FILE [--config FILE...] [--out RESULT.json] [options]\n"
          "       kvbench merge SHARD.json... -o ALL.json\n"
          "       kvbench --list-strategies | --list-metrics | --print-config [--config FILE]\n\n"
          "Google Benchmark's flags are accepted too: --benchmark_filter=<regex>\n"
          "(run only the cells whose names match; -<regex>: the others),\n"
          "--benchmark_format=json (without --out: the result JSON on stdout),\n"
          "--benchmark_counters_tabular, --benchmark_context=<key>=<value>,...\n\n"
       << KvbenchOptions();
  return text.str();
}

Shard ParseShard(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  size_t k = 0, n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &k) || !absl::SimpleAtoi(parts[1], &n) ||
      n == 0 || k >= n) {
    throw UsageError(absl::StrCat("--shard: expected k/N with 0 <= k < N, got '", text, "'"));
  }
  return {k, n};
}

std::optional<std::optional<uint64_t>> MemoryLimitFlag(const KvbenchFlags& flags) {
  if (!flags.cell_memory_limit.has_value()) return std::nullopt;
  try {
    return ParseMemoryLimit(*flags.cell_memory_limit, "--cell-memory-limit");
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
}

void CheckRunFlagValues(const KvbenchFlags& flags) {
  if (flags.cell_time_limit_s.has_value()) {
    const double limit = *flags.cell_time_limit_s;
    if (!(limit >= 0) || !std::isfinite(limit)) {
      throw UsageError("--cell-time-limit: must be a finite number of seconds >= 0");
    }
  }
  if (!(flags.grace_s >= 0) || !std::isfinite(flags.grace_s)) {
    throw UsageError("--grace: must be a finite number of seconds >= 0");
  }
  MemoryLimitFlag(flags);
  if (flags.mode != "metrics" && flags.mode != "timing") {
    throw UsageError(absl::StrCat("--mode: expected metrics or timing, got '", flags.mode, "'"));
  }
  if (flags.repetitions < 1) throw UsageError("--repetitions: must be >= 1");
  if (flags.shard.has_value()) ParseShard(*flags.shard);
}

}  // namespace kvb
