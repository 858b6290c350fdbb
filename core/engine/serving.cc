#include "core/engine/serving.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"
#include "core/util/params.h"

namespace kvb {

std::unique_ptr<StepModel> MakeStepModel(const ServingProfile& serving) {
  const StepModelInfo* info = FindStepModel(serving.step_model);
  if (info == nullptr) {
    throw InputError(absl::StrCat("serving.step_model.name: unknown step model '",
                                  serving.step_model, "' (known: ", JoinNames(StepModels()), ")"));
  }
  std::vector<std::pair<std::string, std::string>> args;
  for (const auto& [key, value] : serving.step_model_params) {
    char text[32];  // the shortest text that reads back as `value`
    const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
    args.emplace_back(key, std::string(text, end));
  }
  try {
    return info->make(ResolveParams("step model", info->name, info->params, args));
  } catch (const InputError& e) {
    throw InputError(absl::StrCat("serving.step_model.params: ", e.what()));
  }
}

namespace {

EngineLimits LimitsOf(const ServingProfile& s, uint32_t gpus, uint64_t kv_bytes_per_token) {
  EngineLimits limits;
  limits.max_num_batched_tokens = s.max_num_batched_tokens;
  limits.max_num_seqs = s.max_num_seqs;
  limits.chunked_prefill = s.chunked_prefill;
  limits.kv_block_tokens = s.kv_block_tokens;
  limits.kv_capacity_blocks = KvCapacityBlocks(s, gpus, kv_bytes_per_token);
  return limits;
}

}  // namespace

EngineLimits EngineLimitsFor(const CostProfile& profile) {
  if (!profile.serving) {
    throw InputError(absl::StrCat("profile '", profile.name, "': no \"serving\" section"));
  }
  return LimitsOf(*profile.serving, profile.hardware.gpus, profile.model.KvBytesPerToken());
}

EngineLimits EngineLimitsFor(const CostModel& cost) {
  if (!cost.serving()) throw InputError("profile: no \"serving\" section");
  return LimitsOf(*cost.serving(), cost.hardware().gpus, cost.KvBytesPerToken());
}

double PrefillAloneSeconds(const StepModel& model, const EngineLimits& limits, uint32_t prompt,
                           uint32_t cached) {
  if (prompt == 0) return 0;
  uint64_t kv = std::min(cached, prompt - 1);  // the last prompt token is always computed
  double seconds = 0;
  while (kv < prompt) {
    const uint64_t chunk = limits.chunked_prefill
                               ? std::min<uint64_t>(prompt - kv, limits.max_num_batched_tokens)
                               : prompt - kv;
    StepWork work;
    work.prefill_tokens = chunk;
    work.prefill_kv_read_tokens = kv;
    work.prefill_attention_pairs = ChunkAttentionPairs(kv, chunk, true);
    work.prefill_attention_pairs_full = ChunkAttentionPairs(kv, chunk, false);
    seconds += model.Seconds(work);
    kv += chunk;
  }
  return seconds;
}

}  // namespace kvb
