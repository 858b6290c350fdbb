#ifndef KVB_BENCH_KVBENCH_PLAN_H_
#define KVB_BENCH_KVBENCH_PLAN_H_

// A kvbench run's plan: the second step (flags -> plan -> execute -> report). The configs
// are read, every matrix loaded and checked (settings, memory), and the cells of this
// shard chosen, all before any cell runs.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "bench/journal.h"
#include "bench/kvbench_flags.h"
#include "bench/matrix_json.h"
#include "core/matrix/matrix.h"
#include "oneapi/tbb/global_control.h"

namespace kvb {

// The build a result names: its version and git commit.
struct BuildStamp {
  std::string version;
  std::string git_commit;
};

// One matrix of a run, loaded and expanded.
struct LoadedMatrix {
  MatrixConfig config;
  MatrixSpec spec;
  std::vector<Cell> cells;       // after --shard
  size_t cells_total = 0;        // before --shard
  size_t skipped = 0;            // seed-mode cells without time or dollars
  double cell_time_limit_s = 0;  // the config's, or --cell-time-limit
};

// The largest estimated heap of one cell, and how messages name where it came from.
struct MemoryLimit {
  uint64_t bytes = UINT64_MAX;
  std::string name;  // "--cell-memory-limit 16GB", "cell_memory_limit 16GB", "the default ..."
};

// The default: physical memory / `workers` (the cells that run at once); no limit if the
// memory size is unknown.
MemoryLimit DefaultMemoryLimit(size_t workers);

// Everything a run needs before its first cell; move-only (it owns the journal).
struct RunPlan {
  KvbenchFlags flags;
  BuildStamp build;
  Shard shard;
  size_t processes = 1;  // MPI ranks sharing the run
  size_t workers = 1;    // TBB workers: --threads, or one per core
  // --threads caps every TBB parallel region of the process while the plan lives.
  std::unique_ptr<oneapi::tbb::global_control> thread_cap;
  TraceCache traces;
  std::vector<LoadedMatrix> matrices;
  std::string config_hash;  // 16 hex digits over the resolved configs
  // Set by OpenRunJournal: finished cells are journaled; those of --resume are known.
  std::unique_ptr<Journal> journal;
  std::map<std::string, std::string> journaled;  // "<matrix>/<cell hash>" -> payload

  // The cells this shard runs, over every matrix.
  size_t CellsToRun() const;
  // The cells of every matrix before --shard.
  size_t CellsTotal() const;
};

// The configs of --config, with --trace / --preset applied. Throws UsageError for
// conflicting trace flags, InputError for a bad file or two configs of one name.
std::vector<MatrixConfig> ReadRunConfigs(const KvbenchFlags& flags);

// Google Benchmark's --benchmark_filter as it selects benchmarks: a POSIX extended regex
// searched in the name; "", "all" and "." match all; a leading '-' negates it.
class BenchmarkFilter {
 public:
  // Throws UsageError for a pattern that is not a regex.
  explicit BenchmarkFilter(const std::string& filter);
  bool Matches(const std::string& name) const;
  // Whether a pattern was given (not empty, "all" or ".").
  bool active() const { return regex_.has_value(); }

 private:
  std::optional<std::regex> regex_;
  bool negative_ = false;
};

// Checks the flags (CheckRunFlagValues, --out's directory, timing on one process), loads
// every trace once, expands each matrix and refuses, before any cell runs, settings no
// simulation accepts and cells over the memory limit; keeps the cells of --shard whose
// names --benchmark_filter matches.
// Throws UsageError or InputError naming the config.
RunPlan MakeRunPlan(const KvbenchFlags& flags, std::vector<MatrixConfig> configs,
                    const BuildStamp& build, size_t processes);

// Creates OUT.journal (metrics mode, one process), or with --resume reads the cells it
// holds into plan.journaled. Throws UsageError if --resume cannot be honoured.
void OpenRunJournal(RunPlan& plan);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_PLAN_H_
