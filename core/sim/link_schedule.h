#ifndef KVB_CORE_SIM_LINK_SCHEDULE_H_
#define KVB_CORE_SIM_LINK_SCHEDULE_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace kvb {

// One resource per node (its network link, or its SSD), busy until some time: a transfer
// between two nodes (a fetch or a replica copy) holds both links from the latest of
// (earliest, both free) for its duration, so transfers sharing a node queue behind each
// other, first come first served. An SSD's reads and writes queue the same way.
class LinkSchedule {
 public:
  explicit LinkSchedule(size_t nodes) : free_s_(nodes, 0.0) {}

  // Reserves both links for `seconds` starting no earlier than `earliest_s`; returns when
  // the transfer ends.
  double Reserve(size_t a, size_t b, double earliest_s, double seconds) {
    const double start = std::max({earliest_s, free_s_[a], free_s_[b]});
    free_s_[a] = free_s_[b] = start + seconds;
    return start + seconds;
  }
  // Reserves `node`'s resource alone; returns when the use ends.
  double Reserve(size_t node, double earliest_s, double seconds) {
    free_s_[node] = std::max(earliest_s, free_s_[node]) + seconds;
    return free_s_[node];
  }
  // When `node`'s link is next free (it may be in the past).
  double free_s(size_t node) const { return free_s_[node]; }

 private:
  std::vector<double> free_s_;
};

}  // namespace kvb

#endif  // KVB_CORE_SIM_LINK_SCHEDULE_H_
