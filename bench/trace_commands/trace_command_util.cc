#include "bench/trace_commands/trace_command_util.h"

#include <cmath>
#include <iostream>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/cli_common.h"
#include "core/trace/generator.h"
#include "core/util/atomic_file.h"
#include "core/util/names.h"

namespace kvb {

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const size_t lead = digits.size() % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && i >= lead && (i - lead) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string WithCommas(double x) {
  const auto tenths = static_cast<uint64_t>(std::llround(x * 10.0));
  return absl::StrCat(WithCommas(tenths / 10), ".", tenths % 10);
}

std::string Percent(double share) { return absl::StrFormat("%.1f%%", 100.0 * share); }

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

TraceFileOptions ReadOptionsFrom(const po::variables_map& vm) {
  TraceFileOptions file;
  file.format = vm["format"].as<std::string>();
  const TraceFormat* format = FindTraceFormat(file.format);
  if (format == nullptr) {
    throw UsageError{absl::StrCat("--format: unknown format '", file.format,
                                  "' (known: ", JoinNames(TraceFormats()), ")")};
  }
  MooncakeReadOptions& options = file.read;
  options.block_tokens =
      vm.count("block-tokens") ? vm["block-tokens"].as<uint32_t>() : format->block_tokens;
  if (options.block_tokens == 0) throw UsageError{"--block-tokens: must be >= 1"};
  options.timestamp_unit = format->timestamp_unit;
  if (!format->hashed()) {
    for (const char* flag : {"timestamp-unit", "reblock-tokens"}) {
      if (vm.count(flag)) {
        throw UsageError{absl::StrCat("--", flag, ": not for --format ", file.format,
                                      " (a CSV without hashes)")};
      }
    }
    const WorkloadFile prefixes = ResolveWorkload(vm["prefixes"].as<std::string>());
    file.prefix_spec = prefixes.spec;
    file.prefix_name = vm["prefixes"].as<std::string>();
    file.prefix_seed = vm["prefix-seed"].as<uint64_t>();
  } else if (!vm["prefixes"].defaulted() || !vm["prefix-seed"].defaulted()) {
    throw UsageError{
        absl::StrCat("--prefixes and --prefix-seed are for traces without hashes "
                     "(--format azure or burstgpt), not ",
                     file.format)};
  }
  if (vm.count("timestamp-unit")) {
    const std::string unit = vm["timestamp-unit"].as<std::string>();
    const std::optional<TimestampUnit> parsed = TimestampUnitFromName(unit);
    if (!parsed) {
      throw UsageError{absl::StrCat("--timestamp-unit: '", unit, "': expected ms, s or us")};
    }
    options.timestamp_unit = *parsed;
  }
  if (vm.count("reblock-tokens")) {
    options.reblock_tokens = vm["reblock-tokens"].as<uint32_t>();
    if (options.reblock_tokens % options.block_tokens != 0) {
      throw UsageError{absl::StrCat("--reblock-tokens: ", options.reblock_tokens,
                                    " is not a multiple of the file's ", options.block_tokens,
                                    "-token blocks")};
    }
  }
  options.skip_invalid = vm.count("skip-invalid") > 0;
  return file;
}

void AddReadOptions(po::options_description& options) {
  options.add_options()("format", po::value<std::string>()->default_value("mooncake"),
                        "the file's dialect: mooncake (512-token ids, ms), bailian (Qwen-Bailian: "
                        "16-token ids, s), azure or burstgpt (CSV without hashes)")(
      "block-tokens", po::value<uint32_t>(),
      "tokens per hash id in the file, or per synthetic block of a CSV (default: the format's)")(
      "timestamp-unit", po::value<std::string>(),
      "unit of the timestamps: ms, s or us (default: the format's); read into ms")(
      "reblock-tokens", po::value<uint32_t>(),
      "re-block to this many tokens per block (a multiple of --block-tokens): every k-th id, "
      "as each id names its whole prefix")(
      "prefixes", po::value<std::string>()->default_value("conversation"),
      "a CSV without hashes: the preset or workload .json whose system prompts, documents and "
      "sessions give its synthetic prefixes")(
      "prefix-seed", po::value<uint64_t>()->default_value(1), "seed of the synthetic prefixes")(
      "skip-invalid", "skip invalid lines (counted and reported) instead of failing");
}

void ReportWarnings(const std::string& name, const MooncakeReadReport& r) {
  for (const std::string& line : DescribeReadWarnings(name, r)) {
    std::cerr << (line.starts_with("  ") ? "" : "kvbench-trace: warning: ") << line << "\n";
  }
}

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

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

TraceArgument LoadTraceArgument(const std::string& command, const po::variables_map& vm) {
  if (vm.count("file") == vm.count("preset")) {
    throw UsageError{absl::StrCat(command, ": give either FILE or --preset NAME")};
  }
  TraceArgument input;
  if (vm.count("file")) {
    input.name = vm["file"].as<std::string>();
    LoadedTrace loaded = ReadTraceFile(input.name, ReadOptionsFrom(vm));
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

void WriteOutput(const po::variables_map& vm, const std::string& text) {
  if (vm.count("output") && vm["output"].as<std::string>() != "-") {
    WriteFileAtomically(vm["output"].as<std::string>(), text);
  } else {
    std::cout << text;
  }
}

}  // namespace kvb
