#include "core/trace/mooncake_reader.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/trace.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// One request line (no newline) with the four fields in the usual order.
std::string Line(int64_t timestamp, uint32_t input_length, uint32_t output_length,
                 std::string_view ids) {
  return "{\"timestamp\": " + std::to_string(timestamp) +
         ", \"input_length\": " + std::to_string(input_length) +
         ", \"output_length\": " + std::to_string(output_length) + ", \"hash_ids\": [" +
         std::string(ids) + "]}";
}

// A valid line: two full blocks.
const std::string kValid = Line(1, 1024, 5, "1, 2");

std::string ErrorOf(std::string_view text, const MooncakeReadOptions& options = {}) {
  try {
    ReadMooncakeTraceFromMemory(text, "t.jsonl", options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<RawBlockId> RawIdsOf(const Trace& trace, size_t i) {
  std::vector<RawBlockId> raw;
  for (BlockId id : trace[i].blocks) raw.push_back(trace.raw_id(id));
  return raw;
}

// ---------------------------------------------------------------------------------------
// Timestamp units, re-blocking, gzip, the arrival-rate check.

// A line with a timestamp written as `timestamp` (any JSON number text).
std::string LineAt(std::string_view timestamp, std::string_view ids = "1") {
  return "{\"timestamp\": " + std::string(timestamp) +
         ", \"input_length\": 16, \"output_length\": 1, \"hash_ids\": [" + std::string(ids) + "]}";
}

std::vector<int64_t> ArrivalsOf(const std::string& text, TimestampUnit unit) {
  MooncakeReadOptions options;
  options.block_tokens = 16;
  options.timestamp_unit = unit;
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "t.jsonl", options);
  std::vector<int64_t> arrivals;
  for (size_t i = 0; i < loaded.trace->size(); ++i)
    arrivals.push_back((*loaded.trace)[i].arrival_ms);
  return arrivals;
}

TEST(TimestampUnitTest, SecondsWithFractionsRoundToTheNearestMillisecond) {
  // 61.114 s is 61113.999... in binary: rounded, not truncated; 0.0005 s rounds up.
  const std::string text = LineAt("0.0004") + "\n" + LineAt("0.0005") + "\n" + LineAt("61.114") +
                           "\n" + LineAt("7") + "\n" + LineAt("2.5e1") + "\n";
  EXPECT_THAT(ArrivalsOf(text, TimestampUnit::kSeconds), ElementsAre(0, 1, 7000, 25000, 61114));
}

TEST(TimestampUnitTest, MicrosecondsRoundToTheNearestMillisecond) {
  const std::string text =
      LineAt("1499") + "\n" + LineAt("1500") + "\n" + LineAt("2000000.4") + "\n";
  EXPECT_THAT(ArrivalsOf(text, TimestampUnit::kMicroseconds), ElementsAre(1, 2, 2000));
}

TEST(TimestampUnitTest, MillisecondsStayWholeNumbers) {
  EXPECT_EQ(ErrorOf(LineAt("1.5") + "\n"), "t.jsonl:1: timestamp: expected an integer, got 1.5");
}

TEST(TimestampUnitTest, BadSecondsNameTheFieldAndTheUnit) {
  MooncakeReadOptions options;
  options.block_tokens = 16;
  options.timestamp_unit = TimestampUnit::kSeconds;
  EXPECT_EQ(ErrorOf(LineAt("-1.5") + "\n", options),
            "t.jsonl:1: timestamp: expected a non-negative number of s, got -1.5");
  EXPECT_EQ(ErrorOf(LineAt("\"3\"") + "\n", options),
            "t.jsonl:1: timestamp: expected a non-negative number of s, got a string");
  EXPECT_EQ(ErrorOf(LineAt("1e300") + "\n", options),
            "t.jsonl:1: timestamp: 1e+300 s is out of range (max 9.2e18 ms)");
}

TEST(TimestampUnitTest, NamesRoundTrip) {
  for (TimestampUnit unit :
       {TimestampUnit::kMilliseconds, TimestampUnit::kSeconds, TimestampUnit::kMicroseconds}) {
    EXPECT_EQ(TimestampUnitFromName(TimestampUnitName(unit)), unit);
  }
  EXPECT_EQ(TimestampUnitFromName("sec"), std::nullopt);
}

// A Qwen-Bailian line: 16-token ids, seconds, and the fields kvbench ignores.
std::string BailianLine(std::string_view timestamp, uint32_t input, std::string_view ids) {
  return "{\"chat_id\": 159, \"parent_chat_id\": -1, \"timestamp\": " + std::string(timestamp) +
         ", \"input_length\": " + std::to_string(input) +
         ", \"output_length\": 3, \"type\": \"text\", \"turn\": 1, \"hash_ids\": [" +
         std::string(ids) + "]}";
}

TEST(ReblockTest, EveryKthIdAndTheLastNameTheBiggerBlocks) {
  // 16-token ids re-blocked to 64 tokens (k = 4): a 144-token request (9 ids) keeps ids
  // 4 and 8 (whole 64-token blocks) and 9 (its partial last block); a 128-token one keeps
  // 4 and 8; a 40-token one (3 ids) keeps only its last, 3.
  const std::string text = BailianLine("0.5", 144, "1, 2, 3, 4, 5, 6, 7, 8, 9") + "\n" +
                           BailianLine("1.25", 128, "1, 2, 3, 4, 5, 6, 7, 8") + "\n" +
                           BailianLine("2", 40, "1, 2, 3") + "\n";
  MooncakeReadOptions options;  // as the "bailian" format reads
  options.block_tokens = 16;
  options.timestamp_unit = TimestampUnit::kSeconds;
  options.reblock_tokens = 64;
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "q.jsonl", options);
  const Trace& trace = *loaded.trace;
  EXPECT_EQ(trace.block_tokens(), 64u);
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_THAT(RawIdsOf(trace, 0), ElementsAre(4, 8, 9));
  EXPECT_THAT(RawIdsOf(trace, 1), ElementsAre(4, 8));
  EXPECT_THAT(RawIdsOf(trace, 2), ElementsAre(3));
  EXPECT_EQ(trace[0].arrival_ms, 500);
  EXPECT_EQ(trace[1].arrival_ms, 1250);
  EXPECT_EQ(trace[0].input_tokens, 144u);
  EXPECT_EQ(trace.distinct_blocks(), 4u);               // 3, 4, 8, 9
  EXPECT_EQ(loaded.report.block_count_mismatches, 0u);  // counted against the file's blocks
}

TEST(ReblockTest, KeepsTheFilesBlocksWhenZeroOrEqual) {
  const std::string text = BailianLine("0", 48, "1, 2, 3") + "\n";
  for (uint32_t reblock : {0u, 16u}) {
    MooncakeReadOptions options;
    options.block_tokens = 16;
    options.timestamp_unit = TimestampUnit::kSeconds;
    options.reblock_tokens = reblock;
    const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "q.jsonl", options);
    EXPECT_THAT(RawIdsOf(*loaded.trace, 0), ElementsAre(1, 2, 3)) << reblock;
    EXPECT_EQ(loaded.trace->block_tokens(), 16u);
  }
}

TEST(ReblockTest, ANonMultipleIsRefused) {
  MooncakeReadOptions options;
  options.block_tokens = 16;
  options.reblock_tokens = 40;
  EXPECT_EQ(ErrorOf(kValid + "\n", options),
            "reblock_tokens: 40 is not a multiple of block_tokens 16");
}

// `n` lines, line i at timestamp i * step (ms).
std::string Spaced(size_t n, int64_t step) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += Line(static_cast<int64_t>(i) * step, 512, 1, "1") + "\n";
  return text;
}

TEST(ArrivalRateTest, SecondsReadAsMillisecondsAreFlagged) {
  // 200 requests over 0.1 s: 1990 per second.
  std::string text;
  for (size_t i = 0; i < 200; ++i) text += Line(static_cast<int64_t>(i / 2), 512, 1, "1") + "\n";
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "t.jsonl");
  EXPECT_EQ(loaded.report.implausible_rate,
            "200 requests in 0.099 s (2010 per second, read as ms): if the timestamps are in a "
            "coarser unit, give it (timestamp unit s or ms)");
  const std::vector<std::string> lines = DescribeReadWarnings("t.jsonl", loaded.report);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "t.jsonl: " + loaded.report.implausible_rate);
}

TEST(ArrivalRateTest, MicrosecondsReadAsMillisecondsAreFlagged) {
  // 100 requests 10^8 ms apart: 114.6 days.
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(Spaced(100, 100000000), "t.jsonl");
  EXPECT_EQ(loaded.report.implausible_rate,
            "100 requests over 115 days (read as ms): if the timestamps are in a finer unit, give "
            "it (timestamp unit ms or us)");
}

TEST(ArrivalRateTest, PlausibleBatchAndShortTracesAreNot) {
  EXPECT_EQ(ReadMooncakeTraceFromMemory(Spaced(1000, 1), "t.jsonl").report.implausible_rate, "");
  EXPECT_EQ(ReadMooncakeTraceFromMemory(Spaced(1000, 0), "t.jsonl").report.implausible_rate, "");
  EXPECT_EQ(ReadMooncakeTraceFromMemory(Spaced(99, 100000000), "t.jsonl").report.implausible_rate,
            "");
}

// ---------------------------------------------------------------------------------------
// The table: one row per input.

struct ExpectedReport {
  uint64_t requests = 0;
  uint64_t lines = 0;
  uint64_t blank_lines = 0;
  uint64_t crlf_lines = 0;
  bool had_bom = false;
  bool missing_final_newline = false;
  uint64_t skipped_invalid = 0;
  uint64_t block_count_mismatches = 0;
  uint64_t timestamps_backwards = 0;
  std::vector<std::string> messages = {};
};

struct ReaderCase {
  std::string name;
  std::string input;
  MooncakeReadOptions options = {};
  // The exact InputError message, or empty when the read must succeed with `report`.
  std::string error = {};
  ExpectedReport report = {};
};

void PrintTo(const ReaderCase& c, std::ostream* os) { *os << c.name; }

std::vector<ReaderCase> ReaderCases() {
  const MooncakeReadOptions skip = {.skip_invalid = true};
  // Shared by the --skip-invalid rows: a non-object, a valid line, a negative timestamp, a
  // block count warning, a prefix conflict with line 2, and a blank line.
  const std::string mixed = "[1]\n" + kValid + "\n" + Line(-1, 512, 5, "9") + "\n" +
                            Line(4, 1024, 5, "1, 2, 3") + "\n" + Line(5, 512, 5, "2") + "\n\n";
  const std::vector<std::string> mixed_messages = {
      "t.jsonl:1: expected a JSON object, got an array",
      "t.jsonl:3: timestamp: expected a non-negative integer, got -1",
      "t.jsonl:4: hash_ids: 3 ids for input_length 1024 (expected 2 blocks of 512 tokens)",
      "t.jsonl:5: hash_ids[0]: id 2 breaks the prefix tree: first seen at position 1 after id "
      "1 (line 2), here at position 0 as the first id"};
  const std::string improper =
      "invalid JSON (The JSON document has an improper structure: missing or superfluous "
      "commas, braces, missing keys, etc.)";
  const std::string ended_early =
      "invalid JSON (JSON document ended early in the middle of an object or array.)";

  return {
      // --- Whole-line problems.
      {.name = "InvalidJson", .input = "{\"timestamp\" 1}\n", .error = "t.jsonl:1: " + improper},
      {.name = "InvalidJsonCountsBlankLines",
       .input = kValid + "\n\n{\"timestamp\": 1,, }\n",
       .error = "t.jsonl:3: " + improper},
      {.name = "NotAnObjectArray",
       .input = "[1, 2]\n",
       .error = "t.jsonl:1: expected a JSON object, got an array"},
      {.name = "NotAnObjectNumber",
       .input = "42\n",
       .error = "t.jsonl:1: expected a JSON object, got 42"},
      {.name = "NotAnObjectString",
       .input = "\"text\"\n",
       .error = "t.jsonl:1: expected a JSON object, got a string"},
      {.name = "NotAnObjectNull",
       .input = "null\n",
       .error = "t.jsonl:1: expected a JSON object, got null"},
      {.name = "BareWordIsInvalidJson",
       .input = "nope\n",
       .error = "t.jsonl:1: invalid JSON (unexpected \"nope\")"},
      {.name = "TrailingObject",
       .input = kValid + " {\"a\": 1}\n",
       .error = "t.jsonl:1: invalid JSON (trailing content after the object)"},
      // simdjson's wording (the root's last token is not '}'); see report, unclear message.
      {.name = "TrailingNumber", .input = kValid + " 5\n", .error = "t.jsonl:1: " + ended_early},
      {.name = "TruncatedLastLine",
       .input = kValid + "\n{\"timestamp\": 2, \"input_length\": 1024, \"output_length\": 2, "
                         "\"hash_ids\": [1, 2",
       .error = "t.jsonl:2: truncated last line: no newline at the end and invalid JSON (JSON "
                "document ended early in the middle of an object or array.)"},
      {.name = "TruncatedLastLineInsideAString",
       .input = kValid + "\n{\"timestamp\": 2, \"input_len",
       .error = "t.jsonl:2: truncated last line: no newline at the end and invalid JSON (A "
                "string is opened, but never closed.)"},
      {.name = "EmptyFile", .input = "", .error = "t.jsonl: empty trace: no requests"},
      {.name = "OnlyBlankLines",
       .input = "\n  \n\t\r\n\n",
       .error = "t.jsonl: empty trace: no requests"},
      {.name = "OnlyABom", .input = "\xEF\xBB\xBF", .error = "t.jsonl: empty trace: no requests"},
      {.name = "BomThenNotAnObject",
       .input = "\xEF\xBB\xBF[1]\n",
       .error = "t.jsonl:1: expected a JSON object, got an array"},
      {.name = "ZeroBlockTokens",
       .input = kValid + "\n",
       .options = {.block_tokens = 0},
       .error = "block_tokens: must be > 0"},

      // --- Missing and duplicated fields.
      {.name = "MissingTimestamp",
       .input = "{\"input_length\": 0, \"output_length\": 0, \"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: missing required field"},
      {.name = "MissingInputLength",
       .input = "{\"timestamp\": 0, \"output_length\": 0, \"hash_ids\": []}\n",
       .error = "t.jsonl:1: input_length: missing required field"},
      {.name = "MissingOutputLength",
       .input = "{\"timestamp\": 0, \"input_length\": 0, \"hash_ids\": []}\n",
       .error = "t.jsonl:1: output_length: missing required field"},
      {.name = "MissingHashIds",
       .input = "{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 0}\n",
       .error = "t.jsonl:1: hash_ids: missing required field"},
      {.name = "EmptyObject",
       .input = "{}\n",
       .error = "t.jsonl:1: timestamp: missing required field"},
      {.name = "DuplicateTimestamp",
       .input = "{\"timestamp\": 1, \"input_length\": 0, \"timestamp\": 2, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: duplicate field"},
      {.name = "DuplicateHashIds",
       .input = "{\"timestamp\": 1, \"input_length\": 512, \"output_length\": 0, \"hash_ids\": "
                "[1], \"hash_ids\": [1]}\n",
       .error = "t.jsonl:1: hash_ids: duplicate field"},

      // --- Wrong types.
      {.name = "TimestampString",
       .input = "{\"timestamp\": \"12\", \"input_length\": 0, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: expected a non-negative integer, got a string"},
      {.name = "OutputLengthArray",
       .input = "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": [1], "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: output_length: expected a non-negative integer, got an array"},
      {.name = "HashIdsObject",
       .input = "{\"timestamp\": 1, \"input_length\": 512, \"output_length\": 0, \"hash_ids\": "
                "{\"0\": 1}}\n",
       .error = "t.jsonl:1: hash_ids: expected an array, got an object"},
      {.name = "HashIdsString",
       .input = "{\"timestamp\": 1, \"input_length\": 512, \"output_length\": 0, \"hash_ids\": "
                "\"1, 2\"}\n",
       .error = "t.jsonl:1: hash_ids: expected an array, got a string"},
      {.name = "HashIdsNull",
       .input = "{\"timestamp\": 1, \"input_length\": 512, \"output_length\": 0, \"hash_ids\": "
                "null}\n",
       .error = "t.jsonl:1: hash_ids: expected an array, got null"},
      {.name = "IdString",
       .input = Line(1, 1024, 0, "1, \"2\"") + "\n",
       .error = "t.jsonl:1: hash_ids[1]: expected a non-negative integer, got a string"},
      {.name = "IdBool",
       .input = Line(1, 512, 0, "true") + "\n",
       .error = "t.jsonl:1: hash_ids[0]: expected a non-negative integer, got a boolean"},
      {.name = "IdNull",
       .input = Line(1, 1536, 0, "1, 2, null") + "\n",
       .error = "t.jsonl:1: hash_ids[2]: expected a non-negative integer, got null"},
      {.name = "IdArray",
       .input = Line(1, 512, 0, "[1]") + "\n",
       .error = "t.jsonl:1: hash_ids[0]: expected a non-negative integer, got an array"},
      {.name = "IdBareWordIsInvalidJson",
       .input = Line(1, 1024, 0, "1, tru") + "\n",
       .error = "t.jsonl:1: invalid JSON (unexpected \"tru\")"},
      {.name = "TimestampBareWordIsInvalidJson",
       .input = "{\"timestamp\": nul, \"input_length\": 0, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: invalid JSON (unexpected \"nul\")"},
      {.name = "HashIdsBareWordIsInvalidJson",
       .input = "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 0, "
                "\"hash_ids\": falsehood}\n",
       .error = "t.jsonl:1: invalid JSON (unexpected \"falsehood\")"},

      // --- Numbers out of their domain.
      {.name = "NegativeTimestamp",
       .input = Line(-5, 0, 0, "") + "\n",
       .error = "t.jsonl:1: timestamp: expected a non-negative integer, got -5"},
      {.name = "NegativeInputLength",
       .input = "{\"timestamp\": 1, \"input_length\": -1, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: input_length: expected a non-negative integer, got -1"},
      {.name = "NegativeId",
       .input = Line(1, 1024, 0, "1, -3") + "\n",
       .error = "t.jsonl:1: hash_ids[1]: expected a non-negative integer, got -3"},
      {.name = "FractionalTimestamp",
       .input = "{\"timestamp\": 1.5, \"input_length\": 0, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: expected an integer, got 1.5"},
      {.name = "ExponentOutputLength",
       .input = "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 1e3, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: output_length: expected an integer, got 1e3"},
      {.name = "FractionalId",
       .input = Line(1, 512, 0, "2.0") + "\n",
       .error = "t.jsonl:1: hash_ids[0]: expected an integer, got 2.0"},
      {.name = "TimestampOverflowsInt64",
       .input = "{\"timestamp\": 9223372036854775808, \"input_length\": 0, \"output_length\": "
                "0, \"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: 9223372036854775808 is out of range (max "
                "9223372036854775807)"},
      {.name = "InputLengthOverflowsUint32",
       .input = "{\"timestamp\": 1, \"input_length\": 4294967296, \"output_length\": 0, "
                "\"hash_ids\": [1]}\n",
       .error = "t.jsonl:1: input_length: 4294967296 is out of range (max 4294967295)"},
      {.name = "IdOverflowsUint64",
       .input = Line(1, 512, 0, "18446744073709551616") + "\n",
       .error = "t.jsonl:1: hash_ids[0]: 18446744073709551616 is out of range (max "
                "18446744073709551615)"},
      // READER BUG (report #2): over 40 digits the shortened token ends in "..." and is
      // then taken for a fraction ("expected an integer").
      {.name = "HugeNumberIsOutOfRange",
       .input = "{\"timestamp\": 123456789012345678901234567890123456789012345, "
                "\"input_length\": 0, \"output_length\": 0, \"hash_ids\": []}\n",
       .error = "t.jsonl:1: timestamp: 1234567890123456789012345678901234567890... is out of "
                "range (max 9223372036854775807)"},
      // READER BUG (report #2): a leading zero is malformed JSON, not an out-of-range number.
      {.name = "LeadingZeroIsInvalidJson",
       .input = "{\"timestamp\": 01, \"input_length\": 0, \"output_length\": 0, "
                "\"hash_ids\": []}\n",
       .error = "t.jsonl:1: invalid JSON (Problem while parsing a number)"},

      // --- Ids.
      {.name = "EmptyIdsWithInput",
       .input = Line(1, 100, 0, "") + "\n",
       .error = "t.jsonl:1: hash_ids: empty, but input_length is 100"},
      {.name = "IdAtAnotherPosition",
       .input = kValid + "\n" + Line(2, 512, 1, "2") + "\n",
       .error = "t.jsonl:2: hash_ids[0]: id 2 breaks the prefix tree: first seen at position 1 "
                "after id 1 (line 1), here at position 0 as the first id"},
      {.name = "IdAfterAnotherParentNamesTheFirstLineWithIt",
       .input = Line(1, 512, 1, "9") + "\n\n" + Line(2, 1024, 1, "1, 2") + "\n" +
                Line(3, 1536, 1, "1, 2, 3") + "\n" + Line(4, 1024, 1, "4, 2") + "\n",
       .error = "t.jsonl:5: hash_ids[1]: id 2 breaks the prefix tree: first seen at position 1 "
                "after id 1 (line 3), here at position 1 after id 4"},

      // --- Accepted inputs.
      {.name = "OneRequest", .input = kValid + "\n", .report = {.requests = 1, .lines = 1}},
      {.name = "UnknownFieldsIgnored",
       .input = "{\"timestamp\": 1, \"extra\": {\"nested\": [1, \"x\", null, true]}, "
                "\"input_length\": 512, \"output_length\": 1, \"hash_ids\": [1], \"more\": "
                "\"y\"}\n",
       .report = {.requests = 1, .lines = 1}},
      {.name = "BlankAndWhitespaceLines",
       .input = "\n   \n" + kValid + "\n\t\n\n",
       .report = {.requests = 1, .lines = 5, .blank_lines = 4}},
      {.name = "Crlf",
       .input = kValid + "\r\n" + Line(2, 1024, 5, "1, 3") + "\r\n\r\n",
       .report = {.requests = 2, .lines = 3, .blank_lines = 1, .crlf_lines = 3}},
      {.name = "Bom",
       .input = "\xEF\xBB\xBF" + kValid + "\n",
       .report = {.requests = 1, .lines = 1, .had_bom = true}},
      {.name = "LastLineWithoutNewline",
       .input = kValid + "\n" + Line(2, 1024, 5, "1, 3"),
       .report = {.requests = 2, .lines = 2, .missing_final_newline = true}},
      {.name = "LastLineOfSpacesWithoutNewline",
       .input = kValid + "\n   ",
       .report = {.requests = 1, .lines = 2, .blank_lines = 1, .missing_final_newline = true}},
      {.name = "EmptyIdsWithZeroInput",
       .input = Line(1, 0, 3, "") + "\n",
       .report = {.requests = 1, .lines = 1}},
      {.name = "LargestValues",
       .input = "{\"timestamp\": 9223372036854775807, \"input_length\": 4294967295, "
                "\"output_length\": 4294967295, \"hash_ids\": [18446744073709551615]}\n",
       .report = {.requests = 1,
                  .lines = 1,
                  .block_count_mismatches = 1,
                  .messages = {"t.jsonl:1: hash_ids: 1 ids for input_length 4294967295 "
                               "(expected 8388608 blocks of 512 tokens)"}}},
      {.name = "BlockCountMismatchIsAWarning",
       .input = kValid + "\n" + Line(2, 1024, 5, "1, 2, 3") + "\n" + Line(3, 1025, 5, "1, 2") +
                "\n" + Line(4, 1025, 5, "1, 2, 4") + "\n",
       .report = {.requests = 4,
                  .lines = 4,
                  .block_count_mismatches = 2,
                  .messages = {"t.jsonl:2: hash_ids: 3 ids for input_length 1024 (expected 2 "
                               "blocks of 512 tokens)",
                               "t.jsonl:3: hash_ids: 2 ids for input_length 1025 (expected 3 "
                               "blocks of 512 tokens)"}}},
      {.name = "BlockTokensOption",
       .input = Line(1, 1024, 5, "1, 2, 3, 4") + "\n" + Line(2, 1024, 5, "1, 2") + "\n",
       .options = {.block_tokens = 256},
       .report = {.requests = 2,
                  .lines = 2,
                  .block_count_mismatches = 1,
                  .messages = {"t.jsonl:2: hash_ids: 2 ids for input_length 1024 (expected 4 "
                               "blocks of 256 tokens)"}}},
      {.name = "TimestampsBackwards",
       .input = Line(5, 512, 1, "1") + "\n" + Line(3, 512, 1, "2") + "\n" + Line(5, 512, 1, "3") +
                "\n" + Line(1, 512, 1, "4") + "\n",
       .report = {.requests = 4, .lines = 4, .timestamps_backwards = 2}},

      // --- --skip-invalid.
      {.name = "SkipInvalidCapsMessages",
       .input = mixed,
       .options = {.skip_invalid = true, .max_messages = 2},
       .report = {.requests = 2,
                  .lines = 6,
                  .blank_lines = 1,
                  .skipped_invalid = 3,
                  .block_count_mismatches = 1,
                  .messages = {mixed_messages[0], mixed_messages[1]}}},
      {.name = "SkipInvalidKeepsMessagesInOrder",
       .input = mixed,
       .options = skip,
       .report = {.requests = 2,
                  .lines = 6,
                  .blank_lines = 1,
                  .skipped_invalid = 3,
                  .block_count_mismatches = 1,
                  .messages = mixed_messages}},
      {.name = "SkipInvalidWithNoMessages",
       .input = mixed,
       .options = {.skip_invalid = true, .max_messages = 0},
       .report = {.requests = 2,
                  .lines = 6,
                  .blank_lines = 1,
                  .skipped_invalid = 3,
                  .block_count_mismatches = 1}},
      {.name = "SkipInvalidTruncatedLastLine",
       .input = kValid + "\n{\"timestamp",
       .options = skip,
       .report = {.requests = 1,
                  .lines = 2,
                  .missing_final_newline = true,
                  .skipped_invalid = 1,
                  .messages = {"t.jsonl:2: truncated last line: no newline at the end and "
                               "invalid JSON (A string is opened, but never closed.)"}}},
      {.name = "SkipInvalidAllSkipped",
       .input = "[1]\n{}\n\n",
       .options = skip,
       .error = "t.jsonl: no valid requests (2 invalid lines skipped)"},
      {.name = "WithoutSkipInvalidTheFirstErrorStops",
       .input = mixed,
       .error = "t.jsonl:1: expected a JSON object, got an array"},
  };
}

class MooncakeReaderTableTest : public ::testing::TestWithParam<ReaderCase> {};

TEST_P(MooncakeReaderTableTest, ReadsOrFailsExactly) {
  const ReaderCase& c = GetParam();
  if (!c.error.empty()) {
    EXPECT_EQ(ErrorOf(c.input, c.options), c.error);
    return;
  }
  LoadedTrace loaded;
  try {
    loaded = ReadMooncakeTraceFromMemory(c.input, "t.jsonl", c.options);
  } catch (const InputError& e) {
    FAIL() << "unexpected error: " << e.what();
  }
  const MooncakeReadReport& r = loaded.report;
  const ExpectedReport& want = c.report;
  EXPECT_EQ(r.bytes, c.input.size());
  EXPECT_EQ(r.requests, want.requests);
  EXPECT_EQ(loaded.trace->size(), want.requests);
  EXPECT_EQ(r.lines, want.lines);
  EXPECT_EQ(r.blank_lines, want.blank_lines);
  EXPECT_EQ(r.crlf_lines, want.crlf_lines);
  EXPECT_EQ(r.had_bom, want.had_bom);
  EXPECT_EQ(r.missing_final_newline, want.missing_final_newline);
  EXPECT_EQ(r.skipped_invalid, want.skipped_invalid);
  EXPECT_EQ(r.block_count_mismatches, want.block_count_mismatches);
  EXPECT_EQ(r.timestamps_backwards, want.timestamps_backwards);
  EXPECT_THAT(r.messages, ElementsAreArray(want.messages));
}

INSTANTIATE_TEST_SUITE_P(Cases, MooncakeReaderTableTest, ::testing::ValuesIn(ReaderCases()),
                         [](const ::testing::TestParamInfo<ReaderCase>& case_info) {
                           return case_info.param.name;
                         });

// ---------------------------------------------------------------------------------------
// Behaviour beyond counters.

TEST(MooncakeReaderTest, ReadsTheFourFields) {
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(
      "{\"hash_ids\": [46, 47, 2353], \"output_length\": 52, \"input_length\": 1500, "
      "\"timestamp\": 27482}\n",
      "t.jsonl");
  ASSERT_EQ(loaded.trace->size(), 1u);
  const Request r = (*loaded.trace)[0];
  EXPECT_EQ(r.arrival_ms, 27482);
  EXPECT_EQ(r.input_tokens, 1500u);
  EXPECT_EQ(r.output_tokens, 52u);
  EXPECT_THAT(RawIdsOf(*loaded.trace, 0), ElementsAre(46u, 47u, 2353u));
  EXPECT_EQ(loaded.trace->block_tokens(), 512u);
}

TEST(MooncakeReaderTest, TimestampsGoingBackwardsAreStableSorted) {
  const std::string text = Line(5, 512, 1, "1") + "\n" + Line(3, 512, 2, "2") + "\n" +
                           Line(5, 512, 3, "3") + "\n" + Line(1, 512, 4, "4") + "\n" +
                           Line(3, 512, 5, "5") + "\n";
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "t.jsonl");
  EXPECT_EQ(loaded.report.timestamps_backwards, 2u);  // 3 after 5, 1 after 5
  const Trace& trace = *loaded.trace;
  ASSERT_EQ(trace.size(), 5u);
  // By time, equal times in file order: t1 [4], t3 [2], t3 [5], t5 [1], t5 [3].
  const std::vector<RawBlockId> expected_first_ids = {4, 2, 5, 1, 3};
  const std::vector<int64_t> expected_times = {1, 3, 3, 5, 5};
  const std::vector<uint32_t> expected_outputs = {4, 2, 5, 1, 3};
  for (size_t i = 0; i < trace.size(); ++i) {
    EXPECT_THAT(RawIdsOf(trace, i), ElementsAre(expected_first_ids[i])) << i;
    EXPECT_EQ(trace[i].arrival_ms, expected_times[i]) << i;
    EXPECT_EQ(trace[i].output_tokens, expected_outputs[i]) << i;
  }
}

TEST(MooncakeReaderTest, SkippedConflictLeavesTheTreeIntact) {
  // Line 2 conflicts after introducing 5; with --skip-invalid it is dropped whole, so 5
  // is free to appear first on line 3.
  const std::string text =
      kValid + "\n" + Line(2, 1536, 1, "5, 6, 2") + "\n" + Line(3, 1024, 1, "6, 5") + "\n";
  const LoadedTrace loaded = ReadMooncakeTraceFromMemory(text, "t.jsonl", {.skip_invalid = true});
  EXPECT_EQ(loaded.report.skipped_invalid, 1u);
  ASSERT_EQ(loaded.trace->size(), 2u);
  EXPECT_EQ(loaded.trace->distinct_blocks(), 4u);
  EXPECT_THAT(RawIdsOf(*loaded.trace, 1), ElementsAre(6u, 5u));
}

// READER BUG (report #1): an id repeated within one line makes TraceBuilder report the
// refused request itself as `earlier_request`; DescribeConflict then indexes
// request_lines_ one past its end (a heap over-read; a null dereference when it is the
// first line). Expected: the message names the line itself.
TEST(MooncakeReaderTest, IdRepeatedWithinALineNamesThatLine) {
  const std::string text =
      kValid + "\n" + Line(2, 1024, 1, "5, 6") + "\n" + Line(3, 1024, 1, "7, 7") + "\n";
  EXPECT_EQ(ErrorOf(text),
            "t.jsonl:3: hash_ids[1]: id 7 breaks the prefix tree: first seen at position 0 as "
            "the first id (line 3), here at position 1 after id 7");
}

// ---------------------------------------------------------------------------------------
// Real files.

bool SameTrace(const Trace& a, const Trace& b) {
  if (a.size() != b.size() || a.block_count() != b.block_count() ||
      a.distinct_blocks() != b.distinct_blocks()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].arrival_ms != b[i].arrival_ms || a[i].input_tokens != b[i].input_tokens ||
        a[i].output_tokens != b[i].output_tokens || RawIdsOf(a, i) != RawIdsOf(b, i)) {
      return false;
    }
  }
  return true;
}

class MooncakeReaderFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("mooncake_reader_test_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << contents;
    out.close();
    EXPECT_TRUE(out.good()) << path;
    return path;
  }

  static bool HaveZstd() { return std::system("command -v zstd > /dev/null 2>&1") == 0; }

  // Compresses `path` into `path`.zst with the zstd CLI; returns the new path.
  static std::string Compress(const std::string& path) {
    const std::string out = path + ".zst";
    const std::string command = "zstd -q -f '" + path + "' -o '" + out + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return out;
  }

  static std::string ErrorOfFile(const std::string& path) {
    try {
      ReadMooncakeTrace(path);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::filesystem::path dir_;
};

// A deterministic multi-megabyte trace: request i is [0, fresh ids...] with 1 + i % 30
// fresh ids, so lines have many lengths. Returns the text; `expected` gets the same trace.
std::string ManyLines(size_t requests, std::shared_ptr<const Trace>* expected) {
  TraceBuilder builder;
  std::string text;
  RawBlockId next_id = 1;
  for (size_t i = 0; i < requests; ++i) {
    std::vector<RawBlockId> ids = {0};
    for (size_t k = 0; k < 1 + i % 30; ++k) ids.push_back(next_id++);
    const uint32_t input = static_cast<uint32_t>(ids.size() * 512 - i % 400);
    std::string id_text;
    for (RawBlockId id : ids) id_text += (id_text.empty() ? "" : ", ") + std::to_string(id);
    text += Line(static_cast<int64_t>(i), input, 7, id_text) + "\n";
    EXPECT_FALSE(builder.Add(static_cast<int64_t>(i), input, 7, ids).has_value());
  }
  *expected = builder.Finish();
  return text;
}

TEST_F(MooncakeReaderFileTest, MissingFile) {
  const std::string path = (dir_ / "missing.jsonl").string();
  EXPECT_EQ(ErrorOfFile(path), path + ": cannot open: No such file or directory");
}

TEST_F(MooncakeReaderFileTest, Directory) {
  EXPECT_EQ(ErrorOfFile(dir_.string()), dir_.string() + ": is a directory, not a trace file");
}

TEST_F(MooncakeReaderFileTest, MessagesNameTheFile) {
  const std::string path = Write("bad.jsonl", kValid + "\n[1]\n");
  EXPECT_EQ(ErrorOfFile(path), path + ":2: expected a JSON object, got an array");
}

TEST_F(MooncakeReaderFileTest, ReadsAFileLikeMemory) {
  const std::string text = kValid + "\r\n\n" + Line(0, 1024, 9, "1, 3") + "\n";
  const std::string path = Write("small.jsonl", text);
  const LoadedTrace from_file = ReadMooncakeTrace(path);
  const LoadedTrace from_memory = ReadMooncakeTraceFromMemory(text, "t.jsonl");
  EXPECT_TRUE(SameTrace(*from_file.trace, *from_memory.trace));
  EXPECT_EQ(from_file.report.bytes, text.size());
  EXPECT_EQ(from_file.report.lines, 3u);
  EXPECT_EQ(from_file.report.crlf_lines, 1u);
  EXPECT_EQ(from_file.report.timestamps_backwards, 1u);
}

TEST_F(MooncakeReaderFileTest, ReadsZstd) {
  if (!HaveZstd()) GTEST_SKIP() << "the zstd command is not on PATH";
  std::shared_ptr<const Trace> expected;
  const std::string text = ManyLines(30000, &expected);  // ~4 MB: several chunks
  const std::string path = Compress(Write("trace.jsonl", text));
  const LoadedTrace loaded = ReadMooncakeTrace(path);
  EXPECT_TRUE(SameTrace(*loaded.trace, *expected));
  EXPECT_EQ(loaded.report.bytes, text.size());  // decompressed bytes
  EXPECT_EQ(loaded.report.lines, 30000u);
}

TEST_F(MooncakeReaderFileTest, TruncatedZstdIsAClearError) {
  if (!HaveZstd()) GTEST_SKIP() << "the zstd command is not on PATH";
  std::shared_ptr<const Trace> expected;
  const std::string path = Compress(Write("trace.jsonl", ManyLines(3000, &expected)));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  EXPECT_EQ(ErrorOfFile(path), path + ": zstd: truncated compressed stream");
}

TEST_F(MooncakeReaderFileTest, PlainTextNamedZstIsAClearError) {
  const std::string path = Write("plain.jsonl.zst", kValid + "\n");
  EXPECT_EQ(ErrorOfFile(path), path + ": zstd: Unknown frame descriptor");
}

TEST_F(MooncakeReaderFileTest, ReadsGzipOfSeveralMembers) {
  if (std::system("command -v gzip > /dev/null 2>&1") != 0) GTEST_SKIP() << "no gzip command";
  std::shared_ptr<const Trace> expected;
  const std::string text = ManyLines(30000, &expected);  // ~4 MB: several chunks
  const size_t half = text.find('\n', text.size() / 2) + 1;
  const std::string a = Write("a.jsonl", text.substr(0, half));
  const std::string b = Write("b.jsonl", text.substr(half));
  const std::string path = (dir_ / "trace.jsonl.gz").string();
  const std::string command =
      "gzip -c '" + a + "' > '" + path + "' && gzip -c '" + b + "' >> '" + path + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const LoadedTrace loaded = ReadMooncakeTrace(path);
  EXPECT_TRUE(SameTrace(*loaded.trace, *expected));
  EXPECT_EQ(loaded.report.bytes, text.size());
  EXPECT_EQ(loaded.report.lines, 30000u);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 3);
  EXPECT_EQ(ErrorOfFile(path), path + ": gzip: truncated compressed stream");
}

TEST_F(MooncakeReaderFileTest, PlainTextNamedGzIsAClearError) {
  const std::string path = Write("plain.jsonl.gz", kValid + "\n");
  EXPECT_EQ(ErrorOfFile(path), path + ": gzip: incorrect header check");
}

TEST_F(MooncakeReaderFileTest, LineLongerThanTheChunkGrowsTheBuffer) {
  // 200,000 ids of up to 6 digits: ~1.6 MB on one line, beyond the 1 MiB chunk.
  constexpr uint32_t kIds = 200000;
  std::string ids;
  for (uint32_t i = 1; i <= kIds; ++i) ids += (i == 1 ? "" : ", ") + std::to_string(i);
  const std::string text = Line(1, 512, 1, "1") + "\n" + Line(2, kIds * 512, 3, ids) + "\n" +
                           Line(3, 1024, 1, "1, 2") + "\n";
  ASSERT_GT(text.size(), size_t{1} << 20);
  const std::string path = Write("long.jsonl", text);
  for (const LoadedTrace& loaded :
       {ReadMooncakeTrace(path), ReadMooncakeTraceFromMemory(text, "t.jsonl")}) {
    const Trace& trace = *loaded.trace;
    ASSERT_EQ(trace.size(), 3u);
    EXPECT_EQ(trace.distinct_blocks(), kIds);
    ASSERT_EQ(trace[1].blocks.size(), kIds);
    EXPECT_EQ(trace.raw_id(trace[1].blocks.back()), RawBlockId{kIds});
    EXPECT_EQ(trace.depth(trace[1].blocks.back()), kIds - 1);
    EXPECT_THAT(RawIdsOf(trace, 2), ElementsAre(1u, 2u));
    EXPECT_EQ(loaded.report.lines, 3u);
    EXPECT_EQ(loaded.report.block_count_mismatches, 0u);
  }
}

// A line of more than 64 MiB (here NUL bytes, as a sparse file reads) is refused once the
// buffer reaches that size, naming the line, even with skip_invalid.
TEST_F(MooncakeReaderFileTest, ALineBeyond64MiBIsRefusedWithoutReadingOn) {
  const std::string text = Line(1, 512, 1, "1") + "\n" + std::string((size_t{64} << 20) + 10, '\0');
  const std::string path = Write("huge.jsonl", text);
  MooncakeReadOptions skip;
  skip.skip_invalid = true;
  for (const MooncakeReadOptions& options : {MooncakeReadOptions{}, skip}) {
    try {
      ReadMooncakeTrace(path, options);
      FAIL() << "accepted a 64 MiB line";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                path + ":2: line longer than 64 MiB without a newline: not Mooncake JSONL");
    }
  }
}

TEST_F(MooncakeReaderFileTest, LinesStraddlingChunkBoundaries) {
  std::shared_ptr<const Trace> head_trace;
  std::string text = ManyLines(4500, &head_trace);  // ~0.64 MB
  // Pad with a CRLF line whose '\r' is the last byte of the first 1 MiB chunk and whose
  // '\n' is the first byte of the next.
  constexpr size_t kChunk = size_t{1} << 20;
  std::string lines_before;
  RawBlockId next_id = 1000000;
  int64_t time = 5000;
  while (text.size() + lines_before.size() < kChunk - 1000) {
    const std::string ids = std::to_string(next_id) + ", " + std::to_string(next_id + 1);
    lines_before += Line(time++, 1000, 1, ids) + "\n";
    next_id += 2;
  }
  text += lines_before;
  // The latest arrival of the file, so it sorts last.
  const std::string head =
      "{\"timestamp\": 777777, \"input_length\": 100, "
      "\"output_length\": 1, \"hash_ids\": [5000000], \"pad\": \"";
  const size_t pad = kChunk - 1 - text.size() - head.size() - 2;
  text += head + std::string(pad, 'x') + "\"}\r\n";
  ASSERT_EQ(text[kChunk - 1], '\r');
  ASSERT_EQ(text[kChunk], '\n');
  std::shared_ptr<const Trace> tail_trace;
  std::string tail = ManyLines(15000, &tail_trace);  // ids overlap the head's: same tree
  text += tail;                                      // ~3 MB in all
  const size_t expected_requests = head_trace->size() + (time - 5000) + 1 + tail_trace->size();
  const size_t expected_lines = expected_requests;

  const std::string path = Write("big.jsonl", text);
  const LoadedTrace from_file = ReadMooncakeTrace(path);
  const LoadedTrace from_memory = ReadMooncakeTraceFromMemory(text, "t.jsonl");
  EXPECT_TRUE(SameTrace(*from_file.trace, *from_memory.trace));
  for (const LoadedTrace* loaded : {&from_file, &from_memory}) {
    EXPECT_EQ(loaded->report.requests, expected_requests);
    EXPECT_EQ(loaded->report.lines, expected_lines);
    EXPECT_EQ(loaded->report.crlf_lines, 1u);
    EXPECT_EQ(loaded->report.bytes, text.size());
    EXPECT_EQ(loaded->report.block_count_mismatches, 0u);
  }
  // Spot checks against what was written: the padded line sorts last, after the tail's
  // last line (t=14999); the head's first line (t=0) sorts first.
  const Trace& trace = *from_file.trace;
  ASSERT_EQ(trace.size(), expected_requests);
  EXPECT_EQ(trace[trace.size() - 1].arrival_ms, 777777);
  EXPECT_EQ(trace[trace.size() - 1].input_tokens, 100u);
  EXPECT_THAT(RawIdsOf(trace, trace.size() - 1), ElementsAre(5000000u));
  EXPECT_EQ(RawIdsOf(trace, trace.size() - 2), RawIdsOf(*tail_trace, tail_trace->size() - 1));
  EXPECT_EQ(RawIdsOf(trace, 0), RawIdsOf(*head_trace, 0));
}

}  // namespace
}  // namespace kvb
