#ifndef KVB_BENCH_KVBENCH_REPORT_H_
#define KVB_BENCH_KVBENCH_REPORT_H_

// A kvbench run's report: the last step (flags -> plan -> execute -> report). Google
// Benchmark's JSON becomes kvbench's result (context, entry names, the kvbench section),
// written atomically to --out, with a text summary and the exit code.

#include <string>

#include "bench/kvbench_execute.h"
#include "bench/kvbench_plan.h"
#include "nlohmann/json.hpp"

namespace kvb {

// Google Benchmark appends the run's settings to names ("/iterations:1/repeats:9/
// manual_time", then "_mean" on aggregates); entries keep the cell's name and the suffix.
std::string CellEntryName(const std::string& name);

// Google Benchmark's JSON writes NaN and Infinity (e.g. the cv of a counter whose mean is
// 0), which strict JSON has not: they become null. Strings are left alone.
std::string NonFiniteToNull(const std::string& text);

// The result JSON: outcomes.benchmark_json with cells_failed / cells_run / incomplete /
// resumed_cells in its context, entry names cleaned, and a "kvbench" section (format, the
// matrices with their resolved configs, every cell's details by hash).
nlohmann::ordered_json MakeResultJson(const RunPlan& plan, const RunOutcomes& outcomes);

// The exit code of a run: 128 + signal if interrupted, kExitFailure if a cell failed, else
// kExitOk; the first two with one line on stderr.
int RunExitCode(const RunPlan& plan, const RunOutcomes& outcomes);

// Writes the result to --out (after syncing the journal, which it then removes if every
// cell ran and none failed), prints the summary tables (--summary, metrics mode) and
// returns RunExitCode.
int WriteRunReport(RunPlan& plan, const RunOutcomes& outcomes);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_REPORT_H_
