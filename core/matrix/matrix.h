#ifndef KVB_CORE_MATRIX_MATRIX_H_
#define KVB_CORE_MATRIX_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/sim/run_result.h"
#include "core/sim/simulator.h"
#include "core/trace/trace.h"

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
};

// Excludes the cells matching every non-empty field (strategy: canonical spec).
struct MatrixExclusion {
  std::string strategy;
  std::string cluster;
  std::string trace;
};

// A strategy matrix: its cells are the product of the lists, minus the exclusions.
struct MatrixSpec {
  std::string name;
  std::vector<std::string> strategies;  // "router[:k=v][+replication[:k=v]]"
  std::vector<MatrixCluster> clusters;
  std::vector<MatrixTrace> traces;
  std::vector<double> rate_scales = {1.0};
  std::vector<uint64_t> seeds = {1};
  std::vector<MatrixExclusion> exclude;
};

// One run of the matrix. The key names its work; the same key is always the same work.
struct Cell {
  size_t strategy = 0, cluster = 0, trace = 0, rate_scale = 0, seed = 0;  // spec indices
  std::string strategy_spec;                                              // canonical
  std::string key;   // "strategy=S/cluster=C/trace=T/rate_scale=R/seed=N"
  std::string hash;  // 12 hex digits of FNV-1a 64 of the key
};

// The cells in a stable order (traces, clusters, strategies, rate scales, seeds; the last
// varies fastest). Throws InputError naming the list entry at fault ("strategies[2]: ...",
// "clusters[1].name: ...") for an unknown strategy, an empty list or a duplicate label.
std::vector<Cell> ExpandMatrix(const MatrixSpec& spec);

// FNV-1a, 64 bits: a hash every platform computes the same.
uint64_t Fnv1a64(std::string_view text);

// Whether the cell belongs to shard k of n (0 <= k < n), by its hash.
bool InShard(const Cell& cell, size_t k, size_t n);

// The outcome of one cell: its result, or the error that stopped it.
struct CellRun {
  RunResult result;
  std::string error;  // empty on success
  double wall_s = 0;  // the cell's own wall time (contended when cells run together)
};

struct MatrixRunOptions {
  size_t threads = 0;  // TBB workers; 0 = one per core
  // Called after each cell, from the worker that ran it, with cells done and in total.
  std::function<void(size_t done, size_t total)> progress;
};

// Runs the cells on TBB workers, each single-threaded and deterministic, so results do
// not depend on the thread count. A cell that throws records its error; the rest finish.
std::vector<CellRun> RunMatrix(const MatrixSpec& spec, std::span<const Cell> cells,
                               const MatrixRunOptions& options = {});

}  // namespace kvb

#endif  // KVB_CORE_MATRIX_MATRIX_H_
