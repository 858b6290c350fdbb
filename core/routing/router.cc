#include "core/routing/router.h"

#include <algorithm>

namespace kvb {

uint32_t ClusterView::resident_blocks(size_t node) const {
  if (resident_blocks_.size() != nodes()) {
    resident_blocks_.assign(nodes(), 0);
    holders_->ResidentCounts(request_.blocks, resident_blocks_);
  }
  return resident_blocks_[node];
}

}  // namespace kvb
