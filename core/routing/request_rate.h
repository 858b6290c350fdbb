#ifndef KVB_CORE_ROUTING_REQUEST_RATE_H_
#define KVB_CORE_ROUTING_REQUEST_RATE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <vector>

#include "core/policy/cluster_view.h"
#include "core/policy/policy_sizing.h"
#include "core/routing/hash_ring.h"
#include "core/trace/trace.h"

namespace kvb {

// Requests a router sent to each node over a sliding window of simulated time: the vLLM
// production stack's per-engine QPS, kept by the router itself.
class RequestRate {
 public:
  explicit RequestRate(double window_s) : window_s_(window_s) {}

  // Bytes per node before any request is recorded, and per request held (the estimate's
  // units: a deque's map and first chunk; one time stamp).
  static constexpr uint64_t kNodeBytes = sizeof(std::deque<double>) + 64 + 512 + 1;
  static constexpr uint64_t kEntryBytes = sizeof(double);

  // `node` was sent the request now being placed.
  void Record(const ClusterView& view, uint32_t node) {
    Fit(view.nodes());
    times_[node].push_back(view.now_s());
    routed_[node] = true;
  }

  // The production stack's _qps_routing: the first node never routed to, else the lowest
  // rate over (now - window, now], the first of equals. Seed mode (no time): the node's
  // last-100-requests list.
  uint32_t Lowest(const ClusterView& view) {
    const size_t n = view.nodes();
    Fit(n);
    uint32_t best = 0;
    size_t best_count = SIZE_MAX;
    for (uint32_t i = 0; i < n; ++i) {
      if (!routed_[i]) return i;
      const size_t count = view.seed_mode() ? view.queue_length(i) : InWindow(i, view.now_s());
      if (count < best_count) {
        best = i;
        best_count = count;
      }
    }
    return best;
  }

 private:
  void Fit(size_t n) {
    if (times_.size() == n) return;
    times_.assign(n, {});
    routed_.assign(n, false);
  }
  size_t InWindow(uint32_t i, double now_s) {
    std::deque<double>& t = times_[i];
    while (!t.empty() && t.front() <= now_s - window_s_) t.pop_front();
    return t.size();
  }

  double window_s_;
  std::vector<std::deque<double>> times_;
  std::vector<bool> routed_;
};

// A session id for traces that carry none: the id of the request's first `session_blocks`
// blocks (an id names its prefix), which a conversation's turns share; none for a request
// with fewer blocks (kNoSession).
inline constexpr BlockId kNoSession = std::numeric_limits<BlockId>::max();
inline BlockId DerivedSession(std::span<const BlockId> ids, size_t session_blocks) {
  return ids.size() < session_blocks ? kNoSession : ids[session_blocks - 1];
}

// The production stack's session routing: the consistent hash of the request's session id
// (DerivedSession); a request without one goes to rate.Lowest(view).
inline uint32_t SessionOrLowestRate(const ClusterView& view, size_t session_blocks,
                                    uint32_t points_per_node, HashRing& ring, RequestRate& rate) {
  const BlockId session = DerivedSession(view.request().blocks, session_blocks);
  if (session == kNoSession) return rate.Lowest(view);
  ring.Resize(view.nodes(), points_per_node);
  return ring.node_at(ring.First(HashRing::Key(session)));
}

// The memory of SessionOrLowestRate's state: the ring (`points_per_node` points per node)
// and per node the routing times within the window (at most every request).
inline uint64_t SessionRoutingStateBytes(uint64_t points_per_node, const PolicySizing& cell) {
  return cell.nodes * (points_per_node * HashRing::point_bytes() + RequestRate::kNodeBytes) +
         cell.trace.requests * RequestRate::kEntryBytes;
}

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_REQUEST_RATE_H_
