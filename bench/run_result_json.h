#ifndef KVB_BENCH_RUN_RESULT_JSON_H_
#define KVB_BENCH_RUN_RESULT_JSON_H_

#include <nlohmann/json.hpp>

#include "core/sim/run_result.h"

namespace kvb {

// The JSON form of one cell's result: every metric, per-node rows, windows and tracked keys.
nlohmann::ordered_json RunResultToJson(const RunResult& result);

}  // namespace kvb

#endif  // KVB_BENCH_RUN_RESULT_JSON_H_
