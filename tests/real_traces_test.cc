// The public Mooncake traces, when present beside the project (see
// ../shared/traces/README.md, whose figures these tests assert). Skipped when absent.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>

#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "gtest/gtest.h"
#include "bench/micro/shared_traces.h"

namespace kvb {
namespace {

struct ExpectedFigures {
  const char* file;
  size_t requests;
  size_t blocks;
  size_t distinct_ids;
  long avg_input;       // rounded
  long avg_output;      // rounded
  long share_permille;  // reusable block share, rounded to 0.1%
};

void PrintTo(const ExpectedFigures& figures, std::ostream* os) { *os << figures.file; }

class RealTraceTest : public ::testing::TestWithParam<ExpectedFigures> {};

TEST_P(RealTraceTest, MatchesTheReadme) {
  const ExpectedFigures& want = GetParam();
  const std::filesystem::path path = micro::SharedTraceDir() / want.file;
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << path << " is absent (set KVB_TRACE_DIR to the folder of the public traces)";
  }
  const LoadedTrace loaded = ReadMooncakeTrace(path.string());
  const TraceStats s = ComputeTraceStats(*loaded.trace);

  EXPECT_EQ(s.requests, want.requests);
  EXPECT_EQ(s.blocks, want.blocks);
  EXPECT_EQ(s.distinct_blocks, want.distinct_ids);
  EXPECT_EQ(std::lround(s.avg_input_tokens), want.avg_input);
  EXPECT_EQ(std::lround(s.avg_output_tokens), want.avg_output);
  EXPECT_EQ(std::lround(s.reusable_share * 1000), want.share_permille);

  // Clean files: no skipped line (a prefix conflict would have thrown), no warning, and
  // already in arrival order.
  const MooncakeReadReport& r = loaded.report;
  EXPECT_EQ(r.skipped_invalid, 0u);
  EXPECT_EQ(r.block_count_mismatches, 0u);
  EXPECT_EQ(r.timestamps_backwards, 0u);
  EXPECT_EQ(r.blank_lines, 0u);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.bytes, std::filesystem::file_size(path));

  // The prefix-tree property holds for every request.
  const Trace& trace = *loaded.trace;
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request req = trace[i];
    for (size_t pos = 0; pos < req.blocks.size(); ++pos) {
      ASSERT_EQ(trace.depth(req.blocks[pos]), pos) << "request " << i;
      ASSERT_EQ(trace.parent(req.blocks[pos]), pos == 0 ? kNoParent : req.blocks[pos - 1])
          << "request " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Readme, RealTraceTest,
                         ::testing::Values(ExpectedFigures{"conversation_trace.jsonl", 12031,
                                                           288500, 182790, 12035, 343, 366},
                                           ExpectedFigures{"synthetic_trace.jsonl", 3993, 121877,
                                                           43924, 15325, 149, 640}),
                         [](const ::testing::TestParamInfo<ExpectedFigures>& figures_info) {
                           return std::string(figures_info.index == 0 ? "Conversation"
                                                                      : "Synthetic");
                         });

}  // namespace
}  // namespace kvb
