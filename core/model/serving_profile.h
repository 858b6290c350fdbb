#ifndef KVB_CORE_MODEL_SERVING_PROFILE_H_
#define KVB_CORE_MODEL_SERVING_PROFILE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kvb {

// What the serving engine needs of a node besides the cost model: its GPU memory, the
// weights that occupy it, the step-time model, and the scheduler's limits (vLLM's names
// and defaults). Data in configs/profiles/<name>.json, "serving"; docs/ENGINE.md.
struct ServingProfile {
  std::string notes;                    // where the figures come from
  double hbm_bytes_per_gpu = 0;         // 80e9 for an 80 GB A800 or H100
  double weight_bytes = 0;              // the model's weights over the node's GPUs
  double activation_reserve_bytes = 0;  // per node, kept free of KV (activations, graphs)
  uint32_t kv_block_tokens = 16;        // tokens per HBM KV block
  uint32_t max_num_batched_tokens = 8192;
  uint32_t max_num_seqs = 256;
  bool chunked_prefill = true;
  std::string step_model;  // a registered step model (core/engine): "roofline", "polynomial"
  std::map<std::string, double> step_model_params;  // overrides of its defaults

  bool operator==(const ServingProfile&) const = default;
};

// The most KV blocks a node may have (2^40: about 10^13 tokens); more is a bad profile.
inline constexpr uint64_t kMaxKvCapacityBlocks = uint64_t{1} << 40;

// HBM blocks left for KV on a node of `gpus` GPUs: floor((gpus x HBM - weights - reserve) /
// (kv_block_tokens x kv_bytes_per_token)); 0 if nothing is left.
uint64_t KvCapacityBlocks(const ServingProfile& serving, uint32_t gpus,
                          uint64_t kv_bytes_per_token);

// Throws InputError("serving.hbm_bytes_per_gpu: ...") naming the first bad field (also
// when it leaves no KV block, or more than kMaxKvCapacityBlocks); the
// step model's name and parameters are checked by the engine's registry.
void ValidateServingProfile(const ServingProfile& serving, uint32_t gpus,
                            uint64_t kv_bytes_per_token);

}  // namespace kvb

#endif  // KVB_CORE_MODEL_SERVING_PROFILE_H_
