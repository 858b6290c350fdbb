#ifndef KVB_CORE_ROUTING_ROUTER_H_
#define KVB_CORE_ROUTING_ROUTER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/hotspot/hotspot_tracker.h"
#include "core/index/sim_prefix_index.h"
#include "core/trace/trace.h"
#include "core/util/params.h"

namespace kvb {

// Copies prefixes between nodes on behalf of a router or a replication policy. Seed mode:
// at once, outside the target's memory budget, the seed's way (seed-model.md). Realistic:
// over both nodes' links; the target stores the blocks when the transfer ends, evicting
// others. Implemented by the simulator.
class ReplicaSink {
 public:
  virtual ~ReplicaSink() = default;
  // Copies to `target` the first `blocks` blocks of the current request that `source`
  // holds as a contiguous prefix. Returns the blocks sent (0: nothing to send, or refused
  // by the cell's replica budget).
  virtual uint32_t CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) = 0;
};

// What a router sees when it places one request: the cluster as it is now, never the
// future. Filled by the simulator before each decision.
class ClusterView {
 public:
  size_t nodes() const { return prefix_blocks_.size(); }
  // Seed mode: the seed's model (per-block hits, no time, last-100-requests load signal).
  bool seed_mode() const { return seed_mode_; }
  // Global cache scope: a node may fetch a prefix another node holds (RouteDecision).
  bool global_cache() const { return global_cache_; }
  double now_s() const { return now_s_; }
  const Request& request() const { return request_; }
  // Longest run of the request's leading blocks resident on `node`.
  uint32_t prefix_blocks(size_t node) const { return prefix_blocks_[node]; }
  // The largest prefix_blocks over the nodes, and the lowest node holding that many (0 when
  // no node holds the first block).
  uint32_t longest_prefix_blocks() const { return longest_prefix_blocks_; }
  uint32_t longest_prefix_node() const { return longest_prefix_node_; }
  // The request's blocks resident on `node`, counted per block (not necessarily a prefix).
  uint32_t resident_blocks(size_t node) const;
  // Whether `node` holds the request's i-th block.
  bool holds(size_t node, size_t i) const { return holders_->Holds(request_.blocks[i], node); }
  // Seed mode: size of the node's last-100-requests list; realistic: requests queued or
  // in service on the node.
  size_t queue_length(size_t node) const { return queue_length_[node]; }
  // Realistic: predicted seconds until the node could start this request (0 in seed mode).
  double queued_work_s(size_t node) const {
    // An idle node's busy_until_s_ is -inf: max(0, -inf) = 0.
    return queued_predicted_s_[node] + std::max(0.0, busy_until_s_[node] - now_s_);
  }
  // Realistic: predicted prefill seconds of this request on `node` reusing `reused_blocks`.
  double predicted_prefill_s(size_t node, uint32_t reused_blocks) const {
    // Nodes of one speed: the answer depends on the reuse only, asked once per request.
    if (uniform_speed_ && reused_blocks == memo_reused_blocks_) return memo_prefill_s_;
    const double s = predict_prefill_s_(node, reused_blocks);
    if (uniform_speed_) {
      memo_reused_blocks_ = reused_blocks;
      memo_prefill_s_ = s;
    }
    return s;
  }
  // Whether every node has the same speed: predicted_prefill_s then depends on the reuse
  // only, not on the node.
  bool uniform_speed() const { return uniform_speed_; }
  // Blocks resident on `node`, and how many it can hold (seed mode: its memory budget).
  size_t resident(size_t node) const { return resident_(node); }
  size_t capacity(size_t node) const { return capacity_(node); }
  // Realistic: blocks still to prefill (not reused) of the requests queued or in service
  // on `node`; 0 in seed mode.
  uint64_t pending_prefill_blocks(size_t node) const { return pending_prefill_blocks_[node]; }
  // Realistic: seconds to move `blocks` blocks between two idle nodes.
  double transfer_s(uint32_t blocks) const { return transfer_s_(blocks); }
  // Copies prefixes between nodes (costed in realistic mode).
  ReplicaSink& replicas() const { return *replicas_; }
  // Which prefixes are hot and trending, over the requests before this one; nullptr unless
  // the cell tracks hot spots (SimConfig::track_hotspots).
  const HotspotTracker* hotspots() const { return hotspots_; }

 private:
  friend class Simulator;
  friend class ClusterViewForTest;
  bool seed_mode_ = false;
  bool global_cache_ = false;
  double now_s_ = 0;
  Request request_;
  std::span<const uint32_t> prefix_blocks_;
  uint32_t longest_prefix_blocks_ = 0;
  uint32_t longest_prefix_node_ = 0;
  std::span<const size_t> queue_length_;
  std::span<const double> queued_predicted_s_;  // per node: predicted prefill of its queue
  std::span<const double> busy_until_s_;  // per node: end of the request in service, -inf: idle
  const SimPrefixIndex* holders_ = nullptr;
  const HotspotTracker* hotspots_ = nullptr;
  std::span<const uint64_t> pending_prefill_blocks_;
  std::function<double(size_t, uint32_t)> predict_prefill_s_;
  std::function<size_t(size_t)> resident_;
  std::function<size_t(size_t)> capacity_;
  std::function<double(uint32_t)> transfer_s_;
  ReplicaSink* replicas_ = nullptr;
  mutable std::vector<uint32_t> resident_blocks_;  // computed on first use per request
  // Sets prefix_blocks_'s summary from the LongestPrefix that filled it.
  void SetLongestPrefix(const LongestPrefixResult& r) {
    longest_prefix_blocks_ = r.best_len;
    longest_prefix_node_ = r.best_nodes.empty() ? 0 : r.best_nodes[0];
  }
  bool uniform_speed_ = false;                     // every node has the same speed
  mutable uint32_t memo_reused_blocks_ = kNoMemo;  // predicted_prefill_s's memo, per request
  mutable double memo_prefill_s_ = 0;
  static constexpr uint32_t kNoMemo = std::numeric_limits<uint32_t>::max();
};

inline constexpr uint32_t kRejectRequest = std::numeric_limits<uint32_t>::max();
// RouteDecision::fetch_from values besides a node index.
inline constexpr uint32_t kEngineFetch = std::numeric_limits<uint32_t>::max();
inline constexpr uint32_t kNoFetch = kEngineFetch - 1;

// Where a request goes and, in global cache scope, what it fetches first.
struct RouteDecision {
  // Implicit: a router returning a node index means "this node, the engine's fetch rule".
  RouteDecision(uint32_t to_node = kRejectRequest) : node(to_node) {}  // NOLINT
  RouteDecision(uint32_t to_node, uint32_t from, uint32_t to_block)
      : node(to_node), fetch_from(from), fetch_to(to_block) {}

  uint32_t node = kRejectRequest;  // a node index, or kRejectRequest
  // kEngineFetch: the engine's rule (global scope: fetch the longest prefix held elsewhere
  // when transfer + load beats recomputing it). kNoFetch: reuse only the node's own prefix.
  // A node index: when the request starts, fetch its blocks from the node's own prefix up
  // to fetch_to (at most what `fetch_from` then holds). Global scope only.
  uint32_t fetch_from = kEngineFetch;
  uint32_t fetch_to = 0;
};

// Places requests on nodes. One instance serves one cell, single-threaded; it may keep
// state and must be deterministic given its seed.
class Router {
 public:
  virtual ~Router() = default;
  virtual RouteDecision Route(const ClusterView& view) = 0;
  // Whether the router reads view.hotspots() (the cell then tracks hot spots).
  virtual bool needs_hotspots() const { return false; }
};

// Registry entry of a routing strategy (one file per strategy fills one entry).
struct RouterInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;       // where the rule comes from
  std::span<const ParamSpec> params;
  std::function<std::unique_ptr<Router>(const Params& params, uint64_t seed)> make;
};

std::span<const RouterInfo> Routers();
const RouterInfo* FindRouter(std::string_view name);
// A router from "name[:key=value,...]"; InputError names the router and the key.
std::unique_ptr<Router> MakeRouter(std::string_view spec, uint64_t seed);

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_H_
