#ifndef KVB_CORE_ROUTING_HASH_RING_H_
#define KVB_CORE_ROUTING_HASH_RING_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/util/mix.h"

namespace kvb {

// A consistent-hash ring: `points_per_node` points per node at Mix64((node << 32 | r) ^
// salt), sorted. Keys use a different salt, so that small interned ids do not land exactly
// on node 0's points.
class HashRing {
 public:
  static constexpr uint64_t kKeySalt = 0x9E3779B97F4A7C15ULL;    // key = Mix64(x + salt)
  static constexpr uint64_t kPointSalt = 0xD1B54A32D192ED03ULL;  // point salt

  struct Point {
    uint64_t hash;
    uint32_t node;
    bool operator<(const Point& o) const { return hash != o.hash ? hash < o.hash : node < o.node; }
  };
  static constexpr size_t point_bytes() { return sizeof(Point); }
  static uint64_t Key(uint64_t x) { return Mix64(x + kKeySalt); }

  // Rebuilds the ring when the node count changed; returns whether it did.
  bool Resize(size_t nodes, uint32_t points_per_node) {
    if (nodes == nodes_) return false;
    points_.clear();
    points_.reserve(nodes * points_per_node);
    for (uint32_t node = 0; node < nodes; ++node) {
      for (uint32_t r = 0; r < points_per_node; ++r) {
        points_.push_back({Mix64(((uint64_t{node} << 32) | r) ^ kPointSalt), node});
      }
    }
    std::sort(points_.begin(), points_.end());
    nodes_ = nodes;
    return true;
  }
  // The index of the first point clockwise from `key` (wrapping to 0).
  size_t First(uint64_t key) const {
    const size_t p =
        std::lower_bound(points_.begin(), points_.end(), Point{key, 0}) - points_.begin();
    return p == points_.size() ? 0 : p;
  }
  size_t size() const { return points_.size(); }
  uint32_t node_at(size_t p) const { return points_[p].node; }

 private:
  size_t nodes_ = 0;
  std::vector<Point> points_;  // sorted by (hash, node)
};

}  // namespace kvb

#endif  // KVB_CORE_ROUTING_HASH_RING_H_
