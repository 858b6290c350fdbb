// roofline: a step takes max(compute, memory) + overhead. Compute: 2 x parameters FLOPs
// per query token plus 4 x layers x hidden FLOPs per query-key pair (QK^T and AV), over
// GPUs x peak x MFU. Memory: the weights once per step plus the KV every query reads, over
// GPUs x HBM bandwidth x MBU. KV writes and activations are left out (small next to the
// reads). Rule: serving-model notes (roofline of vLLM / Sarathi-Serve steps), docs/ENGINE.md.

#include <algorithm>
#include <memory>
#include <vector>

#include "core/engine/step_model.h"

namespace kvb {
namespace {

// Defaults: LLaMA3-70B (70.6e9 parameters, bf16: 141.2 GB; 80 layers, hidden 8192, GQA 8:
// 327,680 KV bytes per token) on 8 x A800 (312 TFLOPS dense bf16, 2.0 TB/s HBM2e each).
// MFU 0.5 as the cost model's prefill utilisation; MBU 0.7 and 5 ms per-step overhead fit
// vLLM 0.6.0's measured 70B decode steps on 8xA100 within x0.88-1.07 (docs/CALIBRATION.md).
constexpr ParamSpec kParams[] = {
    {"parameters", 70.6e9, 1e6, 1e13, "model parameters (2 FLOPs each per query token)"},
    {"weight_bytes", 141.2e9, 0, 1e14, "bytes of weights read once per step"},
    {"layers", 80, 1, 10000, "transformer layers", true},
    {"hidden", 8192, 1, 1e6, "model (hidden) dimension", true},
    {"kv_bytes_per_token", 327680, 1, 1e9, "KV bytes of one token, all layers"},
    {"gpus", 8, 1, 1024, "GPUs serving one replica", true},
    {"peak_flops_per_gpu", 312e12, 1e9, 1e17, "dense peak FLOPS at the model's precision"},
    {"hbm_bytes_per_s_per_gpu", 2.0e12, 1e9, 1e15, "HBM bandwidth of one GPU"},
    {"mfu", 0.5, 1e-3, 1, "achieved share of peak FLOPS"},
    {"mbu", 0.7, 1e-3, 1, "achieved share of HBM bandwidth"},
    {"step_overhead_s", 0.005, 0, 10, "fixed time per step (scheduling, launches)"},
    {"causal", 1, 0, 1, "1: causal attention pairs; 0: full (the Mooncake paper's a-term)", true},
};

class RooflineStepModel final : public StepModel {
 public:
  explicit RooflineStepModel(const Params& p)
      : flops_per_token_(2 * p.Get("parameters")),
        flops_per_pair_(4.0 * p.Get("layers") * p.Get("hidden")),
        weight_bytes_(p.Get("weight_bytes")),
        kv_bytes_per_token_(p.Get("kv_bytes_per_token")),
        flops_per_s_(p.Get("gpus") * p.Get("peak_flops_per_gpu") * p.Get("mfu")),
        bytes_per_s_(p.Get("gpus") * p.Get("hbm_bytes_per_s_per_gpu") * p.Get("mbu")),
        overhead_s_(p.Get("step_overhead_s")),
        causal_(p.GetBool("causal")) {}

  double Seconds(const StepWork& w) const override {
    const double tokens = static_cast<double>(w.prefill_tokens + w.decodes);
    // A decode of context L attends L + 1 positions (its own token included).
    const uint64_t prefill_pairs =
        causal_ ? w.prefill_attention_pairs : w.prefill_attention_pairs_full;
    const double pairs = static_cast<double>(prefill_pairs + w.decode_kv_read_tokens + w.decodes);
    const double kv_read = static_cast<double>(w.prefill_kv_read_tokens + w.decode_kv_read_tokens);
    const double compute_s = (flops_per_token_ * tokens + flops_per_pair_ * pairs) / flops_per_s_;
    const double memory_s = (weight_bytes_ + kv_bytes_per_token_ * kv_read) / bytes_per_s_;
    return std::max(compute_s, memory_s) + overhead_s_;
  }

  std::vector<AffinePiece> DecodeStepPieces(uint64_t decodes) const override {
    const double b = static_cast<double>(decodes);
    return {{(flops_per_token_ * b + flops_per_pair_ * b) / flops_per_s_ + overhead_s_,
             flops_per_pair_ / flops_per_s_},
            {weight_bytes_ / bytes_per_s_ + overhead_s_, kv_bytes_per_token_ / bytes_per_s_}};
  }

 private:
  double flops_per_token_;
  double flops_per_pair_;
  double weight_bytes_;
  double kv_bytes_per_token_;
  double flops_per_s_;
  double bytes_per_s_;
  double overhead_s_;
  bool causal_;
};

}  // namespace

StepModelInfo RooflineStepModelInfo() {
  return {"roofline", "max(compute, memory) of the step's tokens, attention and KV reads",
          "roofline of an iteration (Sarathi-Serve OSDI'24; Vidur MLSys'24)", kParams,
          [](const Params& p) -> std::unique_ptr<StepModel> {
            return std::make_unique<RooflineStepModel>(p);
          }};
}

}  // namespace kvb
