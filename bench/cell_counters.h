#ifndef KVB_BENCH_CELL_COUNTERS_H_
#define KVB_BENCH_CELL_COUNTERS_H_

#include <string>
#include <utility>
#include <vector>

#include "core/sim/run_result.h"

namespace kvb {

// A cell's metrics as named numbers, in the metric table's order (core/sim/metric_table.h):
// the counters of its Google Benchmark entry. Names are stable (scripts and nightly
// comparisons key on them).
using CellCounters = std::vector<std::pair<std::string, double>>;

CellCounters CountersOf(const RunResult& result);

// The counter names CountersOf emits, in order.
std::vector<std::string> CounterNames();

}  // namespace kvb

#endif  // KVB_BENCH_CELL_COUNTERS_H_
