// least_kv: the decode node whose HBM KV would be least used once the request's KV lands
// (the share of its blocks in use), then fewest requests, then lowest index: KV-usage
// balancing as llm-d's KV-cache utilisation scorer does for its pods.

#include "core/decode/decode_selector.h"

namespace kvb {

namespace {

class LeastKvDecode final : public DecodeSelector {
 public:
  uint32_t Select(const DecodeView& view) override {
    uint32_t best = kNoDecodeNode;
    double best_use = 0;
    for (uint32_t n = 0; n < view.nodes.size(); ++n) {
      const DecodeNodeState& s = view.nodes[n];
      const double use = static_cast<double>(s.active_kv_blocks + view.blocks_needed) /
                         static_cast<double>(s.kv_capacity_blocks);
      if (best == kNoDecodeNode || use < best_use ||
          (use == best_use &&
           s.running + s.waiting < view.nodes[best].running + view.nodes[best].waiting)) {
        best = n;
        best_use = use;
      }
    }
    return best;
  }
};

}  // namespace

DecodeSelectorInfo LeastKvDecodeInfo() {
  return {"least_kv", "lowest HBM KV use once the request's KV lands, then fewest requests",
          "KV-utilisation balancing (llm-d's kv-cache-utilization scorer); rule guessed",
          [](uint64_t) { return std::unique_ptr<DecodeSelector>(new LeastKvDecode); }};
}

}  // namespace kvb
