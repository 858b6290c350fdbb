#include "bench/kvbench_report.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/cli_common.h"
#include "bench/kvbench_execute.h"
#include "bench/kvbench_plan.h"
#include "bench/run_result_json.h"
#include "core/sim/metric_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kTwoCellConfig[] = R"({
  "name": "two",
  "strategies": ["random", "kvcache_centric"],
  "clusters": [{"name": "r", "mode": "realistic", "nodes": 2, "capacity": "500blocks"}],
  "traces": [{"name": "c", "preset": "conversation", "requests": 50, "seed": 3}]
})";

// What Google Benchmark writes for two cells (one failed) and the matrix, NaN included.
constexpr char kBenchmarkJson[] = R"({
  "context": {"date": "today", "config_hash": "x"},
  "benchmarks": [
    {"name": "two/a/iterations:1/repeats:9/manual_time_mean",
     "run_name": "two/a/iterations:1/repeats:9/manual_time", "hit_rate": NaN},
    {"name": "two/b/iterations:1/manual_time", "run_name": "two/b/iterations:1/manual_time",
     "label": "NaN stays in strings", "cv": -Infinity},
    {"name": "two/matrix/iterations:1/manual_time"}
  ]
})";

class KvbenchReportTest : public ::testing::Test {
 protected:
  KvbenchReportTest() {
    std::string pattern = (fs::temp_directory_path() / "kvbench_report_test.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    std::ofstream(dir_ / "two.json") << kTwoCellConfig;
    flags_.config_files = {(dir_ / "two.json").string()};
    flags_.summary = false;
  }
  ~KvbenchReportTest() override { fs::remove_all(dir_); }

  RunPlan Plan() const { return MakeRunPlan(flags_, ReadRunConfigs(flags_), {"1", "c"}, 1); }

  // Outcomes of the plan's two cells: the first ok, the second failed.
  static RunOutcomes Outcomes(const RunPlan& plan) {
    RunOutcomes r;
    r.cells.resize(1);
    r.cells[0].resize(2);
    r.walls = {1.0};
    r.cells[0][0].details = {{"key", plan.matrices[0].cells[0].key}, {"error", ""}};
    r.cells[0][0].counters = {{"hit_rate", 0.5}};
    r.cells[0][1].error = "boom";
    r.cells[0][1].details = {{"key", plan.matrices[0].cells[1].key}, {"error", "boom"}};
    r.benchmark_json = kBenchmarkJson;
    return r;
  }

  fs::path dir_;
  KvbenchFlags flags_;
};

TEST(CellEntryNameTest, DropsGoogleBenchmarksSettingsButKeepsTheAggregate) {
  EXPECT_EQ(CellEntryName("m/strategy=random/iterations:1/manual_time"), "m/strategy=random");
  EXPECT_EQ(CellEntryName("m/k/iterations:1/repeats:9/manual_time_mean"), "m/k_mean");
  EXPECT_EQ(CellEntryName("m/k/iterations:1/repeats:9/manual_time_stddev"), "m/k_stddev");
  EXPECT_EQ(CellEntryName("m/matrix/shard=1of2"), "m/matrix/shard=1of2");
  EXPECT_EQ(CellEntryName("plain"), "plain");
}

TEST(NonFiniteToNullTest, ReplacesNonFiniteNumbersOutsideStrings) {
  EXPECT_EQ(NonFiniteToNull(R"({"a": NaN, "b": -NaN, "c": Infinity, "d": -Infinity})"),
            R"({"a": null, "b": null, "c": null, "d": null})");
  EXPECT_EQ(NonFiniteToNull(R"({"s": "NaN \"Infinity\"", "n": 1.5})"),
            R"({"s": "NaN \"Infinity\"", "n": 1.5})");
}

TEST_F(KvbenchReportTest, ResultHasTheRunsContextCleanNamesAndEveryCell) {
  const RunPlan plan = Plan();
  RunOutcomes outcomes = Outcomes(plan);
  const nlohmann::ordered_json r = MakeResultJson(plan, outcomes);
  EXPECT_EQ(r["context"]["date"], "today");
  EXPECT_EQ(r["context"]["cells_failed"], "1");
  EXPECT_EQ(r["context"]["cells_run"], "2");
  EXPECT_FALSE(r["context"].contains("incomplete"));
  EXPECT_FALSE(r["context"].contains("resumed_cells"));
  EXPECT_EQ(r["benchmarks"][0]["name"], "two/a_mean");
  EXPECT_EQ(r["benchmarks"][0]["run_name"], "two/a");
  EXPECT_TRUE(r["benchmarks"][0]["hit_rate"].is_null());
  EXPECT_EQ(r["benchmarks"][1]["label"], "NaN stays in strings");
  EXPECT_TRUE(r["benchmarks"][1]["cv"].is_null());
  EXPECT_EQ(r["benchmarks"][2]["name"], "two/matrix");

  const auto& kv = r["kvbench"];
  EXPECT_EQ(kv["format"], 1);
  ASSERT_EQ(kv["matrices"].size(), 1u);
  EXPECT_EQ(kv["matrices"][0]["name"], "two");
  EXPECT_EQ(kv["matrices"][0]["file"], flags_.config_files[0]);
  EXPECT_EQ(kv["matrices"][0]["config"], MatrixConfigToJson(plan.matrices[0].config));
  ASSERT_EQ(kv["cells"].size(), 2u);
  EXPECT_EQ(kv["cells"][plan.matrices[0].cells[1].hash]["error"], "boom");
  EXPECT_EQ(r.begin().key(), "context");
  EXPECT_EQ(std::prev(std::prev(r.end())).key(), "kvbench");
  // Last, the metric table the scripts read: one row per metric.
  EXPECT_EQ(std::prev(r.end()).key(), "metrics");
  EXPECT_EQ(r["metrics"], MetricTableJson());
  EXPECT_EQ(r["metrics"].size(), Metrics().size());

  // A cell without an outcome (filtered out) has no record.
  outcomes.cells[0][1].details = nullptr;
  EXPECT_EQ(MakeResultJson(plan, outcomes)["kvbench"]["cells"].size(), 1u);
}

TEST_F(KvbenchReportTest, InterruptedAndResumedRunsSayWhy) {
  const RunPlan plan = Plan();
  RunOutcomes outcomes = Outcomes(plan);
  outcomes.stop_signal = SIGINT;
  outcomes.not_run = 1;
  outcomes.resumed = 1;
  const nlohmann::ordered_json r = MakeResultJson(plan, outcomes);
  EXPECT_EQ(r["context"]["incomplete"],
            "interrupted by signal 2: 1 cells not run (finish them with --resume)");
  EXPECT_EQ(r["context"]["cells_run"], "1");
  EXPECT_EQ(r["context"]["resumed_cells"], "1");
}

TEST_F(KvbenchReportTest, ExitCodeIsSignalThenFailureThenOk) {
  const RunPlan plan = Plan();
  RunOutcomes outcomes = Outcomes(plan);
  EXPECT_EQ(RunExitCode(plan, outcomes), kExitFailure);
  outcomes.stop_signal = SIGTERM;
  EXPECT_EQ(RunExitCode(plan, outcomes), 128 + SIGTERM);
  outcomes.stop_signal = 0;
  outcomes.cells[0][1].error.clear();
  EXPECT_EQ(RunExitCode(plan, outcomes), kExitOk);
}

TEST_F(KvbenchReportTest, WriteRunReportWritesTheResultAndKeepsTheJournalOnlyIfNeeded) {
  flags_.out = (dir_ / "out.json").string();
  RunPlan plan = Plan();
  OpenRunJournal(plan);
  RunOutcomes failed = Outcomes(plan);
  EXPECT_EQ(WriteRunReport(plan, failed), kExitFailure);
  std::stringstream written;
  written << std::ifstream(*flags_.out).rdbuf();
  EXPECT_EQ(written.str(), MakeResultJson(plan, failed).dump(1) + "\n");
  EXPECT_TRUE(fs::exists(*flags_.out + ".journal"));  // the failed cell runs again on --resume

  RunOutcomes ok = Outcomes(plan);
  ok.cells[0][1].error.clear();
  EXPECT_EQ(WriteRunReport(plan, ok), kExitOk);
  EXPECT_FALSE(fs::exists(*flags_.out + ".journal"));
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(*flags_.out))["context"]["cells_failed"], "0");
}

}  // namespace
}  // namespace kvb
