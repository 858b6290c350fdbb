#include "bench/result_merge.h"

#include <string>
#include <vector>

#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using json = nlohmann::ordered_json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One cell's benchmark entry, as kvbench writes it.
json CellEntry(const std::string& key, const std::string& hash, double hit_rate) {
  return {{"name", "m/" + key},   {"run_name", "m/" + key}, {"run_type", "iteration"},
          {"iterations", 1},      {"real_time", 1.5},       {"time_unit", "ms"},
          {"hit_rate", hit_rate}, {"label", "cell=" + hash}};
}

// A shard k/N of a 5-cell matrix holding the cells given as {key, hash}.
json Shard(const std::string& shard, const std::vector<std::pair<std::string, std::string>>& cells,
           size_t failed = 0) {
  json out;
  out["context"] = {{"date", "2026-01-01T00:00:00+00:00"},
                    {"host_name", "h"},
                    {"config_hash", "0123456789abcdef"},
                    {"trace_digests", "c=fedcba9876543210"},
                    {"mode", "metrics"},
                    {"matrices", "m"},
                    {"cells_total", "5"},
                    {"cells_run", std::to_string(cells.size())},
                    {"cells_failed", std::to_string(failed)},
                    {"shard", shard}};
  out["benchmarks"] = json::array();
  out["kvbench"] = {{"format", 1}, {"matrices", json::array()}, {"cells", json::object()}};
  double hit = 0.1;
  for (const auto& [key, hash] : cells) {
    out["benchmarks"].push_back(CellEntry(key, hash, hit += 0.1));
    out["kvbench"]["cells"][hash] = {{"key", key}, {"error", ""}, {"result", {{"hit_rate", hit}}}};
  }
  out["benchmarks"].push_back({{"name", "m/matrix/shard=" + shard}, {"run_type", "iteration"}});
  return out;
}

// The message of the InputError MergeResults throws, or "" if it merges.
std::string MergeError(const std::vector<ResultFile>& files) {
  try {
    MergeResults(files, nullptr);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const std::pair<std::string, std::string> kA{"strategy=a/cluster=c/trace=t", "aaaaaaaaaaaa"};
const std::pair<std::string, std::string> kB{"strategy=b/cluster=c/trace=t", "bbbbbbbbbbbb"};
const std::pair<std::string, std::string> kC{"strategy=c/cluster=c/trace=t", "cccccccccccc"};
const std::pair<std::string, std::string> kD{"strategy=d/cluster=c/trace=t", "dddddddddddd"};
const std::pair<std::string, std::string> kE{"strategy=e/cluster=c/trace=t", "eeeeeeeeeeee"};

TEST(ResultMergeTest, DisjointShardsJoinEntriesCellsAndCounts) {
  const json s0 = Shard("0/2", {kA, kB, kC}, 1);
  const json s1 = Shard("1/2", {kD, kE});
  std::vector<std::string> warnings;
  const json merged = MergeResults({{"s0.json", s0}, {"s1.json", s1}}, &warnings);
  EXPECT_TRUE(warnings.empty());
  // Benchmarks: the files' entries in order, matrix entries included.
  std::vector<std::string> names;
  for (const json& e : merged["benchmarks"]) names.push_back(e["name"]);
  EXPECT_THAT(names,
              ElementsAre("m/" + kA.first, "m/" + kB.first, "m/" + kC.first, "m/matrix/shard=0/2",
                          "m/" + kD.first, "m/" + kE.first, "m/matrix/shard=1/2"));
  EXPECT_EQ(merged["benchmarks"][4], s1["benchmarks"][0]);
  // Cells: the union, each as its shard wrote it.
  EXPECT_EQ(merged["kvbench"]["cells"].size(), 5u);
  for (const auto& [key, hash] : {kA, kB, kC}) {
    EXPECT_EQ(merged["kvbench"]["cells"][hash], s0["kvbench"]["cells"][hash]) << hash;
  }
  for (const auto& [key, hash] : {kD, kE}) {
    EXPECT_EQ(merged["kvbench"]["cells"][hash], s1["kvbench"]["cells"][hash]) << hash;
  }
  // Context: counts summed, shards listed, the rest from the first file.
  const json& context = merged["context"];
  EXPECT_EQ(context["cells_run"], "5");
  EXPECT_EQ(context["cells_failed"], "1");
  EXPECT_EQ(context["cells_total"], "5");
  EXPECT_EQ(context["shard"], "0/2,1/2");
  EXPECT_EQ(context["config_hash"], "0123456789abcdef");
  EXPECT_EQ(context["host_name"], "h");
  EXPECT_EQ(merged["kvbench"]["format"], 1);
}

TEST(ResultMergeTest, OverlappingCellNamesBothFiles) {
  const std::string error =
      MergeError({{"s0.json", Shard("0/2", {kA, kB})}, {"s1.json", Shard("1/2", {kB, kC})}});
  EXPECT_EQ(error, "s1.json: 'm/" + kB.first + "' is also in s0.json: shards overlap");
}

TEST(ResultMergeTest, OverlappingCellHashOnlyIsRefused) {
  // Same hash under another entry name (a corrupt or hand-edited file).
  json s1 = Shard("1/2", {kC});
  s1["kvbench"]["cells"][kA.second] = s1["kvbench"]["cells"][kC.second];
  const std::string error = MergeError({{"s0.json", Shard("0/2", {kA})}, {"s1.json", s1}});
  EXPECT_EQ(error, "s1.json: kvbench.cells." + kA.second + " is in two files: shards overlap");
}

TEST(ResultMergeTest, SameFileGivenTwiceIsRefused) {
  // Entry names may repeat within one path (timing mode), so the cells catch it.
  const json s0 = Shard("0/2", {kA});
  EXPECT_EQ(MergeError({{"s0.json", s0}, {"s0.json", s0}}),
            "s0.json: kvbench.cells." + kA.second + " is in two files: shards overlap");
}

TEST(ResultMergeTest, DifferentConfigHashIsRefused) {
  json s1 = Shard("1/2", {kD});
  s1["context"]["config_hash"] = "ffffffffffffffff";
  const std::string error = MergeError({{"s0.json", Shard("0/2", {kA})}, {"s1.json", s1}});
  EXPECT_EQ(error,
            "s1.json: context.config_hash 'ffffffffffffffff' differs from s0.json's "
            "'0123456789abcdef': not shards of one matrix run");
}

TEST(ResultMergeTest, DifferentTracesOrModeAreRefused) {
  json traces = Shard("1/2", {kD});
  traces["context"]["trace_digests"] = "c=0000000000000000";
  EXPECT_THAT(MergeError({{"s0.json", Shard("0/2", {kA})}, {"s1.json", traces}}),
              HasSubstr("s1.json: context.trace_digests 'c=0000000000000000' differs from"));
  json mode = Shard("1/2", {kD});
  mode["context"]["mode"] = "timing";
  EXPECT_THAT(MergeError({{"s0.json", Shard("0/2", {kA})}, {"s1.json", mode}}),
              HasSubstr("s1.json: context.mode 'timing' differs from s0.json's 'metrics'"));
}

TEST(ResultMergeTest, MissingShardsGiveAWarning) {
  std::vector<std::string> warnings;
  const json merged = MergeResults(
      {{"s0.json", Shard("0/3", {kA, kB})}, {"s2.json", Shard("2/3", {kE})}}, &warnings);
  EXPECT_THAT(warnings, ElementsAre("merged 3 of the matrix's 5 cells: some shards are missing"));
  EXPECT_EQ(merged["context"]["cells_run"], "3");
  EXPECT_EQ(merged["context"]["shard"], "0/3,2/3");
}

TEST(ResultMergeTest, FileWithoutKvbenchSectionIsRefusedClearly) {
  json plain = Shard("1/2", {kD});
  plain.erase("kvbench");
  EXPECT_EQ(MergeError({{"s0.json", Shard("0/2", {kA})}, {"gbench.json", plain}}),
            "gbench.json: (top level): missing \"kvbench\" (not a kvbench result?)");
}

TEST(ResultMergeTest, FileWithoutContextFieldsIsRefusedClearly) {
  json no_context = Shard("0/2", {kA});
  no_context.erase("context");
  EXPECT_EQ(MergeError({{"x.json", no_context}}),
            "x.json: (top level): missing \"context\" (not a kvbench result?)");
  json no_hash = Shard("0/2", {kA});
  no_hash["context"].erase("config_hash");
  EXPECT_EQ(MergeError({{"y.json", no_hash}}),
            "y.json: context: missing \"config_hash\" (not a kvbench result?)");
  json bad_count = Shard("0/2", {kA});
  bad_count["context"]["cells_run"] = "many";
  EXPECT_EQ(MergeError({{"z.json", bad_count}}),
            "z.json: context.cells_run: expected a count, got 'many'");
}

TEST(ResultMergeTest, NoFilesIsAnError) {
  EXPECT_EQ(MergeError({}), "merge: no result files given");
}

}  // namespace
}  // namespace kvb
