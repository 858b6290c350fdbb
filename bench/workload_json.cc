#include "bench/workload_json.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "bench/strict_json.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

nlohmann::ordered_json LengthToJson(const LengthDistribution& d) {
  return {{"median_tokens", d.median_tokens},
          {"sigma", d.sigma},
          {"min_tokens", d.min_tokens},
          {"max_tokens", d.max_tokens}};
}

LengthDistribution LengthFromJson(StrictObject o) {
  LengthDistribution d;
  d.median_tokens = o.Number("median_tokens");
  d.sigma = o.Number("sigma");
  d.min_tokens = static_cast<uint32_t>(o.Unsigned("min_tokens", kMaxU32));
  d.max_tokens = static_cast<uint32_t>(o.Unsigned("max_tokens", kMaxU32));
  o.Finish();
  return d;
}

const char* ProcessName(ArrivalSpec::Process p) {
  return p == ArrivalSpec::Process::kBursty ? "bursty" : "poisson";
}

}  // namespace

nlohmann::ordered_json WorkloadSpecToJson(const WorkloadSpec& s) {
  return {
      {"block_tokens", s.block_tokens},
      {"arrivals",
       {{"process", ProcessName(s.arrivals.process)},
        {"sessions_per_s", s.arrivals.sessions_per_s},
        {"burstiness_cv", s.arrivals.burstiness_cv},
        {"timestamp_quantum_ms", s.arrivals.timestamp_quantum_ms}}},
      {"system_prompts",
       {{"count", s.system_prompts.count},
        {"tokens", s.system_prompts.tokens},
        {"zipf_exponent", s.system_prompts.zipf_exponent},
        {"use_probability", s.system_prompts.use_probability}}},
      {"documents",
       {{"count", s.documents.count},
        {"zipf_exponent", s.documents.zipf_exponent},
        {"tokens", LengthToJson(s.documents.tokens)},
        {"use_probability", s.documents.use_probability},
        {"session_turns_mean", s.documents.session_turns_mean}}},
      {"sessions",
       {{"turns_mean", s.sessions.turns_mean},
        {"think_time_mean_s", s.sessions.think_time_mean_s},
        {"first_message_tokens", LengthToJson(s.sessions.first_message_tokens)},
        {"followup_message_tokens", LengthToJson(s.sessions.followup_message_tokens)},
        {"output_tokens", LengthToJson(s.sessions.output_tokens)},
        {"context_limit_tokens", s.sessions.context_limit_tokens}}},
  };
}

nlohmann::ordered_json WorkloadFileToJson(const WorkloadFile& file) {
  return {{"description", file.description},
          {"requests", file.requests},
          {"spec", WorkloadSpecToJson(file.spec)}};
}

WorkloadFile WorkloadFileFromJson(const nlohmann::json& json, const std::string& source) {
  StrictObject top(json, source, "");
  WorkloadFile file;
  file.description = top.String("description");
  file.requests = top.Unsigned("requests", std::numeric_limits<uint32_t>::max());
  if (file.requests == 0) top.Fail("requests", "must be > 0");

  StrictObject spec = top.Object("spec");
  WorkloadSpec& s = file.spec;
  s.block_tokens = static_cast<uint32_t>(spec.Unsigned("block_tokens", kMaxU32));
  {
    StrictObject a = spec.Object("arrivals");
    const std::string process = a.String("process");
    if (process == "poisson") {
      s.arrivals.process = ArrivalSpec::Process::kPoisson;
    } else if (process == "bursty") {
      s.arrivals.process = ArrivalSpec::Process::kBursty;
    } else {
      a.Fail("process", absl::StrCat("expected \"poisson\" or \"bursty\", got \"", process, "\""));
    }
    s.arrivals.sessions_per_s = a.Number("sessions_per_s");
    s.arrivals.burstiness_cv = a.Number("burstiness_cv");
    s.arrivals.timestamp_quantum_ms =
        a.Integer("timestamp_quantum_ms", 0, std::numeric_limits<int32_t>::max());
    a.Finish();
  }
  {
    StrictObject p = spec.Object("system_prompts");
    s.system_prompts.count = static_cast<uint32_t>(p.Unsigned("count", kMaxU32));
    s.system_prompts.tokens = static_cast<uint32_t>(p.Unsigned("tokens", kMaxU32));
    s.system_prompts.zipf_exponent = p.Number("zipf_exponent");
    s.system_prompts.use_probability = p.Number("use_probability");
    p.Finish();
  }
  {
    StrictObject d = spec.Object("documents");
    s.documents.count = static_cast<uint32_t>(d.Unsigned("count", kMaxU32));
    s.documents.zipf_exponent = d.Number("zipf_exponent");
    s.documents.tokens = LengthFromJson(d.Object("tokens"));
    s.documents.use_probability = d.Number("use_probability");
    s.documents.session_turns_mean = d.Number("session_turns_mean");
    d.Finish();
  }
  {
    StrictObject se = spec.Object("sessions");
    s.sessions.turns_mean = se.Number("turns_mean");
    s.sessions.think_time_mean_s = se.Number("think_time_mean_s");
    s.sessions.first_message_tokens = LengthFromJson(se.Object("first_message_tokens"));
    s.sessions.followup_message_tokens = LengthFromJson(se.Object("followup_message_tokens"));
    s.sessions.output_tokens = LengthFromJson(se.Object("output_tokens"));
    s.sessions.context_limit_tokens =
        static_cast<uint32_t>(se.Unsigned("context_limit_tokens", kMaxU32));
    se.Finish();
  }
  spec.Finish();
  top.Finish();
  try {
    ValidateWorkloadSpec(s);
  } catch (const InputError& e) {
    // The generator names fields relative to the spec.
    throw InputError(absl::StrCat(source, ": spec.", e.what()));
  }
  return file;
}

WorkloadFile ReadWorkloadFile(const std::string& path) {
  return WorkloadFileFromJson(ReadJsonFile(path), path);
}

}  // namespace kvb
