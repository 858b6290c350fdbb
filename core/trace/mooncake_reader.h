#ifndef KVB_CORE_TRACE_MOONCAKE_READER_H_
#define KVB_CORE_TRACE_MOONCAKE_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/trace.h"
#include "core/util/input_error.h"

namespace kvb {

// Reads Mooncake JSONL traces: one JSON object per line,
//   {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}
// All four fields are required; other fields are ignored. Numbers must be non-negative
// integers (timestamp fits int64, lengths fit uint32, ids fit uint64); a timestamp in
// seconds or microseconds may have a fraction and is rounded to the nearest millisecond.
// Qwen-Bailian traces (alibaba-edu/qwen-bailian-usagetraces-anon) are the same four
// fields (plus chat_id, parent_chat_id, turn, type, ignored) in seconds and 16-token ids.
//
// Tolerated and counted: blank lines, CRLF line ends, a UTF-8 BOM, a last line without a
// newline, timestamps going backwards (requests are stable-sorted by timestamp), and a
// hash_ids count other than ceil(input_length / block_tokens) (a warning).
// Errors (InputError, one line "FILE:LINE: FIELD: problem"): invalid JSON, a missing or
// duplicated field, a wrong type, a negative, non-integer or overflowing number, empty
// hash_ids with input_length > 0, an id seen before at another position or after another
// parent, a truncated last line, an empty file, a missing file, a directory.

enum class TimestampUnit { kMilliseconds, kSeconds, kMicroseconds };

// "ms", "s" or "us"; nullopt for anything else.
std::optional<TimestampUnit> TimestampUnitFromName(std::string_view name);
std::string_view TimestampUnitName(TimestampUnit unit);

struct MooncakeReadOptions {
  uint32_t block_tokens = 512;  // tokens per hash id in the file
  // 0: keep the file's blocks. Else a multiple k of block_tokens: every id names its whole
  // prefix, so the k-th, 2k-th, ... ids (and a request's last id) name the bigger blocks.
  uint32_t reblock_tokens = 0;
  TimestampUnit timestamp_unit = TimestampUnit::kMilliseconds;
  // Skip a line with an error instead of failing; skipped lines are counted.
  bool skip_invalid = false;
  // How many warning / skip messages the report keeps (all are counted).
  size_t max_messages = 20;
};

struct MooncakeReadReport {
  uint64_t bytes = 0;
  uint64_t lines = 0;  // including blank and skipped lines
  uint64_t requests = 0;
  uint64_t blank_lines = 0;
  uint64_t crlf_lines = 0;
  bool had_bom = false;
  bool missing_final_newline = false;
  uint64_t skipped_invalid = 0;
  uint64_t block_count_mismatches = 0;
  uint64_t timestamps_backwards = 0;
  // Set when the arrival rate suggests the wrong timestamp unit: what it looks like.
  std::string implausible_rate;
  // Set for a file without hashes: where its synthetic prefixes come from.
  std::string synthetic_prefixes;
  // The first max_messages warnings and skipped-line errors, each "FILE:LINE: FIELD: ...".
  std::vector<std::string> messages;
};

struct LoadedTrace {
  std::shared_ptr<const Trace> trace;
  MooncakeReadReport report;
};

// Reads a trace file; "-" reads standard input and a name ending in ".zst" or ".gz" is
// decompressed on the fly. The file is streamed in chunks, never loaded whole.
// Throws InputError on bad input.
LoadedTrace ReadMooncakeTrace(const std::string& path, const MooncakeReadOptions& options = {});

// Reads a trace held in memory; `name` stands for the file name in messages.
LoadedTrace ReadMooncakeTraceFromMemory(std::string_view data, std::string_view name,
                                        const MooncakeReadOptions& options = {});

// The report's warnings as lines for a person: counts, then the kept messages.
std::vector<std::string> DescribeReadWarnings(std::string_view name,
                                              const MooncakeReadReport& report);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_MOONCAKE_READER_H_
