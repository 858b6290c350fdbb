#ifndef KVB_CORE_TRACE_MOONCAKE_WRITER_H_
#define KVB_CORE_TRACE_MOONCAKE_WRITER_H_

#include <string>

#include "core/trace/trace.h"

namespace kvb {

// Writes `trace` in the Mooncake JSONL format, one request per line with raw ids:
//   {"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, 2]}
// The file is replaced atomically; errors throw std::runtime_error naming the path.
void WriteMooncakeTrace(const Trace& trace, const std::string& path);

// The same text as WriteMooncakeTrace writes, in memory (for small traces and tests).
std::string MooncakeTraceToString(const Trace& trace);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_MOONCAKE_WRITER_H_
