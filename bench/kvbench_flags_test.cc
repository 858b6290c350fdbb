#include "bench/kvbench_flags.h"

#include <string>
#include <vector>

#include "bench/cli_common.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::HasSubstr;

KvbenchFlags Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "kvbench");
  return ParseKvbenchFlags(static_cast<int>(args.size()), args.data());
}

// The message of the UsageError `f` throws, or "" if it throws none.
template <typename F>
std::string UsageMessage(F f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(KvbenchFlagsTest, DefaultsAreThoseOfTheHelp) {
  const KvbenchFlags f = Parse({});
  EXPECT_FALSE(f.help || f.list_strategies || f.print_config || f.list || f.resume);
  EXPECT_TRUE(f.config_files.empty());
  EXPECT_FALSE(f.trace || f.preset || f.requests || f.shard || f.out || f.progress);
  EXPECT_EQ(f.trace_seed, 1u);
  EXPECT_EQ(f.threads, 0u);
  EXPECT_EQ(f.mode, "metrics");
  EXPECT_FALSE(f.timing());
  EXPECT_EQ(f.repetitions, 9);
  EXPECT_FALSE(f.cell_time_limit_s || f.cell_memory_limit);
  EXPECT_EQ(f.grace_s, 30);
  EXPECT_TRUE(f.summary);
  EXPECT_NO_THROW(CheckRunFlagValues(f));
}

TEST(KvbenchFlagsTest, EveryFlagReachesItsField) {
  const KvbenchFlags f = Parse({"-c",
                                "a.json",
                                "--config",
                                "b.json",
                                "--preset",
                                "conversation",
                                "--requests",
                                "50",
                                "--trace-seed",
                                "7",
                                "-j",
                                "3",
                                "--shard",
                                "1/4",
                                "-o",
                                "out.json",
                                "--progress",
                                "--mode",
                                "timing",
                                "--repetitions",
                                "2",
                                "--cell-time-limit",
                                "1.5",
                                "--cell-memory-limit",
                                "16GB",
                                "--grace",
                                "0",
                                "--summary=false",
                                "--resume",
                                "--list"});
  EXPECT_EQ(f.config_files, (std::vector<std::string>{"a.json", "b.json"}));
  EXPECT_EQ(f.preset, "conversation");
  EXPECT_EQ(f.requests, 50u);
  EXPECT_EQ(f.trace_seed, 7u);
  EXPECT_EQ(f.threads, 3u);
  EXPECT_EQ(f.shard, "1/4");
  EXPECT_EQ(f.out, "out.json");
  EXPECT_EQ(f.progress, true);
  EXPECT_TRUE(f.timing());
  EXPECT_EQ(f.repetitions, 2);
  EXPECT_EQ(f.cell_time_limit_s, 1.5);
  EXPECT_EQ(f.cell_memory_limit, "16GB");
  EXPECT_EQ(f.grace_s, 0);
  EXPECT_FALSE(f.summary);
  EXPECT_TRUE(f.resume && f.list);
  EXPECT_NO_THROW(CheckRunFlagValues(f));
  EXPECT_EQ(Parse({"--progress=false"}).progress, false);
}

TEST(KvbenchFlagsTest, MalformedCommandLinesAreUsageErrors) {
  EXPECT_THAT(UsageMessage([] { Parse({"--no-such-flag"}); }), HasSubstr("no-such-flag"));
  EXPECT_THAT(UsageMessage([] { Parse({"--threads", "many"}); }), HasSubstr("threads"));
  EXPECT_THAT(UsageMessage([] { Parse({"--out"}); }), HasSubstr("out"));
}

TEST(KvbenchFlagsTest, ValuesAreCheckedInOrderWithOneMessageEach) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> rows = {
      {{"--cell-time-limit", "-1"}, "--cell-time-limit: must be a finite number of seconds >= 0"},
      {{"--cell-time-limit", "inf"}, "--cell-time-limit: must be a finite number of seconds >= 0"},
      {{"--grace", "-2"}, "--grace: must be a finite number of seconds >= 0"},
      {{"--mode", "fast"}, "--mode: expected metrics or timing, got 'fast'"},
      {{"--repetitions", "0"}, "--repetitions: must be >= 1"},
      {{"--shard", "2/2"}, "--shard: expected k/N with 0 <= k < N, got '2/2'"},
      // The first bad value is the one reported.
      {{"--repetitions", "0", "--mode", "fast", "--grace", "-1"},
       "--grace: must be a finite number of seconds >= 0"},
  };
  for (const auto& [args, message] : rows) {
    SCOPED_TRACE(message);
    const KvbenchFlags f = Parse(args);
    EXPECT_EQ(UsageMessage([&] { CheckRunFlagValues(f); }), message);
  }
  const KvbenchFlags memory = Parse({"--cell-memory-limit", "lots"});
  EXPECT_THAT(UsageMessage([&] { CheckRunFlagValues(memory); }), HasSubstr("--cell-memory-limit"));
}

TEST(KvbenchFlagsTest, ShardsAreKOfN) {
  const Shard s = ParseShard("2/5");
  EXPECT_EQ(s.k, 2u);
  EXPECT_EQ(s.n, 5u);
  for (const char* bad : {"5/5", "1/0", "x", "0/2/3", "-1/2", "", "/2"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(UsageMessage([&] { ParseShard(bad); }),
              std::string("--shard: expected k/N with 0 <= k < N, got '") + bad + "'");
  }
}

TEST(KvbenchFlagsTest, MemoryLimitFlagIsAbsentAutoOrBytes) {
  EXPECT_FALSE(MemoryLimitFlag(Parse({})).has_value());
  const auto automatic = MemoryLimitFlag(Parse({"--cell-memory-limit", "auto"}));
  ASSERT_TRUE(automatic.has_value());
  EXPECT_FALSE(automatic->has_value());
  const auto bytes = MemoryLimitFlag(Parse({"--cell-memory-limit", "2KiB"}));
  ASSERT_TRUE(bytes.has_value() && bytes->has_value());
  EXPECT_EQ(**bytes, 2048u);
}

TEST(KvbenchFlagsTest, HelpNamesTheUsagesAndEveryFlag) {
  const std::string help = KvbenchHelpText();
  EXPECT_THAT(help, HasSubstr("usage: kvbench --config FILE"));
  EXPECT_THAT(help, HasSubstr("kvbench merge SHARD.json... -o ALL.json"));
  for (const char* flag : {"--config", "--shard", "--cell-memory-limit", "--resume", "--grace",
                           "--summary", "--print-config", "--list-strategies"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_TRUE(Parse({"-h"}).help);
}

}  // namespace
}  // namespace kvb
