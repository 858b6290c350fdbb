#ifndef KVB_BENCH_KVBENCH_EXECUTE_H_
#define KVB_BENCH_KVBENCH_EXECUTE_H_

// A kvbench run's execution: the third step (flags -> plan -> execute -> report). Metrics
// mode runs the cells in parallel on TBB workers (and MPI ranks); timing mode runs each
// inside its Google Benchmark entry. Either way Google Benchmark reports every cell.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "bench/cell_counters.h"
#include "bench/kvbench_plan.h"
#include "core/matrix/matrix.h"
#include "nlohmann/json.hpp"

namespace kvb {

// One cell's outcome as the report needs it: metrics, details, error, wall time. Details
// are null for a cell that did not run (interrupted, or filtered out in timing mode).
struct Outcome {
  CellCounters counters;
  nlohmann::ordered_json details;
  std::string error;
  double wall_s = 0;
  double cpu_s = 0;  // the cell's thread CPU time (the result's cpu_time)
};

// The outcome of `cell` of `m` from its run: counters only when it succeeded.
Outcome ToOutcome(const LoadedMatrix& m, const Cell& cell, const CellRun& run);

// An outcome as one line of text (the MPI gather and the journal); `index` is the cell's
// position in its matrix. OutcomeFromPayload is its inverse.
std::string OutcomePayload(const Outcome& o, size_t index);
std::pair<size_t, Outcome> OutcomeFromPayload(const std::string& text);

// What the cells of a run came to, for the report.
struct RunOutcomes {
  std::vector<std::vector<Outcome>> cells;  // [matrix][cell of plan.matrices[matrix]]
  std::vector<double> walls;                // per matrix, seconds (0 in timing mode)
  size_t resumed = 0;                       // cells taken from the journal
  size_t not_run = 0;                       // cells left out by an interrupt
  int stop_signal = 0;                      // SIGINT / SIGTERM that stopped the run, or 0
  bool reports = true;                      // this process writes the result (MPI rank 0)
  std::string benchmark_json;               // Google Benchmark's JSON reporter output

  // Cells that ran and failed.
  size_t Failed() const;
};

// Runs the plan's cells and reports them through Google Benchmark (context, one entry per
// cell, one per matrix). SIGINT / SIGTERM stop new cells (running cells get --grace
// seconds); finished cells go to plan.journal as they finish. On MPI ranks other than 0
// returns with `reports` false once the outcomes are gathered.
RunOutcomes ExecuteRunPlan(RunPlan& plan);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_EXECUTE_H_
