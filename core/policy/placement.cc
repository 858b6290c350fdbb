#include "core/policy/placement.h"

#include <algorithm>
#include <utility>

namespace kvb {

uint32_t LeastLoadedNode(const ClusterView& view) {
  uint32_t best = 0;
  for (uint32_t n = 1; n < view.nodes(); ++n) {
    if (view.queued_work_s(n) < view.queued_work_s(best) ||
        (view.queued_work_s(n) == view.queued_work_s(best) &&
         view.queue_length(n) < view.queue_length(best))) {
      best = n;
    }
  }
  return best;
}

void SeedCopySources::Recount(const ClusterView& view, uint32_t top) {
  nodes_ = static_cast<uint32_t>(view.nodes());
  held_.assign(size_t{top + 1} * nodes_, 0);
  for (uint32_t i = 0; i < top; ++i) {
    for (uint32_t n = 0; n < nodes_; ++n) {
      held_[size_t{i + 1} * nodes_ + n] =
          held_[size_t{i} * nodes_ + n] + (view.holds(n, i) ? 1 : 0);
    }
  }
}

std::optional<uint32_t> SeedCopySources::For(uint32_t length) const {
  std::optional<uint32_t> source;
  uint32_t most = 0;
  for (uint32_t n = 0; n < nodes_; ++n) {
    const uint32_t held = held_[size_t{length} * nodes_ + n];
    if (held > most) {
      source = n;
      most = held;
    }
  }
  return source;
}

std::vector<uint32_t> SeedCopyTargets(const ClusterView& view, uint32_t source) {
  std::vector<std::pair<double, uint32_t>> keyed;
  for (uint32_t n = 0; n < view.nodes(); ++n) {
    if (n == source) continue;
    keyed.emplace_back(
        static_cast<double>(view.queue_length(n)) + static_cast<double>(view.resident(n)) / 500.0,
        n);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> order;
  for (const auto& [load, n] : keyed) order.push_back(n);
  return order;
}

}  // namespace kvb
