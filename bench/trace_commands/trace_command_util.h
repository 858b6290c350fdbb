#ifndef KVB_BENCH_TRACE_COMMANDS_TRACE_COMMAND_UTIL_H_
#define KVB_BENCH_TRACE_COMMANDS_TRACE_COMMAND_UTIL_H_

// What kvbench-trace's commands share: option parsing, reading or generating the trace
// they work on, and number formatting.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/workload_json.h"
#include "boost/program_options.hpp"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"
#include "core/trace/trace_file.h"

namespace kvb {

namespace po = boost::program_options;

// 12031 -> "12,031".
std::string WithCommas(uint64_t n);
// "12,035.1": thousands separators and one decimal.
std::string WithCommas(double x);
// 0.1234 -> "12.3%".
std::string Percent(double share);

// Parses `args` (the command's own arguments) against `options`; FILE-like positionals go
// to `positional_name`. Returns false if --help was asked for (and printed). Throws
// UsageError "<command>: ..." for a malformed command line.
bool ParseCommand(const std::string& command, const std::vector<std::string>& args,
                  po::options_description& options, const char* positional_name, int max_positional,
                  const std::string& synopsis, po::variables_map& vm);

// --block-tokens and --skip-invalid, and the reader options they give.
void AddReadOptions(po::options_description& options);
TraceFileOptions ReadOptionsFrom(const po::variables_map& vm);

// Prints what reading tolerated, one line each, to stderr.
void ReportWarnings(const std::string& name, const MooncakeReadReport& r);

// A built-in preset by name, or a workload file (configs/workloads/*.json) by path.
// Throws UsageError for an unknown preset.
WorkloadFile ResolveWorkload(const std::string& name_or_path);

// --requests (-n) and --seed (-s) of the generator.
void AddGeneratorOptions(po::options_description& options);
// The trace `workload` generates with --requests and --seed.
std::shared_ptr<const Trace> GenerateFrom(const WorkloadFile& workload,
                                          const po::variables_map& vm);

// The trace a command works on, with the name its output gives it.
struct TraceArgument {
  std::shared_ptr<const Trace> trace;
  std::string name;
  std::optional<MooncakeReadReport> report;  // set when read from a file
};

// The trace named by FILE (read, warnings to stderr) or by --preset (generated), from the
// options of AddReadOptions and AddGeneratorOptions.
TraceArgument LoadTraceArgument(const std::string& command, const po::variables_map& vm);

// `text` to --output (atomically) when given and not "-", else to stdout.
void WriteOutput(const po::variables_map& vm, const std::string& text);

}  // namespace kvb

#endif  // KVB_BENCH_TRACE_COMMANDS_TRACE_COMMAND_UTIL_H_
