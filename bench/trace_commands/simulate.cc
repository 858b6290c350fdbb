#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "bench/capacity.h"
#include "bench/cli_common.h"
#include "bench/profile_json.h"
#include "bench/run_result_json.h"
#include "bench/trace_commands/trace_command_util.h"
#include "bench/trace_commands/trace_commands.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"

namespace kvb {

namespace {

// Prints the headline metrics of one cell.
void PrintRunText(const std::string& trace_name, const std::string& cell, const RunResult& r,
                  bool realistic) {
  std::printf("trace              %s\n", trace_name.c_str());
  std::printf("cell               %s\n", cell.c_str());
  std::printf("requests           %s served, %s rejected\n", WithCommas(r.served).c_str(),
              WithCommas(r.rejected).c_str());
  std::printf("block hit rate     %s (%s of %s blocks; %s fetched from other nodes)\n",
              Percent(r.hit_rate).c_str(), WithCommas(r.hit_blocks).c_str(),
              WithCommas(r.block_refs).c_str(), WithCommas(r.fetched_blocks).c_str());
  std::printf("token hit rate     %s\n", Percent(r.token_hit_rate).c_str());
  std::printf("evictions          %s (%s stranded)\n", WithCommas(r.evictions).c_str(),
              WithCommas(r.stranded_evictions).c_str());
  std::printf("balance            concentration %.3f  CV %.3f  Jain %.3f  Gini %.3f\n",
              r.concentration, r.load_cv, r.jain_index, r.gini);
  std::printf("seed score         traditional %.3f (hit rate / concentration)\n",
              r.traditional_score);
  if (realistic) {
    std::printf("TTFT               mean %.3f s  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
                r.ttft_mean_s, r.ttft_p50_s, r.ttft_p90_s, r.ttft_p99_s, r.ttft_max_s);
    std::printf("queue wait         mean %.3f s  p99 %.3f s\n", r.queue_wait_mean_s,
                r.queue_wait_p99_s);
    std::printf("SLO attainment     %s\n", Percent(r.slo_attainment).c_str());
    std::printf("GPU                %.1f s used, %.1f s saved by reuse (%.1f s without)\n",
                r.gpu_seconds, r.gpu_seconds_saved, r.gpu_seconds_no_reuse);
    std::printf(
        "storage            %.3f GB-hours provisioned (billed by default), %.3f cached (%.3f as "
        "replicas)\n",
        r.provisioned_gb_hours, r.cached_gb_hours, r.replica_gb_hours);
    std::printf("network            %s bytes moved\n", WithCommas(r.transfer_bytes).c_str());
    std::printf(
        "cost               $%.4f per 1,000 requests (GPU $%.4f, storage $%.4f, network "
        "$%.4f)\n",
        r.usd_per_1k_requests, r.gpu_usd, r.storage_usd, r.network_usd);
  }
  std::printf("replicas           %s created, at most %u holders of one block\n",
              WithCommas(r.replicas_created).c_str(), r.peak_holders);
  std::printf("copies             %s of %s blocks (%s refused by the budget); %s fetches dropped\n",
              WithCommas(r.copies).c_str(), WithCommas(r.copied_blocks).c_str(),
              WithCommas(r.copies_refused).c_str(), WithCommas(r.fetches_dropped).c_str());
  if (!r.hot_prefixes.empty()) {
    std::printf("hot prefixes       (HotspotTracker at the end: count, intensity, trend slope)\n");
    for (size_t i = 0; i < std::min<size_t>(r.hot_prefixes.size(), 5); ++i) {
      const RunResult::HotPrefixStat& h = r.hot_prefixes[i];
      std::printf("  id %-10llu %10.0f  %.3f  %+.3f%s%s\n", static_cast<unsigned long long>(h.id),
                  h.count, h.intensity, h.slope, h.current_hot ? "  hot" : "",
                  h.predicted_hot ? "  predicted" : "");
    }
  }
}

}  // namespace

int RunSimulate(const std::vector<std::string>& args) {
  po::options_description options("simulate options");
  options.add_options()("file", po::value<std::string>(), "trace file (Mooncake JSONL)")(
      "preset,p", po::value<std::string>(),
      "generate a workload instead of reading a file: a preset name or a workload .json")(
      "mode", po::value<std::string>()->default_value("realistic"),
      "seed (the seed simulator's model) or realistic")(
      "nodes", po::value<size_t>(), "prefill nodes (default: seed 4, realistic 16)")(
      "capacity", po::value<std::string>(),
      "KV cache per node, e.g. 512blocks, 3Mtokens, 1TB (default: seed 512blocks, realistic "
      "the profile's DRAM)")("eviction", po::value<std::string>(),
                             "lru, lfu, fifo, sieve, s3fifo (default: seed lfu, "
                             "realistic lru)")(
      "scope", po::value<std::string>()->default_value("local"), "local or global cache")(
      // No short option: -s is --seed, the generator's, as in every command.
      "strategy", po::value<std::string>(),
      "router[:key=value,...][+replication[:key=value,...]] (kvbench --list-strategies; "
      "default: seed random, realistic prefix_greedy)")("strategy-seed",
                                                        po::value<uint64_t>()->default_value(1),
                                                        "seed of the strategy's randomness")(
      "profile", po::value<std::string>(), "cost profile .json (default: llama3-70b_8xa800)")(
      "rate-scale", po::value<double>()->default_value(1.0), "arrival rate multiplier")(
      "slo", po::value<double>()->default_value(0.0), "TTFT SLO in seconds (0: none)")(
      "reject-over-slo", "reject requests whose predicted TTFT exceeds the SLO")(
      "hotspots", "track hot prefixes (HotspotTracker) and report the hottest")(
      "json", "print the whole result as JSON")("output,o", po::value<std::string>(),
                                                "with --json: write to this file (atomically)");
  AddReadOptions(options);
  AddGeneratorOptions(options);
  po::variables_map vm;
  if (!ParseCommand("simulate", args, options, "file", 1,
                    "simulate FILE | --preset NAME [--mode seed|realistic] [options]", vm)) {
    return kExitOk;
  }
  SimConfig config;
  const std::string mode = vm["mode"].as<std::string>();
  if (mode != "seed" && mode != "realistic") {
    throw UsageError{
        absl::StrCat("simulate: --mode: expected seed or realistic, got '", mode, "'")};
  }
  const bool seed = mode == "seed";
  config.mode = seed ? SimMode::kSeedCompat : SimMode::kRealistic;
  const std::string scope = vm["scope"].as<std::string>();
  if (scope != "local" && scope != "global") {
    throw UsageError{
        absl::StrCat("simulate: --scope: expected local or global, got '", scope, "'")};
  }
  config.cluster.scope = scope == "global" ? CacheScope::kGlobal : CacheScope::kLocal;
  if (vm.count("profile"))
    config.cost = CostModel(ReadProfileFile(vm["profile"].as<std::string>()));
  const size_t nodes = vm.count("nodes") ? vm["nodes"].as<size_t>() : (seed ? 4 : 16);
  // Negative numbers wrap around in the unsigned option: the range check catches them.
  if (nodes == 0 || nodes > 1024) throw UsageError{"simulate: --nodes: must be in [1, 1024]"};
  uint64_t capacity_blocks = seed ? 512 : config.cost.DramBlocks();
  if (vm.count("capacity")) {
    const Capacity c = ParseCapacity(vm["capacity"].as<std::string>(), "--capacity");
    capacity_blocks = config.cost.CapacityBlocks(c.value, c.unit);
    if (capacity_blocks == 0) throw UsageError{"simulate: --capacity: is less than one block"};
  }
  const std::string eviction =
      vm.count("eviction") ? vm["eviction"].as<std::string>() : (seed ? "lfu" : "lru");
  config.cluster.nodes.assign(nodes, NodeSpec{capacity_blocks, eviction, 1.0});
  config.rate_scale = vm["rate-scale"].as<double>();
  config.ttft_slo_s = vm["slo"].as<double>();
  if (!(config.rate_scale > 0) || !std::isfinite(config.rate_scale)) {
    throw UsageError{"simulate: --rate-scale: must be a finite number > 0"};
  }
  if (!(config.ttft_slo_s >= 0) || !std::isfinite(config.ttft_slo_s)) {
    throw UsageError{"simulate: --slo: must be a finite number of seconds >= 0"};
  }
  config.reject_over_slo = vm.count("reject-over-slo") > 0;
  config.track_hotspots = vm.count("hotspots") > 0;
  Strategy strategy = MakeStrategy(
      vm.count("strategy") ? vm["strategy"].as<std::string>() : (seed ? "random" : "prefix_greedy"),
      vm["strategy-seed"].as<uint64_t>());
  const TraceArgument input = LoadTraceArgument("simulate", vm);
  const RunResult result = Simulate(*input.trace, config, strategy);
  const std::string cell = absl::StrCat(mode, " ", nodes, " nodes x ", capacity_blocks, " blocks ",
                                        eviction, " ", scope, " strategy=", strategy.spec);
  if (vm.count("json")) {
    nlohmann::ordered_json out;
    out["trace"] = input.name;
    out["cell"] = {{"mode", mode},
                   {"nodes", nodes},
                   {"capacity_blocks", capacity_blocks},
                   {"eviction", eviction},
                   {"scope", scope},
                   {"strategy", strategy.spec},
                   {"strategy_seed", vm["strategy-seed"].as<uint64_t>()},
                   {"profile", config.cost.model().name + " on " + config.cost.hardware().name},
                   {"rate_scale", config.rate_scale},
                   {"ttft_slo_s", config.ttft_slo_s}};
    out["result"] = RunResultToJson(result);
    WriteOutput(vm, out.dump(2) + "\n");
  } else {
    if (vm.count("output")) throw UsageError{"simulate: --output needs --json"};
    PrintRunText(input.name, cell, result, !seed);
  }
  return kExitOk;
}

}  // namespace kvb
