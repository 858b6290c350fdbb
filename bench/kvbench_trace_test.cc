// End-to-end tests of the kvbench-trace binary: exit codes, one-line errors, JSON output,
// and a generate -> stats round trip through the writer and the reader.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KvbenchTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("kvbench_trace_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CommandResult Exec(const std::string& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command =
        std::string(KVBENCH_TRACE_BIN) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int status = std::system(command.c_str());
    CommandResult run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadAll(out);
    run.err = ReadAll(err);
    return run;
  }

  fs::path Write(const std::string& name, const std::string& contents) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  fs::path dir_;
};

TEST_F(KvbenchTraceTest, StatsJsonOfAHandWrittenTrace) {
  // Request 2 reuses block 10 of request 1; request 3 reuses 10 and 11.
  const fs::path trace =
      Write("t.jsonl",
            "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 5, "
            "\"hash_ids\": [10, 11]}\n"
            "{\"timestamp\": 1000, \"input_length\": 600, \"output_length\": 7, "
            "\"hash_ids\": [10, 12]}\n"
            "{\"timestamp\": 2000, \"input_length\": 1500, \"output_length\": 9, "
            "\"hash_ids\": [10, 11, 13]}\n");
  const CommandResult run = Exec("stats " + trace.string() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  const auto& s = json["stats"];
  EXPECT_EQ(s["requests"], 3);
  EXPECT_EQ(s["blocks"], 7);
  EXPECT_EQ(s["distinct_blocks"], 4);
  EXPECT_EQ(s["reusable_blocks"], 3);  // 0 + 1 + 2
  EXPECT_DOUBLE_EQ(s["reusable_share"].get<double>(), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(s["avg_input_tokens"].get<double>(), 3100.0 / 3.0);
  EXPECT_DOUBLE_EQ(s["arrival_rate_per_s"].get<double>(), 1.5);  // 3 requests over 2 s
  ASSERT_FALSE(s["hottest_prefixes"].empty());
  EXPECT_EQ(s["hottest_prefixes"][0]["id"], 10);
  EXPECT_EQ(s["hottest_prefixes"][0]["requests"], 3);
  EXPECT_EQ(json["read"]["lines"], 3);
}

TEST_F(KvbenchTraceTest, GenerateThenStatsRoundTripsThroughTheFile) {
  const fs::path file = dir_ / "gen.jsonl";
  const CommandResult gen =
      Exec("generate conversation --requests 500 --seed 7 -o " + file.string());
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const CommandResult from_file = Exec("stats " + file.string() + " --json");
  const CommandResult from_preset =
      Exec("stats --preset conversation --requests 500 --seed 7 --json");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  ASSERT_EQ(from_preset.exit_code, 0) << from_preset.err;
  auto a = nlohmann::json::parse(from_file.out)["stats"];
  auto b = nlohmann::json::parse(from_preset.out)["stats"];
  // Capacities differ (the reader sizes its arrays from the file size); contents do not.
  a.erase("trace_memory_bytes");
  b.erase("trace_memory_bytes");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["requests"], 500);
  // Nothing but the final file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 3);
}

TEST_F(KvbenchTraceTest, GenerateIsDeterministicAndSeedSensitive) {
  ASSERT_EQ(Exec("generate synthetic -n 300 -s 3 -o " + (dir_ / "a").string()).exit_code, 0);
  ASSERT_EQ(Exec("generate synthetic -n 300 -s 3 -o " + (dir_ / "b").string()).exit_code, 0);
  ASSERT_EQ(Exec("generate synthetic -n 300 -s 4 -o " + (dir_ / "c").string()).exit_code, 0);
  EXPECT_EQ(ReadAll(dir_ / "a"), ReadAll(dir_ / "b"));
  EXPECT_NE(ReadAll(dir_ / "a"), ReadAll(dir_ / "c"));
}

TEST_F(KvbenchTraceTest, ValidateAcceptsAGoodTraceAndCountsWarnings) {
  const fs::path trace = Write("w.jsonl",
                               "\xEF\xBB\xBF{\"timestamp\": 5, \"input_length\": 100, "
                               "\"output_length\": 1, \"hash_ids\": [1]}\r\n"
                               "\n"
                               "{\"timestamp\": 3, \"input_length\": 2000, \"output_length\": 1, "
                               "\"hash_ids\": [1, 2]}");
  const CommandResult run = Exec("validate " + trace.string() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto r = nlohmann::json::parse(run.out)["read"];
  EXPECT_EQ(r["requests"], 2);
  EXPECT_EQ(r["blank_lines"], 1);
  EXPECT_EQ(r["crlf_lines"], 1);
  EXPECT_EQ(r["had_bom"], true);
  EXPECT_EQ(r["missing_final_newline"], true);
  EXPECT_EQ(r["timestamps_backwards"], 1);
  EXPECT_EQ(r["block_count_mismatches"], 1);  // 2000 tokens need 4 blocks, 2 given
}

// A gzipped Qwen-Bailian file (seconds, 16-token ids) converted to Mooncake JSONL in ms,
// re-blocked to 64 tokens: every 4th id and each request's last.
TEST_F(KvbenchTraceTest, ConvertRewritesBailianGzipAsMooncakeMilliseconds) {
  if (std::system("command -v gzip > /dev/null 2>&1") != 0) GTEST_SKIP() << "no gzip command";
  const fs::path trace = Write(
      "q.jsonl",
      "{\"chat_id\": 1, \"parent_chat_id\": -1, \"timestamp\": 61.114, \"input_length\": 144, "
      "\"output_length\": 3, \"type\": \"text\", \"turn\": 1, \"hash_ids\": [1, 2, 3, 4, 5, 6, 7, "
      "8, 9]}\n"
      "{\"chat_id\": 2, \"parent_chat_id\": 1, \"timestamp\": 0.5, \"input_length\": 40, "
      "\"output_length\": 7, \"type\": \"search\", \"turn\": 2, \"hash_ids\": [1, 2, 3]}\n");
  ASSERT_EQ(std::system(("gzip '" + trace.string() + "'").c_str()), 0);
  const fs::path out = dir_ / "m.jsonl";
  const CommandResult run = Exec("convert " + trace.string() + ".gz --format bailian " +
                                 "--reblock-tokens 64 -o " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadAll(out),
            "{\"timestamp\": 500, \"input_length\": 40, \"output_length\": 7, \"hash_ids\": [3]}\n"
            "{\"timestamp\": 61114, \"input_length\": 144, \"output_length\": 3, \"hash_ids\": "
            "[4, 8, 9]}\n");
  EXPECT_THAT(run.err, HasSubstr("wrote 2 requests (4 blocks of 64 tokens)"));
  const CommandResult check = Exec("validate " + out.string() + " --block-tokens 64");
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(KvbenchTraceTest, ConvertUsageErrors) {
  const fs::path trace = Write("t.jsonl",
                               "{\"timestamp\": 1, \"input_length\": 16, "
                               "\"output_length\": 1, \"hash_ids\": [1]}\n");
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"--format sharegpt",
       "--format: unknown format 'sharegpt' (known: mooncake, bailian, azure, burstgpt)"},
      {"--timestamp-unit min", "--timestamp-unit: 'min': expected ms, s or us"},
      {"--reblock-tokens 100",
       "--reblock-tokens: 100 is not a multiple of the file's 512-token "
       "blocks"},
  };
  for (const auto& [args, message] : rows) {
    SCOPED_TRACE(args);
    const CommandResult run = Exec("convert " + trace.string() + " " + args + " -o -");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr(message));
  }
}

// Every bad input of the reader's contract gives exit status 2 and one line on stderr
// that names the file, the line and the field.
struct BadInput {
  const char* name;
  const char* contents;
  const char* expected_error;  // after "kvbench-trace: error: FILE"
};

class KvbenchTraceBadInputTest : public KvbenchTraceTest,
                                 public ::testing::WithParamInterface<BadInput> {};

TEST_P(KvbenchTraceBadInputTest, OneLineErrorAndExitStatus2) {
  const BadInput& c = GetParam();
  const fs::path trace = Write("bad.jsonl", c.contents);
  const CommandResult run = Exec("stats " + trace.string());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "kvbench-trace: error: " + trace.string() + c.expected_error + "\n");
}

constexpr char kGood[] =
    "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [1, 2]}\n";

INSTANTIATE_TEST_SUITE_P(
    Reader, KvbenchTraceBadInputTest,
    ::testing::Values(
        BadInput{"InvalidJson", "{\"timestamp\": 0, \"input_length\": }\n",
                 ":1: invalid JSON (unexpected \"}\")"},
        BadInput{"MissingField",
                 "{\"timestamp\": 0, \"input_length\": 600, \"hash_ids\": [1, 2]}\n",
                 ":1: output_length: missing required field"},
        BadInput{"WrongType",
                 "{\"timestamp\": \"0\", \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n",
                 ":1: timestamp: expected a non-negative integer, got a string"},
        BadInput{"Negative",
                 "{\"timestamp\": 0, \"input_length\": -600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n",
                 ":1: input_length: expected a non-negative integer, got -600"},
        BadInput{"NonInteger",
                 "{\"timestamp\": 0.5, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n",
                 ":1: timestamp: expected an integer, got 0.5"},
        BadInput{"Overflow",
                 "{\"timestamp\": 0, \"input_length\": 4294967296, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n",
                 ":1: input_length: 4294967296 is out of range (max 4294967295)"},
        BadInput{"IdOverflow",
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 18446744073709551616]}\n",
                 ":1: hash_ids[1]: 18446744073709551616 is out of range (max "
                 "18446744073709551615)"},
        BadInput{"EmptyIds",
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": []}\n",
                 ":1: hash_ids: empty, but input_length is 600"},
        BadInput{"IdAtAnotherPosition",
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n"
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [2, 3]}\n",
                 ":2: hash_ids[0]: id 2 breaks the prefix tree: first seen at position 1 after "
                 "id 1 (line 1), here at position 0 as the first id"},
        BadInput{"IdWithAnotherParent",
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n\n"
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [7, 2]}\n",
                 ":3: hash_ids[1]: id 2 breaks the prefix tree: first seen at position 1 after "
                 "id 1 (line 1), here at position 1 after id 7"},
        BadInput{"TruncatedLastLine",
                 "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, "
                 "\"hash_ids\": [1, 2]}\n{\"timestamp\": 1, \"input_len",
                 ":2: truncated last line: no newline at the end and invalid JSON (A string is "
                 "opened, but never closed.)"},
        BadInput{"EmptyFile", "", ": empty trace: no requests"},
        BadInput{"OnlyBlankLines", "\n  \n\r\n", ": empty trace: no requests"}),
    [](const ::testing::TestParamInfo<BadInput>& param) { return param.param.name; });

TEST_F(KvbenchTraceTest, MissingFileAndDirectory) {
  const CommandResult missing = Exec("stats " + (dir_ / "nope.jsonl").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "kvbench-trace: error: " + (dir_ / "nope.jsonl").string() +
                             ": cannot open: No such file or directory\n");
  const CommandResult directory = Exec("validate " + dir_.string());
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_EQ(directory.err,
            "kvbench-trace: error: " + dir_.string() + ": is a directory, not a trace file\n");
}

TEST_F(KvbenchTraceTest, SkipInvalidReportsTheCount) {
  const fs::path trace = Write("s.jsonl", std::string(kGood) + "not json\n" + kGood);
  const CommandResult strict = Exec("validate " + trace.string());
  EXPECT_EQ(strict.exit_code, 2);
  const CommandResult lenient = Exec("validate " + trace.string() + " --skip-invalid --json");
  ASSERT_EQ(lenient.exit_code, 0) << lenient.err;
  const auto r = nlohmann::json::parse(lenient.out)["read"];
  EXPECT_EQ(r["skipped_invalid"], 1);
  EXPECT_EQ(r["requests"], 2);
  ASSERT_EQ(r["messages"].size(), 1u);
  EXPECT_THAT(r["messages"][0].get<std::string>(), StartsWith(trace.string() + ":2: invalid JSON"));
}

TEST_F(KvbenchTraceTest, UsageErrorsExitWith2) {
  EXPECT_EQ(Exec("").exit_code, 2);
  EXPECT_EQ(Exec("frobnicate").exit_code, 2);
  const CommandResult unknown_preset = Exec("stats --preset nosuch");
  EXPECT_EQ(unknown_preset.exit_code, 2);
  EXPECT_THAT(unknown_preset.err, HasSubstr("unknown preset 'nosuch' (known: conversation"));
  EXPECT_EQ(Exec("stats --bogus-flag x").exit_code, 2);
  EXPECT_EQ(Exec("generate conversation").exit_code, 2);  // no -o
}

TEST_F(KvbenchTraceTest, SimulateRunsACellInBothModes) {
  // Seed mode, one node of 2 blocks, LRU, per block: r0 [10,11] 2 misses; r1 [10,12] hit
  // 10, miss 12 evicts 11; r2 [10,11] hit 10, miss 11 evicts 12: 2 hits of 6.
  const fs::path trace =
      Write("s.jsonl",
            "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 1, "
            "\"hash_ids\": [10, 11]}\n"
            "{\"timestamp\": 1000, \"input_length\": 1024, \"output_length\": 1, "
            "\"hash_ids\": [10, 12]}\n"
            "{\"timestamp\": 2000, \"input_length\": 1024, \"output_length\": 1, "
            "\"hash_ids\": [10, 11]}\n");
  const CommandResult seed =
      Exec("simulate " + trace.string() +
           " --mode seed --nodes 1 --capacity 2blocks --eviction lru --json");
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  const auto s = nlohmann::json::parse(seed.out);
  EXPECT_EQ(s["cell"]["capacity_blocks"], 2);
  EXPECT_EQ(s["result"]["cache"]["hit_blocks"], 2);
  EXPECT_EQ(s["result"]["cache"]["block_refs"], 6);
  EXPECT_EQ(s["result"]["cache"]["evictions"], 2);

  // Realistic mode on the default profile (LLaMA3-70B, 8xA800): a 3M-token cache is 5,859
  // blocks; r2 reuses r0's two blocks (prefix) on the same node.
  const CommandResult realistic =
      Exec("simulate " + trace.string() + " --nodes 2 --capacity 3Mtokens --json");
  ASSERT_EQ(realistic.exit_code, 0) << realistic.err;
  const auto r = nlohmann::json::parse(realistic.out);
  EXPECT_EQ(r["cell"]["capacity_blocks"], 5859);
  EXPECT_EQ(r["cell"]["strategy"], "prefix_greedy");
  EXPECT_EQ(r["result"]["served"], 3);
  EXPECT_EQ(r["result"]["cache"]["hit_blocks"], 1 + 2);  // r1 reuses block 10, r2 both
  EXPECT_GT(r["result"]["latency"]["ttft_mean_s"].get<double>(), 0.0);
  EXPECT_GT(r["result"]["cost"]["usd_per_1k_requests"].get<double>(), 0.0);

  const CommandResult text = Exec("simulate --preset conversation -n 300");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("TTFT               mean "));
}

TEST_F(KvbenchTraceTest, SimulateRejectsBadSettings) {
  const CommandResult capacity = Exec("simulate --preset conversation --capacity 12");
  EXPECT_EQ(capacity.exit_code, 2);
  EXPECT_THAT(capacity.err, HasSubstr("--capacity: expected \"<number><unit>\""));
  const CommandResult router = Exec("simulate --preset conversation --strategy nosuch");
  EXPECT_EQ(router.exit_code, 2);
  EXPECT_THAT(router.err,
              HasSubstr("unknown router 'nosuch' (known: random, round_robin, least_loaded, "));
  EXPECT_EQ(Exec("simulate --preset conversation --mode fast").exit_code, 2);
  EXPECT_EQ(Exec("simulate --preset conversation --scope everywhere").exit_code, 2);
  const CommandResult eviction = Exec("simulate --preset conversation -n 10 --eviction mru");
  EXPECT_EQ(eviction.exit_code, 2);
  EXPECT_THAT(eviction.err, HasSubstr("cluster.nodes[0].eviction: unknown policy 'mru'"));
}

// `simulate -s` was ambiguous (--strategy or --seed) and refused whatever followed it. It
// is now --seed, as in every command that generates a trace; --strategy has no short form.
TEST_F(KvbenchTraceTest, SimulateShortSIsTheGeneratorSeed) {
  const CommandResult seeded = Exec("simulate --preset conversation -n 50 -s 3 --json");
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  const auto s = nlohmann::json::parse(seeded.out);
  EXPECT_EQ(s["trace"], "preset:conversation (seed 3)");
  EXPECT_EQ(s["cell"]["strategy"], "prefix_greedy");
  const CommandResult long_seed = Exec("simulate --preset conversation -n 50 --seed 3 --json");
  ASSERT_EQ(long_seed.exit_code, 0) << long_seed.err;
  EXPECT_EQ(long_seed.out, seeded.out);

  // A strategy after -s is a seed that is not a number: one clear line, exit 2.
  const CommandResult strategy = Exec("simulate --preset conversation -n 50 -s random");
  EXPECT_EQ(strategy.exit_code, 2);
  EXPECT_THAT(strategy.err, StartsWith("kvbench-trace: simulate: the argument ('random') for "
                                       "option '--seed' is invalid\n"));
  EXPECT_THAT(strategy.err, ::testing::Not(HasSubstr("ambiguous")));

  // The long options keep their meaning.
  const CommandResult both =
      Exec("simulate --preset conversation -n 50 --strategy random --seed 3 --json");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(nlohmann::json::parse(both.out)["cell"]["strategy"], "random");
  EXPECT_THAT(Exec("simulate --help").out, ::testing::Not(HasSubstr("-s [ --strategy ]")));
}

TEST_F(KvbenchTraceTest, EveryCommandHasHelp) {
  for (const char* command : {"stats", "cachesim", "simulate", "validate", "generate", "presets"}) {
    const CommandResult run = Exec(std::string(command) + " --help");
    EXPECT_EQ(run.exit_code, 0) << command;
    EXPECT_THAT(run.out, StartsWith(std::string("Usage: kvbench-trace ") + command)) << command;
  }
  EXPECT_EQ(Exec("--help").exit_code, 0);
}

// Four requests over the prefix tree 10 -> 11 -> 12, 11 -> 13, 10 -> 14.
constexpr char kTinyTrace[] =
    "{\"timestamp\": 0, \"input_length\": 1536, \"output_length\": 1, \"hash_ids\": [10, 11, 12]}\n"
    "{\"timestamp\": 1, \"input_length\": 1536, \"output_length\": 1, \"hash_ids\": [10, 11, 13]}\n"
    "{\"timestamp\": 2, \"input_length\": 1024, \"output_length\": 1, \"hash_ids\": [10, 14]}\n"
    "{\"timestamp\": 3, \"input_length\": 1536, \"output_length\": 1, \"hash_ids\": [10, 11, "
    "12]}\n";

TEST_F(KvbenchTraceTest, CachesimJsonOfAHandWrittenTrace) {
  const fs::path trace = Write("tiny.jsonl", kTinyTrace);
  struct Case {
    const char* flags;
    int hits, misses, evictions, stranded;
  };
  // Worked out by hand in core/cache/cache_sim_test.cc (same trace, ids renumbered).
  for (const Case& c :
       {Case{"--eviction lru --per-block", 4, 7, 4, 1}, Case{"--eviction lru --prefix", 5, 6, 4, 0},
        Case{"--eviction fifo --prefix", 4, 7, 5, 2}}) {
    const CommandResult run =
        Exec("cachesim " + trace.string() + " --capacity 3 --json " + c.flags);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto json = nlohmann::json::parse(run.out);
    EXPECT_EQ(json["trace"], trace.string());
    EXPECT_EQ(json["capacity"], 3);
    EXPECT_EQ(json["requests"], 4);
    EXPECT_EQ(json["block_refs"], 11);
    EXPECT_EQ(json["hits"], c.hits) << c.flags;
    EXPECT_EQ(json["misses"], c.misses) << c.flags;
    EXPECT_EQ(json["evictions"], c.evictions) << c.flags;
    EXPECT_EQ(json["stranded_evictions"], c.stranded) << c.flags;
    EXPECT_DOUBLE_EQ(json["hit_rate"].get<double>(), c.hits / 11.0) << c.flags;
    EXPECT_EQ(json["read"]["lines"], 4);
  }
  const auto fifo = nlohmann::json::parse(
      Exec("cachesim " + trace.string() + " -c 3 -e fifo --prefix --json").out);
  EXPECT_EQ(fifo["eviction"], "fifo");
  EXPECT_EQ(fifo["mode"], "prefix");
}

TEST_F(KvbenchTraceTest, CachesimTextIsAlignedLines) {
  const fs::path trace = Write("tiny.jsonl", kTinyTrace);
  const CommandResult run =
      Exec("cachesim " + trace.string() + " --eviction lru --capacity 3 --per-block");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "trace              " + trace.string() +
                         "\n"
                         "eviction           lru\n"
                         "capacity           3 blocks\n"
                         "mode               per-block\n"
                         "requests           4\n"
                         "block refs         11\n"
                         "hits               4\n"
                         "misses             7\n"
                         "hit rate           36.4%\n"
                         "evictions          4\n"
                         "stranded evictions 1\n");
}

TEST_F(KvbenchTraceTest, CachesimOnAPresetCountsEveryBlock) {
  const CommandResult stats = Exec("stats --preset toolagent -n 400 -s 2 --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  const auto s = nlohmann::json::parse(stats.out)["stats"];
  for (const char* policy : {"lru", "lfu", "fifo", "sieve", "s3fifo"}) {
    const CommandResult run = Exec(std::string("cachesim --preset toolagent -n 400 -s 2 -e ") +
                                   policy + " --capacity 100000000 --prefix --json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto json = nlohmann::json::parse(run.out);
    EXPECT_EQ(json["trace"], "preset:toolagent (seed 2)");
    EXPECT_EQ(json["requests"], 400);
    EXPECT_EQ(json["block_refs"], s["blocks"]);
    // An unbounded cache with prefix reuse hits exactly the reusable blocks.
    EXPECT_EQ(json["hits"], s["reusable_blocks"]) << policy;
    EXPECT_EQ(json["evictions"], 0) << policy;
  }
}

TEST_F(KvbenchTraceTest, CachesimUsageErrors) {
  const fs::path trace = Write("tiny.jsonl", kTinyTrace);
  const std::string file = trace.string();
  const CommandResult unknown = Exec("cachesim " + file + " -e lru2 -c 3 --prefix");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("cachesim: unknown eviction policy 'lru2' (known: lru, lfu, "
                                     "fifo, sieve, s3fifo)"));
  EXPECT_EQ(unknown.out, "");
  const CommandResult both = Exec("cachesim " + file + " -e lru -c 3 --prefix --per-block");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("exactly one of --per-block and --prefix"));
  EXPECT_EQ(Exec("cachesim " + file + " -e lru -c 3").exit_code, 2);
  const CommandResult no_capacity = Exec("cachesim " + file + " -e lru --prefix");
  EXPECT_EQ(no_capacity.exit_code, 2);
  EXPECT_THAT(no_capacity.err, HasSubstr("--capacity BLOCKS is required"));
  EXPECT_EQ(Exec("cachesim " + file + " -c 3 --prefix").exit_code, 2);  // no --eviction
  EXPECT_EQ(Exec("cachesim " + file + " -e lru -c many --prefix").exit_code, 2);
  const CommandResult negative = Exec("cachesim " + file + " -e lru -c -5 --prefix");
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_THAT(negative.err, HasSubstr("--capacity: expected a number of blocks, got '-5'"));
  EXPECT_EQ(Exec("cachesim " + file + " -e lru -c 99999999999999999999 --prefix").exit_code, 2);
  EXPECT_EQ(Exec("cachesim -e lru -c 3 --prefix").exit_code, 2);  // no trace
  EXPECT_EQ(Exec("cachesim " + file + " --preset conversation -e lru -c 3 --prefix").exit_code, 2);
  const CommandResult missing =
      Exec("cachesim " + (dir_ / "nope").string() + " -e lru -c 3 --prefix");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot open"));
}

TEST_F(KvbenchTraceTest, UnwritableOutputFailsAndLeavesNothing) {
  const CommandResult run =
      Exec("generate toolagent -n 50 -o " + (dir_ / "missing_dir" / "x.jsonl").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot create temporary file"));
  EXPECT_FALSE(fs::exists(dir_ / "missing_dir"));
}

}  // namespace
}  // namespace kvb
