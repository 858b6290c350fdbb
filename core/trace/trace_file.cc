#include "core/trace/trace_file.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/trace/byte_source.h"
#include "core/trace/csv_trace_reader.h"
#include "core/util/input_error.h"

namespace kvb {

std::span<const TraceFormat> TraceFormats() {
  static constexpr TraceFormat kFormats[] = {
      {"mooncake", "Mooncake JSONL (kvcache-ai/Mooncake FAST25-release traces): 512-token ids, ms",
       TraceFileKind::kJsonl, 512, TimestampUnit::kMilliseconds},
      {"bailian",
       "Qwen-Bailian JSONL (alibaba-edu/qwen-bailian-usagetraces-anon@03a51e31): 16-token ids, s",
       TraceFileKind::kJsonl, 16, TimestampUnit::kSeconds},
      {"azure",
       "Azure LLM inference CSV (Azure/AzurePublicDataset 2023/2024): dates, no hashes "
       "(synthetic prefixes)",
       TraceFileKind::kAzureCsv, 512, TimestampUnit::kSeconds},
      {"burstgpt",
       "BurstGPT CSV (HPMLL/BurstGPT): seconds, no hashes (synthetic prefixes; Session ID when "
       "present)",
       TraceFileKind::kBurstGptCsv, 512, TimestampUnit::kSeconds},
  };
  return kFormats;
}

const TraceFormat* FindTraceFormat(std::string_view name) {
  for (const TraceFormat& f : TraceFormats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

LoadedTrace ReadTraceFile(const std::string& path, const TraceFileOptions& options) {
  const TraceFormat* format = FindTraceFormat(options.format);
  if (format == nullptr) throw InputError(absl::StrCat("format: unknown '", options.format, "'"));
  if (format->hashed()) return ReadMooncakeTrace(path, options.read);
  uint64_t plain_size = 0;
  const std::unique_ptr<ByteSource> source = OpenByteSource(path, &plain_size);
  const std::string name = path == "-" ? std::string("<stdin>") : path;
  CsvReadResult csv = ReadCsvRequests(
      *source, name,
      format->kind == TraceFileKind::kAzureCsv ? CsvDialect::kAzure : CsvDialect::kBurstGpt,
      options.read);
  WorkloadSpec spec = options.prefix_spec;
  spec.block_tokens = options.read.block_tokens;
  LoadedTrace loaded;
  loaded.trace = AssignSyntheticPrefixes(spec, csv.requests, options.prefix_seed);
  loaded.report = std::move(csv.report);
  loaded.report.synthetic_prefixes =
      absl::StrCat("no hashes: prefixes are synthetic, drawn from the '", options.prefix_name,
                   "' workload's system prompts, documents and sessions (seed ",
                   options.prefix_seed, "); hit rates measure that model, not the trace");
  return loaded;
}

}  // namespace kvb
