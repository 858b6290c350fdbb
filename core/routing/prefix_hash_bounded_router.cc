// prefix_hash_bounded: consistent hashing with bounded loads. The request's first k blocks
// hash onto a ring of virtual_nodes points per node; walking clockwise from that hash, the
// first node whose load after taking the request stays within ceil(c x average) takes it.
// Mirrokni, Thorup, Zadimoghaddam (SODA 2018).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/policy/placement.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/mix.h"

namespace kvb {
namespace {

// prefix_blocks 4: with 512-token blocks the first 2048 tokens (a system prompt, a shared
// document's head) decide the node, so requests sharing them meet on one node while
// requests that diverge earlier spread. virtual_nodes 64: each node's share of the ring
// then varies by about 1/sqrt(64) = 12.5%, small next to the bound c = 1.25.
constexpr ParamSpec kParams[] = {
    {"prefix_blocks", 4, 1, 1e6, "leading blocks hashed (k)", true},
    {"virtual_nodes", 64, 1, 4096, "ring points per node", true},
    {"load_factor", 1.25, 1, 1000, "c: a node takes the request if load + 1 <= ceil(c x avg)"},
};

// Ring positions. Keys and points use different inputs to Mix64 so that small interned
// ids do not land exactly on the points of node 0.
constexpr uint64_t kKeySalt = 0x9E3779B97F4A7C15ULL;    // key = Mix64(id + salt)
constexpr uint64_t kPointSalt = 0xD1B54A32D192ED03ULL;  // point = Mix64((node<<32|r) ^ salt)

class PrefixHashBoundedRouter final : public Router {
 public:
  PrefixHashBoundedRouter(size_t prefix_blocks, uint32_t virtual_nodes, double load_factor)
      : prefix_blocks_(prefix_blocks), virtual_nodes_(virtual_nodes), load_factor_(load_factor) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (ring_nodes_ != n) BuildRing(n);
    // An id names its whole prefix: hashing the id at position min(k, len) - 1 hashes the
    // first k blocks. An empty request hashes to 0.
    const auto ids = view.request().blocks;
    const uint64_t key =
        ids.empty() ? 0 : Mix64(uint64_t{ids[std::min(prefix_blocks_, ids.size()) - 1]} + kKeySalt);
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) total += view.queue_length(i);
    // The paper's capacity ceil(c m / n), m counting the new request. The ceiling makes the
    // capacities sum to >= m, so some node always has room (c >= 1).
    const double capacity =
        std::ceil(load_factor_ * static_cast<double>(total + 1) / static_cast<double>(n));
    ++stamp_;
    size_t p = std::lower_bound(ring_.begin(), ring_.end(), Point{key, 0}) - ring_.begin();
    for (size_t step = 0; step < ring_.size(); ++step, ++p) {
      if (p == ring_.size()) p = 0;
      const uint32_t node = ring_[p].node;
      if (visited_[node] == stamp_) continue;  // already refused
      visited_[node] = stamp_;
      if (static_cast<double>(view.queue_length(node) + 1) <= capacity) return node;
    }
    return LeastLoadedNode(view);  // unreachable while c >= 1
  }

  // Bytes of one ring point (the memory estimate's unit).
  static constexpr size_t ring_point_bytes() { return sizeof(Point); }

 private:
  struct Point {
    uint64_t hash;
    uint32_t node;
    bool operator<(const Point& o) const { return hash != o.hash ? hash < o.hash : node < o.node; }
  };

  void BuildRing(size_t n) {
    ring_.clear();
    ring_.reserve(n * virtual_nodes_);
    for (uint32_t node = 0; node < n; ++node) {
      for (uint32_t r = 0; r < virtual_nodes_; ++r) {
        ring_.push_back({Mix64(((uint64_t{node} << 32) | r) ^ kPointSalt), node});
      }
    }
    std::sort(ring_.begin(), ring_.end());
    visited_.assign(n, 0);
    stamp_ = 0;
    ring_nodes_ = n;
  }

  size_t prefix_blocks_;
  uint32_t virtual_nodes_;
  double load_factor_;
  size_t ring_nodes_ = 0;
  std::vector<Point> ring_;        // sorted by hash (then node)
  std::vector<uint64_t> visited_;  // per node: the walk that last visited it
  uint64_t stamp_ = 0;
};

// The ring: virtual_nodes points per node; a visit stamp per node.
uint64_t PrefixHashBoundedStateBytes(const Params& params, const PolicySizing& cell) {
  const auto virtual_nodes = static_cast<uint64_t>(params.GetInt("virtual_nodes"));
  return cell.nodes *
         (virtual_nodes * PrefixHashBoundedRouter::ring_point_bytes() + sizeof(uint64_t));
}

}  // namespace

RouterInfo PrefixHashBoundedRouterInfo() {
  return {"prefix_hash_bounded",
          "consistent hash of the first k blocks; clockwise to the first node within "
          "ceil(c x average load)",
          "Mirrokni, Thorup, Zadimoghaddam, Consistent Hashing with Bounded Loads (SODA 2018)",
          kParams,
          [](const Params& params, uint64_t) {
            return std::make_unique<PrefixHashBoundedRouter>(
                static_cast<size_t>(params.GetInt("prefix_blocks")),
                static_cast<uint32_t>(params.GetInt("virtual_nodes")), params.Get("load_factor"));
          },
          PrefixHashBoundedStateBytes};
}

}  // namespace kvb
