#ifndef KVB_BENCH_TRACE_COMMANDS_TRACE_COMMANDS_H_
#define KVB_BENCH_TRACE_COMMANDS_TRACE_COMMANDS_H_

// kvbench-trace's commands, one file each, and the table the program dispatches on.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvb {

// A command runs on the arguments after its name and returns the exit code; it throws
// UsageError for a usage mistake and InputError for a bad trace or workload.
using TraceCommandFunction = int (*)(const std::vector<std::string>& args);

struct TraceCommand {
  std::string_view name;      // "stats"
  std::string_view synopsis;  // "stats FILE | --preset NAME", for the usage text
  std::string_view help;      // one line
  TraceCommandFunction run;
};

int RunStats(const std::vector<std::string>& args);
int RunCacheSim(const std::vector<std::string>& args);
int RunSimulate(const std::vector<std::string>& args);
int RunValidate(const std::vector<std::string>& args);
int RunConvert(const std::vector<std::string>& args);
int RunGenerate(const std::vector<std::string>& args);
int RunPresets(const std::vector<std::string>& args);

// Every command, in the order of the usage text.
std::span<const TraceCommand> TraceCommands();

// The command called `name`, or nullptr.
const TraceCommand* FindTraceCommand(std::string_view name);

// `kvbench-trace --help`: the commands with their help lines, and the exit codes.
std::string TraceUsage();

}  // namespace kvb

#endif  // KVB_BENCH_TRACE_COMMANDS_TRACE_COMMANDS_H_
