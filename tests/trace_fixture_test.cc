// tests/fixtures/tiny_trace.jsonl, hand-written, 512-token blocks. In file order:
//   L1 t=0     in 1536 out 100 [1, 2, 3]           turn 1 of conversation A; 1 = system block
//   L2 t=0     in 1024 out  50 [1, 10]             turn 1 of B; same time as L1
//   L3 t=2000  in 2300 out  80 [1, 2, 3, 4, 5]     turn 2 of A; last block partial (252)
//   L4 t=1500  in  300 out  20 [20]                out of order (1500 < 2000); partial block
//   L5 t=3000  in 1100 out  60 [1, 10, 11]         turn 2 of B; last block partial (76)
//   L6 t=3000  in  300 out  10 [20]                retry of L4; same time as L5
//   L7 t=4000  in 2600 out 200 [1, 2, 3, 4, 30, 31] turn 3 of A (L3's partial 5 became 30)
//   L8 t=5000  in  900 out  40 [1, 40]             turn 1 of C
// Every line has ceil(input / 512) ids: 3, 2, 5, 1, 3, 1, 6, 2.

#include <string>
#include <vector>

#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

const char kFixture[] = KVB_SOURCE_DIR "/tests/fixtures/tiny_trace.jsonl";

class TinyTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loaded_ = ReadMooncakeTrace(kFixture);
    stats_ = ComputeTraceStats(*loaded_.trace);
  }
  LoadedTrace loaded_;
  TraceStats stats_;
};

TEST_F(TinyTraceTest, ReadReport) {
  const MooncakeReadReport& r = loaded_.report;
  EXPECT_EQ(r.requests, 8u);
  EXPECT_EQ(r.lines, 8u);
  EXPECT_EQ(r.blank_lines, 0u);
  EXPECT_EQ(r.block_count_mismatches, 0u);
  EXPECT_EQ(r.skipped_invalid, 0u);
  EXPECT_TRUE(r.messages.empty());
  // Only L4 (1500 after 2000) arrives before its predecessor; equal times do not count.
  EXPECT_EQ(r.timestamps_backwards, 1u);
}

TEST_F(TinyTraceTest, ArrivalOrder) {
  // Stable sort: L1 L2 (t=0), L4 (1500), L3 (2000), L5 L6 (3000), L7, L8.
  const std::vector<uint32_t> expected_outputs = {100, 50, 20, 80, 60, 10, 200, 40};
  const Trace& trace = *loaded_.trace;
  ASSERT_EQ(trace.size(), expected_outputs.size());
  for (size_t i = 0; i < trace.size(); ++i) {
    EXPECT_EQ(trace[i].output_tokens, expected_outputs[i]) << "request " << i;
  }
}

TEST_F(TinyTraceTest, Sizes) {
  EXPECT_EQ(stats_.requests, 8u);
  EXPECT_EQ(stats_.blocks, 23u);           // 3 + 2 + 5 + 1 + 3 + 1 + 6 + 2
  EXPECT_EQ(stats_.distinct_blocks, 11u);  // 1 2 3 4 5 10 11 20 30 31 40
  // Inputs: 1536 + 1024 + 2300 + 300 + 1100 + 300 + 2600 + 900 = 10060; / 8 = 1257.5.
  EXPECT_EQ(stats_.input_tokens, 10060u);
  EXPECT_DOUBLE_EQ(stats_.avg_input_tokens, 1257.5);
  // Outputs: 100 + 50 + 80 + 20 + 60 + 10 + 200 + 40 = 560; / 8 = 70.
  EXPECT_EQ(stats_.output_tokens, 560u);
  EXPECT_DOUBLE_EQ(stats_.avg_output_tokens, 70.0);
  // Inputs sorted: 300 300 900 1024 1100 1536 2300 2600: p50 = 4th, p90 = ceil(7.2) = 8th.
  EXPECT_EQ(stats_.input_pct.p50, 1024);
  EXPECT_EQ(stats_.input_pct.p90, 2600);
  // 8 requests from t=0 to t=5000: 8 / 5 s.
  EXPECT_DOUBLE_EQ(stats_.arrival_rate_per_s, 1.6);
}

TEST_F(TinyTraceTest, Reuse) {
  // In arrival order, hits = leading ids already seen, tokens = min(hits * 512, input):
  //   L1 [1 2 3]          0
  //   L2 [1 10]           1 (1)        512
  //   L4 [20]             0
  //   L3 [1 2 3 4 5]      3 (1 2 3)    1536
  //   L5 [1 10 11]        2 (1 10)     1024
  //   L6 [20]             1 (20)       min(512, 300) = 300   <- partial last block
  //   L7 [1 2 3 4 30 31]  4 (1 2 3 4)  2048
  //   L8 [1 40]           1 (1)        512
  EXPECT_EQ(stats_.reusable_blocks, 12u);              // 1 + 3 + 2 + 1 + 4 + 1
  EXPECT_DOUBLE_EQ(stats_.reusable_share, 12.0 / 23);  // 52.2%
  EXPECT_EQ(stats_.reusable_tokens, 5932u);            // 512 + 1536 + 1024 + 300 + 2048 + 512
  EXPECT_DOUBLE_EQ(stats_.reusable_token_share, 5932.0 / 10060);
  EXPECT_EQ(stats_.requests_with_reuse, 6u);  // all but L1 and L4
}

TEST_F(TinyTraceTest, HottestPrefixes) {
  // Requests containing each id: 1: L1 L2 L3 L5 L7 L8 = 6; 2, 3: L1 L3 L7 = 3;
  // 4: L3 L7 = 2; 10: L2 L5 = 2; 20: L4 L6 = 2; 5, 11, 30, 31, 40: 1.
  // Not listed (a child is in as many requests): 2 (child 3, 3 requests) and 30 (child 31).
  // Ties on count go to the shorter prefix, then the smaller raw id:
  //   count 2: 20 (1 block), 10 (2), 4 (4); count 1: 40 (2), 11 (3), 5 (5), 31 (6).
  struct Want {
    RawBlockId id;
    uint32_t blocks;
    uint64_t requests;
  };
  const std::vector<Want> want = {{1, 1, 6},  {3, 3, 3},  {20, 1, 2}, {10, 2, 2}, {4, 4, 2},
                                  {40, 2, 1}, {11, 3, 1}, {5, 5, 1},  {31, 6, 1}};
  ASSERT_EQ(stats_.hottest.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(stats_.hottest[i].id, want[i].id) << "rank " << i;
    EXPECT_EQ(stats_.hottest[i].blocks, want[i].blocks) << "rank " << i;
    EXPECT_EQ(stats_.hottest[i].requests, want[i].requests) << "rank " << i;
    EXPECT_DOUBLE_EQ(stats_.hottest[i].share, want[i].requests / 8.0) << "rank " << i;
  }
}

}  // namespace
}  // namespace kvb
