#ifndef KVB_BENCH_PROFILE_JSON_H_
#define KVB_BENCH_PROFILE_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "core/model/model_profile.h"

namespace kvb {

// A cost profile file (configs/profiles/<name>.json): name, notes, block_tokens, model and
// hardware. Every field is required and unknown fields are refused.
nlohmann::ordered_json CostProfileToJson(const CostProfile& profile);

// Parses and validates; InputError "SOURCE: hardware.utilisation: ..." on bad input.
CostProfile CostProfileFromJson(const nlohmann::json& json, const std::string& source);
CostProfile ReadProfileFile(const std::string& path);

}  // namespace kvb

#endif  // KVB_BENCH_PROFILE_JSON_H_
