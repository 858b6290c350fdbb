#ifndef KVB_CORE_POLICY_CLUSTER_VIEW_H_
#define KVB_CORE_POLICY_CLUSTER_VIEW_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "core/hotspot/hotspot_tracker.h"
#include "core/index/sim_prefix_index.h"
#include "core/policy/replica_sink.h"
#include "core/trace/trace.h"

namespace kvb {

// Where a ClusterView reads its signals from: bound once per cell by the engine (or a
// test). The spans and the objects pointed to must outlive the view; the spans hold one
// entry per node.
struct ClusterViewSources {
  bool seed_mode = false;      // the earlier Go simulator's model (SimMode::kSeedCompat)
  bool global_cache = false;   // nodes may fetch prefixes other nodes hold
  bool uniform_speed = false;  // every node has the same speed
  bool prefill_pool = false;   // disaggregated: nodes hand requests to decode at first token
  bool nodes_decode = false;   // aggregated: the routed nodes also decode what they prefill
  std::span<const uint32_t> prefix_blocks;  // the current request's prefix held per node
  std::span<const size_t> queue_length;
  std::span<const double> queued_predicted_s;  // predicted prefill of each node's queue
  std::span<const double> busy_until_s;        // end of the service in flight; -inf: idle
  std::span<const uint64_t> pending_prefill_blocks;
  std::span<const uint32_t> in_flight;  // routed to the node, not finished; always fresh
  uint32_t block_tokens = 0;            // tokens per trace block
  uint32_t max_batched_tokens = 0;      // the engine's tokens per step (0: none configured)
  // Serving shapes, per node, as of the last signal refresh; empty otherwise (the
  // accessors then derive them from the queue signals above).
  std::span<const uint32_t> running_requests;
  std::span<const uint32_t> waiting_requests;  // arrived or loading, not running
  std::span<const uint64_t> active_kv_blocks;  // HBM blocks held by running requests
  std::span<const uint64_t> kv_capacity_blocks;
  std::span<const uint32_t> decode_batch;           // decodes in the node's last step
  std::span<const uint64_t> queued_prefill_tokens;  // prompt tokens still to compute
  // When the engine-reported signals were last refreshed; nullptr: they are fresh.
  const double* signals_as_of_s = nullptr;
  const SimPrefixIndex* holders = nullptr;
  // Nodes with an HBM prefix cache (tier G1): what their HBM holds, and the request's
  // prefix there per node; null and empty without one (then `holders` is every tier).
  const SimPrefixIndex* hbm_holders = nullptr;
  std::span<const uint32_t> hbm_prefix_blocks;
  // Nodes with an SSD (tier G3): what the SSDs hold, and the request's prefix per node over
  // HBM and DRAM alone; null and empty without one.
  const SimPrefixIndex* ssd_holders = nullptr;
  std::span<const uint32_t> memory_prefix_blocks;
  // Pool scope: the request's leading blocks some node's DRAM holds; null otherwise.
  const uint32_t* pool_prefix_blocks = nullptr;
  const HotspotTracker* hotspots = nullptr;
  std::function<double(size_t node, uint32_t reused_blocks)> predict_prefill_s;
  std::function<size_t(size_t node)> resident;
  std::function<size_t(size_t node)> capacity;
  std::function<double(uint32_t blocks)> transfer_s;
  ReplicaSink* replicas = nullptr;
};

// What a router or replication policy sees when one request is placed: the cluster as it
// is now, never the future. Read-only to policies; a ClusterViewBuilder fills it.
class ClusterView {
 public:
  size_t nodes() const { return s_.prefix_blocks.size(); }
  // Seed-compat mode: the earlier simulator's model (per-block hits, no time, a
  // last-100-requests load signal; docs/SEED_MODEL.md).
  bool seed_mode() const { return s_.seed_mode; }
  // Disaggregated: the routed nodes are a prefill pool; a request leaves its node at its
  // first token (RoutedRequest milestones still report its finish against that node).
  bool prefill_pool() const { return s_.prefill_pool; }
  // Aggregated: the routed nodes decode the requests they prefill.
  bool nodes_decode() const { return s_.nodes_decode; }
  // Global cache scope: a node may fetch a prefix another node holds (RouteDecision).
  bool global_cache() const { return s_.global_cache; }
  double now_s() const { return now_s_; }
  const Request& request() const { return request_; }
  // The request's index in its trace (RoutedRequest::request names it the same way).
  uint32_t request_index() const { return request_index_; }
  // Longest run of the request's leading blocks resident on `node`, in any of its tiers.
  uint32_t prefix_blocks(size_t node) const { return s_.prefix_blocks[node]; }
  // Whether nodes keep an HBM prefix cache (tier G1) that hbm_prefix_blocks reports.
  bool hbm_tier() const { return !s_.hbm_prefix_blocks.empty(); }
  // Of the request's leading blocks, the longest run in `node`'s HBM (0 without tier G1).
  uint32_t hbm_prefix_blocks(size_t node) const {
    return s_.hbm_prefix_blocks.empty() ? 0 : s_.hbm_prefix_blocks[node];
  }
  // The largest prefix_blocks over the nodes, and the lowest node holding that many (0 when
  // no node holds the first block).
  uint32_t longest_prefix_blocks() const { return longest_prefix_blocks_; }
  // Pool scope (Mooncake Store): the request's leading blocks held anywhere in the pool,
  // not necessarily by one node; otherwise longest_prefix_blocks().
  uint32_t pool_prefix_blocks() const {
    return s_.pool_prefix_blocks != nullptr ? *s_.pool_prefix_blocks : longest_prefix_blocks_;
  }
  uint32_t longest_prefix_node() const { return longest_prefix_node_; }
  // The request's blocks resident on `node`, counted per block (not necessarily a prefix).
  uint32_t resident_blocks(size_t node) const;
  // Whether `node` holds the request's i-th block.
  bool holds(size_t node, size_t i) const {
    const BlockId id = request_.blocks[i];
    return s_.holders->Holds(id, node) ||
           (s_.hbm_holders != nullptr && s_.hbm_holders->Holds(id, node)) ||
           (s_.ssd_holders != nullptr && s_.ssd_holders->Holds(id, node));
  }
  // Whether nodes keep an SSD (tier G3).
  bool ssd_tier() const { return !s_.memory_prefix_blocks.empty(); }
  // Of the request's leading blocks, the longest run in `node`'s HBM or DRAM (the SSD
  // extends it to prefix_blocks); prefix_blocks without tier G3.
  uint32_t memory_prefix_blocks(size_t node) const {
    return s_.memory_prefix_blocks.empty() ? s_.prefix_blocks[node] : s_.memory_prefix_blocks[node];
  }
  // Seed-compat: size of the node's last-100-requests list; realistic: requests queued or
  // in service on the node.
  size_t queue_length(size_t node) const { return s_.queue_length[node]; }
  // Realistic: predicted seconds until the node could start this request (0 in seed mode).
  double queued_work_s(size_t node) const {
    // An idle node's busy_until_s is -inf: max(0, -inf) = 0.
    return s_.queued_predicted_s[node] + std::max(0.0, s_.busy_until_s[node] - now_s_);
  }
  // Realistic: predicted prefill seconds of this request on `node` reusing `reused_blocks`.
  double predicted_prefill_s(size_t node, uint32_t reused_blocks) const {
    // Nodes of one speed: the answer depends on the reuse only, asked once per request.
    if (s_.uniform_speed && reused_blocks == memo_reused_blocks_) return memo_prefill_s_;
    const double s = s_.predict_prefill_s(node, reused_blocks);
    if (s_.uniform_speed) {
      memo_reused_blocks_ = reused_blocks;
      memo_prefill_s_ = s;
    }
    return s;
  }
  // Whether every node has the same speed: predicted_prefill_s then depends on the reuse
  // only, not on the node.
  bool uniform_speed() const { return s_.uniform_speed; }
  // Blocks resident on `node`, and how many it can hold (seed mode: its memory budget).
  size_t resident(size_t node) const { return s_.resident(node); }
  size_t capacity(size_t node) const { return s_.capacity(node); }
  // Realistic: blocks still to prefill (not reused) of the requests queued or in service
  // on `node`; 0 in seed mode.
  uint64_t pending_prefill_blocks(size_t node) const { return s_.pending_prefill_blocks[node]; }
  // Requests routed to the node and not finished: a gateway's own count, never stale
  // (seed-compat: the queue_length signal; empty source: queue_length).
  uint32_t in_flight(size_t node) const {
    if (s_.seed_mode || s_.in_flight.empty()) return static_cast<uint32_t>(queue_length(node));
    return s_.in_flight[node];
  }
  // Requests in the node's running batch (prefill_only: 1 while it prefills).
  uint32_t running_requests(size_t node) const {
    if (!s_.running_requests.empty()) return s_.running_requests[node];
    return !s_.seed_mode && s_.busy_until_s[node] > now_s_ ? 1 : 0;
  }
  // Requests on the node not running: queued, loading or preempted.
  uint32_t waiting_requests(size_t node) const {
    if (!s_.waiting_requests.empty()) return s_.waiting_requests[node];
    return static_cast<uint32_t>(queue_length(node) - running_requests(node));
  }
  // HBM KV blocks held by the node's running requests, and the share of its HBM blocks
  // that is (vLLM's KV-cache usage); 0 in prefill_only and seed-compat cells.
  uint64_t active_kv_blocks(size_t node) const {
    return s_.active_kv_blocks.empty() ? 0 : s_.active_kv_blocks[node];
  }
  double kv_utilisation(size_t node) const {
    return s_.active_kv_blocks.empty() ? 0
                                       : static_cast<double>(s_.active_kv_blocks[node]) /
                                             static_cast<double>(s_.kv_capacity_blocks[node]);
  }
  // Decodes in the node's last step (0 in prefill_only and seed-compat cells).
  uint32_t decode_batch(size_t node) const {
    return s_.decode_batch.empty() ? 0 : s_.decode_batch[node];
  }
  // Prompt tokens the node has still to compute (prefill_only: pending blocks x tokens).
  uint64_t queued_prefill_tokens(size_t node) const {
    if (!s_.queued_prefill_tokens.empty()) return s_.queued_prefill_tokens[node];
    return s_.pending_prefill_blocks[node] * s_.block_tokens;
  }
  // When the engine-reported signals above were read: now, unless the cell refreshes
  // them every signal_refresh_s (a gateway's load poll).
  double signals_as_of_s() const {
    return s_.signals_as_of_s == nullptr ? now_s_ : *s_.signals_as_of_s;
  }
  // Tokens per trace block.
  uint32_t block_tokens() const { return s_.block_tokens; }
  // Realistic: the nodes' max_num_batched_tokens (vLLM's name; 0 in seed mode).
  uint32_t max_batched_tokens() const { return s_.max_batched_tokens; }
  // Realistic: seconds to move `blocks` blocks between two idle nodes.
  double transfer_s(uint32_t blocks) const { return s_.transfer_s(blocks); }
  // Copies prefixes between nodes (costed in realistic mode).
  ReplicaSink& replicas() const { return *s_.replicas; }
  // Which prefixes are hot and trending, over the requests before this one; nullptr unless
  // the cell tracks hot spots.
  const HotspotTracker* hotspots() const { return s_.hotspots; }

 private:
  friend class ClusterViewBuilder;
  static constexpr uint32_t kNoMemo = std::numeric_limits<uint32_t>::max();

  ClusterViewSources s_;
  double now_s_ = 0;
  Request request_;
  uint32_t request_index_ = 0;
  uint32_t longest_prefix_blocks_ = 0;
  uint32_t longest_prefix_node_ = 0;
  mutable std::vector<uint32_t> resident_blocks_;  // computed on first use per request
  mutable uint32_t memo_reused_blocks_ = kNoMemo;  // predicted_prefill_s's memo, per request
  mutable double memo_prefill_s_ = 0;
};

// Owns a ClusterView and is the only way to change it: the engine binds the sources once
// per cell and announces each request (and each change of holders within it).
class ClusterViewBuilder {
 public:
  ClusterViewBuilder() = default;
  explicit ClusterViewBuilder(ClusterViewSources sources) { view_.s_ = std::move(sources); }
  ClusterViewBuilder(const ClusterViewBuilder&) = delete;
  ClusterViewBuilder& operator=(const ClusterViewBuilder&) = delete;

  const ClusterView& view() const { return view_; }
  ClusterViewSources& sources() { return view_.s_; }

  // Request `index` of the trace at `now_s`; `longest` is the LongestPrefix that filled
  // prefix_blocks.
  void BeginRequest(uint32_t index, const Request& request, double now_s,
                    const LongestPrefixResult& longest) {
    view_.now_s_ = now_s;
    view_.request_ = request;
    view_.request_index_ = index;
    view_.memo_reused_blocks_ = ClusterView::kNoMemo;
    HoldersChanged(longest);
  }
  // The holders of the request's blocks changed (a copy landed at once): `longest` is the
  // LongestPrefix that refilled prefix_blocks.
  void HoldersChanged(const LongestPrefixResult& longest) {
    view_.longest_prefix_blocks_ = longest.best_len;
    view_.longest_prefix_node_ = longest.best_nodes.empty() ? 0 : longest.best_nodes[0];
    view_.resident_blocks_.clear();
  }

 private:
  ClusterView view_;
};

}  // namespace kvb

#endif  // KVB_CORE_POLICY_CLUSTER_VIEW_H_
