// dynamo: Dynamo's decode router. Decode workers are scored as its KV router scores them
// with the overlap credit forced to 0: the blocks the worker's active sequences hold plus
// the request's (the same for every node), so the least active KV blocks wins, exact ties
// uniformly at random (ai-dynamo/dynamo@07a6c9ce selector/default.rs, decode branch).

#include <memory>
#include <random>
#include <vector>

#include "core/decode/decode_selector.h"

namespace kvb {

namespace {

class DynamoDecode final : public DecodeSelector {
 public:
  explicit DynamoDecode(uint64_t seed) : rng_(seed) {}

  uint32_t Select(const DecodeView& view) override {
    tied_.clear();
    uint64_t best = 0;
    for (uint32_t n = 0; n < view.nodes.size(); ++n) {
      const uint64_t blocks = view.nodes[n].active_kv_blocks + view.blocks_needed;
      if (tied_.empty() || blocks < best) {
        best = blocks;
        tied_.clear();
      }
      if (blocks == best) tied_.push_back(n);
    }
    if (tied_.empty()) return kNoDecodeNode;
    return tied_.size() == 1 ? tied_[0] : tied_[rng_() % tied_.size()];
  }

 private:
  std::mt19937_64 rng_;
  std::vector<uint32_t> tied_;
};

}  // namespace

DecodeSelectorInfo DynamoDecodeInfo() {
  return {"dynamo", "least active KV blocks with the request's, uniform among ties",
          "NVIDIA Dynamo decode router: KV router cost with overlap credit 0 "
          "(ai-dynamo/dynamo@07a6c9ce lib/kv-router/src/scheduling/selector/default.rs)",
          [](uint64_t seed) { return std::unique_ptr<DecodeSelector>(new DynamoDecode(seed)); }};
}

}  // namespace kvb
