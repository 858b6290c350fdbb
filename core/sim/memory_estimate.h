#ifndef KVB_CORE_SIM_MEMORY_ESTIMATE_H_
#define KVB_CORE_SIM_MEMORY_ESTIMATE_H_

// How much heap memory one cell (one Simulate call) will take, estimated before it runs
// from the sizing rules of what the simulation allocates: the nodes' caches (BlockCache,
// IdIndex, the eviction policies), the index of holders (SimPrefixIndex), the simulator's
// per-id, per-request, per-node and per-window records, the hot-spot tracker and the
// strategy's tables (each router and replication policy sizes its own: RouterInfo and
// ReplicationInfo::state_bytes). kvbench refuses a cell whose estimate exceeds its memory limit
// before anything runs. The trace is not counted: it is loaded once and shared by every cell.
// Serving shapes add each request's engine records and latencies, each node's engine, and
// the gaps of requests in flight: at most the nodes' max_num_seqs requests (preempted ones
// waiting with theirs are not bounded by that, and rare), each keeping at most
// 2 x ceil(10% of its gaps) + 17 runs; a worst case, far above the usual (a few runs each).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/sim/simulator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_shape.h"

namespace kvb {

// A cell's estimated heap bytes by part, and their sum.
struct CellMemoryEstimate {
  uint64_t cache_slots = 0;      // slot -> id arrays and the per-node cache records
  uint64_t eviction_state = 0;   // eviction policies (S3-FIFO's ghost id index included)
  uint64_t id_indexes = 0;       // id -> slot, one per node: direct arrays or hash maps
  uint64_t prefix_index = 0;     // who holds what (SimPrefixIndex): a mask or set per id
  uint64_t per_id = 0;           // heat-key ranks, and the scratch of ranking the ids
  uint64_t per_request = 0;      // TTFT and queue-wait records; queues (all waiting, at worst)
  uint64_t per_node = 0;         // node states, per-node results and routing arrays
  uint64_t time_series = 0;      // windows (queue lengths, heat keys) and replica samples
  uint64_t hotspot_tracker = 0;  // when the cell tracks hot spots
  uint64_t router_state = 0;     // the strategy's tables (routers' trees, rings, records)
  uint64_t serving = 0;          // serving shapes: the engines' records, gaps, latencies
  uint64_t serving_gaps = 0;     // of which the gaps of requests in flight: a worst case
  uint64_t total = 0;

  // The largest node's capacity (blocks) and slots: min(capacity (+ the seed's copy room),
  // the trace's distinct blocks). Clipped: some node's capacity exceeds the distinct blocks,
  // so a capacity beyond them costs nothing.
  uint64_t capacity_blocks = 0;
  uint64_t slots_per_node = 0;
  bool capacity_clipped = false;
  // One line: "cache slots 1.2 GB + id indexes 64.0 GB + ... = 68.3 GB", parts under 1% of
  // the total summed as "other", then "; capacity ... clipped to ..." when clipped.
  std::string description;
};

// The estimate for `config` on `trace` under `strategy` (a strategy spec as MakeStrategy
// takes, canonical or not; empty: a router and replication with no tables of their own and
// no copies, as Simulate with a plain router). Throws InputError for an unknown eviction
// policy or a bad strategy spec.
CellMemoryEstimate EstimateCellMemory(const Trace& trace, const SimConfig& config,
                                      std::string_view strategy = {});
// The same from the trace's counts: a pure function of (shape, config, strategy).
CellMemoryEstimate EstimateCellMemory(const TraceShape& trace, const SimConfig& config,
                                      std::string_view strategy = {});

// Bytes in decimal units with one decimal: "812 B", "40.0 MB", "212.4 GB".
std::string FormatBytes(uint64_t bytes);

}  // namespace kvb

#endif  // KVB_CORE_SIM_MEMORY_ESTIMATE_H_
