// mooncake_tbt: Mooncake's Conductor picks the decode instance by load so that TBT stays
// under its SLO (FAST'25 section 5 and Algorithm 1, "select decode instance"): here the
// node with the lowest predicted decode step once the request joins, rejecting when that
// step exceeds the TBT SLO everywhere. The exact load measure is the paper's prose, not
// code: the predicted step time is our reading.

#include "core/decode/decode_selector.h"

namespace kvb {

namespace {

class MooncakeTbtDecode final : public DecodeSelector {
 public:
  uint32_t Select(const DecodeView& view) override {
    uint32_t best = kNoDecodeNode;
    double best_s = 0;
    for (uint32_t n = 0; n < view.nodes.size(); ++n) {
      const double s = view.predicted_step_with_s(n);
      if (best == kNoDecodeNode || s < best_s) {
        best = n;
        best_s = s;
      }
    }
    if (view.tbt_slo_s > 0 && best_s > view.tbt_slo_s) return kNoDecodeNode;
    return best;
  }
};

}  // namespace

DecodeSelectorInfo MooncakeTbtDecodeInfo() {
  return {"mooncake_tbt",
          "lowest predicted decode step with the request added; reject above the TBT SLO",
          "Mooncake (FAST'25) section 5, Algorithm 1: decode instance chosen to meet the TBT SLO",
          [](uint64_t) { return std::unique_ptr<DecodeSelector>(new MooncakeTbtDecode); }};
}

}  // namespace kvb
