#ifndef KVB_CORE_ENGINE_SERVING_H_
#define KVB_CORE_ENGINE_SERVING_H_

#include <memory>

#include "core/engine/node_engine.h"
#include "core/engine/step_model.h"
#include "core/model/cost_model.h"
#include "core/model/model_profile.h"

namespace kvb {

// The step model a serving profile names, with its parameters; InputError
// ("serving.step_model: step model 'roofline': unknown key ...") on a bad one.
std::unique_ptr<StepModel> MakeStepModel(const ServingProfile& serving);

// A node's scheduler limits and HBM blocks from its profile. InputError without a
// "serving" section.
EngineLimits EngineLimitsFor(const CostProfile& profile);
EngineLimits EngineLimitsFor(const CostModel& cost);

// Seconds from the first step of a prompt of `prompt` tokens whose first `cached` are in
// HBM to its first token, alone on a node: NodeEngine's chunks of max_num_batched_tokens
// (the whole prompt when chunking is off), one step each, nothing else in the batch.
double PrefillAloneSeconds(const StepModel& model, const EngineLimits& limits, uint32_t prompt,
                           uint32_t cached);

}  // namespace kvb

#endif  // KVB_CORE_ENGINE_SERVING_H_
