#ifndef KVB_BENCH_TRACE_JSON_H_
#define KVB_BENCH_TRACE_JSON_H_

#include <nlohmann/json.hpp>

#include "core/trace/mooncake_reader.h"
#include "core/trace/trace_stats.h"

namespace kvb {

// JSON forms of trace statistics and read reports, as kvbench-trace --json prints them.
nlohmann::ordered_json TraceStatsToJson(const TraceStats& stats);
nlohmann::ordered_json ReadReportToJson(const MooncakeReadReport& report);

}  // namespace kvb

#endif  // KVB_BENCH_TRACE_JSON_H_
