#ifndef KVB_CORE_SIM_METRIC_TABLE_H_
#define KVB_CORE_SIM_METRIC_TABLE_H_

// Every metric a cell reports, defined once: its name (the RunResult field, the Google
// Benchmark counter, the per-cell JSON key and the scripts' column are all this name), unit,
// which direction is better, whether it is a fraction (compared in percentage points) and
// what it means. The counters, the per-cell JSON and the `metrics` section of every result
// file are generated from this table; the scripts read that section.

#include <cstdint>
#include <span>
#include <string_view>

#include "core/sim/run_result.h"

namespace kvb {

enum class Better { kHigher, kLower, kNeither };

struct MetricSpec {
  std::string_view name;
  std::string_view unit;  // "fraction", "s", "bytes", "USD", "requests", "blocks", ...
  Better better = Better::kNeither;
  bool fraction = false;         // in [0, 1]: differences are percentage points, not ratios
  std::string_view section;      // its group in the per-cell JSON ("cache", "latency", ...)
  std::string_view description;  // one line
  double (*read)(const RunResult&) = nullptr;
  bool counter = true;    // also a counter of the cell's Google Benchmark entry
  bool integer = false;   // a count: written as an integer
  bool nullable = false;  // NaN (JSON null) where it does not apply, e.g. goodput without SLOs
};

// The table, in the order counters and JSON list them.
std::span<const MetricSpec> Metrics();
const MetricSpec* FindMetric(std::string_view name);
std::string_view BetterName(Better better);  // "higher", "lower", "neither"

}  // namespace kvb

#endif  // KVB_CORE_SIM_METRIC_TABLE_H_
