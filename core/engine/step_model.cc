#include "core/engine/step_model.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

StepModelInfo RooflineStepModelInfo();
StepModelInfo PolynomialStepModelInfo();

uint64_t ChunkAttentionPairs(uint64_t context, uint64_t chunk, bool causal) {
  return causal ? chunk * context + chunk * (chunk + 1) / 2 : chunk * (context + chunk);
}

std::span<const StepModelInfo> StepModels() {
  static const std::vector<StepModelInfo> models = {RooflineStepModelInfo(),
                                                    PolynomialStepModelInfo()};
  return models;
}

const StepModelInfo* FindStepModel(std::string_view name) { return FindByName(StepModels(), name); }

std::unique_ptr<StepModel> MakeStepModel(std::string_view spec) {
  const SpecText text = ParseSpecText(spec, "step model");
  const StepModelInfo* info = FindStepModel(text.name);
  if (info == nullptr) {
    throw InputError(absl::StrCat("step model spec '", std::string(spec), "': unknown model '",
                                  text.name, "' (known: ", JoinNames(StepModels()), ")"));
  }
  return info->make(ResolveParams("step model", info->name, info->params, text.args));
}

}  // namespace kvb
