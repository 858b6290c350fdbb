#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/cli_common.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "bench/trace_json.h"
#include "core/cache/cache_sim.h"
#include "core/cache/eviction_policy.h"
#include "core/util/names.h"

namespace kvb {

int RunCacheSim(const std::vector<std::string>& args) {
  po::options_description options("cachesim options");
  options.add_options()("file", po::value<std::string>(), "trace file (Mooncake JSONL)")(
      "preset,p", po::value<std::string>(),
      "generate a workload instead of reading a file: a preset name or a workload .json")(
      "eviction,e", po::value<std::string>(), "eviction policy: lru, lfu, fifo, sieve, s3fifo")(
      "capacity,c", po::value<std::string>(), "cache capacity in blocks (required)")(
      "per-block", "the seed's reuse: every resident block of a request hits")(
      "prefix", "realistic reuse: only the leading run of resident blocks hits")(
      "json", "print JSON instead of text");
  AddReadOptions(options);
  AddGeneratorOptions(options);
  po::variables_map vm;
  if (!ParseCommand("cachesim", args, options, "file", 1,
                    "cachesim FILE | --preset NAME --eviction POLICY --capacity BLOCKS "
                    "--per-block|--prefix [options]",
                    vm)) {
    return kExitOk;
  }
  if (!vm.count("eviction")) throw UsageError{"cachesim: --eviction POLICY is required"};
  const std::string eviction = vm["eviction"].as<std::string>();
  const EvictionPolicyInfo* policy = FindEvictionPolicy(eviction);
  if (policy == nullptr) {
    const std::string known = JoinNames(EvictionPolicies());
    throw UsageError{
        absl::StrCat("cachesim: unknown eviction policy '", eviction, "' (known: ", known, ")")};
  }
  if (!vm.count("capacity")) throw UsageError{"cachesim: --capacity BLOCKS is required"};
  if (vm.count("per-block") == vm.count("prefix")) {
    throw UsageError{"cachesim: give exactly one of --per-block and --prefix"};
  }
  const std::string capacity_text = vm["capacity"].as<std::string>();
  uint64_t capacity = 0;
  if (capacity_text.empty() || capacity_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(capacity_text, &capacity)) {
    throw UsageError{absl::StrCat("cachesim: --capacity: expected a number of blocks, got '",
                                  capacity_text, "'")};
  }
  const ReuseMode mode = vm.count("prefix") ? ReuseMode::kPrefix : ReuseMode::kPerBlock;

  const TraceArgument input = LoadTraceArgument("cachesim", vm);
  if (capacity == 0) throw UsageError{"cachesim: --capacity: must be >= 1 block"};
  const CacheSimResult r = SimulateCache(*input.trace, *policy, capacity, mode);

  if (vm.count("json")) {
    nlohmann::ordered_json out;
    out["trace"] = input.name;
    out["eviction"] = std::string(policy->name);
    out["capacity"] = capacity;
    out["mode"] = std::string(ReuseModeName(mode));
    out["requests"] = r.requests;
    out["block_refs"] = r.block_refs;
    out["hits"] = r.hits;
    out["misses"] = r.misses;
    out["hit_rate"] = r.hit_rate;
    out["evictions"] = r.evictions;
    out["stranded_evictions"] = r.stranded_evictions;
    if (input.report) out["read"] = ReadReportToJson(*input.report);
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("trace              %s\n", input.name.c_str());
    std::printf("eviction           %s\n", std::string(policy->name).c_str());
    std::printf("capacity           %s blocks\n", WithCommas(capacity).c_str());
    std::printf("mode               %s\n", std::string(ReuseModeName(mode)).c_str());
    std::printf("requests           %s\n", WithCommas(r.requests).c_str());
    std::printf("block refs         %s\n", WithCommas(r.block_refs).c_str());
    std::printf("hits               %s\n", WithCommas(r.hits).c_str());
    std::printf("misses             %s\n", WithCommas(r.misses).c_str());
    std::printf("hit rate           %s\n", Percent(r.hit_rate).c_str());
    std::printf("evictions          %s\n", WithCommas(r.evictions).c_str());
    std::printf("stranded evictions %s\n", WithCommas(r.stranded_evictions).c_str());
  }
  return kExitOk;
}

}  // namespace kvb
