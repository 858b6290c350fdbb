#ifndef KVB_CORE_TRACE_TRACE_FILE_H_
#define KVB_CORE_TRACE_TRACE_FILE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"

namespace kvb {

// How a trace file is laid out.
enum class TraceFileKind {
  kJsonl,        // one JSON request per line with hash_ids (ReadMooncakeTrace)
  kAzureCsv,     // csv_trace_reader.h, no hashes
  kBurstGptCsv,  // csv_trace_reader.h, no hashes
};

// A trace file's dialect: its layout and the defaults of its block size and timestamps.
struct TraceFormat {
  std::string_view name;
  std::string_view description;
  TraceFileKind kind;
  uint32_t block_tokens;  // tokens per id; for a file without hashes, its synthetic blocks
  TimestampUnit timestamp_unit;
  bool hashed() const { return kind == TraceFileKind::kJsonl; }
};
// mooncake, bailian (hashed JSONL); azure, burstgpt (CSV without hashes).
std::span<const TraceFormat> TraceFormats();
const TraceFormat* FindTraceFormat(std::string_view name);

struct TraceFileOptions {
  std::string format = "mooncake";  // a TraceFormats() name
  // JSONL: as ReadMooncakeTrace reads. CSV: block_tokens sizes the synthetic blocks,
  // skip_invalid and max_messages apply; the unit and re-blocking do not.
  MooncakeReadOptions read;
  // A file without hashes: the workload whose system prompts, documents and sessions
  // give its synthetic prefixes (AssignSyntheticPrefixes), named in the report.
  WorkloadSpec prefix_spec;
  std::string prefix_name = "conversation";
  uint64_t prefix_seed = 1;
};

// Reads a trace file of any format ("-": stdin; .zst and .gz decompressed). Throws
// InputError on bad input, naming the file, line and field.
LoadedTrace ReadTraceFile(const std::string& path, const TraceFileOptions& options);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_TRACE_FILE_H_
