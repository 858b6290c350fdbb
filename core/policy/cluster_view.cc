#include "core/policy/cluster_view.h"

namespace kvb {

uint32_t ClusterView::resident_blocks(size_t node) const {
  if (resident_blocks_.size() != nodes()) {
    resident_blocks_.assign(nodes(), 0);
    if (s_.hbm_holders == nullptr && s_.ssd_holders == nullptr) {
      s_.holders->ResidentCounts(request_.blocks, resident_blocks_);
    } else {
      for (size_t n = 0; n < nodes(); ++n) {
        for (size_t i = 0; i < request_.blocks.size(); ++i) resident_blocks_[n] += holds(n, i);
      }
    }
  }
  return resident_blocks_[node];
}

}  // namespace kvb
