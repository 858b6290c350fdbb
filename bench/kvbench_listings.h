#ifndef KVB_BENCH_KVBENCH_LISTINGS_H_
#define KVB_BENCH_KVBENCH_LISTINGS_H_

// kvbench's answers that run no cell: --list-strategies, --print-config and --list.

#include <string>
#include <vector>

#include "bench/kvbench_plan.h"
#include "bench/matrix_json.h"
#include "nlohmann/json.hpp"

namespace kvb {

// --list-strategies: every router and replication policy with defaults, source and
// parameters, on stdout.
// Every metric a cell reports (core/sim/metric_table.h) as a Markdown table: column, unit,
// better direction, description; docs/METRICS.md is this text.
std::string MetricsMarkdown();

void ListStrategies();

// --print-config: the template without configs, the one config, or an array of them.
nlohmann::ordered_json ResolvedConfigsJson(const std::vector<MatrixConfig>& configs);

// --list: "<hash>  <matrix>/<key>" per cell of the plan on stdout, a count per matrix on
// stderr.
void PrintCellList(const RunPlan& plan);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_LISTINGS_H_
