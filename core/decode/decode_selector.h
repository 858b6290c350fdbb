#ifndef KVB_CORE_DECODE_DECODE_SELECTOR_H_
#define KVB_CORE_DECODE_DECODE_SELECTOR_H_

// Decode selection in a disaggregated cluster: once a request's prompt is prefilled, a
// policy picks the decode node that receives its KV and generates the rest. One file per
// policy fills one entry of the registry (docs/EXTENDING.md).

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string_view>

namespace kvb {

inline constexpr uint32_t kNoDecodeNode = std::numeric_limits<uint32_t>::max();

// One decode node as the selector sees it (as of the cell's last signal refresh).
struct DecodeNodeState {
  uint32_t running = 0;             // requests in its batch
  uint32_t waiting = 0;             // arrived or in transit, not running
  uint64_t active_kv_blocks = 0;    // HBM blocks its running requests hold
  uint64_t kv_capacity_blocks = 0;  // HBM blocks for KV
  uint64_t context_tokens = 0;      // KV tokens its running requests' decodes read
};

// What a decode selector sees for one prefilled request.
struct DecodeView {
  std::span<const DecodeNodeState> nodes;
  uint32_t context_tokens = 0;  // the request's KV (its prompt and first token)
  uint64_t blocks_needed = 0;   // HBM blocks that KV takes
  double tbt_slo_s = 0;         // the cell's TBT SLO; 0: none
  // Predicted time of a decode step of `batch` requests reading `context` KV tokens (the
  // cell's predictor).
  std::function<double(uint64_t batch, uint64_t context)> predict_decode_step_s;

  // Predicted decode step of `node` once this request joins it.
  double predicted_step_with_s(size_t node) const {
    const DecodeNodeState& n = nodes[node];
    return predict_decode_step_s(n.running + n.waiting + 1, n.context_tokens + context_tokens);
  }
};

class DecodeSelector {
 public:
  virtual ~DecodeSelector() = default;
  // The decode node for the request, or kNoDecodeNode to reject it.
  virtual uint32_t Select(const DecodeView& view) = 0;
};

struct DecodeSelectorInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;
  // A selector drawing its random numbers from `seed` (deterministic per cell).
  std::unique_ptr<DecodeSelector> (*make)(uint64_t seed) = nullptr;
};

std::span<const DecodeSelectorInfo> DecodeSelectors();
const DecodeSelectorInfo* FindDecodeSelector(std::string_view name);
// InputError("unknown decode selector 'x' (known: ...)") for an unknown name.
std::unique_ptr<DecodeSelector> MakeDecodeSelector(std::string_view name, uint64_t seed = 1);

// Each policy's entry, defined in its own file.
DecodeSelectorInfo LeastLoadedDecodeInfo();
DecodeSelectorInfo LeastKvDecodeInfo();
DecodeSelectorInfo MooncakeTbtDecodeInfo();
DecodeSelectorInfo DynamoDecodeInfo();

}  // namespace kvb

#endif  // KVB_CORE_DECODE_DECODE_SELECTOR_H_
