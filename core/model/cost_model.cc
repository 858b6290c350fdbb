#include "core/model/cost_model.h"

#include <algorithm>

#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

namespace {

constexpr EnumName<CapacityUnit> kCapacityUnitNames[] = {{CapacityUnit::kBlocks, "blocks"},
                                                         {CapacityUnit::kTokens, "tokens"},
                                                         {CapacityUnit::kBytes, "bytes"}};

}  // namespace

std::optional<CapacityUnit> CapacityUnitFromName(std::string_view name) {
  return ValueNamed(kCapacityUnitNames, name);
}

std::string_view CapacityUnitName(CapacityUnit unit) { return NameOf(kCapacityUnitNames, unit); }

CostModel::CostModel() : CostModel(DefaultProfile()) {}

CostModel::CostModel(const CostProfile& profile)
    : CostModel(profile.model, profile.hardware, profile.block_tokens) {
  if (profile.serving) {
    ValidateServingProfile(*profile.serving, hardware_.gpus, kv_bytes_per_token_);
    serving_ = profile.serving;
  }
}

CostModel::CostModel(const ModelProfile& model, const HardwareProfile& hardware,
                     uint32_t block_tokens)
    : model_(model), hardware_(hardware), block_tokens_(block_tokens) {
  ValidateModelProfile(model_);
  ValidateHardwareProfile(hardware_);
  if (block_tokens_ < 1) throw InputError("block_tokens: must be >= 1, got 0");
  effective_flops_per_s_ = hardware_.gpus * hardware_.peak_flops_per_gpu * hardware_.utilisation;
  load_bytes_per_s_ = std::min(hardware_.host_to_device_bytes_per_s, hardware_.nic_bytes_per_s);
  kv_bytes_per_token_ = model_.KvBytesPerToken();
  block_bytes_ = uint64_t{block_tokens_} * kv_bytes_per_token_;
}

double CostModel::PrefillSeconds(uint32_t input_tokens, uint32_t reused_tokens) const {
  if (input_tokens == 0) return 0;
  const uint32_t p = std::min(reused_tokens, input_tokens);
  const double flops = model_.PrefillFlops(input_tokens) - model_.PrefillFlops(p);
  return flops / effective_flops_per_s_ + hardware_.prefill_overhead_s;
}

double CostModel::SavedComputeSeconds(uint32_t reused_tokens) const {
  return model_.PrefillFlops(reused_tokens) / effective_flops_per_s_;
}

double CostModel::LoadSeconds(uint64_t reused_tokens) const {
  return static_cast<double>(reused_tokens) * static_cast<double>(kv_bytes_per_token_) /
         load_bytes_per_s_;
}

bool CostModel::ReusePaysOff(uint32_t input_tokens, uint32_t reused_tokens) const {
  const uint32_t p = std::min(reused_tokens, input_tokens);
  return p > 0 && LoadSeconds(p) < SavedComputeSeconds(p);
}

double CostModel::SsdReadSeconds(uint64_t tokens) const {
  if (tokens == 0) return 0;
  return hardware_.ssd_read_latency_s + static_cast<double>(tokens) *
                                            static_cast<double>(kv_bytes_per_token_) /
                                            hardware_.ssd_read_bytes_per_s;
}

double CostModel::SsdWriteSeconds(uint64_t blocks) const {
  if (blocks == 0 || !(hardware_.ssd_write_bytes_per_s > 0)) return 0;
  return static_cast<double>(blocks) * static_cast<double>(block_bytes_) /
         hardware_.ssd_write_bytes_per_s;
}

double CostModel::TransferSeconds(uint64_t bytes) const {
  return static_cast<double>(bytes) / hardware_.nic_bytes_per_s;
}

uint64_t CostModel::CapacityBlocks(uint64_t value, CapacityUnit unit) const {
  switch (unit) {
    case CapacityUnit::kBlocks:
      return value;
    case CapacityUnit::kTokens:
      return value / block_tokens_;
    case CapacityUnit::kBytes:
      return value / block_bytes_;
  }
  return 0;
}

}  // namespace kvb
