#include "bench/kvbench_execute.h"

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/journal.h"
#include "bench/kvbench_plan.h"
#include "bench/kvbench_report.h"
#include "benchmark/benchmark.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kvb {
namespace {

// Equal names and values in order; NaN (a metric that does not apply) equals NaN.
template <typename Counters>
bool SameCounters(const Counters& a, const Counters& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i].second, y = b[i].second;
    if (a[i].first != b[i].first || !(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

namespace fs = std::filesystem;

// 2 cells on a small realistic cluster.
constexpr char kTwoCellConfig[] = R"({
  "name": "two",
  "strategies": ["random", "kvcache_centric"],
  "clusters": [{"name": "r", "mode": "realistic", "nodes": 2, "capacity": "500blocks"}],
  "traces": [{"name": "c", "preset": "conversation", "requests": 200, "seed": 3}]
})";

class KvbenchExecuteTest : public ::testing::Test {
 protected:
  KvbenchExecuteTest() {
    std::string pattern = (fs::temp_directory_path() / "kvbench_execute_test.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::ofstream(dir_ / "two.json") << kTwoCellConfig;
    benchmark::ClearRegisteredBenchmarks();
  }
  ~KvbenchExecuteTest() override { fs::remove_all(dir_); }

  RunPlan Plan(bool with_out) const {
    KvbenchFlags flags;
    flags.config_files = {(dir_ / "two.json").string()};
    flags.progress = false;
    if (with_out) flags.out = (dir_ / "result.json").string();
    RunPlan plan = MakeRunPlan(flags, ReadRunConfigs(flags), {"9.9.9", "c0ffee"}, 1);
    OpenRunJournal(plan);
    return plan;
  }

  fs::path dir_;
};

TEST(OutcomePayloadTest, RoundTripsEveryField) {
  Outcome o;
  o.counters = {{"hit_rate", 0.25}, {"block_refs", 1000}};
  o.details = {{"matrix", "m"}, {"key", "strategy=random"}, {"error", ""}};
  o.error = "";
  o.wall_s = 1.5;
  const auto [index, back] = OutcomeFromPayload(OutcomePayload(o, 7));
  EXPECT_EQ(index, 7u);
  EXPECT_EQ(back.counters, o.counters);
  EXPECT_EQ(back.details, o.details);
  EXPECT_EQ(back.error, o.error);
  EXPECT_EQ(back.wall_s, o.wall_s);

  Outcome failed;
  failed.error = "cell over its time limit";
  failed.details = {{"error", failed.error}};
  EXPECT_EQ(OutcomeFromPayload(OutcomePayload(failed, 0)).second.error, failed.error);
}

TEST(RunOutcomesTest, FailedCountsCellsWithAnError) {
  RunOutcomes r;
  r.cells.resize(2);
  r.cells[0].resize(3);
  r.cells[1].resize(1);
  EXPECT_EQ(r.Failed(), 0u);
  r.cells[0][1].error = "x";
  r.cells[1][0].error = "y";
  EXPECT_EQ(r.Failed(), 2u);
}

TEST_F(KvbenchExecuteTest, MetricsModeRunsEveryCellJournalsItAndReportsIt) {
  RunPlan plan = Plan(/*with_out=*/true);
  ASSERT_TRUE(plan.journal);
  const RunOutcomes r = ExecuteRunPlan(plan);
  EXPECT_TRUE(r.reports);
  EXPECT_EQ(r.stop_signal, 0);
  EXPECT_EQ(r.not_run, 0u);
  EXPECT_EQ(r.resumed, 0u);
  ASSERT_EQ(r.cells.size(), 1u);
  ASSERT_EQ(r.cells[0].size(), 2u);
  EXPECT_GT(r.walls[0], 0);
  for (size_t i = 0; i < 2; ++i) {
    const Outcome& o = r.cells[0][i];
    EXPECT_EQ(o.error, "");
    EXPECT_FALSE(o.counters.empty());
    EXPECT_EQ(o.details["matrix"], "two");
    EXPECT_EQ(o.details["key"], plan.matrices[0].cells[i].key);
    EXPECT_TRUE(o.details.contains("result"));
  }

  // Google Benchmark's JSON: the run's context, one entry per cell and one for the matrix.
  // Google Benchmark writes a NaN counter (a metric that does not apply) as NaN.
  const nlohmann::json gb = nlohmann::json::parse(NonFiniteToNull(r.benchmark_json));
  EXPECT_EQ(gb["context"]["kvbench_version"], "9.9.9");
  EXPECT_EQ(gb["context"]["git_commit"], "c0ffee");
  EXPECT_EQ(gb["context"]["config_hash"], plan.config_hash);
  EXPECT_EQ(gb["context"]["cells_run"], "2");
  EXPECT_EQ(gb["context"]["shard"], "0/1");
  EXPECT_EQ(gb["context"]["mode"], "metrics");
  std::vector<std::string> labels;
  for (const auto& e : gb["benchmarks"]) labels.push_back(e["label"]);
  EXPECT_THAT(labels,
              ::testing::UnorderedElementsAre("cell=" + plan.matrices[0].cells[0].hash,
                                              "cell=" + plan.matrices[0].cells[1].hash, "matrix"));

  // Finished cells are in the journal, as payloads --resume reads back.
  plan.journal->Sync();
  std::map<std::string, std::string> done;
  std::vector<std::string> warnings;
  Journal::Resume(plan.journal->path(), {plan.config_hash, "9.9.9"}, &done, &warnings);
  ASSERT_EQ(done.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const std::string key = "two/" + plan.matrices[0].cells[i].hash;
    ASSERT_TRUE(done.contains(key)) << key;
    EXPECT_TRUE(
        SameCounters(OutcomeFromPayload(done[key]).second.counters, r.cells[0][i].counters));
  }
}

TEST_F(KvbenchExecuteTest, JournaledCellsAreResumedNotRun) {
  RunPlan first = Plan(/*with_out=*/false);
  const RunOutcomes ran = ExecuteRunPlan(first);
  benchmark::ClearRegisteredBenchmarks();

  RunPlan plan = Plan(/*with_out=*/false);
  for (size_t i = 0; i < 2; ++i) {
    plan.journaled["two/" + plan.matrices[0].cells[i].hash] = OutcomePayload(ran.cells[0][i], i);
  }
  const RunOutcomes r = ExecuteRunPlan(plan);
  EXPECT_EQ(r.resumed, 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(SameCounters(r.cells[0][i].counters, ran.cells[0][i].counters));
    EXPECT_EQ(r.cells[0][i].details.dump(), ran.cells[0][i].details.dump());  // NaN as null
  }
}

}  // namespace
}  // namespace kvb
