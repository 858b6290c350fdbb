#include "core/policy/cluster_view.h"

namespace kvb {

uint32_t ClusterView::resident_blocks(size_t node) const {
  if (resident_blocks_.size() != nodes()) {
    resident_blocks_.assign(nodes(), 0);
    s_.holders->ResidentCounts(request_.blocks, resident_blocks_);
  }
  return resident_blocks_[node];
}

}  // namespace kvb
