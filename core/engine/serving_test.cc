#include "core/engine/serving.h"

#include "core/engine/node_engine.h"
#include "core/engine/step_model.h"
#include "core/model/model_profile.h"
#include "core/model/serving_profile.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(ServingProfileTest, DefaultNodeHoldsAbout1Point3MTokensOfKv) {
  const CostProfile p = DefaultProfile();
  ASSERT_TRUE(p.serving.has_value());
  // (8 x 80e9 - 141.2e9 - 64e9) / (16 x 327,680) = 434.8e9 / 5,242,880 = 82,931.5...
  EXPECT_EQ(KvCapacityBlocks(*p.serving, 8, 327680), 82931u);
  const EngineLimits limits = EngineLimitsFor(p);
  EXPECT_EQ(limits.kv_capacity_blocks, 82931u);
  EXPECT_EQ(limits.kv_block_tokens, 16u);
  EXPECT_EQ(limits.max_num_batched_tokens, 8192u);
  EXPECT_EQ(limits.max_num_seqs, 256u);
  EXPECT_TRUE(limits.chunked_prefill);
}

TEST(ServingProfileTest, TheDefaultStepModelIsTheRooflineOfItsFigures) {
  const auto model = MakeStepModel(*DefaultProfile().serving);
  StepWork decode;
  decode.decodes = 1;
  // Weights over 8 x 2.0 TB/s x 0.7, plus 5 ms: the memory-bound floor of a decode.
  EXPECT_NEAR(model->Seconds(decode), 141.2e9 / (8 * 2.0e12 * 0.7) + 0.005, 1e-12);
}

TEST(ServingProfileTest, BadFiguresAreRefusedWithTheirField) {
  CostProfile p = DefaultProfile();
  p.serving->hbm_bytes_per_gpu = 17e9;  // 136 GB < the weights alone
  try {
    ValidateCostProfile(p);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(std::string(e.what()).substr(0, 27).c_str(), "serving.hbm_bytes_per_gpu: ");
  }
  // HBM so large the block count leaves uint64 (a fuzzer's 8e90 B): refused, no UB.
  p = DefaultProfile();
  p.serving->hbm_bytes_per_gpu = 8e90;
  EXPECT_EQ(KvCapacityBlocks(*p.serving, 8, 327680), kMaxKvCapacityBlocks + 1);
  try {
    ValidateCostProfile(p);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("serving.hbm_bytes_per_gpu: leaves more than 2^40 KV"),
              std::string::npos)
        << e.what();
  }
  p = DefaultProfile();
  p.serving->max_num_seqs = 0;
  EXPECT_THROW(ValidateCostProfile(p), InputError);
  p = DefaultProfile();
  p.serving->step_model = "linear";
  EXPECT_THROW(MakeStepModel(*p.serving), InputError);
  p = DefaultProfile();
  p.serving->step_model_params["mfu"] = 3;
  EXPECT_THROW(MakeStepModel(*p.serving), InputError);
  p = DefaultProfile();
  p.serving.reset();
  EXPECT_THROW(EngineLimitsFor(p), InputError);
}

// Alone on a node, the engine's first token comes PrefillAloneSeconds after the request.
TEST(PrefillAloneTest, MatchesTheEngineAndHandChunks) {
  const auto hand = MakeStepModel("polynomial:c0=1,c_prefill=0.01,c_decode=0,c_kv=0,c_pair=0");
  EngineLimits limits;
  limits.max_num_batched_tokens = 64;
  limits.kv_capacity_blocks = 1000;
  // Chunks of 64 and 36 tokens: 1.64 + 1.36 s; 80 cached: one chunk of 20; all cached: the
  // last token alone.
  EXPECT_NEAR(PrefillAloneSeconds(*hand, limits, 100, 0), 3.0, 1e-12);
  EXPECT_NEAR(PrefillAloneSeconds(*hand, limits, 100, 80), 1.2, 1e-12);
  EXPECT_NEAR(PrefillAloneSeconds(*hand, limits, 100, 100), 1.01, 1e-12);
  limits.chunked_prefill = false;
  EXPECT_NEAR(PrefillAloneSeconds(*hand, limits, 100, 0), 2.0, 1e-12);
  const auto roofline = MakeStepModel(*DefaultProfile().serving);
  const EngineLimits node = EngineLimitsFor(DefaultProfile());
  for (const uint32_t prompt : {1u, 700u, 8192u, 20000u}) {
    for (const uint32_t cached : {0u, 512u, prompt}) {
      NodeEngine e(node, *roofline);
      e.Add({0, prompt, cached, 1});
      e.Drain();
      EXPECT_NEAR(PrefillAloneSeconds(*roofline, node, prompt, cached), e.result(0).first_token_s,
                  1e-12)
          << prompt << " " << cached;
    }
  }
}

}  // namespace
}  // namespace kvb
