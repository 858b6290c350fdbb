#include "core/trace/trace_stats.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

struct RawRequest {
  int64_t arrival_ms;
  uint32_t input_tokens;
  uint32_t output_tokens;
  std::vector<RawBlockId> ids;
};

std::shared_ptr<const Trace> BuildTrace(const std::vector<RawRequest>& requests,
                                        uint32_t block_tokens = 512) {
  TraceBuilder builder(block_tokens);
  for (const RawRequest& r : requests) {
    const std::optional<PrefixConflict> conflict =
        builder.Add(r.arrival_ms, r.input_tokens, r.output_tokens, r.ids);
    EXPECT_FALSE(conflict.has_value()) << "conflict on raw id " << conflict->id;
  }
  return builder.Finish();
}

void ExpectHotPrefix(const HotPrefix& actual, RawBlockId id, uint32_t blocks, uint64_t requests,
                     double share) {
  EXPECT_EQ(actual.id, id);
  EXPECT_EQ(actual.blocks, blocks) << "prefix " << id;
  EXPECT_EQ(actual.requests, requests) << "prefix " << id;
  EXPECT_DOUBLE_EQ(actual.share, share) << "prefix " << id;
}

// Six requests, 512-token blocks, in arrival order:
//   r0 t=0    in 1300 out 10  ids [1, 2, 3]     3 blocks (512 + 512 + 276)
//   r1 t=1000 in 1100 out 20  ids [1, 2, 4]     3 blocks (512 + 512 + 76)
//   r2 t=2000 in 2000 out 30  ids [1, 2, 4, 5]  4 blocks (3 * 512 + 464)
//   r3 t=3000 in  400 out 40  ids [6]           1 block  (400)
//   r4 t=4000 in 1536 out 50  ids [1, 7, 8]     3 blocks
//   r5 t=5000 in 1100 out 60  ids [1, 2, 4]     3 blocks, same prompt as r1
std::shared_ptr<const Trace> SixRequestTrace() {
  return BuildTrace({{0, 1300, 10, {1, 2, 3}},
                     {1000, 1100, 20, {1, 2, 4}},
                     {2000, 2000, 30, {1, 2, 4, 5}},
                     {3000, 400, 40, {6}},
                     {4000, 1536, 50, {1, 7, 8}},
                     {5000, 1100, 60, {1, 2, 4}}});
}

TEST(TraceStatsTest, CountsAndAverages) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace());
  EXPECT_EQ(s.requests, 6u);
  EXPECT_EQ(s.blocks, 17u);          // 3 + 3 + 4 + 1 + 3 + 3
  EXPECT_EQ(s.distinct_blocks, 8u);  // ids 1..8
  EXPECT_EQ(s.block_tokens, 512u);
  EXPECT_EQ(s.input_tokens, 7436u);  // 1300 + 1100 + 2000 + 400 + 1536 + 1100
  EXPECT_EQ(s.output_tokens, 210u);  // 10 + 20 + ... + 60
  EXPECT_DOUBLE_EQ(s.avg_input_tokens, 7436.0 / 6);
  EXPECT_DOUBLE_EQ(s.avg_output_tokens, 35.0);
  EXPECT_DOUBLE_EQ(s.avg_blocks, 17.0 / 6);
}

TEST(TraceStatsTest, ReusableBlocksAndTokensWithAPartialLastBlock) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace());
  // Hits (leading ids seen before), tokens = min(hits * 512, input):
  //   r0: 0
  //   r1: 1, 2 seen, 4 new       -> 2 blocks, min(1024, 1100) = 1024 tokens
  //   r2: 1, 2, 4 seen, 5 new    -> 3 blocks, min(1536, 2000) = 1536
  //   r3: 6 new                  -> 0
  //   r4: 1 seen, 7 new          -> 1 block,  min(512, 1536)  = 512
  //   r5: 1, 2, 4 all seen       -> 3 blocks, min(1536, 1100) = 1100 (partial last block)
  EXPECT_EQ(s.reusable_blocks, 9u);  // 2 + 3 + 1 + 3
  EXPECT_DOUBLE_EQ(s.reusable_share, 9.0 / 17);
  EXPECT_EQ(s.reusable_tokens, 4172u);  // 1024 + 1536 + 512 + 1100
  EXPECT_DOUBLE_EQ(s.reusable_token_share, 4172.0 / 7436);
  EXPECT_EQ(s.requests_with_reuse, 4u);  // r1, r2, r4, r5
}

TEST(TraceStatsTest, ReuseStopsAtTheFirstUnseenBlock) {
  // Branching after a shared block: only the shared leading blocks count as hits.
  const TraceStats s = ComputeTraceStats(
      *BuildTrace({{0, 1024, 1, {1, 2}}, {1, 1024, 1, {1, 9}}, {2, 1536, 1, {1, 9, 10}}}));
  // r0: 0; r1: 1 (9 new); r2: 1, 9 seen, 10 new -> 2.
  EXPECT_EQ(s.reusable_blocks, 3u);
  EXPECT_EQ(s.reusable_tokens, 1536u);  // 512 + 1024
  EXPECT_EQ(s.requests_with_reuse, 2u);
}

TEST(TraceStatsTest, HottestPrefixesOrderedByCountThenDepthThenRawId) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace());
  // Requests containing each id: 1: r0 r1 r2 r4 r5 = 5; 2: r0 r1 r2 r5 = 4; 3: 1;
  // 4: r1 r2 r5 = 3; 5: 1; 6: 1; 7: 1; 8: 1.
  // 7 has the child 8 with the same count (1), so only the longer prefix 8 is listed.
  // Count 1 candidates: 6 (depth 0), 3 (depth 2), 8 (depth 2), 5 (depth 3);
  // 3 and 8 tie on depth and go by raw id.
  ASSERT_EQ(s.hottest.size(), 7u);
  ExpectHotPrefix(s.hottest[0], 1, 1, 5, 5.0 / 6);
  ExpectHotPrefix(s.hottest[1], 2, 2, 4, 4.0 / 6);
  ExpectHotPrefix(s.hottest[2], 4, 3, 3, 3.0 / 6);
  ExpectHotPrefix(s.hottest[3], 6, 1, 1, 1.0 / 6);
  ExpectHotPrefix(s.hottest[4], 3, 3, 1, 1.0 / 6);
  ExpectHotPrefix(s.hottest[5], 8, 3, 1, 1.0 / 6);
  ExpectHotPrefix(s.hottest[6], 5, 4, 1, 1.0 / 6);
}

TEST(TraceStatsTest, TopKKeepsOnlyTheHottest) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace(), /*top_k=*/2);
  ASSERT_EQ(s.hottest.size(), 2u);
  EXPECT_EQ(s.hottest[0].id, 1u);
  EXPECT_EQ(s.hottest[1].id, 2u);
  EXPECT_TRUE(ComputeTraceStats(*SixRequestTrace(), /*top_k=*/0).hottest.empty());
}

TEST(TraceStatsTest, OnlyTheLongestPrefixOfAPopularityIsListed) {
  // 1 -> 2 -> 3 is shared by both requests; they part after 3. Raw ids 50 and 40 are
  // interned in that order, but the tie (count 1, depth 3) is broken by raw id: 40 first.
  const TraceStats s =
      ComputeTraceStats(*BuildTrace({{0, 2048, 1, {1, 2, 3, 50}}, {1, 2048, 1, {1, 2, 3, 40}}}));
  ASSERT_EQ(s.hottest.size(), 3u);
  ExpectHotPrefix(s.hottest[0], 3, 3, 2, 1.0);
  ExpectHotPrefix(s.hottest[1], 40, 4, 1, 0.5);
  ExpectHotPrefix(s.hottest[2], 50, 4, 1, 0.5);
}

TEST(TraceStatsTest, NearestRankPercentiles) {
  // 20 requests: inputs 10, 20, ..., 200 added in a shuffled order; outputs 1..20 reversed.
  std::vector<RawRequest> requests;
  for (uint32_t k = 0; k < 20; ++k) {
    const uint32_t i = (k * 7) % 20;  // a permutation of 0..19
    requests.push_back({0, 10 * (i + 1), 20 - k, {}});
  }
  const TraceStats s = ComputeTraceStats(*BuildTrace(requests));
  // Nearest rank: rank = ceil(p * 20). p50 -> 10th, p90 -> 18th, p99 -> ceil(19.8) = 20th.
  EXPECT_EQ(s.input_pct.p50, 100);
  EXPECT_EQ(s.input_pct.p90, 180);
  EXPECT_EQ(s.input_pct.p99, 200);
  EXPECT_EQ(s.input_pct.max, 200);
  EXPECT_EQ(s.output_pct.p50, 10);
  EXPECT_EQ(s.output_pct.p90, 18);
  EXPECT_EQ(s.output_pct.p99, 20);
  EXPECT_EQ(s.output_pct.max, 20);
}

TEST(TraceStatsTest, PercentilesOfSixValues) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace());
  // Inputs sorted: 400 1100 1100 1300 1536 2000. p50 -> rank 3, p90 -> ceil(5.4) = 6,
  // p99 -> ceil(5.94) = 6.
  EXPECT_EQ(s.input_pct.p50, 1100);
  EXPECT_EQ(s.input_pct.p90, 2000);
  EXPECT_EQ(s.input_pct.p99, 2000);
  EXPECT_EQ(s.input_pct.max, 2000);
  // Outputs 10..60: p50 -> 30, p90 -> 60.
  EXPECT_EQ(s.output_pct.p50, 30);
  EXPECT_EQ(s.output_pct.p90, 60);
}

TEST(TraceStatsTest, ArrivalRate) {
  const TraceStats s = ComputeTraceStats(*SixRequestTrace());
  EXPECT_EQ(s.first_arrival_ms, 0);
  EXPECT_EQ(s.last_arrival_ms, 5000);
  EXPECT_DOUBLE_EQ(s.arrival_rate_per_s, 1.2);  // 6 requests / 5 s

  const TraceStats shifted =
      ComputeTraceStats(*BuildTrace({{1500, 0, 0, {}}, {2000, 0, 0, {}}, {3500, 0, 0, {}}}));
  EXPECT_DOUBLE_EQ(shifted.arrival_rate_per_s, 1.5);  // 3 requests / 2 s
}

TEST(TraceStatsTest, ArrivalRateIsZeroWhenAllArriveAtOnce) {
  const TraceStats s = ComputeTraceStats(*BuildTrace({{7, 512, 1, {1}}, {7, 512, 1, {1}}}));
  EXPECT_EQ(s.arrival_rate_per_s, 0);
  EXPECT_EQ(s.reusable_blocks, 1u);
  EXPECT_EQ(s.requests_with_reuse, 1u);
}

TEST(TraceStatsTest, EmptyTrace) {
  const TraceStats s = ComputeTraceStats(*BuildTrace({}, /*block_tokens=*/128));
  EXPECT_EQ(s.requests, 0u);
  EXPECT_EQ(s.blocks, 0u);
  EXPECT_EQ(s.distinct_blocks, 0u);
  EXPECT_EQ(s.block_tokens, 128u);
  EXPECT_EQ(s.avg_input_tokens, 0);
  EXPECT_EQ(s.reusable_blocks, 0u);
  EXPECT_EQ(s.reusable_share, 0);
  EXPECT_EQ(s.input_pct.max, 0);
  EXPECT_TRUE(s.hottest.empty());
  EXPECT_EQ(s.arrival_rate_per_s, 0);
}

TEST(TraceStatsTest, RequestsWithoutBlocksHaveNoShares) {
  const TraceStats s = ComputeTraceStats(*BuildTrace({{0, 0, 5, {}}, {1000, 0, 7, {}}}));
  EXPECT_EQ(s.blocks, 0u);
  EXPECT_EQ(s.reusable_share, 0);
  EXPECT_EQ(s.reusable_token_share, 0);
  EXPECT_DOUBLE_EQ(s.avg_output_tokens, 6.0);
  EXPECT_TRUE(s.hottest.empty());
}

}  // namespace
}  // namespace kvb
