#include <cstdio>
#include <iostream>

#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "bench/workload_json.h"
#include "core/trace/generator.h"

namespace kvb {

int RunPresets(const std::vector<std::string>& args) {
  po::options_description options("presets options");
  options.add_options()("show", po::value<std::string>(),
                        "print a preset as a workload file (JSON) to start a custom workload from");
  po::variables_map vm;
  if (!ParseCommand("presets", args, options, nullptr, 0, "presets [--show NAME]", vm)) {
    return kExitOk;
  }
  if (vm.count("show")) {
    std::cout << WorkloadFileToJson(ResolveWorkload(vm["show"].as<std::string>())).dump(2) << "\n";
    return kExitOk;
  }
  for (const WorkloadPreset& p : WorkloadPresets()) {
    std::printf("%-14s %8s requests  %.*s\n", std::string(p.name).c_str(),
                WithCommas(p.default_requests).c_str(), static_cast<int>(p.description.size()),
                p.description.data());
  }
  return kExitOk;
}

}  // namespace kvb
