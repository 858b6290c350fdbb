// kvbench-trace: inspect, validate and generate request traces.
//
//   kvbench-trace stats FILE | --preset NAME [--json]
//   kvbench-trace cachesim FILE | --preset NAME --eviction P --capacity C --per-block|--prefix
//   kvbench-trace simulate FILE | --preset NAME [--strategy S] [--json]
//   kvbench-trace validate FILE
//   kvbench-trace generate WORKLOAD --requests N --seed S -o FILE
//   kvbench-trace presets [--show NAME]
//
// Each command lives in bench/trace_commands/; this file dispatches on their table.

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/cli_common.h"
#include "bench/trace_commands/trace_commands.h"
#include "core/util/input_error.h"

namespace kvb {
namespace {

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << TraceUsage();
    return kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << TraceUsage();
      return kExitOk;
    }
    if (command == "--version") {
      std::cout << "kvbench-trace " << KVB_VERSION << "\n";
      return kExitOk;
    }
    const TraceCommand* found = FindTraceCommand(command);
    if (found == nullptr) throw UsageError(absl::StrCat("unknown command '", command, "'"));
    return found->run(args);
  } catch (const UsageError& e) {
    std::cerr << "kvbench-trace: " << e.what() << "\n(run 'kvbench-trace --help')\n";
    return kExitUsage;
  } catch (const InputError& e) {
    std::cerr << "kvbench-trace: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "kvbench-trace: failed: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace
}  // namespace kvb

int main(int argc, char** argv) { return kvb::Main(argc, argv); }
