#ifndef KVB_CORE_ENGINE_STEP_MODEL_H_
#define KVB_CORE_ENGINE_STEP_MODEL_H_

// How long one engine step (one batch: decodes of one token each plus prefill chunks) takes
// on a node. Two forms, both data: a roofline over the model's and GPUs' figures, and a
// polynomial fitted to measurements (Vidur; Dynamo's mocker). Sources: serving-model
// notes in docs/ENGINE.md.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/util/params.h"

namespace kvb {

// The work of one step.
struct StepWork {
  uint64_t prefill_tokens = 0;                // query tokens of the prefill chunks
  uint64_t prefill_attention_pairs = 0;       // query-key pairs of their attention, causal
  uint64_t prefill_attention_pairs_full = 0;  // the same without the causal mask
  uint64_t prefill_kv_read_tokens = 0;        // earlier tokens whose KV the chunks read
  uint64_t decodes = 0;                       // running requests decoding one token each
  uint64_t decode_kv_read_tokens = 0;         // their contexts: KV tokens the decodes read
};

// Query-key pairs of a prefill chunk of `chunk` tokens after `context` earlier tokens:
// causal attention (each token attends to itself and those before it), or full (every
// token of the chunk attends to all context + chunk tokens: the Mooncake paper's a-term).
uint64_t ChunkAttentionPairs(uint64_t context, uint64_t chunk, bool causal);

// A decode-only step's time as a function of the decodes' total context L (B fixed):
// max over pieces of (intercept + slope x L). Slopes are >= 0, so the time never falls as
// contexts grow; event skipping sums it in closed form.
struct AffinePiece {
  double intercept = 0;
  double slope = 0;
};

class StepModel {
 public:
  virtual ~StepModel() = default;
  // Seconds of one step doing `work` (at least one token of work).
  virtual double Seconds(const StepWork& work) const = 0;
  // The pieces of a decode-only step of `decodes` decodes; Seconds({.decodes = B,
  // .decode_kv_read_tokens = L}) equals their max at L, up to rounding.
  virtual std::vector<AffinePiece> DecodeStepPieces(uint64_t decodes) const = 0;
};

// Registry entry of a step model (one file per form).
struct StepModelInfo {
  std::string_view name;
  std::string_view description;  // one line
  std::string_view source;
  std::span<const ParamSpec> params;
  std::unique_ptr<StepModel> (*make)(const Params& params) = nullptr;
};

std::span<const StepModelInfo> StepModels();
const StepModelInfo* FindStepModel(std::string_view name);
// A step model from "name[:key=value,...]"; InputError names the model and the key.
std::unique_ptr<StepModel> MakeStepModel(std::string_view spec);

}  // namespace kvb

#endif  // KVB_CORE_ENGINE_STEP_MODEL_H_
