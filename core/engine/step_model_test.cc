#include "core/engine/step_model.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(ChunkAttentionPairsTest, CausalAndFullByHand) {
  // 3 tokens after 2: causal 3 x 2 + (1 + 2 + 3) = 12; full 3 x 5 = 15.
  EXPECT_EQ(ChunkAttentionPairs(2, 3, true), 12u);
  EXPECT_EQ(ChunkAttentionPairs(2, 3, false), 15u);
  EXPECT_EQ(ChunkAttentionPairs(0, 1, true), 1u);
}

// A roofline small enough to follow: 1 GPU of 1,000 FLOP/s at MFU 1, 100 B/s at MBU 1.
std::unique_ptr<StepModel> TinyRoofline(const std::string& extra = "") {
  return MakeStepModel(
      "roofline:parameters=1e6,weight_bytes=200,layers=1,hidden=1,kv_bytes_per_token=10,"
      "gpus=1,peak_flops_per_gpu=1e9,hbm_bytes_per_s_per_gpu=1e9,mfu=1,mbu=1,"
      "step_overhead_s=0.5" +
      extra);
}

TEST(RooflineStepModelTest, ComputeBoundPrefillAndMemoryBoundDecodeByHand) {
  const auto model = TinyRoofline();
  // Prefill of 100 tokens from scratch: 2e6 x 100 + 4 x 5,050 pairs = 200,020,200 FLOPs
  // / 1e9 = 0.2000202 s; memory 200 B / 1e9 = 2e-7 s. Plus 0.5 s.
  StepWork prefill;
  prefill.prefill_tokens = 100;
  prefill.prefill_attention_pairs = ChunkAttentionPairs(0, 100, true);
  prefill.prefill_attention_pairs_full = ChunkAttentionPairs(0, 100, false);
  EXPECT_NEAR(model->Seconds(prefill), 0.5 + 0.2000202, 1e-12);
  // Full attention: 10,000 pairs -> 200,040,000 FLOPs.
  EXPECT_NEAR(TinyRoofline(",causal=0")->Seconds(prefill), 0.5 + 0.20004, 1e-12);
  // Decodes: 2 of contexts summing to 1e8 tokens: compute (2e6 x 2 + 4 x (1e8 + 2)) / 1e9
  // = 0.404000008 s; memory (200 + 10 x 1e8) / 1e9 = 1.0000002 s: memory bound.
  StepWork decode;
  decode.decodes = 2;
  decode.decode_kv_read_tokens = 100000000;
  EXPECT_NEAR(model->Seconds(decode), 0.5 + 1.0000002, 1e-12);
}

TEST(StepModelTest, DecodePiecesAgreeWithSeconds) {
  std::vector<std::string> specs = {"roofline:causal=0"};
  for (const StepModelInfo& info : StepModels()) specs.emplace_back(info.name);
  for (const std::string& spec : specs) {
    SCOPED_TRACE(spec);
    const auto model = MakeStepModel(spec);
    for (const uint64_t batch : {1, 7, 256}) {
      const auto pieces = model->DecodeStepPieces(batch);
      for (const uint64_t context : {0ull, 1000ull, 123456ull, 40000000ull}) {
        StepWork w;
        w.decodes = batch;
        w.decode_kv_read_tokens = context;
        double best = 0;
        for (const AffinePiece& p : pieces) {
          EXPECT_GE(p.slope, 0);
          best = std::max(best, p.intercept + p.slope * static_cast<double>(context));
        }
        EXPECT_NEAR(model->Seconds(w), best, 1e-12 * best);
      }
    }
  }
}

TEST(StepModelTest, SeventyBDecodeOnA800IsMemoryBoundAtAbout18Ms) {
  // 141.2 GB of weights / (8 x 2.0 TB/s x 0.7) = 12.6 ms, + 5 ms overhead, + KV reads.
  const auto model = MakeStepModel("roofline");
  StepWork w;
  w.decodes = 1;
  w.decode_kv_read_tokens = 0;
  EXPECT_NEAR(model->Seconds(w), 141.2e9 / (8 * 2.0e12 * 0.7) + 0.005, 1e-9);
}

TEST(StepModelTest, RegistryResolvesAndRefusesBadSpecs) {
  EXPECT_NE(FindStepModel("roofline"), nullptr);
  EXPECT_NE(FindStepModel("polynomial"), nullptr);
  EXPECT_EQ(FindStepModel("linear"), nullptr);
  EXPECT_THROW(MakeStepModel("linear"), InputError);
  EXPECT_THROW(MakeStepModel("roofline:mfu=2"), InputError);
  EXPECT_THROW(MakeStepModel("polynomial:c9=1"), InputError);
}

}  // namespace
}  // namespace kvb
