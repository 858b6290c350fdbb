#ifndef KVB_CORE_MODEL_COST_MODEL_H_
#define KVB_CORE_MODEL_COST_MODEL_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/model/model_profile.h"

namespace kvb {

// How a cache capacity is given: in KV blocks, tokens or bytes.
enum class CapacityUnit { kBlocks, kTokens, kBytes };

// "blocks", "tokens" or "bytes"; nullopt for anything else.
std::optional<CapacityUnit> CapacityUnitFromName(std::string_view name);
std::string_view CapacityUnitName(CapacityUnit unit);

// The Mooncake cost model (FAST'25; README "The simulation model") over one profile:
// prefill, load and transfer times in seconds, KV sizes in bytes. Immutable; all methods
// are pure.
class CostModel {
 public:
  // The default profile (DefaultProfile()).
  CostModel();
  // Throws InputError naming the field ("hardware.utilisation: ...") if the profile is invalid.
  explicit CostModel(const CostProfile& profile);
  CostModel(const ModelProfile& model, const HardwareProfile& hardware, uint32_t block_tokens);

  const ModelProfile& model() const { return model_; }
  // The serving engine's figures, when the profile has them.
  const std::optional<ServingProfile>& serving() const { return serving_; }
  const HardwareProfile& hardware() const { return hardware_; }
  uint32_t block_tokens() const { return block_tokens_; }

  // FLOPs per second a prefill achieves: gpus * peak_flops_per_gpu * utilisation.
  double EffectiveFlopsPerS() const { return effective_flops_per_s_; }
  uint64_t KvBytesPerToken() const { return kv_bytes_per_token_; }
  // block_tokens * KvBytesPerToken().
  uint64_t BlockBytes() const { return block_bytes_; }

  // GPU time of a prefill of `input_tokens` that reuses the first `reused_tokens` (clamped
  // to input_tokens): (flops(n) - flops(p)) / EffectiveFlopsPerS() + prefill_overhead_s.
  // The overhead is paid by every request with input_tokens > 0, even a fully reused one
  // (the GPU still runs a pass to produce the first token); 0 input tokens cost 0 s.
  double PrefillSeconds(uint32_t input_tokens, uint32_t reused_tokens) const;
  // Compute time that reusing `reused_tokens` saves: flops(p) / EffectiveFlopsPerS().
  double SavedComputeSeconds(uint32_t reused_tokens) const;
  // Time to load a reused prefix's KV from DRAM into GPU memory:
  // p * KvBytesPerToken() / min(host_to_device, nic), the paper's B.
  double LoadSeconds(uint64_t reused_tokens) const;
  // Reuse pays off when loading the prefix is strictly faster than recomputing it:
  // LoadSeconds(p) < SavedComputeSeconds(p), p = min(reused, input). False for p = 0.
  bool ReusePaysOff(uint32_t input_tokens, uint32_t reused_tokens) const;
  // Time to move `bytes` over the node's NIC.
  double TransferSeconds(uint64_t bytes) const;
  // Time to read `tokens` of KV from the node's SSD into DRAM, as one read:
  // ssd_read_latency_s + tokens x KvBytesPerToken() / ssd_read_bytes_per_s (0 for none;
  // +inf without an SSD bandwidth).
  double SsdReadSeconds(uint64_t tokens) const;
  // Time `blocks` demoted from DRAM hold the SSD: blocks x BlockBytes() /
  // ssd_write_bytes_per_s (0 for none or without a write bandwidth).
  double SsdWriteSeconds(uint64_t blocks) const;

  // A capacity in whole KV blocks: blocks as given, floor(tokens / block_tokens),
  // floor(bytes / BlockBytes()).
  uint64_t CapacityBlocks(uint64_t value, CapacityUnit unit) const;
  // The node's KV DRAM in whole blocks: CapacityBlocks(dram_bytes, kBytes).
  uint64_t DramBlocks() const { return CapacityBlocks(hardware_.dram_bytes, CapacityUnit::kBytes); }
  // The node's KV SSD in whole blocks (0 without one).
  uint64_t SsdBlocks() const { return CapacityBlocks(hardware_.ssd_bytes, CapacityUnit::kBytes); }

 private:
  ModelProfile model_;
  HardwareProfile hardware_;
  std::optional<ServingProfile> serving_;
  uint32_t block_tokens_;
  double effective_flops_per_s_;
  double load_bytes_per_s_;
  uint64_t kv_bytes_per_token_;
  uint64_t block_bytes_;
};

}  // namespace kvb

#endif  // KVB_CORE_MODEL_COST_MODEL_H_
