#ifndef KVB_CORE_ROUTING_ROUTER_H_
#define KVB_CORE_ROUTING_ROUTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/hotspot/hotspot_tracker.h"
#include "core/index/prefix_index.h"
#include "core/trace/trace.h"

namespace kvb {

// What a router sees when it places one request: the cluster as it is now, never the
// future. Filled by the simulator before each decision.
class ClusterView {
 public:
  size_t nodes() const { return prefix_blocks_.size(); }
  double now_s() const { return now_s_; }
  const Request& request() const { return request_; }
  // Longest run of the request's leading blocks resident on `node`.
  uint32_t prefix_blocks(size_t node) const { return prefix_blocks_[node]; }
  // The request's blocks resident on `node`, counted per block (not necessarily a prefix).
  uint32_t resident_blocks(size_t node) const;
  // Seed mode: size of the node's last-100-requests list; realistic: requests queued or
  // in service on the node.
  size_t queue_length(size_t node) const { return queue_length_[node]; }
  // Realistic: predicted seconds until the node could start this request (0 in seed mode).
  double queued_work_s(size_t node) const { return queued_work_s_[node]; }
  // Realistic: predicted prefill seconds of this request on `node` reusing `reused_blocks`.
  double predicted_prefill_s(size_t node, uint32_t reused_blocks) const {
    return predict_prefill_s_(node, reused_blocks);
  }
  // Which prefixes are hot and trending, over the requests before this one; nullptr unless
  // the cell tracks hot spots (SimConfig::track_hotspots).
  const HotspotTracker* hotspots() const { return hotspots_; }

 private:
  friend class Simulator;
  double now_s_ = 0;
  Request request_;
  std::span<const uint32_t> prefix_blocks_;
  std::span<const size_t> queue_length_;
  std::span<const double> queued_work_s_;
  const SimPrefixIndex* holders_ = nullptr;
  const HotspotTracker* hotspots_ = nullptr;
  std::function<double(size_t, uint32_t)> predict_prefill_s_;
  mutable std::vector<uint32_t> resident_blocks_;  // computed on first use per request
};

inline constexpr uint32_t kRejectRequest = std::numeric_limits<uint32_t>::max();

// Places requests on nodes. One instance serves one cell, single-threaded; it may keep
// state and must be deterministic given its seed.
class Router {
 public:
  virtual ~Router() = default;
  // A node index in [0, view.nodes()), or kRejectRequest.
  virtual uint32_t Route(const ClusterView& view) = 0;
};

// Registry entry of a routing strategy (one file per strategy fills one entry).
struct RouterInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;       // where the rule comes from
  std::function<std::unique_ptr<Router>(uint64_t seed)> make;
};

std::span<const RouterInfo> Routers();
const RouterInfo* FindRouter(std::string_view name);

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_ROUTER_H_
