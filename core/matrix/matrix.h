#ifndef KVB_CORE_MATRIX_MATRIX_H_
#define KVB_CORE_MATRIX_MATRIX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/model/prices.h"
#include "core/sim/run_result.h"
#include "core/sim/simulator.h"
#include "core/trace/trace.h"
#include "core/util/fnv.h"

namespace kvb {

// One cluster of a matrix: a cell's SimConfig but its rate scale and seed.
struct MatrixCluster {
  std::string name;  // label in cell keys, e.g. "seed4" or "realistic16-global"
  SimConfig config;
};

// One trace of a matrix, loaded once and shared read-only by every cell.
struct MatrixTrace {
  std::string name;  // label in cell keys
  std::shared_ptr<const Trace> trace;
  // With jitter seeds: the trace under each (JitterArrivals), in MatrixSpec::jitter_seeds
  // order; empty: every jitter seed runs `trace` as recorded.
  std::vector<std::shared_ptr<const Trace>> jittered;
};

// One price list. Prices only change a realistic run's dollars, so cells that differ only
// in prices share one simulation.
struct MatrixPrices {
  std::string name;  // label in cell keys
  Prices prices;
  // Take the GPU price per node-hour, and the storage price per GB-hour, from each
  // cluster's hardware profile.
  bool gpu_price_from_profile = false;
  bool storage_price_from_profile = false;
};

// Excludes the cells matching every non-empty field (strategy: canonical spec).
struct MatrixExclusion {
  std::string strategy;
  std::string cluster;
  std::string trace;
};

// One cell named by its entries in the lists (indices).
struct CellChoice {
  size_t strategy = 0, cluster = 0, trace = 0, prices = 0, rate_scale = 0, seed = 0, jitter = 0;
  bool operator==(const CellChoice&) const = default;
};

// A strategy matrix: its cells are the product of the lists minus the exclusions, or the
// explicit `cells` when that list is not empty.
struct MatrixSpec {
  std::string name;
  std::vector<std::string> strategies;  // "router[:k=v][+replication[:k=v]]"
  std::vector<MatrixCluster> clusters;
  std::vector<MatrixTrace> traces;
  std::vector<MatrixPrices> prices = {{"profile", Prices{}, true}};
  std::vector<double> rate_scales = {1.0};
  std::vector<uint64_t> seeds = {1};
  // Arrival jitters (a trace's MatrixTrace::jittered); empty: no such axis, and cell keys
  // name no jitter.
  std::vector<uint64_t> jitter_seeds;
  std::vector<MatrixExclusion> exclude;
  std::vector<CellChoice> cells;
};

// One run of the matrix. The key names its work; the same key is always the same work.
struct Cell {
  CellChoice choice;
  std::string strategy_spec;  // canonical
  // "strategy=S/cluster=C/trace=T/prices=P/rate_scale=R/seed=N[/jitter=J]"
  std::string key;
  std::string hash;  // 12 hex digits: the top 48 bits of FNV-1a 64 of "<matrix name>/<key>"
};

// The cells in a stable order (traces, clusters, strategies, prices, rate scales, seeds,
// jitters; the last varies fastest). Seed-mode clusters have neither time nor dollars, so of their
// cells only those with the first price list and rate scale are kept; `skipped` (if given)
// receives how many others were dropped. Throws InputError naming the entry at fault
// ("strategies[2]: ...", "clusters[1].name: ...", "cells[3]: ...").
std::vector<Cell> ExpandMatrix(const MatrixSpec& spec, size_t* skipped = nullptr);

// Whether the cell belongs to shard k of n (0 <= k < n): its hash modulo n is k.
bool InShard(const Cell& cell, size_t k, size_t n);

// The outcome of one cell: its result, or the error that stopped it.
struct CellRun {
  RunResult result;
  std::string error;  // empty on success
  double wall_s = 0;  // wall time of the cell's simulation (contended when cells run together)
  double cpu_s = 0;   // CPU time of the thread that ran it (not inflated by contention)
  bool ran = true;    // false: not started because MatrixRunOptions::stop was raised
};

struct MatrixRunOptions {
  size_t threads = 0;            // TBB workers; 0 = one per core
  double cell_time_limit_s = 0;  // a cell running longer stops with an error; 0 = no limit
  const std::atomic<bool>* stop = nullptr;    // once true, cells not yet started are skipped
  const std::atomic<bool>* cancel = nullptr;  // stops the cells running (SimulationStopped)
  // Called after each cell, from the worker that ran it, with cells done and in total.
  std::function<void(size_t done, size_t total)> progress;
  // Called after each cell that ran, from its worker, with its index in `cells`.
  std::function<void(size_t index, const CellRun& run)> on_cell;
  // Called while a cell runs, from its worker (SimConfig::on_progress), naming the cell.
  std::function<void(const Cell& cell, size_t done, size_t total, double arrival_s)> in_cell;
};

// The SimConfig of one cell: its cluster's, with the cell's rate scale, seed and prices.
SimConfig CellConfig(const MatrixSpec& spec, const Cell& cell);
// The trace one cell replays: its trace under its jitter seed, if jittered.
const Trace& CellTrace(const MatrixSpec& spec, const CellChoice& choice);

// Runs one cell on the calling thread.
CellRun RunCell(const MatrixSpec& spec, const Cell& cell, const MatrixRunOptions& options = {});

// Runs the cells on TBB workers, each single-threaded and deterministic, so results do
// not depend on the thread count; cells differing only in prices share one simulation.
// A cell that throws records its error; the rest finish.
std::vector<CellRun> RunMatrix(const MatrixSpec& spec, std::span<const Cell> cells,
                               const MatrixRunOptions& options = {});

}  // namespace kvb

#endif  // KVB_CORE_MATRIX_MATRIX_H_
