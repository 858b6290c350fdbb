#ifndef KVB_CORE_POLICY_ROUTE_DECISION_H_
#define KVB_CORE_POLICY_ROUTE_DECISION_H_

#include <cstdint>
#include <limits>

namespace kvb {

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
  // to fetch_to (at most what `fetch_from` then holds). Global scope only; in pool scope a
  // node index means "fetch up to fetch_to from the pool", each block from its least busy
  // holder.
  uint32_t fetch_from = kEngineFetch;
  uint32_t fetch_to = 0;
};

}  // namespace kvb

#endif  // KVB_CORE_POLICY_ROUTE_DECISION_H_
