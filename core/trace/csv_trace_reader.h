#ifndef KVB_CORE_TRACE_CSV_TRACE_READER_H_
#define KVB_CORE_TRACE_CSV_TRACE_READER_H_

#include <string_view>
#include <vector>

#include "core/trace/byte_source.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"

namespace kvb {

// CSV traces that carry arrivals and lengths but no block hashes. Columns are found by
// their header names; other columns are ignored.
enum class CsvDialect {
  // Azure LLM inference traces (Azure/AzurePublicDataset, 2023 and 2024):
  // TIMESTAMP ("YYYY-MM-DD HH:MM:SS[.fraction]", wall clock), ContextTokens, GeneratedTokens.
  kAzure,
  // BurstGPT (HPMLL/BurstGPT): Timestamp (seconds), Request tokens, Response tokens, and
  // Session ID where the release has it (BurstGPT_3).
  kBurstGpt,
};

struct CsvReadResult {
  std::vector<ObservedRequest> requests;  // in file order; arrivals in ms from the earliest
  MooncakeReadReport report;              // lines, blanks, CRLF, BOM, skips and messages
};

// Reads the whole CSV. Throws InputError, one line "NAME:LINE: COLUMN: problem", for a
// missing header column, a wrong field count, a bad number or date, a quote left open, or
// a file without requests; with options.skip_invalid a bad row is skipped and counted.
CsvReadResult ReadCsvRequests(ByteSource& source, std::string_view name, CsvDialect dialect,
                              const MooncakeReadOptions& options);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_CSV_TRACE_READER_H_
