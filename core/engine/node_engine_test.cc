#include "core/engine/node_engine.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/engine/step_model.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Steps of 1 s plus 0.01 s per prefill token: easy to follow by hand.
std::unique_ptr<StepModel> HandModel() {
  return MakeStepModel("polynomial:c0=1,c_prefill=0.01,c_decode=0,c_kv=0,c_pair=0");
}

EngineLimits Limits(uint32_t budget, uint32_t seqs, uint64_t blocks, uint32_t block_tokens,
                    bool chunked = true) {
  EngineLimits l;
  l.max_num_batched_tokens = budget;
  l.max_num_seqs = seqs;
  l.kv_capacity_blocks = blocks;
  l.kv_block_tokens = block_tokens;
  l.chunked_prefill = chunked;
  return l;
}

class NodeEngineHandTest : public ::testing::TestWithParam<bool> {};

TEST_P(NodeEngineHandTest, ChunkedPrefillThenDecodes) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model, GetParam());
  e.Add({0, 100, 0, 3});
  e.Drain();
  // Chunks of 64 (1.64 s) and 36 (1.36 s): first token at 3.0; decodes of 1 s at 4 and 5.
  const EngineRequestResult& r = e.result(0);
  EXPECT_DOUBLE_EQ(r.first_token_s, 3.0);
  EXPECT_DOUBLE_EQ(r.finish_s, 5.0);
  EXPECT_DOUBLE_EQ(r.gap_sum_s, 2.0);
  EXPECT_DOUBLE_EQ(r.max_gap_s, 1.0);
  EXPECT_EQ(e.steps(), 4u);
  EXPECT_DOUBLE_EQ(e.busy_s(), 5.0);
}

TEST_P(NodeEngineHandTest, AChunkedPrefillSharesStepsWithADecode) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model, GetParam());
  e.Add({0, 10, 0, 3});     // A
  e.Add({0.5, 100, 0, 1});  // B, arrives during A's prefill
  e.Drain();
  // Step 1 [0, 1.1]: A's prompt. Step 2 [1.1, 2.73]: A decodes, B's chunk of 63. Step 3
  // [2.73, 4.1]: A decodes (its last token), B's last 37 tokens (its only output token).
  EXPECT_DOUBLE_EQ(e.result(0).first_token_s, 1.1);
  EXPECT_NEAR(e.result(0).finish_s, 4.1, 1e-12);
  EXPECT_NEAR(e.result(0).gap_sum_s, 3.0, 1e-12);
  EXPECT_NEAR(e.result(0).max_gap_s, 1.63, 1e-12);
  EXPECT_NEAR(e.result(1).first_token_s, 4.1, 1e-12);
  EXPECT_NEAR(e.result(1).finish_s, 4.1, 1e-12);
  EXPECT_EQ(e.steps(), 3u);
}

TEST_P(NodeEngineHandTest, ADecodeWithoutAFreeBlockPreemptsTheNewest) {
  const auto model = HandModel();
  // 3 blocks of 4 tokens. A and B (4-token prompts, 5 tokens out) start together; at the
  // second step B's decode finds no block: B is preempted, waits until A finishes, then
  // recomputes its 5 tokens (prompt + its first output) and goes on.
  NodeEngine e(Limits(64, 8, 3, 4), *model, GetParam());
  e.Add({0, 4, 0, 5});
  e.Add({0, 4, 0, 5});
  e.Drain();
  const EngineRequestResult& a = e.result(0);
  const EngineRequestResult& b = e.result(1);
  EXPECT_DOUBLE_EQ(a.first_token_s, 1.08);
  EXPECT_NEAR(a.finish_s, 5.08, 1e-12);
  EXPECT_EQ(a.preemptions, 0u);
  EXPECT_DOUBLE_EQ(b.first_token_s, 1.08);
  EXPECT_EQ(b.preemptions, 1u);
  EXPECT_NEAR(b.max_gap_s, 5.05, 1e-12);  // 1.08 -> 6.13: the recompute step
  EXPECT_NEAR(b.finish_s, 9.13, 1e-12);
  EXPECT_NEAR(b.gap_sum_s, 9.13 - 1.08, 1e-12);
  EXPECT_EQ(e.preemptions(), 1u);
  EXPECT_EQ(e.free_blocks(), 3u);  // everything released
}

TEST_P(NodeEngineHandTest, WithoutChunkingALongPromptStallsTheDecodes) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16, /*chunked=*/false), *model, GetParam());
  e.Add({0, 10, 0, 3});     // A
  e.Add({0.5, 100, 0, 1});  // B: 100 > 64 tokens, prefilled whole in one step
  e.Drain();
  // Step 2 [1.1, 3.1]: A's decode and B's whole prompt (1 + 1.0 s); step 3: A's last token.
  EXPECT_NEAR(e.result(0).max_gap_s, 2.0, 1e-12);
  EXPECT_NEAR(e.result(1).first_token_s, 3.1, 1e-12);
  EXPECT_NEAR(e.result(0).finish_s, 4.1, 1e-12);
}

TEST_P(NodeEngineHandTest, CachedTokensAreNotComputedButAlwaysTheLastOne) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model, GetParam());
  e.Add({0, 100, 80, 1});  // 20 tokens computed: 1.2 s
  e.Add({10, 50, 50, 1});  // fully cached: its last token is recomputed (1.01 s)
  e.Drain();
  EXPECT_NEAR(e.result(0).first_token_s, 1.2, 1e-12);
  EXPECT_NEAR(e.result(1).first_token_s, 11.01, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(StepByStepAndSkipping, NodeEngineHandTest, ::testing::Bool());

TEST(NodeEngineTest, RefusesWhatCanNeverFitAndBadInput) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 2, 4), *model);
  const uint32_t big = e.Add({0, 8, 0, 2});  // 9 tokens need 3 blocks of 4 > 2
  e.Add({1, 4, 0, 5});                       // 8 tokens: 2 blocks, fits
  e.Drain();
  EXPECT_TRUE(e.result(big).rejected);
  EXPECT_FALSE(e.result(1).rejected);
  EXPECT_GT(e.result(1).finish_s, 1);
  EXPECT_THROW(e.Add({0.5, 4, 0, 1}), std::invalid_argument);  // arrival went backwards
  EXPECT_THROW(e.Add({2, 0, 0, 1}), std::invalid_argument);
  EXPECT_THROW(NodeEngine(Limits(0, 8, 2, 4), *model), std::invalid_argument);
}

bool Close(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a)); }

// The skipping engine against the reference stepping one iteration at a time, on random
// small traces and limits: identical schedules, times within 1e-9 relative. Also fed
// incrementally (RunUntil each arrival before adding it), as a cluster simulator feeds it.
TEST(NodeEngineTest, EventSkippingMatchesTheStepByStepReference) {
  const std::vector<std::string> models = {
      "roofline:parameters=1e9,weight_bytes=2e9,layers=16,hidden=2048,kv_bytes_per_token=65536,"
      "gpus=1,peak_flops_per_gpu=1e14,hbm_bytes_per_s_per_gpu=1e12,step_overhead_s=0.002",
      "roofline", "polynomial"};
  std::mt19937_64 rng(20261205);
  uint64_t steps = 0, skipped = 0, preemptions = 0;
  for (int trial = 0; trial < 60; ++trial) {
    SCOPED_TRACE(trial);
    const auto model = MakeStepModel(models[trial % models.size()]);
    std::uniform_int_distribution<uint32_t> budget(8, 512), seqs(1, 48), block(1, 32);
    EngineLimits limits = Limits(budget(rng), seqs(rng), 0, block(rng), trial % 4 != 3);
    limits.kv_capacity_blocks =
        std::uniform_int_distribution<uint64_t>(2, 4000 / limits.kv_block_tokens + 40)(rng);
    NodeEngine reference(limits, *model, true), fast(limits, *model, false),
        fed(limits, *model, false);
    std::exponential_distribution<double> gap(std::uniform_real_distribution<double>(0.5, 50)(rng));
    std::uniform_int_distribution<uint32_t> prompt(1, 600), output(1, 300);
    double t = 0;
    const int n = 120;
    for (int i = 0; i < n; ++i) {
      t += gap(rng);
      EngineRequest r{t, prompt(rng), 0, output(rng)};
      r.cached_tokens = std::uniform_int_distribution<uint32_t>(0, r.prompt_tokens)(rng) / 2;
      reference.Add(r);
      fast.Add(r);
      fed.RunUntil(t);
      fed.Add(r);
    }
    reference.Drain();
    fast.Drain();
    fed.Drain();
    steps += reference.steps();
    skipped += fast.skipped_steps();
    preemptions += reference.preemptions();
    EXPECT_EQ(reference.skipped_steps(), 0u);
    ASSERT_EQ(reference.steps(), fast.steps());
    ASSERT_EQ(reference.steps(), fed.steps());
    EXPECT_EQ(reference.preemptions(), fast.preemptions());
    EXPECT_TRUE(Close(reference.busy_s(), fast.busy_s()));
    for (uint32_t i = 0; i < n; ++i) {
      const EngineRequestResult& a = reference.result(i);
      for (const NodeEngine* other : {&fast, &fed}) {
        const EngineRequestResult& b = other->result(i);
        ASSERT_EQ(a.rejected, b.rejected) << i;
        EXPECT_TRUE(Close(a.first_token_s, b.first_token_s)) << i;
        EXPECT_TRUE(Close(a.finish_s, b.finish_s)) << i << " " << a.finish_s << " " << b.finish_s;
        EXPECT_TRUE(Close(a.gap_sum_s, b.gap_sum_s)) << i;
        EXPECT_TRUE(Close(a.max_gap_s, b.max_gap_s)) << i;
        EXPECT_EQ(a.preemptions, b.preemptions) << i;
      }
      if (!a.rejected) {
        EXPECT_GE(a.finish_s, a.first_token_s);
      }
    }
  }
  // Most steps are skipped, and preemptions happen: both paths are exercised.
  std::printf("%llu steps, %llu skipped, %llu preemptions\n",
              static_cast<unsigned long long>(steps), static_cast<unsigned long long>(skipped),
              static_cast<unsigned long long>(preemptions));
  EXPECT_GT(skipped, steps / 2);
  EXPECT_GT(preemptions, 0u);
}

}  // namespace
}  // namespace kvb
