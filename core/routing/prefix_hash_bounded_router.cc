// prefix_hash_bounded: consistent hashing of the prompt's head with bounded loads. The
// request's first k blocks hash onto a ring of virtual_nodes points per node; the first
// point clockwise names its node. overflow=least_loaded (SGLang's smg prefix_hash): that
// node takes it unless its load exceeds max(c x avg, avg + abs) (avg counting the new
// request), else the least loaded node within that bound (lowest index), else the ring's
// node anyway. overflow=walk (Mirrokni et al.; SGLang's earlier bounded hashing): clockwise
// to the first node whose load + 1 stays within ceil(c x avg). Load: requests routed and
// not finished (the gateway's count).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/policy/placement.h"
#include "core/routing/hash_ring.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

constexpr std::string_view kOverflow[] = {"least_loaded", "walk"};

// Defaults: smg prefix_hash.rs (prefix_token_count 256: the first 512-token block, the
// finest kvbench can hash; load_factor 1.25; balance_abs_threshold 10) and the gateway's
// hash ring (150 virtual nodes per worker, worker_registry.rs).
constexpr ParamSpec kParams[] = {
    {"prefix_blocks", 1, 1, 1e6, "leading blocks hashed (k)", true},
    {"virtual_nodes", 150, 1, 4096, "ring points per node", true},
    {"load_factor", 1.25, 1, 1000, "c: the load bound's multiple of the average"},
    {"balance_abs_threshold", 10, 0, 1e9,
     "least_loaded: a node is over the bound when its load exceeds avg + this too", true},
    {"overflow", 0, 0, 1, "over the bound: least_loaded (smg) or walk clockwise (SODA'18)", true,
     kOverflow},
};

class PrefixHashBoundedRouter final : public Router {
 public:
  explicit PrefixHashBoundedRouter(const Params& p)
      : prefix_blocks_(static_cast<size_t>(p.GetInt("prefix_blocks"))),
        virtual_nodes_(static_cast<uint32_t>(p.GetInt("virtual_nodes"))),
        load_factor_(p.Get("load_factor")),
        abs_threshold_(static_cast<double>(p.GetInt("balance_abs_threshold"))),
        walk_(p.GetChoice("overflow") == "walk") {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (ring_.Resize(n, virtual_nodes_)) {
      visited_.assign(n, 0);
      stamp_ = 0;
    }
    // An id names its whole prefix: hashing the id at position min(k, len) - 1 hashes the
    // first k blocks. An empty request hashes to 0.
    const auto ids = view.request().blocks;
    const uint64_t key =
        ids.empty() ? 0 : HashRing::Key(ids[std::min(prefix_blocks_, ids.size()) - 1]);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; ++i) total += Load(view, i);
    const size_t p = ring_.First(key);
    const uint32_t node =
        walk_ ? Walk(view, p, total) : BoundOrLeastLoaded(view, ring_.node_at(p), total);
    return node;
  }

  // Bytes of one ring point (the memory estimate's unit).
  static constexpr size_t ring_point_bytes() { return HashRing::point_bytes(); }

 private:
  // Requests routed to the node and not finished (seed mode: its last-100-requests list).
  static uint64_t Load(const ClusterView& view, uint32_t i) { return view.in_flight(i); }

  // smg: the ring's node if its load is within max(c x avg, avg + abs), avg = (total + 1) /
  // n; else the least loaded node within it (lowest index); else the ring's node.
  uint32_t BoundOrLeastLoaded(const ClusterView& view, uint32_t ring_node, uint64_t total) const {
    if (total == 0) return ring_node;
    const size_t n = view.nodes();
    const double avg = static_cast<double>(total + 1) / static_cast<double>(n);
    const double bound = std::max(avg * load_factor_, avg + abs_threshold_);
    auto within = [&](uint32_t i) { return static_cast<double>(Load(view, i)) <= bound; };
    if (within(ring_node)) return ring_node;
    uint32_t best = ring_node;
    bool found = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (within(i) && (!found || Load(view, i) < Load(view, best))) {
        best = i;
        found = true;
      }
    }
    return best;
  }

  // SODA'18: clockwise from ring point p to the first node with load + 1 <= ceil(c (m + 1) /
  // n). The ceiling makes the capacities sum to >= m + 1, so some node has room (c >= 1).
  uint32_t Walk(const ClusterView& view, size_t p, uint64_t total) {
    const double capacity = std::ceil(load_factor_ * static_cast<double>(total + 1) /
                                      static_cast<double>(view.nodes()));
    ++stamp_;
    for (size_t step = 0; step < ring_.size(); ++step, ++p) {
      if (p == ring_.size()) p = 0;
      const uint32_t node = ring_.node_at(p);
      if (visited_[node] == stamp_) continue;  // already refused
      visited_[node] = stamp_;
      if (static_cast<double>(Load(view, node) + 1) <= capacity) return node;
    }
    return LeastLoadedNode(view);  // unreachable while c >= 1
  }

  size_t prefix_blocks_;
  uint32_t virtual_nodes_;
  double load_factor_;
  double abs_threshold_;
  bool walk_;
  HashRing ring_;
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
          "consistent hash of the first k blocks; over the load bound, the least loaded node "
          "within it (or walk clockwise)",
          "SGLang model gateway (smg) prefix_hash policy; Mirrokni, Thorup, Zadimoghaddam, "
          "Consistent Hashing with Bounded Loads (SODA 2018)",
          kParams,
          [](const Params& params, uint64_t) {
            return std::make_unique<PrefixHashBoundedRouter>(params);
          },
          PrefixHashBoundedStateBytes,
          "smg-project/smg@44d2176e model_gateway/src/policies/prefix_hash.rs"};
}

}  // namespace kvb
