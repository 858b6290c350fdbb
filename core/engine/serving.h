#ifndef KVB_CORE_ENGINE_SERVING_H_
#define KVB_CORE_ENGINE_SERVING_H_

#include <memory>

#include "core/engine/node_engine.h"
#include "core/engine/step_model.h"
#include "core/model/model_profile.h"

namespace kvb {

// The step model a serving profile names, with its parameters; InputError
// ("serving.step_model: step model 'roofline': unknown key ...") on a bad one.
std::unique_ptr<StepModel> MakeStepModel(const ServingProfile& serving);

// A node's scheduler limits and HBM blocks from its profile. Requires profile.serving.
EngineLimits EngineLimitsFor(const CostProfile& profile);

}  // namespace kvb

#endif  // KVB_CORE_ENGINE_SERVING_H_
