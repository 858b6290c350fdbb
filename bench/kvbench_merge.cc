#include "bench/kvbench_merge.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "bench/cli_common.h"
#include "bench/result_merge.h"
#include "bench/strict_json.h"
#include "boost/program_options.hpp"
#include "core/util/atomic_file.h"

namespace kvb {

int RunKvbenchMerge(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("merge options");
  options.add_options()("help,h", "this help")("output,o", po::value<std::string>(),
                                               "merged result file (written atomically)")(
      "inputs", po::value<std::vector<std::string>>(), "result files");
  po::positional_options_description positional;
  positional.add("inputs", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(absl::StrCat("merge: ", e.what()));
  }
  if (vm.count("help")) {
    std::cout << "usage: kvbench merge SHARD.json... -o ALL.json\n\n"
                 "Joins the results of `kvbench --shard k/N` runs of one config; refuses\n"
                 "files of different configs or traces and cells present twice.\n\n"
              << options;
    return kExitOk;
  }
  if (!vm.count("inputs") || !vm.count("output")) {
    throw UsageError("merge: give the shard files and -o OUTPUT");
  }
  std::vector<ResultFile> files;
  for (const std::string& path : vm["inputs"].as<std::vector<std::string>>()) {
    files.push_back({path, nlohmann::ordered_json(ReadJsonFile(path))});
  }
  std::vector<std::string> warnings;
  const nlohmann::ordered_json merged = MergeResults(files, &warnings);
  for (const std::string& w : warnings) {
    std::fprintf(stderr, "kvbench merge: warning: %s\n", w.c_str());
  }
  WriteFileAtomically(vm["output"].as<std::string>(), merged.dump(2) + "\n");
  return kExitOk;
}

}  // namespace kvb
