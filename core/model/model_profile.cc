#include "core/model/model_profile.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

[[noreturn]] void Fail(const std::string& field, const std::string& problem) {
  throw InputError(absl::StrCat(field, ": ", problem));
}

void RequireAtLeastOne(const std::string& field, uint64_t value) {
  if (value < 1) Fail(field, "must be >= 1, got 0");
}

void RequirePositive(const std::string& field, double value) {
  if (!std::isfinite(value) || value <= 0) {
    Fail(field, absl::StrCat("must be a finite number > 0, got ", value));
  }
}

void RequireNonNegative(const std::string& field, double value) {
  if (!std::isfinite(value) || value < 0) {
    Fail(field, absl::StrCat("must be a finite number >= 0, got ", value));
  }
}

}  // namespace

double ModelProfile::PrefillFlops(double tokens) const {
  const double d = hidden;
  return layers * (a * tokens * tokens * d + b * tokens * d * d);
}

uint64_t ModelProfile::KvBytesPerToken() const {
  return uint64_t{layers} * 2 * (hidden / gqa) * bytes_per_element;
}

CostProfile DefaultProfile() {
  CostProfile p;
  p.name = "llama3-70b_8xa800";
  p.notes =
      "Model and hardware from Table 1 of the Mooncake paper (FAST'25): LLaMA3-70B, l=80, "
      "d=8192, b=22, gqa=8, bf16, with a=2 where Table 1 prints a=4: causal masking halves "
      "the attention FLOPs, and a=2 fits the paper's own prefill times (Figure 14: 27.5 s at "
      "128k tokens; a=4 gives 48.5 s, a=2 30.4 s; docs/CALIBRATION.md). Table 1 as printed is "
      "profile llama3-70b_8xa800_paper; 8 x A800 at 312 TFLOPS dense bf16 each; host-to-device "
      "128 GB/s; NIC 800 Gbps = 100e9 B/s. DRAM: exactly 3,000,000 tokens of KV "
      "(3e6 x 327,680 B = 983.04 GB), the paper's 'about 3M tokens per node'. Assumptions, not "
      "from the paper: utilisation 0.5 (a typical prefill MFU for long prompts on A100-class "
      "GPUs) and 10 ms fixed overhead per prefill; price $24 per node-hour = 8 GPUs x $3 per "
      "GPU-hour, the seed's A100 price (an A800 is an export variant of the A100). DRAM price: "
      "$0.004237 per GiB-hour = $0.003946 per GB-hour, GCP N2 memory on-demand in us-central1, "
      "as opencost/opencost configs/default.json (commit 0d1f69cc975b, 'RAM', read 2026-12-05) "
      "lists it; storage is billed for the whole DRAM capacity of every node by default. SSD "
      "(tier G3, used only by clusters that set \"ssd\"): 15 TB of NVMe per node, as a DGX A100 "
      "has (4 x 3.84 TB U.2, Microway's DGX A100 review); read at 25 GB/s and written at 15.2 "
      "GB/s: 4 x the Samsung PM1733 U.2's 6.4 GB/s sequential read and 3.8 GB/s write "
      "(Samsung's announced figures as hardwareluxx.de reported them, news 50889; which drive a "
      "DGX A100 ships is not checked, and striping over 4 drives at full speed is assumed); 100 "
      "us per read, a guess (a typical NVMe read latency, paid once per request's read); billed at "
      "$0.00005479452 per GiB-hour = "
      "$0.0000510 per GB-hour, opencost/opencost configs/default.json (commit 0d1f69cc975b, "
      "'storage', GCP persistent disk) as the nearest published list price; local NVMe is not "
      "listed there.";
  p.model = {.name = "llama3-70b",
             .layers = 80,
             .hidden = 8192,
             .a = 2,  // causal; Mooncake FAST'25 Table 1 prints 4 (full attention)
             .b = 22,
             .gqa = 8,
             .bytes_per_element = 2};
  p.hardware = {.name = "8xa800",
                .gpus = 8,
                .peak_flops_per_gpu = 312e12,
                .utilisation = 0.5,
                .prefill_overhead_s = 0.010,
                .host_to_device_bytes_per_s = 128e9,
                .nic_bytes_per_s = 100e9,
                .dram_bytes = 983'040'000'000,
                .gpu_dollars_per_node_hour = 24,
                .ssd_bytes = 15'000'000'000'000,
                .ssd_read_bytes_per_s = 25e9,
                .ssd_dollars_per_gb_hour = kListSsdDollarsPerGbHour,
                .ssd_read_latency_s = 100e-6,
                .ssd_write_bytes_per_s = 15.2e9};
  p.block_tokens = 512;
  p.serving = DefaultServingProfile();
  return p;
}

ServingProfile DefaultServingProfile() {
  ServingProfile s;
  s.notes =
      "80 GB of HBM2e per A800 at 2.0 TB/s (datasheet); LLaMA3-70B's 70.6e9 parameters in "
      "bf16 = 141.2 GB; 10% of HBM reserved as vLLM's gpu_memory_utilization 0.9 does: "
      "640 - 141.2 - 64 = 434.8 GB for KV, 82,931 blocks of 16 tokens (1.33M tokens). "
      "Scheduler: vLLM's 16-token blocks, max_num_seqs 256, max_num_batched_tokens 8192 "
      "with chunked prefill. Step model: the roofline with MFU 0.5 (the prefill utilisation "
      "above); MBU 0.7 and 5 ms per step, within x0.88-1.07 of vLLM 0.6.0's measured decode "
      "steps of Llama-3-70B on 8xA100 (LambdaLabsML/vllm-benchmark; docs/CALIBRATION.md).";
  s.hbm_bytes_per_gpu = 80e9;
  s.weight_bytes = 141.2e9;
  s.activation_reserve_bytes = 64e9;
  s.kv_block_tokens = 16;
  s.max_num_batched_tokens = 8192;
  s.max_num_seqs = 256;
  s.chunked_prefill = true;
  s.step_model = "roofline";
  s.step_model_params = {{"parameters", 70.6e9},
                         {"weight_bytes", 141.2e9},
                         {"layers", 80},
                         {"hidden", 8192},
                         {"kv_bytes_per_token", 327680},
                         {"gpus", 8},
                         {"peak_flops_per_gpu", 312e12},
                         {"hbm_bytes_per_s_per_gpu", 2.0e12},
                         {"mfu", 0.5},
                         {"mbu", 0.7},
                         {"step_overhead_s", 0.005},
                         {"causal", 1}};
  return s;
}

void ValidateModelProfile(const ModelProfile& m) {
  RequireAtLeastOne("model.layers", m.layers);
  RequireAtLeastOne("model.hidden", m.hidden);
  RequireNonNegative("model.a", m.a);
  RequireNonNegative("model.b", m.b);
  if (m.a == 0 && m.b == 0) Fail("model.b", "a and b are both 0: every prefill would be free");
  RequireAtLeastOne("model.gqa", m.gqa);
  if (m.hidden % m.gqa != 0) {
    Fail("model.gqa", absl::StrCat("must divide hidden (", m.hidden, "), got ", m.gqa));
  }
  RequireAtLeastOne("model.bytes_per_element", m.bytes_per_element);
  // 2^40 bytes (1 TiB) per token is far beyond any model and keeps the integers exact.
  const double kv_bytes = 2.0 * m.layers * (static_cast<double>(m.hidden) / m.gqa) *
                          m.bytes_per_element;  // gqa divides hidden: exact
  if (kv_bytes > 0x1p40) {
    Fail("model", absl::StrCat("KV bytes per token (", kv_bytes, ") exceed 2^40"));
  }
}

void ValidateHardwareProfile(const HardwareProfile& h) {
  RequireAtLeastOne("hardware.gpus", h.gpus);
  RequirePositive("hardware.peak_flops_per_gpu", h.peak_flops_per_gpu);
  if (!(h.utilisation > 0 && h.utilisation <= 1)) {
    Fail("hardware.utilisation", absl::StrCat("must be in (0, 1], got ", h.utilisation));
  }
  RequireNonNegative("hardware.prefill_overhead_s", h.prefill_overhead_s);
  RequirePositive("hardware.host_to_device_bytes_per_s", h.host_to_device_bytes_per_s);
  RequirePositive("hardware.nic_bytes_per_s", h.nic_bytes_per_s);
  RequireAtLeastOne("hardware.dram_bytes", h.dram_bytes);
  RequireNonNegative("hardware.gpu_dollars_per_node_hour", h.gpu_dollars_per_node_hour);
  RequireNonNegative("hardware.dram_dollars_per_gb_hour", h.dram_dollars_per_gb_hour);
  RequireNonNegative("hardware.ssd_read_bytes_per_s", h.ssd_read_bytes_per_s);
  RequireNonNegative("hardware.ssd_dollars_per_gb_hour", h.ssd_dollars_per_gb_hour);
  RequireNonNegative("hardware.ssd_read_latency_s", h.ssd_read_latency_s);
  RequireNonNegative("hardware.ssd_write_bytes_per_s", h.ssd_write_bytes_per_s);
  if (h.ssd_bytes > 0 && !(h.ssd_read_bytes_per_s > 0)) {
    Fail("hardware.ssd_read_bytes_per_s", "must be > 0 when hardware.ssd_bytes is set");
  }
}

void ValidateCostProfile(const CostProfile& p) {
  ValidateModelProfile(p.model);
  ValidateHardwareProfile(p.hardware);
  RequireAtLeastOne("block_tokens", p.block_tokens);
  if (p.serving) ValidateServingProfile(*p.serving, p.hardware.gpus, p.model.KvBytesPerToken());
}

}  // namespace kvb
