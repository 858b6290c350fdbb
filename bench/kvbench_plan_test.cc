#include "bench/kvbench_plan.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "bench/cli_common.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// 6 cells: 3 strategies x 2 rate scales on one small realistic cluster.
constexpr char kSixCellConfig[] = R"({
  "name": "six",
  "strategies": ["random", "kvcache_centric", "local_cache_aware"],
  "clusters": [{"name": "r", "mode": "realistic", "nodes": 2, "capacity": "500blocks"}],
  "traces": [{"name": "c", "preset": "conversation", "requests": 100, "seed": 3}],
  "rate_scales": [1, 2],
  "cell_time_limit_s": 60
})";

class KvbenchPlanTest : public ::testing::Test {
 protected:
  KvbenchPlanTest() {
    std::string pattern = (fs::temp_directory_path() / "kvbench_plan_test.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    config_ = (dir_ / "six.json").string();
    std::ofstream(config_) << kSixCellConfig;
  }
  ~KvbenchPlanTest() override { fs::remove_all(dir_); }

  KvbenchFlags Flags() const {
    KvbenchFlags flags;
    flags.config_files = {config_};
    return flags;
  }
  RunPlan Plan(const KvbenchFlags& flags, size_t processes = 1) const {
    return MakeRunPlan(flags, ReadRunConfigs(flags), {"1.2.3", "abc"}, processes);
  }

  fs::path dir_;
  std::string config_;
};

std::set<std::string> Hashes(const RunPlan& plan) {
  std::set<std::string> out;
  for (const LoadedMatrix& m : plan.matrices) {
    for (const Cell& c : m.cells) out.insert(c.hash);
  }
  return out;
}

TEST_F(KvbenchPlanTest, AWholePlanHasEveryCellAndTheConfigsSettings) {
  const RunPlan plan = Plan(Flags());
  ASSERT_EQ(plan.matrices.size(), 1u);
  const LoadedMatrix& m = plan.matrices[0];
  EXPECT_EQ(m.spec.name, "six");
  EXPECT_EQ(m.config.source, config_);
  EXPECT_EQ(m.cells_total, 6u);
  EXPECT_EQ(m.cells.size(), 6u);
  EXPECT_EQ(plan.CellsToRun(), 6u);
  EXPECT_EQ(plan.CellsTotal(), 6u);
  EXPECT_EQ(m.cell_time_limit_s, 60);
  EXPECT_EQ(plan.shard.k, 0u);
  EXPECT_EQ(plan.shard.n, 1u);
  EXPECT_GE(plan.workers, 1u);
  EXPECT_FALSE(plan.thread_cap);
  EXPECT_THAT(plan.config_hash, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(plan.build.version, "1.2.3");
  ASSERT_EQ(plan.traces.digests().size(), 1u);
  EXPECT_EQ(plan.traces.digests()[0].first, "c");
  EXPECT_FALSE(plan.journal);
}

TEST_F(KvbenchPlanTest, ShardsPartitionTheCellsAndKeepTheConfigHash) {
  const RunPlan whole = Plan(Flags());
  std::set<std::string> seen;
  size_t cells = 0;
  for (const char* shard : {"0/3", "1/3", "2/3"}) {
    KvbenchFlags flags = Flags();
    flags.shard = shard;
    const RunPlan part = Plan(flags);
    EXPECT_EQ(part.shard.n, 3u);
    EXPECT_EQ(part.CellsTotal(), 6u);
    EXPECT_EQ(part.config_hash, whole.config_hash);
    cells += part.CellsToRun();
    for (const std::string& h : Hashes(part)) EXPECT_TRUE(seen.insert(h).second) << h;
  }
  EXPECT_EQ(cells, 6u);
  EXPECT_EQ(seen, Hashes(whole));
}

TEST_F(KvbenchPlanTest, FlagsOverrideTheConfig) {
  KvbenchFlags flags = Flags();
  flags.cell_time_limit_s = 2.5;
  flags.threads = 1;
  const RunPlan plan = Plan(flags);
  EXPECT_EQ(plan.matrices[0].cell_time_limit_s, 2.5);
  EXPECT_EQ(plan.workers, 1u);
  EXPECT_TRUE(plan.thread_cap);

  flags = Flags();
  flags.preset = "toolagent";
  flags.requests = 50;
  flags.trace_seed = 9;
  const RunPlan preset = Plan(flags);
  ASSERT_EQ(preset.matrices[0].spec.traces.size(), 1u);
  EXPECT_EQ(preset.matrices[0].spec.traces[0].name, "toolagent");
  EXPECT_EQ(preset.matrices[0].spec.traces[0].trace->size(), 50u);
  EXPECT_NE(preset.config_hash, Plan(Flags()).config_hash);
}

TEST_F(KvbenchPlanTest, BadFlagsAndConfigsAreRefusedBeforeAnyCell) {
  KvbenchFlags flags = Flags();
  flags.trace = "t.jsonl";
  flags.preset = "conversation";
  EXPECT_THROW(ReadRunConfigs(flags), UsageError);
  flags = Flags();
  flags.requests = 5;
  EXPECT_THROW(ReadRunConfigs(flags), UsageError);
  flags = Flags();
  flags.config_files = {config_, config_};
  try {
    ReadRunConfigs(flags);
    ADD_FAILURE() << "two configs named six";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'six' is also the name of"));
  }
  try {
    MakeRunPlan(Flags(), {}, {}, 1);
    ADD_FAILURE() << "no configs";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("give --config FILE"));
  }
  flags = Flags();
  flags.out = (dir_ / "missing" / "out.json").string();
  EXPECT_THROW(Plan(flags), InputError);
  flags = Flags();
  flags.mode = "timing";
  EXPECT_THROW(Plan(flags, 2), UsageError);
  flags = Flags();
  flags.repetitions = 0;
  EXPECT_THROW(Plan(flags), UsageError);
}

TEST_F(KvbenchPlanTest, CellsOverTheMemoryLimitAreRefusedWithTheirConfigAndLimit) {
  KvbenchFlags flags = Flags();
  flags.cell_memory_limit = "1KiB";
  try {
    Plan(flags);
    ADD_FAILURE() << "a 1 KiB limit";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(config_ + ": cluster 'r', trace 'c'"));
    EXPECT_THAT(e.what(), HasSubstr("a cell needs an estimated"));
    EXPECT_THAT(e.what(), HasSubstr("> --cell-memory-limit 1KiB"));
  }
  flags.cell_memory_limit = "auto";
  EXPECT_EQ(Plan(flags).CellsToRun(), 6u);
}

TEST_F(KvbenchPlanTest, DefaultMemoryLimitSharesMemoryAmongWorkers) {
  const MemoryLimit one = DefaultMemoryLimit(1);
  const MemoryLimit four = DefaultMemoryLimit(4);
  ASSERT_NE(one.bytes, UINT64_MAX);
  EXPECT_EQ(four.bytes, one.bytes / 4);
  EXPECT_THAT(four.name, HasSubstr("/ 4 worker threads; see --cell-memory-limit"));
  EXPECT_THAT(one.name, HasSubstr("/ 1 worker thread;"));
}

TEST_F(KvbenchPlanTest, JournalIsOpenedForMetricsRunsWithOut) {
  KvbenchFlags flags = Flags();
  flags.resume = true;
  RunPlan no_out = Plan(flags);
  EXPECT_THROW(OpenRunJournal(no_out), UsageError);

  flags = Flags();
  flags.out = (dir_ / "r.json").string();
  RunPlan plan = Plan(flags);
  OpenRunJournal(plan);
  ASSERT_TRUE(plan.journal);
  EXPECT_EQ(plan.journal->path(), *flags.out + ".journal");
  EXPECT_TRUE(fs::exists(plan.journal->path()));
  plan.journal->Append("six/abc", "payload");
  plan.journal->Sync();
  plan.journal.reset();

  flags.resume = true;
  RunPlan resumed = Plan(flags);
  OpenRunJournal(resumed);
  EXPECT_EQ(resumed.journaled, (std::map<std::string, std::string>{{"six/abc", "payload"}}));

  flags = Flags();
  flags.out = (dir_ / "t.json").string();
  flags.mode = "timing";
  RunPlan timing = Plan(flags);
  OpenRunJournal(timing);
  EXPECT_FALSE(timing.journal);
  EXPECT_FALSE(fs::exists(*flags.out + ".journal"));
}

}  // namespace
}  // namespace kvb
