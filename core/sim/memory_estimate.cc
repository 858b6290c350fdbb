#include "core/sim/memory_estimate.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/cache/block_cache.h"
#include "core/cache/id_index.h"
#include "core/cluster/cluster.h"
#include "core/cluster/hbm_prefix_cache.h"
#include "core/engine/serving.h"
#include "core/index/prefix_index.h"
#include "core/index/sim_prefix_index.h"
#include "core/metrics/arithmetic_runs.h"
#include "core/policy/policy_sizing.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/run_result.h"
#include "core/strategy/strategy.h"
#include "core/util/huge_page_allocator.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {

namespace {

// core/sim/simulator.cc:
constexpr uint64_t kEmptyDequeBytes = 64 + 512;  // a deque's map of 8 pointers + one chunk
// Simulator arrays per node: prefix_, scratch_prefix_ (4 B), queue_length_,
// queued_predicted_s_, busy_until_s_, pending_prefill_blocks_ (8 B), the view's
// resident_blocks_ (4 B), and Summarize's per-node requests and busy-seconds vectors
// (2 x 8 B, grown by push_back: up to 2x).
constexpr uint64_t kSimulatorArraysPerNode = 4 + 4 + 8 + 8 + 8 + 8 + 4 + 2 * 2 * 8;

// A count of rows from a ratio of times, bounded (a config ValidateSimConfig would refuse
// must not overflow here).
uint64_t RowsOf(double ratio) {
  if (!(ratio >= 0)) return 0;
  return static_cast<uint64_t>(std::min(ratio, 1e15));
}

// What a strategy implies for memory beyond its own tables.
struct StrategyShape {
  bool needs_hotspots = false;
  bool copies = false;  // it may copy prefixes between nodes (replicas beyond block refs)
};

StrategyShape ShapeOf(const Strategy& strategy) {
  StrategyShape s;
  const Router& router = *strategy.router;
  const ReplicationPolicy* replication = strategy.replication.get();
  s.needs_hotspots = router.needs_hotspots() || (replication && replication->needs_hotspots());
  s.copies = router.copies_prefixes() || (replication && replication->copies_prefixes());
  return s;
}

}  // namespace

CellMemoryEstimate EstimateCellMemory(const Trace& trace, const SimConfig& config,
                                      std::string_view strategy) {
  return EstimateCellMemory(TraceShape::Of(trace), config, strategy);
}

CellMemoryEstimate EstimateCellMemory(const TraceShape& t, const SimConfig& c,
                                      std::string_view strategy) {
  const bool seed = c.mode == SimMode::kSeedCompat;
  const EngineRecordBytes engine = EngineRecordSizes();
  StrategyShape s;
  uint64_t strategy_state = 0;
  if (!strategy.empty()) {
    const ResolvedStrategy resolved = ResolveStrategy(strategy);  // validates the spec
    s = ShapeOf(MakeStrategy(strategy, c.seed));
    strategy_state =
        StrategyStateBytes(resolved, PolicySizing{t, c.cluster.nodes.size(), seed, c.rate_scale});
  }
  const uint64_t nodes = c.cluster.nodes.size();
  const uint64_t d = t.distinct_blocks;
  const uint64_t copy_room = seed ? c.seed_copy_limit_blocks : 0;
  CellMemoryEstimate e;

  // The caches (Cluster::EstimateCacheBytes: BlockCache, IdIndex, the policies).
  const BlockCacheBytes caches = Cluster::EstimateCacheBytes(c.cluster, d, copy_room);
  e.cache_slots = caches.slots;
  e.eviction_state = caches.policy;
  e.id_indexes = caches.index;
  uint64_t all_slots = 0;
  for (const NodeSpec& n : c.cluster.nodes) {
    if (n.capacity_blocks == 0) continue;
    const uint64_t wanted = SaturatingAdd(n.capacity_blocks, copy_room);
    const uint64_t slots = std::min(wanted, d);
    all_slots = SaturatingAdd(all_slots, slots);
    e.capacity_blocks = std::max<uint64_t>(e.capacity_blocks, n.capacity_blocks);
    e.slots_per_node = std::max(e.slots_per_node, slots);
    e.capacity_clipped = e.capacity_clipped || wanted > d;
  }

  // SimPrefixIndex (core/index/sim_prefix_index.h): up to 64 nodes a mask per id; beyond,
  // a word per id and a pool of sets, sized by Reserve(distinct, slots) (its own rule, with
  // the cluster's slots as the pairs held at once). A set of more than kInlineHolders = 8
  // holders moves to the heap (2 B per holder, capacity doubling from 16) until it is back
  // to one holder. (id, node) pairs held at once: at most every slot, every node x id, and
  // (without copies) every block reference; those beyond 8 per id must be in heap sets.
  e.prefix_index = SimPrefixIndex::EstimateBytes(nodes, d, all_slots);
  if (nodes > SimPrefixIndex::kMaxMaskNodes) {
    uint64_t pairs = std::min(all_slots, nodes * d);
    if (!s.copies) pairs = std::min(pairs, t.block_refs);
    const uint64_t heavy = pairs > kInlineHolders * d ? pairs - kInlineHolders * d : 0;
    const uint64_t sets = std::min(d, CeilDiv(heavy, nodes - kInlineHolders));
    e.prefix_index += heavy * 2 * sizeof(NodeId) + sets * kMallocOverhead;
  }

  // Time series (run_result.h). Realistic: a window per window_s of simulated time and a
  // replica sample per replica_sample_s (the arrivals' span; completions may add a few);
  // seed: a window per requests_window requests. Each window holds a queue length per node
  // and a count per heat key; the vectors of rows and samples grow by doubling.
  const uint64_t heat_keys = std::min<uint64_t>(c.heat_keys, d);
  uint64_t tracked_keys = 0;
  for (const uint32_t rank : c.tracked_key_ranks) tracked_keys += rank >= 1 && rank <= d;
  uint64_t windows = 0, samples = 0;
  if (seed) {
    windows = CeilDiv(t.requests, c.requests_window);
  } else {
    const double span_s = t.arrival_span_s / c.rate_scale;
    windows = RowsOf(span_s / c.window_s) + 1;
    samples = RowsOf(span_s / c.replica_sample_s) + 1;
  }
  e.time_series = windows * (nodes + heat_keys) * sizeof(uint32_t) +
                  Pow2Ceil(windows) * sizeof(WindowRow) +
                  tracked_keys * Pow2Ceil(samples) * sizeof(uint32_t);

  // Per request (realistic): with q requests queued and s served, the queues take about
  // 33 B per waiting request (Queued in 512-byte deque chunks) and the TTFT and queue-wait
  // seconds (8 B each, grown by push_back) up to 2.5 x 8 B x the power of two above s
  // while one of them reallocates: at most 40 B per request since q + s <= requests. At
  // the end: both records and one copy (percentiles, sorting), and 101 percentiles.
  if (!seed) {
    const uint64_t running = t.requests * (engine.queued + 8);
    const uint64_t end = 2 * Pow2Ceil(t.requests) * sizeof(double) + t.requests * sizeof(double);
    e.per_request = std::max(running, end) + 128 * sizeof(double);
  }

  // Per id: a heat-key rank (uint16) per id; ranking the keys takes a count (4 B) per id, a
  // second one for the heat chains, and a histogram of counts (4 B per count up to the
  // requests) during setup, freed before the run: the part later growth does not cover.
  const uint64_t ranks = heat_keys > 0 ? d * sizeof(uint16_t) : 0;
  const uint64_t scratch =
      (heat_keys > 0 ? 2 : 1) * d * sizeof(uint32_t) + (t.requests + 1) * sizeof(uint32_t);
  const uint64_t growth = e.per_request + e.time_series;
  e.per_id = ranks + (scratch > growth ? scratch - growth : 0);

  // Per node: the simulator's NodeState (with its queue's first chunk), arrays and events,
  // the result's NodeResult.
  e.per_node = nodes * (engine.node_state + engine.links + kEmptyDequeBytes +
                        kSimulatorArraysPerNode + 2 * engine.event + sizeof(NodeResult)) +
               engine.histograms;

  if (c.track_hotspots || s.needs_hotspots)
    e.hotspot_tracker =
        HotspotTracker::EstimateBytes(c.hotspots, t.IdsWithin(c.hotspot_prefix_blocks));
  e.router_state = strategy_state;

  // Serving shapes: per request its Placed and engine records and three latencies (8 B
  // each, grown by push_back), per node its engine and signals, the ITL histogram, and the
  // gap runs of the requests in flight (see the header).
  if (!seed && c.shape != ClusterShape::kPrefillOnly && c.cost.serving()) {
    const uint64_t engines = nodes + (c.shape == ClusterShape::kDisaggregated ? c.decode_nodes : 0);
    const uint64_t in_flight =
        std::min<uint64_t>(t.requests, SaturatingMul(engines, c.cost.serving()->max_num_seqs));
    const uint64_t runs_each = 2 * ((t.max_output_tokens + 9) / 10) + 17;
    const uint64_t gap_runs = std::min(t.output_tokens, SaturatingMul(in_flight, runs_each));
    e.serving_gaps = 2 * gap_runs * sizeof(ArithmeticRun);  // x2: vector growth
    e.serving = t.requests * engine.serving_request +
                3 * 2 * Pow2Ceil(t.requests) * sizeof(double) + engines * engine.serving_node +
                e.serving_gaps;
    if (c.cluster.hbm_prefix_cache) {
      // Tier G1 (HbmPrefixCache): a cache of the unpinned blocks HBM can hold per node, a
      // mask per id, and per node a hash map of pinned ids (at most as many as HBM holds;
      // 9 B a slot, up to twice the entries) plus its prefix entry.
      const EngineLimits limits = EngineLimitsFor(c.cost);
      const uint64_t max_cached = limits.kv_capacity_blocks /
                                  HbmBlocksPerBlock(c.cost.block_tokens(), limits.kv_block_tokens);
      const BlockCacheBytes hbm = HbmPrefixCache::EstimateBytes(
          std::vector<std::string>(nodes, c.cluster.hbm_eviction), max_cached, d);
      e.serving += hbm.total() + nodes * (2 * 9 * std::min(max_cached, d) + sizeof(uint32_t));
    }
  }

  const std::vector<std::pair<const char*, uint64_t>> parts = {
      {"cache slots", e.cache_slots},
      {"eviction state", e.eviction_state},
      {"id indexes", e.id_indexes},
      {"prefix index", e.prefix_index},
      {"per-id", e.per_id},
      {"per-request", e.per_request},
      {"per-node", e.per_node},
      {"serving", e.serving},
      {"time series", e.time_series},
      {"hotspot tracker", e.hotspot_tracker},
      {"router state", e.router_state}};
  for (const auto& [name, bytes] : parts) e.total = SaturatingAdd(e.total, bytes);
  std::string text;
  uint64_t other = 0;
  for (const auto& [name, bytes] : parts) {
    if (bytes == 0) continue;
    if (bytes * 100 < e.total) {
      other += bytes;
      continue;
    }
    absl::StrAppend(&text, text.empty() ? "" : " + ", name, " ", FormatBytes(bytes));
  }
  if (other > 0) absl::StrAppend(&text, text.empty() ? "" : " + ", "other ", FormatBytes(other));
  absl::StrAppend(&text, " = ", FormatBytes(e.total));
  if (e.capacity_clipped) {
    absl::StrAppend(&text, "; capacity ", e.capacity_blocks, " blocks",
                    copy_room > 0 ? absl::StrCat(" + ", copy_room, " seed copies") : "",
                    " per node clipped to the trace's ", d, " distinct blocks");
  }
  e.description = std::move(text);
  return e;
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return absl::StrCat(bytes, " B");
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  while (value >= 999.95 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace kvb
