// least_loaded: the decode node with the fewest requests (running + waiting), lowest index
// on a tie: the load balancing every disaggregated router offers as its baseline.

#include "core/decode/decode_selector.h"

namespace kvb {

namespace {

class LeastLoadedDecode final : public DecodeSelector {
 public:
  uint32_t Select(const DecodeView& view) override {
    uint32_t best = 0;
    for (uint32_t n = 1; n < view.nodes.size(); ++n) {
      const DecodeNodeState& a = view.nodes[n];
      const DecodeNodeState& b = view.nodes[best];
      if (a.running + a.waiting < b.running + b.waiting) best = n;
    }
    return best;
  }
};

}  // namespace

DecodeSelectorInfo LeastLoadedDecodeInfo() {
  return {"least_loaded", "fewest requests running or waiting (lowest index on a tie)",
          "load balancing, the baseline of every disaggregated router",
          [](uint64_t) { return std::unique_ptr<DecodeSelector>(new LeastLoadedDecode); }};
}

}  // namespace kvb
