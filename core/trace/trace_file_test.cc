#include "core/trace/trace_file.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/trace/byte_source.h"
#include "core/trace/csv_trace_reader.h"
#include "core/trace/trace.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;

TEST(TraceFormatTest, DefaultsOfEachFormat) {
  const TraceFormat* bailian = FindTraceFormat("bailian");
  ASSERT_NE(bailian, nullptr);
  EXPECT_EQ(bailian->block_tokens, 16u);
  EXPECT_EQ(bailian->timestamp_unit, TimestampUnit::kSeconds);
  EXPECT_TRUE(bailian->hashed());
  const TraceFormat* mooncake = FindTraceFormat("mooncake");
  ASSERT_NE(mooncake, nullptr);
  EXPECT_EQ(mooncake->block_tokens, 512u);
  EXPECT_EQ(mooncake->timestamp_unit, TimestampUnit::kMilliseconds);
  EXPECT_FALSE(FindTraceFormat("azure")->hashed());
  EXPECT_FALSE(FindTraceFormat("burstgpt")->hashed());
  EXPECT_EQ(FindTraceFormat("sharegpt"), nullptr);
}

CsvReadResult ReadCsv(const std::string& text, CsvDialect dialect, bool skip = false) {
  const std::unique_ptr<ByteSource> source = MemoryByteSource(text);
  MooncakeReadOptions options;
  options.skip_invalid = skip;
  return ReadCsvRequests(*source, "t.csv", dialect, options);
}

std::string CsvError(const std::string& text, CsvDialect dialect) {
  try {
    ReadCsv(text, dialect);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CsvTraceTest, AzureDatesBecomeMillisecondsFromTheEarliestRow) {
  // Rows out of order (counted), a CRLF line, a blank line; 100 ns ticks rounded to ms.
  const CsvReadResult r = ReadCsv(
      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
      "2023-11-16 18:15:46.6805900,374,44\n"
      "\n"
      "2023-11-16 18:15:50.9951690,396,109\n"
      "2023-11-16 18:15:46.0000000,20000,5000\n"
      "2023-11-17 00:00:00,1,0",
      CsvDialect::kAzure);
  ASSERT_EQ(r.requests.size(), 4u);
  EXPECT_EQ(r.requests[0].arrival_ms, 681);   // 46.6805900 - 46.0
  EXPECT_EQ(r.requests[1].arrival_ms, 4995);  // 50.9951690 - 46.0
  EXPECT_EQ(r.requests[2].arrival_ms, 0);
  EXPECT_EQ(r.requests[3].arrival_ms, (5 * 3600 + 44 * 60 + 14) * 1000);
  EXPECT_EQ(r.requests[0].input_tokens, 374u);
  EXPECT_EQ(r.requests[0].output_tokens, 44u);
  EXPECT_EQ(r.requests[0].session, kNoSession);
  EXPECT_EQ(r.report.timestamps_backwards, 1u);
  EXPECT_EQ(r.report.blank_lines, 1u);
  EXPECT_EQ(r.report.crlf_lines, 1u);
  EXPECT_TRUE(r.report.missing_final_newline);
}

TEST(CsvTraceTest, BurstGptColumnsByNameWithSessionsWhenPresent) {
  const CsvReadResult r = ReadCsv(
      "Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,"
      "Log Type\n"
      "5,a1,0.5,ChatGPT,472,18,490,Conversation log\n"
      "45.25,a1,0.7,ChatGPT,1087,230,1317,Conversation log\n"
      "118,,1.0,GPT-4,417,276,693,\"API log, v2\"\n",
      CsvDialect::kBurstGpt);
  ASSERT_EQ(r.requests.size(), 3u);
  EXPECT_EQ(r.requests[0].arrival_ms, 0);
  EXPECT_EQ(r.requests[1].arrival_ms, 40250);
  EXPECT_EQ(r.requests[2].arrival_ms, 113000);
  EXPECT_EQ(r.requests[1].input_tokens, 1087u);
  EXPECT_EQ(r.requests[1].output_tokens, 230u);
  EXPECT_EQ(r.requests[0].session, r.requests[1].session);
  EXPECT_NE(r.requests[0].session, kNoSession);
  EXPECT_EQ(r.requests[2].session, kNoSession);  // an empty Session ID
  // The six-column release has no sessions.
  const CsvReadResult six = ReadCsv(
      "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
      "5,ChatGPT,472,18,490,Conversation log\n",
      CsvDialect::kBurstGpt);
  EXPECT_EQ(six.requests[0].session, kNoSession);
}

TEST(CsvTraceTest, BadInputIsOneLineNamingTheRowAndColumn) {
  const std::string azure = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  EXPECT_EQ(CsvError("TIMESTAMP,Context,GeneratedTokens\n1,2,3\n", CsvDialect::kAzure),
            "t.csv:1: header: no column 'ContextTokens' (Azure LLM inference: "
            "TIMESTAMP,ContextTokens,GeneratedTokens)");
  EXPECT_EQ(CsvError(azure + "2023-11-16 18:15:46,12\n", CsvDialect::kAzure),
            "t.csv:2: expected 3 fields as in the header, got 2");
  EXPECT_EQ(CsvError(azure + "yesterday,1,2\n", CsvDialect::kAzure),
            "t.csv:2: TIMESTAMP: expected a date 'YYYY-MM-DD HH:MM:SS[.fraction]', got "
            "'yesterday'");
  EXPECT_EQ(CsvError(azure + "2023-11-16 18:15:46,-4,2\n", CsvDialect::kAzure),
            "t.csv:2: ContextTokens: expected a non-negative integer, got '-4'");
  EXPECT_EQ(CsvError(azure + "2023-11-16 18:15:46,4,99999999999\n", CsvDialect::kAzure),
            "t.csv:2: GeneratedTokens: 99999999999 is out of range (max 4294967295)");
  EXPECT_EQ(CsvError(azure + "\"2023-11-16 18:15:46,4,9\n", CsvDialect::kAzure),
            "t.csv:2: a quoted field is not closed");
  EXPECT_EQ(CsvError(azure, CsvDialect::kAzure), "t.csv: no requests");
  const std::string burst = "Timestamp,Model,Request tokens,Response tokens\n";
  EXPECT_EQ(CsvError(burst + "nan,m,1,2\n", CsvDialect::kBurstGpt),
            "t.csv:2: Timestamp: expected a non-negative number of seconds, got 'nan'");
  EXPECT_EQ(CsvError(burst + "1e300,m,1,2\n", CsvDialect::kBurstGpt),
            "t.csv:2: Timestamp: 1e300 s is out of range (max 9e9 s)");
}

TEST(CsvTraceTest, SkipInvalidCountsBadRows) {
  const CsvReadResult r =
      ReadCsv("Timestamp,Model,Request tokens,Response tokens\n1,m,5,6\nx,m,5,6\n2,m,7,8\n",
              CsvDialect::kBurstGpt, true);
  EXPECT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.report.skipped_invalid, 1u);
  ASSERT_EQ(r.report.messages.size(), 1u);
  EXPECT_EQ(r.report.messages[0],
            "t.csv:3: Timestamp: expected a non-negative number of seconds, got 'x'");
}

class TraceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("trace_file_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(TraceFileTest, AzureCsvGetsSyntheticPrefixesAndSaysSo) {
  std::string text = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (int i = 0; i < 50; ++i) {
    text += "2023-11-16 18:" + std::to_string(10 + i / 10) + ":0" + std::to_string(i % 10) +
            ".5000000," + std::to_string(600 + 100 * (i % 5)) + ",20\n";
  }
  const std::string path = Write("azure.csv", text);
  TraceFileOptions options;
  options.format = "azure";
  options.prefix_spec.system_prompts = {1, 512, 1.0, 1.0};  // every session: one shared block
  options.prefix_spec.sessions.turns_mean = 1;
  options.prefix_name = "test";
  const LoadedTrace loaded = ReadTraceFile(path, options);
  const Trace& trace = *loaded.trace;
  ASSERT_EQ(trace.size(), 50u);
  EXPECT_EQ(trace.block_tokens(), 512u);
  // Every request starts with the one system block, then one block of its own text.
  for (size_t i = 0; i < trace.size(); ++i) {
    ASSERT_EQ(trace[i].blocks.size(), 2u);
    EXPECT_EQ(trace[i].blocks[0], trace[0].blocks[0]);
  }
  EXPECT_EQ(trace.distinct_blocks(), 51u);
  EXPECT_EQ(trace[1].arrival_ms, 1000);
  EXPECT_THAT(loaded.report.synthetic_prefixes,
              ::testing::StartsWith("no hashes: prefixes are synthetic, drawn from the 'test' "
                                    "workload"));
  const std::vector<std::string> warnings = DescribeReadWarnings("azure.csv", loaded.report);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "azure.csv: " + loaded.report.synthetic_prefixes);
}

TEST_F(TraceFileTest, JsonlFormatsReadAsTheMooncakeReaderDoes) {
  const std::string path = Write("t.jsonl",
                                 "{\"timestamp\": 1.5, \"input_length\": 32, \"output_length\": 1, "
                                 "\"hash_ids\": [4, 5]}\n");
  TraceFileOptions options;
  options.format = "bailian";
  options.read.block_tokens = 16;
  options.read.timestamp_unit = TimestampUnit::kSeconds;
  const LoadedTrace loaded = ReadTraceFile(path, options);
  EXPECT_EQ((*loaded.trace)[0].arrival_ms, 1500);
  EXPECT_EQ(loaded.report.synthetic_prefixes, "");
  options.format = "nope";
  EXPECT_THROW(ReadTraceFile(path, options), InputError);
}

}  // namespace
}  // namespace kvb
