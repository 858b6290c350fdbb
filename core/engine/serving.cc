#include "core/engine/serving.h"

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

EngineLimits EngineLimitsFor(const CostProfile& profile) {
  if (!profile.serving) {
    throw InputError(absl::StrCat("profile '", profile.name, "': no \"serving\" section"));
  }
  const ServingProfile& s = *profile.serving;
  EngineLimits limits;
  limits.max_num_batched_tokens = s.max_num_batched_tokens;
  limits.max_num_seqs = s.max_num_seqs;
  limits.chunked_prefill = s.chunked_prefill;
  limits.kv_block_tokens = s.kv_block_tokens;
  limits.kv_capacity_blocks =
      KvCapacityBlocks(s, profile.hardware.gpus, profile.model.KvBytesPerToken());
  return limits;
}

}  // namespace kvb
