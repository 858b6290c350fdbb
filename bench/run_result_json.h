#ifndef KVB_BENCH_RUN_RESULT_JSON_H_
#define KVB_BENCH_RUN_RESULT_JSON_H_

#include <nlohmann/json.hpp>

#include "core/sim/run_result.h"

namespace kvb {

// The JSON form of one cell's result: every metric, per-node rows, windows and tracked keys.
// Metrics come from the metric table (core/sim/metric_table.h), grouped by section.
nlohmann::ordered_json RunResultToJson(const RunResult& result);

// The metric table as JSON: one object per metric (name, unit, better, fraction, section,
// counter, description). Every result file carries it as its `metrics` section.
nlohmann::ordered_json MetricTableJson();

}  // namespace kvb

#endif  // KVB_BENCH_RUN_RESULT_JSON_H_
