#include <cstdio>
#include <iostream>

#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "core/trace/mooncake_writer.h"

namespace kvb {

int RunGenerate(const std::vector<std::string>& args) {
  po::options_description options("generate options");
  options.add_options()("preset", po::value<std::string>(),
                        "preset name (see 'kvbench-trace presets') or workload file (.json)")(
      "output,o", po::value<std::string>(),
      "output file (Mooncake JSONL, written atomically); '-' = stdout");
  AddGeneratorOptions(options);
  po::variables_map vm;
  if (!ParseCommand("generate", args, options, "preset", 1,
                    "generate WORKLOAD [--requests N] [--seed S] -o FILE", vm)) {
    return kExitOk;
  }
  if (!vm.count("preset")) throw UsageError{"generate: PRESET is required"};
  if (!vm.count("output")) throw UsageError{"generate: -o FILE is required"};
  const std::shared_ptr<const Trace> trace =
      GenerateFrom(ResolveWorkload(vm["preset"].as<std::string>()), vm);
  const std::string out = vm["output"].as<std::string>();
  if (out == "-") {
    std::cout << MooncakeTraceToString(*trace);
  } else {
    WriteMooncakeTrace(*trace, out);
    std::fprintf(stderr, "kvbench-trace: wrote %s requests (%s blocks) to %s\n",
                 WithCommas(trace->size()).c_str(), WithCommas(trace->block_count()).c_str(),
                 out.c_str());
  }
  return kExitOk;
}

}  // namespace kvb
