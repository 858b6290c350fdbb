#include "bench/kvbench_plan.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/cell_distribution.h"
#include "bench/cli_common.h"
#include "benchmark/benchmark.h"
#include "core/sim/memory_estimate.h"
#include "core/sim/simulator.h"
#include "core/trace/trace_file.h"
#include "core/util/fnv.h"
#include "core/util/input_error.h"
#include "oneapi/tbb/info.h"

namespace kvb {
namespace {

// Refuses, before any cell runs, an --out that could not be written at the end.
void CheckOutputPath(const std::string& path) {
  if (path.empty()) throw UsageError("--out: empty path");
  if (std::filesystem::is_directory(path)) {
    throw InputError(absl::StrCat(path, ": is a directory (--out names the result file)"));
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!std::filesystem::is_directory(dir)) {
    throw InputError(absl::StrCat(path, ": no directory ", dir.string()));
  }
  if (access(dir.c_str(), W_OK) != 0) {
    throw InputError(
        absl::StrCat(path, ": cannot write in ", dir.string(), ": ", std::strerror(errno)));
  }
}

// Refuses, before any cell runs, a matrix with a cell whose estimated heap exceeds `limit`:
// one line naming the config, the cluster and trace (and the strategy or rate scale when
// they make the difference), the estimate with its breakdown, and the limit. The estimate
// depends on the trace, the cluster and the rate scale (windows), and on the strategy only
// through its own tables: each is checked without it first. `shapes` caches each trace's
// counts (one pass over it).
void CheckCellMemory(const LoadedMatrix& m, const std::vector<Cell>& cells,
                     const MemoryLimit& limit, std::map<const Trace*, TraceShape>& shapes) {
  if (limit.bytes == UINT64_MAX) return;
  std::set<std::array<size_t, 3>> base_checked;      // trace, cluster, rate scale
  std::set<std::array<size_t, 4>> strategy_checked;  // and strategy
  for (const Cell& cell : cells) {
    const CellChoice& x = cell.choice;
    if (!strategy_checked.insert({x.trace, x.cluster, x.rate_scale, x.strategy}).second) continue;
    const Trace* trace = m.spec.traces[x.trace].trace.get();
    auto shape = shapes.find(trace);
    if (shape == shapes.end()) shape = shapes.emplace(trace, TraceShape::Of(*trace)).first;
    const SimConfig config = CellConfig(m.spec, cell);
    for (const bool with_strategy : {false, true}) {
      if (!with_strategy && !base_checked.insert({x.trace, x.cluster, x.rate_scale}).second) {
        continue;
      }
      const CellMemoryEstimate e = EstimateCellMemory(
          shape->second, config, with_strategy ? cell.strategy_spec : std::string());
      if (e.total <= limit.bytes) continue;
      std::string where =
          absl::StrCat(m.config.source, ": cluster '", m.spec.clusters[x.cluster].name,
                       "', trace '", m.spec.traces[x.trace].name, "'");
      if (with_strategy) absl::StrAppend(&where, ", strategy '", cell.strategy_spec, "'");
      if (m.spec.rate_scales.size() > 1) {
        absl::StrAppend(&where, ", rate_scale ",
                        absl::StrFormat("%g", m.spec.rate_scales[x.rate_scale]));
      }
      throw InputError(absl::StrCat(where, ": a cell needs an estimated ", FormatBytes(e.total),
                                    " (", e.description, ") > ", limit.name,
                                    "; lower capacity or nodes, or raise the limit"));
    }
  }
}

// Settings no simulation could run with fail here, with the config's name, rather than in
// every cell.
void CheckSimSettings(const LoadedMatrix& m, const std::vector<Cell>& cells) {
  std::set<std::array<size_t, 4>> checked;  // trace, jitter, cluster, rate scale
  for (const Cell& cell : cells) {
    const CellChoice& x = cell.choice;
    if (!checked.insert({x.trace, x.jitter, x.cluster, x.rate_scale}).second) continue;
    try {
      ValidateSimConfig(CellTrace(m.spec, x), CellConfig(m.spec, cell));
    } catch (const InputError& e) {
      throw InputError(absl::StrCat(m.config.source, ": cluster '", m.spec.clusters[x.cluster].name,
                                    "', trace '", m.spec.traces[x.trace].name, "', rate_scales[",
                                    x.rate_scale, "]: ", e.what()));
    }
  }
}

// The memory limit of a config's cells: --cell-memory-limit, else its cell_memory_limit,
// else `default_limit`.
MemoryLimit MemoryLimitOf(const KvbenchFlags& flags, const MatrixConfig& c,
                          const MemoryLimit& default_limit) {
  const std::optional<std::optional<uint64_t>> memory_flag = MemoryLimitFlag(flags);
  if (memory_flag.has_value()) {
    if (!memory_flag->has_value()) return default_limit;  // auto
    return {**memory_flag, absl::StrCat("--cell-memory-limit ", *flags.cell_memory_limit)};
  }
  if (c.cell_memory_limit_bytes.has_value()) {
    return {*c.cell_memory_limit_bytes, absl::StrCat("cell_memory_limit ", c.cell_memory_limit)};
  }
  return default_limit;
}

}  // namespace

MemoryLimit DefaultMemoryLimit(size_t workers) {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return {UINT64_MAX, "no limit (physical memory unknown)"};
  const uint64_t memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  workers = std::max<size_t>(workers, 1);
  return {memory / workers,
          absl::StrCat("the default cell memory limit ", FormatBytes(memory / workers),
                       " (physical memory ", FormatBytes(memory), " / ", workers, " worker thread",
                       workers == 1 ? "" : "s", "; see --cell-memory-limit)")};
}

size_t RunPlan::CellsToRun() const {
  size_t n = 0;
  for (const LoadedMatrix& m : matrices) n += m.cells.size();
  return n;
}

size_t RunPlan::CellsTotal() const {
  size_t n = 0;
  for (const LoadedMatrix& m : matrices) n += m.cells_total;
  return n;
}

std::vector<MatrixConfig> ReadRunConfigs(const KvbenchFlags& flags) {
  if (flags.trace && flags.preset) throw UsageError("give --trace or --preset, not both");
  if (flags.requests && !flags.preset) throw UsageError("--requests needs --preset");
  if (!flags.trace &&
      (flags.trace_format || flags.timestamp_unit || flags.reblock_tokens || flags.prefixes)) {
    throw UsageError(
        "--trace-format, --timestamp-unit, --reblock-tokens and --prefixes need --trace");
  }
  std::vector<MatrixConfig> configs;
  for (const std::string& file : flags.config_files) {
    MatrixConfig c = ReadMatrixConfig(file);
    for (const MatrixConfig& earlier : configs) {
      if (earlier.name == c.name) {
        throw InputError(
            absl::StrCat(file, ": name: '", c.name, "' is also the name of ", earlier.source));
      }
    }
    if (flags.trace || flags.preset) {
      nlohmann::json entry;
      if (flags.trace) {
        std::string stem = std::filesystem::path(*flags.trace).stem().string();
        for (char& ch : stem) {
          if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '_';
        }
        entry = {{"name", stem.empty() ? "trace" : stem}, {"file", *flags.trace}};
        if (flags.trace_format) entry["format"] = *flags.trace_format;
        if (flags.timestamp_unit) entry["timestamp_unit"] = *flags.timestamp_unit;
        if (flags.reblock_tokens) entry["reblock_tokens"] = *flags.reblock_tokens;
        if (flags.prefixes) entry["prefixes"] = *flags.prefixes;
        const TraceFormat* format = FindTraceFormat(flags.trace_format.value_or("mooncake"));
        if (format != nullptr && !format->hashed()) entry["seed"] = flags.trace_seed;
      } else {
        entry = {{"name", std::filesystem::path(*flags.preset).stem().string()},
                 {"preset", *flags.preset},
                 {"seed", flags.trace_seed}};
        if (flags.requests) entry["requests"] = *flags.requests;
      }
      OverrideTraces(c, ParseTraceConfig(entry, flags.trace ? "--trace" : "--preset"));
    }
    configs.push_back(std::move(c));
  }
  return configs;
}

BenchmarkFilter::BenchmarkFilter(const std::string& filter) {
  std::string pattern = filter;
  if (pattern.empty() || pattern == "all" || pattern == ".") return;
  if (pattern.front() == '-') {
    negative_ = true;
    pattern.erase(0, 1);
  }
  try {
    regex_.emplace(pattern, std::regex::extended | std::regex::nosubs);
  } catch (const std::regex_error& e) {
    throw UsageError(absl::StrCat("--benchmark_filter: '", filter, "' is not a regex: ", e.what()));
  }
}

bool BenchmarkFilter::Matches(const std::string& name) const {
  return !regex_ || std::regex_search(name, *regex_) != negative_;
}

RunPlan MakeRunPlan(const KvbenchFlags& flags, std::vector<MatrixConfig> configs,
                    const BuildStamp& build, size_t processes) {
  if (configs.empty()) {
    throw UsageError("give --config FILE (see configs/), or --list-strategies / --print-config");
  }
  if (flags.out) CheckOutputPath(*flags.out);
  CheckRunFlagValues(flags);
  RunPlan plan;
  plan.flags = flags;
  plan.build = build;
  plan.processes = processes;
  if (flags.threads > 0) {
    plan.thread_cap = std::make_unique<oneapi::tbb::global_control>(
        oneapi::tbb::global_control::max_allowed_parallelism, flags.threads);
  }
  if (flags.shard) plan.shard = ParseShard(*flags.shard);
  if (flags.timing() && processes > 1) {
    throw UsageError("--mode timing runs one cell at a time: do not start it on several ranks");
  }
  plan.workers = flags.threads > 0 ? flags.threads
                                   : static_cast<size_t>(oneapi::tbb::info::default_concurrency());
  const MemoryLimit default_memory_limit = DefaultMemoryLimit(flags.timing() ? 1 : plan.workers);

  plan.traces.set_progress(flags.progress.value_or(isatty(STDERR_FILENO) != 0) &&
                           CellDistribution::Get().rank() == 0);
  // --benchmark_filter picks cells before they run, by the names they are reported under.
  const BenchmarkFilter filter(benchmark::GetBenchmarkFilter());
  // Every matrix (traces once per process), expanded and checked.
  Fnv1a config_hash;
  std::map<const Trace*, TraceShape> trace_shapes;
  for (const MatrixConfig& c : configs) {
    LoadedMatrix m;
    m.config = c;
    m.spec = BuildMatrixSpec(c, plan.traces);
    std::vector<Cell> all;
    try {
      all = ExpandMatrix(m.spec, &m.skipped);
    } catch (const InputError& e) {
      throw InputError(absl::StrCat(c.source, ": ", e.what()));
    }
    m.cells_total = all.size();
    CheckSimSettings(m, all);
    // Cells too big for the machine: refused now, not found by the OOM killer.
    CheckCellMemory(m, all, MemoryLimitOf(flags, c, default_memory_limit), trace_shapes);
    for (Cell& cell : all) {
      if (InShard(cell, plan.shard.k, plan.shard.n) &&
          filter.Matches(absl::StrCat(m.spec.name, "/", cell.key))) {
        m.cells.push_back(std::move(cell));
      }
    }
    m.cell_time_limit_s = flags.cell_time_limit_s.value_or(c.cell_time_limit_s);
    config_hash.Add(MatrixConfigToJson(c).dump());
    config_hash.Add("\n");
    plan.matrices.push_back(std::move(m));
  }
  plan.config_hash = absl::StrFormat("%016x", config_hash.value());
  if (filter.active()) {
    size_t kept = 0, total = 0;
    for (const LoadedMatrix& m : plan.matrices) {
      kept += m.cells.size();
      total += m.cells_total;
    }
    // Google Benchmark would otherwise run nothing and leave no JSON to report.
    if (kept == 0 && total > 0 && plan.shard.n == 1) {
      throw UsageError(absl::StrCat("--benchmark_filter: '", benchmark::GetBenchmarkFilter(),
                                    "' matches none of the ", total,
                                    " cells (names as --list prints them)"));
    }
  }
  for (const std::string& line : plan.traces.warnings()) {
    std::cerr << (line.starts_with("  ") ? "" : "kvbench: warning: ") << line << "\n";
  }
  return plan;
}

void OpenRunJournal(RunPlan& plan) {
  const KvbenchFlags& flags = plan.flags;
  if (flags.resume && (!flags.out || flags.timing() || plan.processes > 1)) {
    throw UsageError(
        "--resume needs --out (its journal is OUT.journal), metrics mode and one process");
  }
  if (!flags.out || flags.timing() || plan.processes != 1) return;
  const std::string path = *flags.out + ".journal";
  const JournalOwner owner{plan.config_hash, plan.build.version};
  if (flags.resume) {
    std::vector<std::string> warnings;
    plan.journal = Journal::Resume(path, owner, &plan.journaled, &warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "kvbench: warning: %s\n", w.c_str());
    std::fprintf(stderr, "kvbench: resuming: %zu finished cells in %s\n", plan.journaled.size(),
                 path.c_str());
  } else {
    plan.journal = Journal::Create(path, owner);
  }
}

}  // namespace kvb
