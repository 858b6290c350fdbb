#include "bench/profile_json.h"

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/strict_json.h"
#include "core/engine/serving.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();

ModelProfile ModelFromJson(StrictObject o) {
  ModelProfile m;
  m.name = o.String("name");
  m.layers = static_cast<uint32_t>(o.Unsigned("layers", kMaxU32));
  m.hidden = static_cast<uint32_t>(o.Unsigned("hidden", kMaxU32));
  m.a = o.Number("a");
  m.b = o.Number("b");
  m.gqa = static_cast<uint32_t>(o.Unsigned("gqa", kMaxU32));
  m.bytes_per_element = static_cast<uint32_t>(o.Unsigned("bytes_per_element", kMaxU32));
  if (m.name.empty()) o.Fail("name", "must not be empty");
  o.Finish();
  return m;
}

HardwareProfile HardwareFromJson(StrictObject o) {
  HardwareProfile h;
  h.name = o.String("name");
  h.gpus = static_cast<uint32_t>(o.Unsigned("gpus", kMaxU32));
  h.peak_flops_per_gpu = o.Number("peak_flops_per_gpu");
  h.utilisation = o.Number("utilisation");
  h.prefill_overhead_s = o.Number("prefill_overhead_s");
  h.host_to_device_bytes_per_s = o.Number("host_to_device_bytes_per_s");
  h.nic_bytes_per_s = o.Number("nic_bytes_per_s");
  h.dram_bytes = o.Unsigned("dram_bytes", std::numeric_limits<uint64_t>::max());
  h.gpu_dollars_per_node_hour = o.Number("gpu_dollars_per_node_hour");
  if (o.Has("dram_dollars_per_gb_hour")) {
    h.dram_dollars_per_gb_hour = o.Number("dram_dollars_per_gb_hour");
  }
  if (o.Has("ssd_bytes"))
    h.ssd_bytes = o.Unsigned("ssd_bytes", std::numeric_limits<uint64_t>::max());
  if (o.Has("ssd_read_bytes_per_s")) h.ssd_read_bytes_per_s = o.Number("ssd_read_bytes_per_s");
  if (o.Has("ssd_dollars_per_gb_hour")) {
    h.ssd_dollars_per_gb_hour = o.Number("ssd_dollars_per_gb_hour");
  }
  if (o.Has("ssd_read_latency_s")) h.ssd_read_latency_s = o.Number("ssd_read_latency_s");
  if (o.Has("ssd_write_bytes_per_s")) h.ssd_write_bytes_per_s = o.Number("ssd_write_bytes_per_s");
  if (h.name.empty()) o.Fail("name", "must not be empty");
  o.Finish();
  return h;
}

ServingProfile ServingFromJson(StrictObject o) {
  ServingProfile s;
  s.notes = o.String("notes");
  if (s.notes.empty()) o.Fail("notes", "must not be empty: say where the figures come from");
  s.hbm_bytes_per_gpu = o.Number("hbm_bytes_per_gpu");
  s.weight_bytes = o.Number("weight_bytes");
  s.activation_reserve_bytes = o.Number("activation_reserve_bytes");
  s.kv_block_tokens = static_cast<uint32_t>(o.Unsigned("kv_block_tokens", kMaxU32));
  s.max_num_batched_tokens = static_cast<uint32_t>(o.Unsigned("max_num_batched_tokens", kMaxU32));
  s.max_num_seqs = static_cast<uint32_t>(o.Unsigned("max_num_seqs", kMaxU32));
  s.chunked_prefill = o.Bool("chunked_prefill");
  StrictObject model = o.Object("step_model");
  s.step_model = model.String("name");
  const nlohmann::json& params = model.Raw("params");
  if (!params.is_object()) model.Fail("params", "expected an object of numbers");
  for (const auto& [key, value] : params.items()) {
    if (!value.is_number()) {
      model.Fail("params", "'" + key + "': expected a number");
    }
    s.step_model_params[key] = value.get<double>();
  }
  model.Finish();
  o.Finish();
  return s;
}

nlohmann::ordered_json ServingToJson(const ServingProfile& s) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [key, value] : s.step_model_params) params[key] = value;
  return {{"notes", s.notes},
          {"hbm_bytes_per_gpu", s.hbm_bytes_per_gpu},
          {"weight_bytes", s.weight_bytes},
          {"activation_reserve_bytes", s.activation_reserve_bytes},
          {"kv_block_tokens", s.kv_block_tokens},
          {"max_num_batched_tokens", s.max_num_batched_tokens},
          {"max_num_seqs", s.max_num_seqs},
          {"chunked_prefill", s.chunked_prefill},
          {"step_model", {{"name", s.step_model}, {"params", params}}}};
}

}  // namespace

nlohmann::ordered_json CostProfileToJson(const CostProfile& p) {
  const ModelProfile& m = p.model;
  const HardwareProfile& h = p.hardware;
  nlohmann::ordered_json json = {{"name", p.name},
                                 {"notes", p.notes},
                                 {"block_tokens", p.block_tokens},
                                 {"model",
                                  {{"name", m.name},
                                   {"layers", m.layers},
                                   {"hidden", m.hidden},
                                   {"a", m.a},
                                   {"b", m.b},
                                   {"gqa", m.gqa},
                                   {"bytes_per_element", m.bytes_per_element}}},
                                 {"hardware",
                                  {{"name", h.name},
                                   {"gpus", h.gpus},
                                   {"peak_flops_per_gpu", h.peak_flops_per_gpu},
                                   {"utilisation", h.utilisation},
                                   {"prefill_overhead_s", h.prefill_overhead_s},
                                   {"host_to_device_bytes_per_s", h.host_to_device_bytes_per_s},
                                   {"nic_bytes_per_s", h.nic_bytes_per_s},
                                   {"dram_bytes", h.dram_bytes},
                                   {"gpu_dollars_per_node_hour", h.gpu_dollars_per_node_hour},
                                   {"dram_dollars_per_gb_hour", h.dram_dollars_per_gb_hour}}}};
  if (h.ssd_bytes > 0 || h.ssd_read_bytes_per_s > 0 || h.ssd_dollars_per_gb_hour > 0 ||
      h.ssd_read_latency_s > 0 || h.ssd_write_bytes_per_s > 0) {
    nlohmann::ordered_json& hw = json["hardware"];
    hw["ssd_bytes"] = h.ssd_bytes;
    hw["ssd_read_bytes_per_s"] = h.ssd_read_bytes_per_s;
    hw["ssd_dollars_per_gb_hour"] = h.ssd_dollars_per_gb_hour;
    hw["ssd_read_latency_s"] = h.ssd_read_latency_s;
    hw["ssd_write_bytes_per_s"] = h.ssd_write_bytes_per_s;
  }
  if (p.serving) json["serving"] = ServingToJson(*p.serving);
  return json;
}

CostProfile CostProfileFromJson(const nlohmann::json& json, const std::string& source) {
  StrictObject top(json, source, "");
  CostProfile p;
  p.name = top.String("name");
  if (p.name.empty()) top.Fail("name", "must not be empty");
  p.notes = top.String("notes");
  if (p.notes.empty()) top.Fail("notes", "must not be empty: say where the numbers come from");
  p.block_tokens = static_cast<uint32_t>(top.Unsigned("block_tokens", kMaxU32));
  p.model = ModelFromJson(top.Object("model"));
  p.hardware = HardwareFromJson(top.Object("hardware"));
  if (top.Has("serving")) p.serving = ServingFromJson(top.Object("serving"));
  top.Finish();
  try {
    ValidateCostProfile(p);
    if (p.serving) MakeStepModel(*p.serving);  // the step model and its parameters resolve
  } catch (const InputError& e) {
    // Validation names fields relative to the profile, as the file does.
    throw InputError(absl::StrCat(source, ": ", e.what()));
  }
  return p;
}

CostProfile ReadProfileFile(const std::string& path) {
  return CostProfileFromJson(ReadJsonFile(path), path);
}

}  // namespace kvb
