#include "bench/profile_json.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "bench/strict_json.h"
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
  if (h.name.empty()) o.Fail("name", "must not be empty");
  o.Finish();
  return h;
}

}  // namespace

nlohmann::ordered_json CostProfileToJson(const CostProfile& p) {
  const ModelProfile& m = p.model;
  const HardwareProfile& h = p.hardware;
  return {{"name", p.name},
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
            {"gpu_dollars_per_node_hour", h.gpu_dollars_per_node_hour}}}};
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
  top.Finish();
  try {
    ValidateCostProfile(p);
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
