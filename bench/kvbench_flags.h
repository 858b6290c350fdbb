#ifndef KVB_BENCH_KVBENCH_FLAGS_H_
#define KVB_BENCH_KVBENCH_FLAGS_H_

// kvbench's flags: the first step of a run (flags -> plan -> execute -> report).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvb {

// kvbench's command line as typed values; defaults are those of `kvbench --help`. Values
// are checked by CheckRunFlagValues, not by the parse (--list-strategies ignores them).
struct KvbenchFlags {
  bool help = false;
  bool list_strategies = false;
  bool list_metrics = false;
  bool print_config = false;
  bool list = false;
  bool resume = false;
  std::vector<std::string> config_files;
  std::optional<std::string> trace;
  std::optional<std::string> trace_format;    // with trace: TraceConfig.format
  std::optional<std::string> timestamp_unit;  // with trace: TraceConfig.timestamp_unit
  std::optional<uint32_t> reblock_tokens;     // with trace: TraceConfig.reblock_tokens
  std::optional<std::string> prefixes;        // with trace: TraceConfig.prefixes
  std::optional<std::string> preset;
  std::optional<uint64_t> requests;
  uint64_t trace_seed = 1;
  size_t threads = 0;  // 0: one per core
  std::optional<std::string> shard;
  std::optional<std::string> out;
  std::optional<bool> progress;  // absent: on when stderr is a terminal
  std::string mode = "metrics";
  int repetitions = 9;
  std::optional<double> cell_time_limit_s;
  std::optional<std::string> cell_memory_limit;
  double grace_s = 30;
  bool summary = true;
  // --benchmark_format=json (taken by Google Benchmark): without --out, the result JSON goes
  // to stdout instead of the summary.
  bool benchmark_json = false;

  bool timing() const { return mode == "timing"; }
};

// Parses argv (argv[0] is the program; Google Benchmark's flags already removed). Throws
// UsageError for an unknown flag or a value of the wrong type.
KvbenchFlags ParseKvbenchFlags(int argc, const char* const* argv);

// `kvbench --help`: the usage lines and every flag.
std::string KvbenchHelpText();

// A shard "k/N" of a run: the cells whose hash falls in bucket k of N.
struct Shard {
  size_t k = 0, n = 1;
};

// Parses --shard "k/N"; throws UsageError unless 0 <= k < N.
Shard ParseShard(const std::string& text);

// The checks of a run's flag values, in this order: --cell-time-limit, --grace,
// --cell-memory-limit, --mode, --repetitions, --shard. Throws UsageError on the first.
void CheckRunFlagValues(const KvbenchFlags& flags);

// --cell-memory-limit: absent (use the configs'), nullopt inside (auto), or bytes.
// Throws UsageError for a malformed size.
std::optional<std::optional<uint64_t>> MemoryLimitFlag(const KvbenchFlags& flags);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_FLAGS_H_
