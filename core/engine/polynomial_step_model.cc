// polynomial: a step takes c0 + c_prefill x prefill tokens + c_decode x decodes +
// c_kv x KV tokens read + c_pair x attention pairs: the linear form simulators fit to
// measured step times (Vidur's and Dynamo's mocker's regressions use these features).

#include <memory>
#include <vector>

#include "core/engine/step_model.h"

namespace kvb {
namespace {

// Defaults: the terms of the A800 roofline (step_model.cc's defaults) added instead of
// maxed, an upper bound rather than a fit; give coefficients fitted to your measurements.
constexpr ParamSpec kParams[] = {
    {"c0", 0.0176, 0, 10, "seconds per step (weights read once, overhead)"},
    {"c_prefill", 1.13e-4, 0, 1, "seconds per prefill token"},
    {"c_decode", 1.13e-4, 0, 1, "seconds per decode (one query token)"},
    {"c_kv", 2.93e-8, 0, 1, "seconds per KV token read"},
    {"c_pair", 2.1e-9, 0, 1, "seconds per attention query-key pair"},
};

class PolynomialStepModel final : public StepModel {
 public:
  explicit PolynomialStepModel(const Params& p)
      : c0_(p.Get("c0")),
        c_prefill_(p.Get("c_prefill")),
        c_decode_(p.Get("c_decode")),
        c_kv_(p.Get("c_kv")),
        c_pair_(p.Get("c_pair")) {}

  double Seconds(const StepWork& w) const override {
    const double pairs =
        static_cast<double>(w.prefill_attention_pairs + w.decode_kv_read_tokens + w.decodes);
    const double kv_read = static_cast<double>(w.prefill_kv_read_tokens + w.decode_kv_read_tokens);
    return c0_ + c_prefill_ * static_cast<double>(w.prefill_tokens) +
           c_decode_ * static_cast<double>(w.decodes) + c_kv_ * kv_read + c_pair_ * pairs;
  }

  std::vector<AffinePiece> DecodeStepPieces(uint64_t decodes) const override {
    const double b = static_cast<double>(decodes);
    return {{c0_ + c_decode_ * b + c_pair_ * b, c_kv_ + c_pair_}};
  }

 private:
  double c0_, c_prefill_, c_decode_, c_kv_, c_pair_;
};

}  // namespace

StepModelInfo PolynomialStepModelInfo() {
  return {"polynomial", "c0 + linear terms in prefill tokens, decodes, KV read, attention pairs",
          "fitted step-time regression (Vidur MLSys'24; NVIDIA Dynamo mocker)", kParams,
          [](const Params& p) -> std::unique_ptr<StepModel> {
            return std::make_unique<PolynomialStepModel>(p);
          }};
}

}  // namespace kvb
