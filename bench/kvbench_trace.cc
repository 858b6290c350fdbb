// kvbench-trace: inspect, validate and generate request traces.
//
//   kvbench-trace stats FILE | --preset NAME [--json]
//   kvbench-trace cachesim FILE | --preset NAME --eviction P --capacity C --per-block|--prefix
//   kvbench-trace validate FILE
//   kvbench-trace generate WORKLOAD --requests N --seed S -o FILE
//   kvbench-trace presets [--show NAME]

#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/capacity.h"
#include "bench/profile_json.h"
#include "bench/run_result_json.h"
#include "bench/trace_json.h"
#include "bench/workload_json.h"
#include "core/cache/cache_sim.h"
#include "core/cache/eviction_policy.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/mooncake_writer.h"
#include "core/trace/trace_stats.h"
#include "core/util/atomic_file.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {
namespace {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

constexpr char kUsage[] =
    "Usage: kvbench-trace COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  stats FILE | --preset NAME   statistics of a trace (requests, blocks, reuse, hot prefixes)\n"
    "  cachesim FILE | --preset NAME\n"
    "                               replay a trace through one cache: hits, evictions\n"
    "  simulate FILE | --preset NAME\n"
    "                               one cell: a trace through a cluster under a router\n"
    "  validate FILE                check a Mooncake JSONL trace and report problems\n"
    "  generate WORKLOAD -o FILE    write a generated trace as Mooncake JSONL\n"
    "  presets [--show NAME]        list the workload presets, or print one as JSON\n"
    "\n"
    "Run 'kvbench-trace COMMAND --help' for a command's options.\n"
    "FILE may be '-' (standard input) or end in .zst (zstd-compressed).\n"
    "WORKLOAD is a preset name or a workload file (.json, e.g. configs/workloads/).\n"
    "Exit status: 0 ok, 1 failure (e.g. cannot write), 2 bad input or usage.\n";

// A usage mistake: printed with a hint and exit status 2.
struct UsageError {
  std::string message;
};

std::string WithCommas(uint64_t n) {  // 12031 -> "12,031"
  std::string digits = std::to_string(n);
  std::string out;
  const size_t lead = digits.size() % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && i >= lead && (i - lead) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// "12,035.1": thousands separators and one decimal.
std::string WithCommas(double x) {
  const auto tenths = static_cast<uint64_t>(std::llround(x * 10.0));
  return absl::StrCat(WithCommas(tenths / 10), ".", tenths % 10);
}

std::string Percent(double share) { return absl::StrFormat("%.1f%%", 100.0 * share); }

// Parses `args` (the command's own arguments) against `options`; FILE-like positionals go
// to `positional_name`. Returns false if --help was asked for (and printed).
bool ParseCommand(const std::string& command, const std::vector<std::string>& args,
                  po::options_description& options, const char* positional_name, int max_positional,
                  const std::string& synopsis, po::variables_map& vm) {
  options.add_options()("help,h", "print this help");
  po::positional_options_description positional;
  if (positional_name != nullptr) positional.add(positional_name, max_positional);
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{absl::StrCat(command, ": ", e.what())};
  }
  if (vm.count("help")) {
    std::cout << "Usage: kvbench-trace " << synopsis << "\n\n" << options << "\n";
    return false;
  }
  return true;
}

MooncakeReadOptions ReadOptionsFrom(const po::variables_map& vm) {
  MooncakeReadOptions options;
  options.block_tokens = vm["block-tokens"].as<uint32_t>();
  options.skip_invalid = vm.count("skip-invalid") > 0;
  return options;
}

void AddReadOptions(po::options_description& options) {
  options.add_options()("block-tokens", po::value<uint32_t>()->default_value(512),
                        "tokens per block of hash_ids")(
      "skip-invalid", "skip invalid lines (counted and reported) instead of failing");
}

// Prints what reading tolerated, one line each, to stderr.
void ReportWarnings(const std::string& name, const MooncakeReadReport& r) {
  auto warn = [&](uint64_t count, const std::string& what) {
    if (count > 0) {
      std::cerr << "kvbench-trace: warning: " << name << ": " << count << " " << what << "\n";
    }
  };
  warn(r.skipped_invalid, "invalid lines skipped (--skip-invalid)");
  warn(r.block_count_mismatches, "requests whose hash_ids count is not ceil(input_length / block)");
  warn(r.timestamps_backwards,
       "requests with a timestamp earlier than the previous line's (stable-sorted by timestamp)");
  for (const std::string& m : r.messages) std::cerr << "  " << m << "\n";
}

struct TraceArgument {
  std::shared_ptr<const Trace> trace;
  std::string name;
  std::optional<MooncakeReadReport> report;  // set when read from a file
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A built-in preset by name, or a workload file (configs/workloads/*.json) by path.
WorkloadFile ResolveWorkload(const std::string& name_or_path) {
  if (EndsWith(name_or_path, ".json")) return ReadWorkloadFile(name_or_path);
  const WorkloadPreset* preset = FindWorkloadPreset(name_or_path);
  if (preset == nullptr) {
    const std::string known = JoinNames(WorkloadPresets());
    throw UsageError{absl::StrCat("unknown preset '", name_or_path, "' (known: ", known,
                                  "; or give a workload file ending in .json)")};
  }
  return WorkloadFile{std::string(preset->description), preset->default_requests, preset->spec};
}

std::shared_ptr<const Trace> GenerateFrom(const WorkloadFile& workload,
                                          const po::variables_map& vm) {
  const size_t requests = vm.count("requests") ? vm["requests"].as<size_t>() : workload.requests;
  // Negative numbers wrap around in the unsigned option: the range check catches them.
  if (requests == 0 || requests > (size_t{1} << 32)) {
    throw UsageError{"--requests: must be in [1, 4294967296]"};
  }
  return GenerateWorkload(workload.spec, requests, vm["seed"].as<uint64_t>());
}

void AddGeneratorOptions(po::options_description& options) {
  options.add_options()(
      "requests,n", po::value<size_t>(),
      "requests to generate (default: the preset's, the size of the trace it imitates)")(
      "seed,s", po::value<uint64_t>()->default_value(1), "generator seed");
}

// The trace named by FILE (read, warnings to stderr) or by --preset (generated), from the
// options of AddReadOptions and AddGeneratorOptions.
TraceArgument LoadTraceArgument(const std::string& command, const po::variables_map& vm) {
  if (vm.count("file") == vm.count("preset")) {
    throw UsageError{absl::StrCat(command, ": give either FILE or --preset NAME")};
  }
  TraceArgument input;
  if (vm.count("file")) {
    input.name = vm["file"].as<std::string>();
    LoadedTrace loaded = ReadMooncakeTrace(input.name, ReadOptionsFrom(vm));
    input.trace = loaded.trace;
    input.report = std::move(loaded.report);
    ReportWarnings(input.name, *input.report);
  } else {
    const std::string preset = vm["preset"].as<std::string>();
    input.trace = GenerateFrom(ResolveWorkload(preset), vm);
    input.name = absl::StrCat("preset:", preset, " (seed ", vm["seed"].as<uint64_t>(), ")");
  }
  return input;
}

void PrintStatsText(const std::string& name, const TraceStats& s) {
  std::printf("trace              %s\n", name.c_str());
  std::printf("requests           %s\n", WithCommas(s.requests).c_str());
  std::printf("blocks             %s (%u tokens each, %.1f per request)\n",
              WithCommas(s.blocks).c_str(), s.block_tokens, s.avg_blocks);
  std::printf("distinct ids       %s\n", WithCommas(s.distinct_blocks).c_str());
  std::printf("input tokens       avg %s  p50 %s  p90 %s  p99 %s  max %s\n",
              WithCommas(s.avg_input_tokens).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p50)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p90)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.p99)).c_str(),
              WithCommas(static_cast<uint64_t>(s.input_pct.max)).c_str());
  std::printf("output tokens      avg %s  p50 %s  p90 %s  p99 %s  max %s\n",
              WithCommas(s.avg_output_tokens).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p50)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p90)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.p99)).c_str(),
              WithCommas(static_cast<uint64_t>(s.output_pct.max)).c_str());
  std::printf("reusable blocks    %s (%s of %s; unbounded cache, contiguous prefix)\n",
              Percent(s.reusable_share).c_str(), WithCommas(s.reusable_blocks).c_str(),
              WithCommas(s.blocks).c_str());
  std::printf("reusable tokens    %s\n", Percent(s.reusable_token_share).c_str());
  std::printf("requests reusing   %s (%s)\n", WithCommas(s.requests_with_reuse).c_str(),
              Percent(static_cast<double>(s.requests_with_reuse) / std::max<size_t>(1, s.requests))
                  .c_str());
  std::printf("arrivals           %.1f s span, %.2f requests/s\n",
              static_cast<double>(s.last_arrival_ms - s.first_arrival_ms) / 1000.0,
              s.arrival_rate_per_s);
  std::printf("trace in memory    %.1f MB (%.1f bytes per block reference)\n",
              static_cast<double>(s.trace_memory_bytes) / 1e6,
              static_cast<double>(s.trace_memory_bytes) /
                  static_cast<double>(std::max<size_t>(1, s.blocks)));
  std::printf("hottest prefixes   (longest prefix shared by that many requests)\n");
  std::printf("  %4s %8s %10s %8s  %s\n", "rank", "blocks", "requests", "share", "last id");
  for (size_t i = 0; i < s.hottest.size(); ++i) {
    const HotPrefix& h = s.hottest[i];
    std::printf("  %4zu %8u %10s %8s  %llu\n", i + 1, h.blocks, WithCommas(h.requests).c_str(),
                Percent(h.share).c_str(), static_cast<unsigned long long>(h.id));
  }
}

void WriteOutput(const po::variables_map& vm, const std::string& text) {
  if (vm.count("output") && vm["output"].as<std::string>() != "-") {
    WriteFileAtomically(vm["output"].as<std::string>(), text);
  } else {
    std::cout << text;
  }
}

int RunStats(const std::vector<std::string>& args) {
  po::options_description options("stats options");
  options.add_options()("file", po::value<std::string>(), "trace file (Mooncake JSONL)")(
      "preset,p", po::value<std::string>(),
      "generate a workload instead of reading a file: a preset name or a workload .json")(
      "top", po::value<size_t>()->default_value(10), "hottest prefixes to list")(
      "json", "print JSON instead of text")("output,o", po::value<std::string>(),
                                            "write to this file (atomically) instead of stdout");
  AddReadOptions(options);
  AddGeneratorOptions(options);
  po::variables_map vm;
  if (!ParseCommand("stats", args, options, "file", 1, "stats FILE | --preset NAME [options]",
                    vm)) {
    return kExitOk;
  }
  const auto start = std::chrono::steady_clock::now();
  const TraceArgument input = LoadTraceArgument("stats", vm);
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const TraceStats stats = ComputeTraceStats(*input.trace, vm["top"].as<size_t>());

  if (vm.count("json")) {
    nlohmann::ordered_json out;
    out["trace"] = input.name;
    out["stats"] = TraceStatsToJson(stats);
    if (input.report) out["read"] = ReadReportToJson(*input.report);
    WriteOutput(vm, out.dump(2) + "\n");
  } else {
    if (vm.count("output")) throw UsageError{"stats: --output needs --json"};
    PrintStatsText(input.name, stats);
    std::printf("%-19s%.3f s", input.report ? "read in" : "generated in", load_s);
    if (input.report) {
      std::printf(" (%.0f MB/s)",
                  static_cast<double>(input.report->bytes) / 1e6 / std::max(load_s, 1e-9));
    }
    std::printf("\n");
  }
  return kExitOk;
}

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

// Prints the headline metrics of one cell.
void PrintRunText(const std::string& trace_name, const std::string& cell, const RunResult& r,
                  bool realistic) {
  std::printf("trace              %s\n", trace_name.c_str());
  std::printf("cell               %s\n", cell.c_str());
  std::printf("requests           %s served, %s rejected\n", WithCommas(r.served).c_str(),
              WithCommas(r.rejected).c_str());
  std::printf("block hit rate     %s (%s of %s blocks; %s fetched from other nodes)\n",
              Percent(r.block_hit_rate).c_str(), WithCommas(r.hit_blocks).c_str(),
              WithCommas(r.block_refs).c_str(), WithCommas(r.fetched_blocks).c_str());
  std::printf("token hit rate     %s\n", Percent(r.token_hit_rate).c_str());
  std::printf("evictions          %s (%s stranded)\n", WithCommas(r.evictions).c_str(),
              WithCommas(r.stranded_evictions).c_str());
  std::printf("balance            concentration %.3f  CV %.3f  Jain %.3f  Gini %.3f\n",
              r.concentration, r.requests_cv, r.requests_jain, r.requests_gini);
  std::printf("seed score         traditional %.3f (hit rate / concentration)\n",
              r.traditional_score);
  if (realistic) {
    std::printf("TTFT               mean %.3f s  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
                r.ttft_mean_s, r.ttft_p50_s, r.ttft_p90_s, r.ttft_p99_s, r.ttft_max_s);
    std::printf("queue wait         mean %.3f s  p99 %.3f s\n", r.queue_wait_mean_s,
                r.queue_wait_p99_s);
    std::printf("SLO attainment     %s\n", Percent(r.slo_attainment).c_str());
    std::printf("GPU                %.1f s used, %.1f s saved by reuse (%.1f s without)\n",
                r.gpu_busy_s, r.gpu_saved_s, r.gpu_no_reuse_s);
    std::printf("storage            %.3f GB-hours cached (%.3f as replicas)\n", r.cached_gb_hours,
                r.replica_gb_hours);
    std::printf("network            %s bytes moved\n", WithCommas(r.transfer_bytes).c_str());
    std::printf(
        "cost               $%.4f per 1,000 requests (GPU $%.4f, storage $%.4f, network "
        "$%.4f)\n",
        r.dollars_per_1000_requests, r.gpu_dollars, r.storage_dollars, r.network_dollars);
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
      "strategy,s", po::value<std::string>(),
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
  const LoadedTrace loaded = ReadMooncakeTrace(name, ReadOptionsFrom(vm));
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

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (command == "--version") {
      std::cout << "kvbench-trace " << KVB_VERSION << "\n";
      return kExitOk;
    }
    if (command == "stats") return RunStats(args);
    if (command == "cachesim") return RunCacheSim(args);
    if (command == "validate") return RunValidate(args);
    if (command == "simulate") return RunSimulate(args);
    if (command == "generate") return RunGenerate(args);
    if (command == "presets") return RunPresets(args);
    throw UsageError{absl::StrCat("unknown command '", command, "'")};
  } catch (const UsageError& e) {
    std::cerr << "kvbench-trace: " << e.message << "\n(run 'kvbench-trace --help')\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    std::cerr << "kvbench-trace: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "kvbench-trace: failed: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace
}  // namespace kvb

int main(int argc, char** argv) { return kvb::Main(argc, argv); }
