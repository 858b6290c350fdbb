#ifndef KVB_BENCH_WORKLOAD_JSON_H_
#define KVB_BENCH_WORKLOAD_JSON_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "core/trace/generator.h"

namespace kvb {

// A workload file (configs/workloads/*.json): a generator spec with a description and a
// default request count. Every spec field is required; unknown fields are errors.
struct WorkloadFile {
  std::string description;
  size_t requests = 0;
  WorkloadSpec spec;
};

nlohmann::ordered_json WorkloadSpecToJson(const WorkloadSpec& spec);
nlohmann::ordered_json WorkloadFileToJson(const WorkloadFile& file);

// Parses and validates; InputError "SOURCE: spec.sessions.turns_mean: ..." on bad input.
WorkloadFile WorkloadFileFromJson(const nlohmann::json& json, const std::string& source);
WorkloadFile ReadWorkloadFile(const std::string& path);

}  // namespace kvb

#endif  // KVB_BENCH_WORKLOAD_JSON_H_
