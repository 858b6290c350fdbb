#ifndef KVB_CORE_MODEL_MODEL_PROFILE_H_
#define KVB_CORE_MODEL_MODEL_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "core/model/serving_profile.h"

namespace kvb {

// A transformer's shape, as the Mooncake cost model sees it (the Mooncake paper, Table 1).
struct ModelProfile {
  std::string name;
  uint32_t layers = 0;             // l
  uint32_t hidden = 0;             // d, the model (hidden) dimension
  double a = 0;                    // attention coefficient: a * n^2 * d FLOPs per layer
  double b = 0;                    // linear-layer coefficient: b * n * d^2 FLOPs per layer
  uint32_t gqa = 0;                // query heads / KV heads; must divide `hidden`
  uint32_t bytes_per_element = 0;  // s: bytes of one KV element (2 for bf16)

  // FLOPs of a prefill of `tokens` tokens: l * (a * n^2 * d + b * n * d^2).
  double PrefillFlops(double tokens) const;
  // KV-cache bytes one token occupies: l * 2 (K and V) * (d / gqa) * s.
  uint64_t KvBytesPerToken() const;

  bool operator==(const ModelProfile&) const = default;
};

// Host DRAM's list price: GCP N2 memory, $0.004237 per GiB-hour (us-central1 on-demand, as
// opencost/opencost configs/default.json, commit 0d1f69c, "RAM"), per decimal GB-hour.
inline constexpr double kListDramDollarsPerGbHour = 0.004237 / 1.073741824;
// Local SSD, per GB-hour: opencost/opencost configs/default.json @ 0d1f69cc 'storage'
// ($0.00005479452 per GiB-hour, GCP persistent disk; local NVMe is not listed there).
inline constexpr double kListSsdDollarsPerGbHour = 0.00005479452 / 1.073741824;

// One prefill node: its GPUs, bandwidths, KV DRAM and rental prices.
struct HardwareProfile {
  std::string name;
  uint32_t gpus = 0;                      // GPUs per node, all serving one prefill
  double peak_flops_per_gpu = 0;          // dense peak at the model's precision
  double utilisation = 0;                 // achieved MFU during prefill, in (0, 1]
  double prefill_overhead_s = 0;          // fixed cost of every prefill (launch, scheduling)
  double host_to_device_bytes_per_s = 0;  // DRAM -> GPU memory, whole node
  double nic_bytes_per_s = 0;             // node's network bandwidth (800 Gbps = 100e9)
  uint64_t dram_bytes = 0;                // DRAM set aside for the KV cache, per node
  double gpu_dollars_per_node_hour = 0;   // rental price of the whole node (all its GPUs)
  double dram_dollars_per_gb_hour = kListDramDollarsPerGbHour;  // the KV DRAM's, per GB
  // Local SSD for KV (tier G3; 0: none): its bytes, read bandwidth, and list price.
  uint64_t ssd_bytes = 0;
  double ssd_read_bytes_per_s = 0;
  double ssd_dollars_per_gb_hour = 0;
  // Latency of one read (paid once per request's SSD read) and the write bandwidth that
  // blocks demoted from DRAM occupy the device for; 0: not modelled (free).
  double ssd_read_latency_s = 0;
  double ssd_write_bytes_per_s = 0;

  bool operator==(const HardwareProfile&) const = default;
};

// A named (model, hardware) pair plus the KV block size: everything a CostModel needs.
// configs/profiles/<name>.json hold these as data.
struct CostProfile {
  std::string name;   // "llama3-70b_8xa800"; also the file's stem
  std::string notes;  // where the numbers come from (free text)
  ModelProfile model;
  HardwareProfile hardware;
  uint32_t block_tokens = 0;  // tokens per KV block (the Mooncake traces use 512)
  // The serving engine's figures (HBM, step model, scheduler limits); absent in profiles
  // for the prefill-only model alone.
  std::optional<ServingProfile> serving;

  bool operator==(const CostProfile&) const = default;
};

// LLaMA3-70B on one 8xA800 node, the paper's Table 1: the default profile.
// configs/profiles/llama3-70b_8xa800.json holds the same values (checked by a test).
CostProfile DefaultProfile();
// Its serving figures (configs/profiles/llama3-70b_8xa800.json, "serving").
ServingProfile DefaultServingProfile();

// Throws InputError("model.layers: must be >= 1, got 0") naming the first bad field,
// with paths as in the profile files.
void ValidateModelProfile(const ModelProfile& model);
void ValidateHardwareProfile(const HardwareProfile& hardware);
void ValidateCostProfile(const CostProfile& profile);

}  // namespace kvb

#endif  // KVB_CORE_MODEL_MODEL_PROFILE_H_
