#include "core/engine/node_engine.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/engine/step_model.h"
#include "core/metrics/log_histogram.h"
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

// A request whose prompt was prefilled elsewhere (its first token out at 1.5 s) arrives
// with its prompt's KV: the last token's step (1.01 s) yields its second token at 3.01 s,
// a gap of 1.51 s after the first; one decode later, its third.
TEST_P(NodeEngineHandTest, APriorTokenMakesTheFirstTokenHereAGap) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model, GetParam());
  LogHistogram itl;
  e.RecordGaps(&itl);
  EngineRequest r{2.0, 11, 10, 2};
  r.prior_token_s = 1.5;
  e.Add(r);
  e.Drain();
  EXPECT_NEAR(e.result(0).first_token_s, 3.01, 1e-12);
  EXPECT_NEAR(e.result(0).finish_s, 4.01, 1e-12);
  EXPECT_EQ(e.result(0).gaps, 2u);
  EXPECT_NEAR(e.result(0).gap_sum_s, 2.51, 1e-12);
  EXPECT_NEAR(e.result(0).max_gap_s, 1.51, 1e-12);
  EXPECT_NEAR(e.result(0).slowest_decile_gap_s, 1.51, 1e-12);  // ceil(10% of 2) = 1 gap
  EXPECT_EQ(itl.count(), 2u);
}

// Twelve decodes of 1 s after a 1.1 s prompt, and a 1.63 s step when a second prompt
// joins: the slowest ceil(10% of 12) = 2 gaps are 1.63 and 1.0.
TEST_P(NodeEngineHandTest, SlowestDecileOfTheGaps) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model, GetParam());
  LogHistogram itl;
  e.RecordGaps(&itl);
  e.Add({0, 10, 0, 13});
  e.Add({5.5, 63, 0, 1});  // joins the step starting at 6.1: 1 decode + 63 tokens
  e.Drain();
  const EngineRequestResult& a = e.result(0);
  EXPECT_EQ(a.gaps, 12u);
  EXPECT_NEAR(a.max_gap_s, 1.63, 1e-12);
  EXPECT_NEAR(a.slowest_decile_gap_s, (1.63 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(a.gap_sum_s, 11 + 1.63, 1e-9);
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
  EXPECT_THROW(e.Add({0.5, 4, 0, 1}), std::invalid_argument);  // before the last RunUntil
  EXPECT_THROW(e.Add({2, 0, 0, 1}), std::invalid_argument);
  EXPECT_THROW(NodeEngine(Limits(0, 8, 2, 4), *model), std::invalid_argument);
}

// Requests added out of arrival order are scheduled as if added in order.
TEST(NodeEngineTest, PendingRequestsAreOrderedByArrival) {
  const auto model = HandModel();
  NodeEngine in_order(Limits(64, 2, 1000, 16), *model), shuffled(Limits(64, 2, 1000, 16), *model);
  const std::vector<EngineRequest> requests = {
      {0.0, 40, 0, 5}, {0.3, 30, 0, 4}, {0.6, 50, 0, 3}, {0.9, 20, 0, 6}};
  for (const EngineRequest& r : requests) in_order.Add(r);
  const std::vector<uint32_t> order = {2, 0, 3, 1};
  for (const uint32_t k : order) shuffled.Add(requests[k]);
  in_order.Drain();
  shuffled.Drain();
  for (uint32_t k = 0; k < order.size(); ++k) {
    const EngineRequestResult& a = in_order.result(order[k]);
    const EngineRequestResult& b = shuffled.result(k);
    EXPECT_DOUBLE_EQ(a.first_token_s, b.first_token_s) << k;
    EXPECT_DOUBLE_EQ(a.finish_s, b.finish_s) << k;
    EXPECT_DOUBLE_EQ(a.scheduled_s, b.scheduled_s) << k;
  }
  // max_num_seqs = 2: the third arrival waits for a finish.
  EXPECT_DOUBLE_EQ(in_order.result(0).scheduled_s, 0.0);
  EXPECT_GE(in_order.result(2).scheduled_s, in_order.result(0).finish_s);
}

// The signals count what a router would: waiting, running, blocks, prompt tokens to do.
TEST(NodeEngineTest, SignalsFollowTheSchedule) {
  const auto model = HandModel();
  NodeEngine e(Limits(64, 8, 1000, 16), *model);
  e.Add({0, 100, 0, 3});
  e.Add({0, 10, 0, 2});
  EXPECT_EQ(e.pending(), 2u);
  EXPECT_EQ(e.prefill_backlog_tokens(), 110u);
  // Step 1 [0, 1.64]: 64 tokens of the first; the second does not fit the budget.
  e.RunUntil(0.5);
  EXPECT_EQ(e.running(), 1u);
  EXPECT_EQ(e.waiting(), 1u);
  EXPECT_EQ(e.prefill_backlog_tokens(), 46u);
  EXPECT_EQ(e.used_blocks(), 4u);  // 64 tokens in blocks of 16
  EXPECT_EQ(e.decode_batch(), 0u);
  // Step 2 [1.64, 3.1]: its last 36 and the second's 10 tokens: both have a first token.
  e.RunUntil(2);
  EXPECT_EQ(e.running(), 2u);
  EXPECT_EQ(e.prefill_backlog_tokens(), 0u);
  EXPECT_EQ(e.used_blocks(), 7u + 1u);
  // Step 3 [3.1, 4.1]: two decodes; the second finishes.
  e.RunUntil(3.5);
  EXPECT_EQ(e.decode_batch(), 2u);
  e.Drain();
  EXPECT_EQ(e.decode_batch(), 0u);
  EXPECT_EQ(e.used_blocks(), 0u);
  EXPECT_NEAR(e.batch_seconds(), 1.64 + 2 * 1.46 + 2 * 1 + 1, 1e-12);
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
        fed(limits, *model, false), fed_reference(limits, *model, true);
    LogHistogram reference_itl, fast_itl;
    reference.RecordGaps(&reference_itl);
    fast.RecordGaps(&fast_itl);
    reference.LogEvents();
    fast.LogEvents();
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
      fed_reference.RunUntil(t);
      // Fed alike, both have run the same steps: the signals a router reads agree.
      ASSERT_EQ(fed.steps(), fed_reference.steps()) << i;
      EXPECT_EQ(fed.running(), fed_reference.running()) << i;
      EXPECT_EQ(fed.waiting(), fed_reference.waiting()) << i;
      EXPECT_EQ(fed.used_blocks(), fed_reference.used_blocks()) << i;
      EXPECT_EQ(fed.prefill_backlog_tokens(), fed_reference.prefill_backlog_tokens()) << i;
      EXPECT_EQ(fed.decode_batch(), fed_reference.decode_batch()) << i;
      fed.Add(r);
      fed_reference.Add(r);
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
    EXPECT_TRUE(Close(reference.batch_seconds(), fast.batch_seconds()));
    EXPECT_EQ(fast.prefill_backlog_tokens(), 0u);
    EXPECT_EQ(fast.used_blocks(), 0u);
    // The same tokens' gaps: equal counts and sums, quantiles within a bucket (1%).
    ASSERT_EQ(reference_itl.count(), fast_itl.count());
    EXPECT_TRUE(Close(reference_itl.sum(), fast_itl.sum()));
    for (double q : {0.5, 0.9, 0.99}) {
      if (fast_itl.count() == 0) break;
      EXPECT_NEAR(reference_itl.Quantile(q), fast_itl.Quantile(q),
                  0.0101 * reference_itl.Quantile(q))
          << q;
    }
    // The same slowest deciles (only the engines recording gaps keep them).
    for (uint32_t i = 0; i < n; ++i) {
      EXPECT_TRUE(
          Close(reference.result(i).slowest_decile_gap_s, fast.result(i).slowest_decile_gap_s))
          << i;
      if (reference.result(i).gaps > 0) {
        EXPECT_GT(fast.result(i).slowest_decile_gap_s, 0) << i;
      }
    }
    // The same first and last tokens, in the same order.
    ASSERT_EQ(reference.events().size(), fast.events().size());
    for (size_t k = 0; k < fast.events().size(); ++k) {
      EXPECT_EQ(reference.events()[k].request, fast.events()[k].request) << k;
      EXPECT_EQ(reference.events()[k].kind, fast.events()[k].kind) << k;
      EXPECT_TRUE(Close(reference.events()[k].t_s, fast.events()[k].t_s)) << k;
    }
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
        EXPECT_TRUE(Close(a.scheduled_s, b.scheduled_s)) << i;
        EXPECT_EQ(a.gaps, b.gaps) << i;
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
