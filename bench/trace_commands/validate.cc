#include <cstdio>
#include <iostream>

#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "bench/trace_json.h"

namespace kvb {

int RunValidate(const std::vector<std::string>& args) {
  po::options_description options("validate options");
  options.add_options()("file", po::value<std::string>(), "trace file (Mooncake JSONL)")(
      "json", "print the read report as JSON");
  AddReadOptions(options);
  po::variables_map vm;
  if (!ParseCommand("validate", args, options, "file", 1, "validate FILE [options]", vm)) {
    return kExitOk;
  }
  if (!vm.count("file")) throw UsageError{"validate: FILE is required"};
  const std::string name = vm["file"].as<std::string>();
  const LoadedTrace loaded = ReadTraceFile(name, ReadOptionsFrom(vm));
  if (vm.count("json")) {
    nlohmann::ordered_json out;
    out["trace"] = name;
    out["valid"] = true;
    out["read"] = ReadReportToJson(loaded.report);
    out["distinct_blocks"] = loaded.trace->distinct_blocks();
    out["blocks"] = loaded.trace->block_count();
    std::cout << out.dump(2) << "\n";
  } else {
    ReportWarnings(name, loaded.report);
    const MooncakeReadReport& r = loaded.report;
    std::printf("%s: valid: %s requests, %s blocks, %s distinct ids, %s lines (%s blank)\n",
                name.c_str(), WithCommas(r.requests).c_str(),
                WithCommas(loaded.trace->block_count()).c_str(),
                WithCommas(loaded.trace->distinct_blocks()).c_str(), WithCommas(r.lines).c_str(),
                WithCommas(r.blank_lines).c_str());
  }
  return kExitOk;
}

}  // namespace kvb
