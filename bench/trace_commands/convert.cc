#include <cstdio>
#include <iostream>

#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "core/trace/mooncake_writer.h"

namespace kvb {

int RunConvert(const std::vector<std::string>& args) {
  po::options_description options("convert options");
  options.add_options()("file", po::value<std::string>(),
                        "trace file (see --format; '-' = stdin, .zst and .gz decompressed)")(
      "output,o", po::value<std::string>(),
      "output file (Mooncake JSONL, ms, written atomically); '-' = stdout");
  AddReadOptions(options);
  po::variables_map vm;
  if (!ParseCommand("convert", args, options, "file", 1,
                    "convert FILE -o OUT [--format F] [--timestamp-unit U] [--reblock-tokens N]",
                    vm)) {
    return kExitOk;
  }
  if (!vm.count("file")) throw UsageError{"convert: FILE is required"};
  if (!vm.count("output")) throw UsageError{"convert: -o FILE is required"};
  const std::string name = vm["file"].as<std::string>();
  const LoadedTrace loaded = ReadTraceFile(name, ReadOptionsFrom(vm));
  ReportWarnings(name, loaded.report);
  const Trace& trace = *loaded.trace;
  const std::string out = vm["output"].as<std::string>();
  if (out == "-") {
    std::cout << MooncakeTraceToString(trace);
  } else {
    WriteMooncakeTrace(trace, out);
  }
  std::fprintf(stderr,
               "kvbench-trace: wrote %s requests (%s blocks of %u tokens) to %s; read it with "
               "--block-tokens %u (or block_tokens in a config) when that is not 512\n",
               WithCommas(trace.size()).c_str(), WithCommas(trace.block_count()).c_str(),
               trace.block_tokens(), out == "-" ? "stdout" : out.c_str(), trace.block_tokens());
  return kExitOk;
}

}  // namespace kvb
