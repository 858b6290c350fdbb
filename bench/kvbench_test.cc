// The kvbench command, run as a program: --list-strategies, config errors, determinism over
// threads and shards, the result JSON's schema, failing cells, --list / --print-config /
// --preset, and timing mode.

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/cell_counters.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/metric_table.h"
#include "core/util/names.h"
#include "core/util/params.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A fresh directory, removed with everything in it at the end of its scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kvbench_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

json ReadJson(const fs::path& path) { return json::parse(ReadText(path)); }

struct CommandRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs kvbench with `args` (shell words), stdout and stderr apart.
CommandRun Exec(const std::string& args) {
  static const TempDir scratch;
  const std::string err_file = scratch / "stderr.txt";
  const std::string command = std::string(KVBENCH_BIN) + " " + args + " 2>" + err_file;
  FILE* pipe = popen(command.c_str(), "r");
  CommandRun run;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = ReadText(err_file);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// 9 cells: 3 strategies on a seed cluster (first rate scale only) and on a realistic
// global cluster at rate scales 1 and 2 (3 + 3 x 2).
constexpr char kDeterminismConfig[] = R"({
  "name": "det",
  "strategies": ["kvcache_centric", "random", "local_cache_aware"],
  "clusters": [
    {"name": "seed4", "mode": "seed"},
    {"name": "real4g", "mode": "realistic", "nodes": 4, "capacity": "1000blocks", "scope": "global"}
  ],
  "traces": [{"name": "c", "preset": "conversation", "requests": 400, "seed": 3}],
  "rate_scales": [1, 2]
})";
constexpr size_t kDeterminismCells = 9;

// 2 cells on a small realistic cluster.
constexpr char kTwoCellConfig[] = R"({
  "name": "two",
  "strategies": ["random", "kvcache_centric"],
  "clusters": [{"name": "r", "mode": "realistic", "nodes": 2, "capacity": "500blocks"}],
  "traces": [{"name": "c", "preset": "conversation", "requests": 200, "seed": 3}]
})";

// The entries of cells (label "cell=..."), by name; timing mode repeats a name.
std::multimap<std::string, json> CellEntries(const json& result) {
  std::multimap<std::string, json> out;
  for (const json& e : result["benchmarks"]) {
    if (e.value("label", "").starts_with("cell=")) out.emplace(e["name"], e);
  }
  return out;
}

// Counters of an entry: every field Google Benchmark does not write itself.
std::map<std::string, double> EntryCounters(const json& entry) {
  static const std::set<std::string> kGbench = [] {
    std::istringstream words(
        "name family_index per_family_instance_index run_name run_type repetitions "
        "repetition_index threads iterations real_time cpu_time time_unit label "
        "error_occurred error_message aggregate_name aggregate_unit");
    return std::set<std::string>(std::istream_iterator<std::string>(words), {});
  }();
  std::map<std::string, double> out;
  for (const auto& [key, value] : entry.items()) {
    // null (a metric that does not apply, e.g. goodput without an SLO) reads as -inf, which
    // compares equal to itself.
    if (!kGbench.contains(key)) {
      out[key] = value.is_null() ? -INFINITY : value.get<double>();
    }
  }
  return out;
}

// Every cell entry's counters in two results are exactly equal, cell by cell.
void ExpectSameCellCounters(const json& a, const json& b) {
  const auto x = CellEntries(a), y = CellEntries(b);
  ASSERT_EQ(x.size(), y.size());
  for (const auto& [name, entry] : x) {
    SCOPED_TRACE(name);
    ASSERT_EQ(y.count(name), 1u);
    EXPECT_EQ(EntryCounters(entry), EntryCounters(y.find(name)->second));
    EXPECT_EQ(entry["label"], y.find(name)->second["label"]);
  }
}

// kvbench.cells of two results hold the same cells with the same results.
void ExpectSameCellResults(const json& a, const json& b) {
  const json& x = a["kvbench"]["cells"];
  const json& y = b["kvbench"]["cells"];
  ASSERT_EQ(x.size(), y.size());
  for (const auto& [hash, cell] : x.items()) {
    SCOPED_TRACE(hash);
    ASSERT_TRUE(y.contains(hash));
    EXPECT_EQ(cell["key"], y[hash]["key"]);
    ASSERT_TRUE(cell.contains("result"));
    EXPECT_EQ(cell["result"], y[hash]["result"]);
  }
}

TEST(KvbenchTest, ListStrategiesShowsEveryRegisteredStrategyWithItsDefaults) {
  const CommandRun run = Exec("--list-strategies");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const RouterInfo& r : Routers()) {
    EXPECT_THAT(run.out, HasSubstr("  " + std::string(r.name) + " ")) << r.name;
    EXPECT_THAT(run.out, HasSubstr(std::string(r.description))) << r.name;
    EXPECT_THAT(run.out, HasSubstr("defaults: " + DefaultsText(r.params))) << r.name;
    if (!r.upstream.empty()) {
      EXPECT_THAT(run.out, HasSubstr("upstream: " + std::string(r.upstream))) << r.name;
    }
  }
  for (const ReplicationInfo& p : ReplicationPolicies()) {
    EXPECT_THAT(run.out, HasSubstr("  " + std::string(p.name) + " ")) << p.name;
    EXPECT_THAT(run.out, HasSubstr("defaults: " + DefaultsText(p.params))) << p.name;
  }
  // A parameter's meaning, as a user would look it up.
  EXPECT_THAT(run.out, HasSubstr("kvcache_centric.kvcache_balancing_threshold: fetch when"));
  EXPECT_THAT(run.out, HasSubstr("defaults: alpha=0.5, beta=0.6, gamma=0.8, theta=0.15"));
}

TEST(KvbenchTest, UnknownFlagsFailWithUsage) {
  const CommandRun run = Exec("--no-such-flag");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("kvbench: error: unrecognised option '--no-such-flag'"));
}

// `--help` must show kvbench's own usage, not only Google Benchmark's flags.
TEST(KvbenchTest, HelpShowsKvbenchUsage) {
  const CommandRun short_help = Exec("-h");
  EXPECT_EQ(short_help.exit_code, 0);
  EXPECT_THAT(short_help.out, HasSubstr("usage: kvbench --config FILE"));
  const CommandRun run = Exec("--help");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("--config"));
  EXPECT_THAT(run.out, HasSubstr("--cell-memory-limit"));
}

// ---- a. Config errors end to end ----

struct BadConfigFile {
  std::string what;
  std::string text;
  std::string expected;  // after "kvbench: error: FILE: "
};

TEST(KvbenchTest, BadConfigFilesExitTwoWithOneLineOnStderr) {
  const TempDir dir;
  const std::vector<BadConfigFile> rows = {
      {"bad capacity",
       R"({"name": "b", "strategies": ["random"],
           "clusters": [{"name": "s", "mode": "seed", "capacity": "lots"}],
           "traces": [{"name": "c", "preset": "conversation", "requests": 300, "seed": 3}]})",
       "clusters[0].capacity: expected \"<number><unit>\" with unit blocks, tokens or B "
       "(optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"lots\""},
      {"unknown field",
       R"({"name": "b", "strategies": ["random"], "colour": "red",
           "clusters": [{"name": "s", "mode": "seed"}],
           "traces": [{"name": "c", "preset": "conversation", "requests": 300, "seed": 3}]})",
       "colour: unknown field"},
      {"unknown router",
       R"({"name": "b", "strategies": ["random", "nosuch"],
           "clusters": [{"name": "s", "mode": "seed"}],
           "traces": [{"name": "c", "preset": "conversation", "requests": 300, "seed": 3}]})",
       "strategies[1]: strategy 'nosuch': unknown router 'nosuch' (known: " + JoinNames(Routers()) +
           ")"},
      {"unknown preset",
       R"({"name": "b", "strategies": ["random"],
           "clusters": [{"name": "s", "mode": "seed"}],
           "traces": [{"name": "c", "preset": "chat"}]})",
       "traces[0].preset: unknown preset 'chat' (known: conversation, toolagent, synthetic; or a "
       "workload file ending in .json)"},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].what);
    const std::string file = dir / ("bad" + std::to_string(i) + ".json");
    WriteText(file, rows[i].text);
    const std::string out = dir / "out.json";
    const CommandRun run = Exec("--config " + file + " --out " + out);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "kvbench: error: " + file + ": " + rows[i].expected + "\n");
    EXPECT_EQ(run.out, "");
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST(KvbenchTest, InvalidJsonNamesLineAndColumn) {
  const TempDir dir;
  const std::string file = dir / "broken.json";
  WriteText(file, "{\"name\": \"b\",\n  \"strategies\": [\"random\",]\n}\n");
  const CommandRun run = Exec("--config " + file);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, StartsWith("kvbench: error: " + file +
                                  ": invalid JSON: parse error at line 2, column"));
  EXPECT_EQ(Lines(run.err).size(), 1u);
}

TEST(KvbenchTest, MissingConfigFileExitsTwo) {
  const TempDir dir;
  const std::string file = dir / "missing.json";
  const CommandRun run = Exec("--config " + file);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "kvbench: error: " + file + ": cannot open: No such file or directory\n");
}

TEST(KvbenchTest, TwoConfigsWithOneNameAreRefused) {
  const TempDir dir;
  WriteText(dir / "a.json", kTwoCellConfig);
  WriteText(dir / "b.json", kTwoCellConfig);
  const CommandRun run = Exec("--config " + (dir / "a.json") + " --config " + (dir / "b.json"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "kvbench: error: " + (dir / "b.json") + ": name: 'two' is also the name of " +
                         (dir / "a.json") + "\n");
}

TEST(KvbenchTest, BadShardsExitTwo) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  for (const std::string shard : {"2/2", "1/0", "x", "0/2/3", "-1/2"}) {
    SCOPED_TRACE(shard);
    const CommandRun run = Exec("--config " + (dir / "two.json") + " --shard " + shard);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "kvbench: error: --shard: expected k/N with 0 <= k < N, got '" + shard +
                           "' (see kvbench --help)\n");
  }
}

TEST(KvbenchTest, UsageErrorsExitTwo) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  const std::string config = "--config " + (dir / "two.json");
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"", "give --config FILE (see configs/), or --list-strategies / --print-config"},
      {config + " --requests 5", "--requests needs --preset"},
      {config + " --mode fast", "--mode: expected metrics or timing, got 'fast'"},
      {config + " --repetitions 0", "--repetitions: must be >= 1"},
      {config + " --trace t.jsonl --preset conversation", "give --trace or --preset, not both"},
      {config + " --timestamp-unit s",
       "--trace-format, --timestamp-unit, --reblock-tokens and --prefixes need --trace"},
  };
  for (const auto& [args, message] : rows) {
    SCOPED_TRACE(args);
    const CommandRun run = Exec(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "kvbench: error: " + message + " (see kvbench --help)\n");
  }
}

// A trace whose ids name their whole prefix reads the same from 16-token ids re-blocked to
// 512 as from 512-token ids: the same requests, arrivals (seconds vs ms) and prefix tree,
// so every cell's outcome is equal. Requests: 240 over 4 conversations of 1-6 blocks.
TEST(KvbenchTest, BailianReblockedRunsLikeTheSameMooncakeTrace) {
  const TempDir dir;
  std::string mooncake, bailian;
  for (int i = 0; i < 240; ++i) {
    const int conversation = i % 4, blocks = 1 + (i * 7) % 6;
    const int64_t ms = 250 * i + (i * 37) % 200;
    std::string ids512, ids16;
    for (int j = 0; j < blocks; ++j) {
      // Block j of a conversation is the same prefix whoever sends it: one id per depth.
      const int id = conversation * 100 + j;
      ids512 += (j ? ", " : "") + std::to_string(id);
      for (int sub = 0; sub < 32; ++sub) {
        ids16 += (j || sub ? ", " : "") + std::to_string(id * 32 + sub);
      }
    }
    const std::string lengths = ", \"input_length\": " + std::to_string(blocks * 512) +
                                ", \"output_length\": " + std::to_string(20 + i % 50);
    mooncake +=
        "{\"timestamp\": " + std::to_string(ms) + lengths + ", \"hash_ids\": [" + ids512 + "]}\n";
    bailian += "{\"chat_id\": " + std::to_string(i) +
               ", \"timestamp\": " + absl::StrFormat("%d.%03d", ms / 1000, ms % 1000) + lengths +
               ", \"type\": \"text\", \"turn\": 1, \"hash_ids\": [" + ids16 + "]}\n";
  }
  fs::create_directories(dir.path() / "m");
  fs::create_directories(dir.path() / "q");
  WriteText(dir / "m/t.jsonl", mooncake);
  WriteText(dir / "q/t.jsonl", bailian);
  WriteText(dir / "two.json", kTwoCellConfig);
  const std::string run = "--config " + (dir / "two.json") + " --progress=false --summary=false";
  const CommandRun a = Exec(run + " --trace " + (dir / "m/t.jsonl") + " --out " + (dir / "a.json"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const CommandRun b =
      Exec(run + " --trace " + (dir / "q/t.jsonl") +
           " --trace-format bailian --reblock-tokens 512 --out " + (dir / "b.json"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto cells_a = CellEntries(ReadJson(dir / "a.json"));
  const auto cells_b = CellEntries(ReadJson(dir / "b.json"));
  ASSERT_EQ(cells_a.size(), 2u);
  ASSERT_EQ(cells_b.size(), cells_a.size());
  for (auto ia = cells_a.begin(), ib = cells_b.begin(); ia != cells_a.end(); ++ia, ++ib) {
    EXPECT_EQ(ia->first, ib->first);
    for (const char* metric : {"token_hit_rate", "ttft_p50_s", "ttft_p99_s", "requests"}) {
      ASSERT_TRUE(ia->second.contains(metric)) << metric;
      EXPECT_EQ(ia->second[metric], ib->second[metric]) << ia->first << " " << metric;
    }
  }
  // Unblocked, the 16-token trace does not fit the 512-token profile: the error says how.
  const CommandRun c = Exec(run + " --trace " + (dir / "q/t.jsonl") + " --trace-format bailian");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_THAT(c.err, HasSubstr("512 tokens per block, but trace 't' has 16 (give the trace "
                               "reblock_tokens: 512 to re-block it; --reblock-tokens on the "
                               "command line)"));
}

// A CSV without hashes runs on synthetic prefixes: deterministic for a seed, another
// seed gives other prefixes (not the arrivals or lengths), and stderr says so.
TEST(KvbenchTest, AzureCsvRunsOnSyntheticPrefixesSeeded) {
  const TempDir dir;
  std::string text = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (int i = 0; i < 200; ++i) {
    text += absl::StrFormat("2023-11-16 18:%02d:%02d.%07d,%d,%d\n", i / 60, i % 60, i * 4999,
                            400 + (i * 131) % 3000, 10 + i % 90);
  }
  WriteText(dir / "azure.csv", text);
  WriteText(dir / "two.json", kTwoCellConfig);
  auto run = [&](const std::string& seed, const std::string& out) {
    return Exec("--config " + (dir / "two.json") + " --trace " + (dir / "azure.csv") +
                " --trace-format azure --trace-seed " + seed +
                " --progress=false --summary=false --out " + (dir / out));
  };
  const CommandRun a = run("1", "a.json"), b = run("1", "b.json"), c = run("2", "c.json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(a.err, HasSubstr("prefixes are synthetic, drawn from the 'conversation' workload"));
  const auto ca = CellEntries(ReadJson(dir / "a.json"));
  const auto cb = CellEntries(ReadJson(dir / "b.json"));
  const auto cc = CellEntries(ReadJson(dir / "c.json"));
  ASSERT_EQ(ca.size(), 2u);
  bool any_differs = false;
  for (auto ia = ca.begin(), ib = cb.begin(), ic = cc.begin(); ia != ca.end(); ++ia, ++ib, ++ic) {
    EXPECT_EQ(ia->second["token_hit_rate"], ib->second["token_hit_rate"]);
    EXPECT_EQ(ia->second["requests"], 200);
    EXPECT_GT(ia->second["token_hit_rate"].get<double>(), 0);
    any_differs |= ia->second["token_hit_rate"] != ic->second["token_hit_rate"];
  }
  EXPECT_TRUE(any_differs);
}

// Google Benchmark's conventions: --benchmark_filter picks cells before they run (the
// others never run: no outcome, not counted); --benchmark_format=json without --out prints
// the result on stdout; a cell's cpu_time is its thread's CPU time, not ~0.
TEST(KvbenchTest, BenchmarkFilterFormatAndCpuTimeFollowGoogleBenchmark) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  const std::string config = "--config " + (dir / "two.json") + " --progress=false";
  const CommandRun filtered = Exec(config + " --benchmark_filter=strategy=kvcache --out " +
                                   (dir / "f.json") + " --summary=false");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  const json f = ReadJson(dir / "f.json");
  EXPECT_EQ(f["context"]["cells_run"], "1");
  ASSERT_EQ(f["kvbench"]["cells"].size(), 1u);
  EXPECT_EQ(f["kvbench"]["cells"].begin().value()["strategy"], "kvcache_centric");
  const auto cells = CellEntries(f);
  ASSERT_EQ(cells.size(), 1u);
  const json& cell = cells.begin()->second;
  EXPECT_GT(cell["cpu_time"].get<double>(), 0.05 * cell["real_time"].get<double>());
  EXPECT_LT(cell["cpu_time"].get<double>(), 1.5 * cell["real_time"].get<double>() + 1);

  const CommandRun negated = Exec(config + " --benchmark_filter=-strategy=kvcache --out " +
                                  (dir / "n.json") + " --summary=false");
  ASSERT_EQ(negated.exit_code, 0) << negated.err;
  EXPECT_EQ(ReadJson(dir / "n.json")["kvbench"]["cells"].begin().value()["strategy"], "random");

  const CommandRun printed = Exec(config + " --benchmark_format=json");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const json stdout_json = json::parse(printed.out);  // nothing but the result
  EXPECT_EQ(stdout_json["kvbench"]["cells"].size(), 2u);

  const CommandRun bad = Exec(config + " --benchmark_filter='('");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--benchmark_filter: '(' is not a regex"));

  // A filter no cell matches is an error saying so, and writes nothing.
  const CommandRun none = Exec(config + " --benchmark_filter=strategy=dynamo --out " +
                               (dir / "none.json") + " --summary=false");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err,
              HasSubstr("--benchmark_filter: 'strategy=dynamo' matches none of the 2 cells"));
  EXPECT_FALSE(fs::exists(dir / "none.json"));
}

// Debian's libbenchmark-tools compare.py reads two timing-mode results and compares every
// cell (its U test needs the repetitions).
TEST(KvbenchTest, GoogleBenchmarkComparePyReadsTimingResults) {
  const std::string compare_py = "/usr/share/benchmark/compare.py";
  if (!fs::exists(compare_py)) GTEST_SKIP() << "libbenchmark-tools is not installed";
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  for (const char* out : {"a.json", "b.json"}) {
    const CommandRun run =
        Exec("--config " + (dir / "two.json") +
             " --mode timing --repetitions 3 --progress=false --out " + (dir / out));
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  const std::string command = "/usr/bin/python3 " + compare_py + " --no-color benchmarks " +
                              (dir / "a.json") + " " + (dir / "b.json") + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), n);
  ASSERT_EQ(pclose(pipe), 0) << text;
  EXPECT_THAT(text, HasSubstr("two/strategy=random/cluster=r"));
  EXPECT_THAT(text, HasSubstr("two/strategy=kvcache_centric/cluster=r"));
  EXPECT_THAT(text, HasSubstr("_pvalue"));
}

// --progress: a line while the trace is generated, then lines from inside running cells
// (requests done of total, simulated time), then the last line at all cells done.
TEST(KvbenchTest, ProgressShowsTraceLoadingAndCellsFromInside) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  const CommandRun run = Exec("--config " + (dir / "two.json") +
                              " --progress=true --summary=false --out " + (dir / "r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("kvbench: generating trace 'c' (conversation)...\n"));
  EXPECT_THAT(run.err, HasSubstr("kvbench: trace 'c': 200 requests, "));
  EXPECT_THAT(run.err, ::testing::ContainsRegex(
                           "running, slowest strategy=[a-z_]+/cluster=r/trace=c/prices=profile/"
                           "rate_scale=1/seed=1: [0-9]+/200 requests, [0-9]+ s simulated"));
  EXPECT_THAT(run.err, HasSubstr("kvbench: 2/2 cells, "));
}

// docs/METRICS.md is --list-metrics' table (regenerate it with that command).
TEST(KvbenchTest, MetricsPageIsTheBinarysTable) {
  const CommandRun run = Exec("--list-metrics");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("| `token_hit_rate` | share (0-1) | higher | "));
  const std::string page = ReadText(fs::path(KVB_DOCS_DIR) / "METRICS.md");
  const size_t table = page.find("| column | unit | better | what it is |");
  ASSERT_NE(table, std::string::npos);
  EXPECT_EQ(page.substr(table), run.out)
      << "docs/METRICS.md is stale: regenerate its table with kvbench --list-metrics";
}

// Timestamps in seconds read as milliseconds: a warning naming the unit option.
TEST(KvbenchTest, ImplausibleArrivalRateIsAWarning) {
  const TempDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "{\"timestamp\": " + std::to_string(i / 10) +
            ", \"input_length\": 512, \"output_length\": 9, \"hash_ids\": [" +
            std::to_string(i % 7) + "]}\n";
  }
  WriteText(dir / "t.jsonl", text);
  WriteText(dir / "two.json", kTwoCellConfig);
  const CommandRun run = Exec("--config " + (dir / "two.json") + " --trace " + (dir / "t.jsonl") +
                              " --progress=false --summary=false --out " + (dir / "r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("kvbench: warning: "));
  EXPECT_THAT(run.err, HasSubstr("200 requests in 0.019 s (10474 per second, read as ms): if the "
                                 "timestamps are in a coarser unit, give it (timestamp unit s or "
                                 "ms)"));
}

// An --out that cannot be written is a usage error (exit 2), found before the cells run.
TEST(KvbenchTest, UnwritableOutIsAUsageError) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  const std::string out = dir / "no/such/dir/result.json";
  const CommandRun run = Exec("--config " + (dir / "two.json") + " --out " + out);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THAT(run.err, HasSubstr(out));
  EXPECT_EQ(run.exit_code, 2);
}

// ---- b, c. One real run, checked for determinism and schema ----

class KvbenchRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    config_ = *dir_ / "det.json";
    WriteText(config_, kDeterminismConfig);
    threads1_ = Run("--threads 1", "t1.json");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // Runs the determinism config with `flags`, writing `out` in the suite's folder.
  static json Run(const std::string& flags, const std::string& out) {
    const CommandRun run =
        Exec("--config " + config_ + " " + flags + " --summary=false --out " + (*dir_ / out));
    EXPECT_EQ(run.exit_code, 0) << flags << ": " << run.err;
    return fs::exists(dir_->path() / out) ? ReadJson(dir_->path() / out) : json();
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string config_;
  static inline json threads1_;
};

TEST_F(KvbenchRunTest, ResultsDoNotDependOnThreadsOrShards) {
  ASSERT_EQ(CellEntries(threads1_).size(), kDeterminismCells);
  const json threads2 = Run("--threads 2", "t2.json");
  ExpectSameCellCounters(threads1_, threads2);
  ExpectSameCellResults(threads1_, threads2);

  const json shard0 = Run("--shard 0/2", "s0.json");
  const json shard1 = Run("--shard 1/2", "s1.json");
  EXPECT_EQ(CellEntries(shard0).size() + CellEntries(shard1).size(), kDeterminismCells);
  const CommandRun merge = Exec("merge " + (*dir_ / "s0.json") + " " + (*dir_ / "s1.json") +
                                " -o " + (*dir_ / "m.json"));
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_EQ(merge.err, "");
  const json merged = ReadJson(dir_->path() / "m.json");
  ExpectSameCellCounters(threads1_, merged);
  ExpectSameCellResults(threads1_, merged);
  EXPECT_EQ(merged["context"]["shard"], "0/2,1/2");
  EXPECT_EQ(merged["context"]["cells_run"], std::to_string(kDeterminismCells));
  EXPECT_EQ(merged["context"]["config_hash"], threads1_["context"]["config_hash"]);

  // One shard alone: merged with a warning on stderr.
  const CommandRun partial =
      Exec("merge " + (*dir_ / "s0.json") + " -o " + (*dir_ / "partial.json"));
  EXPECT_EQ(partial.exit_code, 0);
  EXPECT_EQ(partial.err, "kvbench merge: warning: merged " +
                             std::to_string(CellEntries(shard0).size()) +
                             " of the matrix's 9 cells: some shards are missing\n");
  // A shard given twice overlaps itself.
  const CommandRun twice = Exec("merge " + (*dir_ / "s0.json") + " " + (*dir_ / "s0.json") +
                                " -o " + (*dir_ / "twice.json"));
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("shards overlap"));
  EXPECT_FALSE(fs::exists(dir_->path() / "twice.json"));
}

TEST_F(KvbenchRunTest, OutIsWrittenWholeWithNoTemporaryFilesLeft) {
  const TempDir out_dir;
  const std::string out = out_dir / "result.json";
  // A run that fails on its config writes nothing and leaves an older result alone.
  WriteText(out, "old");
  const std::string bad = out_dir / "bad.json";
  WriteText(bad, R"({"name": "b"})");
  EXPECT_EQ(Exec("--config " + bad + " --out " + out).exit_code, 2);
  EXPECT_EQ(ReadText(out), "old");
  fs::remove(bad);
  fs::remove(out);
  // A run that succeeds leaves exactly its result.
  const CommandRun run = Exec("--config " + config_ + " --summary=false --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(out_dir.path())) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(files, ::testing::ElementsAre("result.json"));
  EXPECT_NO_THROW(ReadJson(out));
}

TEST_F(KvbenchRunTest, ResultHasGoogleBenchmarkAndKvbenchSchema) {
  const json& r = threads1_;
  ASSERT_TRUE(r.contains("context"));
  ASSERT_TRUE(r.contains("benchmarks"));
  ASSERT_TRUE(r.contains("kvbench"));
  const json& context = r["context"];
  for (const char* field : {"date", "host_name", "executable", "library_build_type"}) {
    EXPECT_TRUE(context.contains(field) && context[field].is_string()) << field;
  }
  EXPECT_TRUE(context["num_cpus"].is_number_integer());
  for (const char* field :
       {"kvbench_version", "git_commit", "matrices", "config_hash", "config_files", "trace_digests",
        "threads", "mode", "shard", "mpi_ranks", "cells_total", "cells_run", "cells_failed"}) {
    EXPECT_TRUE(context.contains(field) && context[field].is_string()) << field;
  }
  EXPECT_EQ(context["matrices"], "det");
  EXPECT_EQ(context["config_files"], config_);
  EXPECT_TRUE(std::regex_match(context.value("config_hash", ""), std::regex("[0-9a-f]{16}")));
  EXPECT_TRUE(std::regex_match(context.value("trace_digests", ""), std::regex("c=[0-9a-f]{16}")));
  EXPECT_EQ(context["threads"], "1");
  EXPECT_EQ(context["mode"], "metrics");
  EXPECT_EQ(context["shard"], "0/1");
  EXPECT_EQ(context["mpi_ranks"], "1");
  EXPECT_EQ(context["cells_total"], "9");
  EXPECT_EQ(context["cells_run"], "9");
  EXPECT_EQ(context["cells_failed"], "0");
  EXPECT_NE(context.value("kvbench_version", ""), "");
  EXPECT_NE(context.value("git_commit", ""), "");

  const std::regex name_re(
      "det/strategy=[^/]+/cluster=[^/]+/trace=[^/]+/prices=[^/]+/rate_scale=[^/]+/seed=[0-9]+");
  const std::vector<std::string> counters = CounterNames();
  const json& cells = r["kvbench"]["cells"];
  std::set<std::string> labels;
  size_t matrix_entries = 0;
  for (const json& e : r["benchmarks"]) {
    const std::string name = e["name"];
    SCOPED_TRACE(name);
    if (name == "det/matrix") {
      ++matrix_entries;
      EXPECT_EQ(e["label"], "matrix");
      EXPECT_EQ(e["cells"], 9);
      EXPECT_EQ(e["cells_failed"], 0);
      EXPECT_GT(e["cells_per_s"].get<double>(), 0);
      EXPECT_GT(e["block_refs_per_s"].get<double>(), 0);
      continue;
    }
    EXPECT_TRUE(std::regex_match(name, name_re));
    EXPECT_EQ(e["run_name"], name);
    EXPECT_EQ(e["run_type"], "iteration");
    EXPECT_EQ(e["iterations"], 1);
    EXPECT_EQ(e["time_unit"], "ms");
    EXPECT_GT(e["real_time"].get<double>(), 0);
    const std::string label = e.value("label", "");
    ASSERT_TRUE(std::regex_match(label, std::regex("cell=[0-9a-f]{12}")));
    EXPECT_FALSE(e.contains("error_occurred"));
    labels.insert(label);
    for (const std::string& counter : counters) {
      // A nullable metric is null (not a number) where it does not apply: goodput without
      // an SLO, the HBM tier's metrics without the tier.
      const MetricSpec* metric = FindMetric(counter);
      EXPECT_TRUE(e.contains(counter) &&
                  (e[counter].is_number() ||
                   (metric != nullptr && metric->nullable && e[counter].is_null())))
          << counter;
    }
    // The entry's kvbench.cells record, keyed by the label's hash.
    const std::string hash = label.substr(5);
    ASSERT_TRUE(cells.contains(hash));
    EXPECT_EQ("det/" + cells[hash]["key"].get<std::string>(), name);
    EXPECT_EQ(cells[hash]["error"], "");
    ASSERT_TRUE(cells[hash].contains("result"));
    EXPECT_TRUE(cells[hash]["result"].is_object());
  }
  EXPECT_EQ(matrix_entries, 1u);
  EXPECT_EQ(labels.size(), kDeterminismCells);
  EXPECT_EQ(cells.size(), kDeterminismCells);
  // The matrix's resolved config, as --print-config shows it.
  const CommandRun printed = Exec("--print-config --config " + config_);
  ASSERT_EQ(printed.exit_code, 0);
  ASSERT_EQ(r["kvbench"]["matrices"].size(), 1u);
  EXPECT_EQ(r["kvbench"]["matrices"][0]["name"], "det");
  EXPECT_EQ(r["kvbench"]["matrices"][0]["config"], json::parse(printed.out));
}

// ---- d. A failing cell ----

TEST(KvbenchTest, CellOverItsTimeLimitFailsButTheResultIsWritten) {
  const TempDir dir;
  WriteText(dir / "slow.json", R"({
    "name": "slow", "strategies": ["random"],
    "clusters": [{"name": "r", "mode": "realistic", "nodes": 2, "capacity": "500blocks"}],
    "traces": [{"name": "c", "preset": "conversation", "requests": 600, "seed": 3}],
    "cell_time_limit_s": 1e-9
  })");
  const std::string config = "--config " + (dir / "slow.json") + " --summary=false";
  const CommandRun run = Exec(config + " --out " + (dir / "failed.json"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("kvbench: 1 of 1 cells failed (their errors are in the result)"));
  ASSERT_TRUE(fs::exists(dir.path() / "failed.json"));
  const json r = ReadJson(dir.path() / "failed.json");
  EXPECT_EQ(r["context"]["cells_failed"], "1");
  EXPECT_EQ(r["context"]["cells_run"], "1");
  const auto entries = CellEntries(r);
  ASSERT_EQ(entries.size(), 1u);
  const json& e = entries.begin()->second;
  EXPECT_EQ(e["error_occurred"], true);
  EXPECT_THAT(e.value("error_message", ""), StartsWith("time limit of 1e-09 s passed"));
  EXPECT_EQ(e["run_name"], e["name"]);
  EXPECT_THAT(e.value("label", ""), StartsWith("cell="));
  const json& cell = r["kvbench"]["cells"][e["label"].get<std::string>().substr(5)];
  EXPECT_THAT(cell.value("error", ""), StartsWith("time limit of 1e-09 s passed"));
  EXPECT_FALSE(cell.contains("result"));
  bool matrix_entry = false;
  for (const json& b : r["benchmarks"]) {
    if (b["name"] == "slow/matrix") matrix_entry = b["cells_failed"] == 1;
  }
  EXPECT_TRUE(matrix_entry);

  // --cell-time-limit 0 lifts the config's limit.
  const CommandRun unlimited = Exec(config + " --cell-time-limit 0 --out " + (dir / "ok.json"));
  EXPECT_EQ(unlimited.exit_code, 0) << unlimited.err;
  const json ok = ReadJson(dir.path() / "ok.json");
  EXPECT_EQ(ok["context"]["cells_failed"], "0");
  EXPECT_FALSE(CellEntries(ok).begin()->second.contains("error_occurred"));
}

// A cell whose estimated heap is over the memory limit stops kvbench before any cell
// runs: exit 2, one line with the estimate, its breakdown and the limit; nothing written.
// The same config runs under a large limit; the config's cell_memory_limit applies unless
// --cell-memory-limit overrides it.
constexpr char kMemoryConfig[] = R"({
  "name": "mem", "strategies": ["random"],
  "clusters": [{"name": "big", "mode": "realistic", "nodes": 16, "capacity": "2000blocks"}],
  "traces": [{"name": "c", "preset": "conversation", "requests": 1000, "seed": 3}]%s
})";

std::string MemoryConfig(const std::string& extra = "") {
  std::string text = kMemoryConfig;
  text.replace(text.find("%s"), 2, extra);
  return text;
}

TEST(KvbenchTest, CellOverTheMemoryLimitIsRefusedBeforeAnyCellRuns) {
  const TempDir dir;
  const std::string file = dir / "mem.json";
  WriteText(file, MemoryConfig());
  const std::string config = "--config " + file + " --summary=false";
  const std::string out = dir / "out.json";
  // 16 nodes x 2,000 blocks on ~16,000 distinct blocks: about 2 MB (16 direct id indexes
  // of 64 KB, a holder set per id, ...), over 1 MB.
  const std::regex refusal(
      "kvbench: error: " + file +
      ": cluster 'big', trace 'c': a cell needs an estimated ([0-9.]+) MB \\(cache slots .* \\+ "
      "id indexes .* \\+ prefix index .* = \\1 MB\\) > --cell-memory-limit 1MB; lower capacity "
      "or nodes, or raise the limit\n");
  for (const std::string& args : {" --out " + out, std::string(" --list")}) {
    SCOPED_TRACE(args);
    const CommandRun refused = Exec(config + " --cell-memory-limit 1MB" + args);
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_TRUE(std::regex_match(refused.err, refusal)) << refused.err;
    EXPECT_EQ(refused.out, "");
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".journal"));
  }
  const CommandRun ran = Exec(config + " --cell-memory-limit 1GB --out " + out);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ReadJson(out)["context"]["cells_run"], "1");

  // The config's limit, named as such; the flag overrides it (auto: the default share of
  // this machine, far above 2 MB).
  const std::string limited = dir / "limited.json";
  WriteText(limited, MemoryConfig(R"(, "cell_memory_limit": "1MiB")"));
  const CommandRun by_config = Exec("--config " + limited + " --list");
  EXPECT_EQ(by_config.exit_code, 2);
  EXPECT_THAT(by_config.err, HasSubstr(" > cell_memory_limit 1MiB; lower capacity or nodes"));
  EXPECT_EQ(Lines(by_config.err).size(), 1u);
  for (const char* flag : {"1GiB", "auto"}) {
    const CommandRun overridden =
        Exec("--config " + limited + " --list --cell-memory-limit " + flag);
    EXPECT_EQ(overridden.exit_code, 0) << overridden.err;
    EXPECT_EQ(Lines(overridden.out).size(), 1u);
  }
  // The default is physical memory / worker threads: with 10^9 threads, below 2 MB on any
  // machine with less than 2 PB.
  const CommandRun tiny_share = Exec(config + " --list --threads 1000000000");
  EXPECT_EQ(tiny_share.exit_code, 2);
  EXPECT_THAT(tiny_share.err, HasSubstr(" > the default cell memory limit "));
  EXPECT_THAT(tiny_share.err, HasSubstr(" / 1000000000 worker threads; see --cell-memory-limit)"));

  // Bad values.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"5parsecs",
       "expected \"auto\" or a size \"<number><unit>\" with unit B, KB, MB, GB, TB, "
       "KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"5parsecs\""},
      {"-1GB",
       "expected \"auto\" or a size \"<number><unit>\" with unit B, KB, MB, GB, TB, "
       "KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"-1GB\""},
      {"16",
       "expected \"auto\" or a size \"<number><unit>\" with unit B, KB, MB, GB, TB, "
       "KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"16\""},
      {"0GB", "must be at least 1 byte, got \"0GB\""},
  };
  for (const auto& [value, message] : bad) {
    SCOPED_TRACE(value);
    const CommandRun run = Exec(config + " --list --cell-memory-limit " + value);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err,
              "kvbench: error: --cell-memory-limit: " + message + " (see kvbench --help)\n");
  }
}

// ---- e. --list, --print-config, --preset ----

TEST(KvbenchTest, ListPrintsOneLinePerCellAndShardsPartitionIt) {
  const TempDir dir;
  WriteText(dir / "det.json", kDeterminismConfig);
  const std::string config = "--config " + (dir / "det.json");
  const CommandRun all = Exec(config + " --list");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const std::vector<std::string> lines = Lines(all.out);
  EXPECT_EQ(lines.size(), kDeterminismCells);
  const std::regex line_re(
      "[0-9a-f]{12}  det/strategy=[^/]+/cluster=[^/]+/trace=c/prices=profile/rate_scale=[12]/"
      "seed=1");
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, line_re)) << line;
  EXPECT_EQ(all.err, "det: 9 cells (3 seed-mode cells without time or dollars skipped)\n");
  // The two shards' lists are disjoint and together the whole list.
  std::multiset<std::string> joined;
  for (const std::string shard : {"0/2", "1/2"}) {
    const CommandRun part = Exec(config + " --list --shard " + shard);
    ASSERT_EQ(part.exit_code, 0) << part.err;
    for (const std::string& line : Lines(part.out)) joined.insert(line);
  }
  EXPECT_EQ(joined, std::multiset<std::string>(lines.begin(), lines.end()));
}

TEST(KvbenchTest, PrintConfigShowsTemplateOrResolvedConfig) {
  const CommandRun templ = Exec("--print-config");
  ASSERT_EQ(templ.exit_code, 0) << templ.err;
  const json t = json::parse(templ.out);
  ASSERT_TRUE(t.contains("clusters") && !t["clusters"].empty());
  for (const json& cluster : t["clusters"]) {
    EXPECT_TRUE(cluster.contains("mode"));
    EXPECT_TRUE(cluster.contains("capacity"));
    EXPECT_TRUE(cluster.contains("eviction"));
  }
  const TempDir dir;
  WriteText(dir / "det.json", kDeterminismConfig);
  const CommandRun resolved = Exec("--print-config --config " + (dir / "det.json"));
  ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
  const json c = json::parse(resolved.out);
  EXPECT_EQ(c["name"], "det");
  EXPECT_EQ(c["clusters"][0]["nodes"], 4);
  EXPECT_EQ(c["clusters"][0]["capacity"], "512blocks");
  EXPECT_EQ(c["clusters"][0]["eviction"], "lfu");
  EXPECT_EQ(c["clusters"][0]["scope"], "local");
  EXPECT_EQ(c["clusters"][1]["capacity"], "1000blocks");
  EXPECT_EQ(c["clusters"][1]["eviction"], "lru");
  EXPECT_EQ(c["clusters"][1]["scope"], "global");
  EXPECT_EQ(c["traces"][0]["requests"], 400);
  EXPECT_EQ(c["prices"][0]["name"], "profile");
  EXPECT_EQ(c["rate_scales"], json::parse("[1.0, 2.0]"));
  EXPECT_EQ(c["seeds"], json::parse("[1]"));
  EXPECT_EQ(c["cell_time_limit_s"], 0);
  EXPECT_EQ(c["cell_memory_limit"], "auto");
  // The printed config is itself a config file that prints the same.
  WriteText(dir / "printed.json", resolved.out);
  const CommandRun again = Exec("--print-config --config " + (dir / "printed.json"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out), c);
}

TEST(KvbenchTest, PresetFlagReplacesEveryMatrixTrace) {
  const TempDir dir;
  WriteText(dir / "det.json", kDeterminismConfig);
  WriteText(dir / "two.json", kTwoCellConfig);
  const CommandRun list =
      Exec("--config " + (dir / "det.json") + " --preset conversation --requests 200 --list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::vector<std::string> lines = Lines(list.out);
  EXPECT_EQ(lines.size(), kDeterminismCells);
  for (const std::string& line : lines) EXPECT_THAT(line, HasSubstr("/trace=conversation/"));
  // A run: every cell on the generated 200-request trace.
  const CommandRun run =
      Exec("--config " + (dir / "two.json") +
           " --preset conversation --requests 200 --summary=false --out " + (dir / "p.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json r = ReadJson(dir.path() / "p.json");
  EXPECT_THAT(r["context"].value("trace_digests", ""), StartsWith("conversation="));
  ASSERT_EQ(r["kvbench"]["cells"].size(), 2u);
  for (const auto& [hash, cell] : r["kvbench"]["cells"].items()) {
    EXPECT_EQ(cell["trace"], "conversation");
    EXPECT_EQ(cell["result"]["requests"], 200);
  }
}

// ---- f. Timing mode ----

TEST(KvbenchTest, TimingModeRepeatsCellsWithTheSameMetrics) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  const std::string config = "--config " + (dir / "two.json") + " --summary=false";
  ASSERT_EQ(Exec(config + " --out " + (dir / "metrics.json")).exit_code, 0);
  const CommandRun timing =
      Exec(config + " --mode timing --repetitions 3 --out " + (dir / "timing.json"));
  ASSERT_EQ(timing.exit_code, 0) << timing.err;
  const json metrics = ReadJson(dir.path() / "metrics.json");
  const json r = ReadJson(dir.path() / "timing.json");
  EXPECT_EQ(r["context"]["mode"], "timing");
  const auto reference = CellEntries(metrics);
  const auto entries = CellEntries(r);
  ASSERT_EQ(reference.size(), 2u);
  for (const auto& [name, expected] : reference) {
    SCOPED_TRACE(name);
    const std::map<std::string, double> want = EntryCounters(expected);
    // Three runs, each with exactly the metrics-mode counters.
    EXPECT_EQ(entries.count(name), 3u);
    for (auto [it, end] = entries.equal_range(name); it != end; ++it) {
      EXPECT_EQ(it->second["run_type"], "iteration");
      EXPECT_EQ(it->second["run_name"], name);
      EXPECT_EQ(it->second["repetitions"], 3);
      EXPECT_EQ(EntryCounters(it->second), want);
    }
    // Aggregates: named "<name>_<stat>", run_name the cell's; the mean equals the value.
    for (const std::string stat : {"mean", "median", "stddev", "cv"}) {
      const auto agg = entries.equal_range(name + "_" + stat);
      ASSERT_EQ(std::distance(agg.first, agg.second), 1) << stat;
      EXPECT_EQ(agg.first->second["run_type"], "aggregate");
      EXPECT_EQ(agg.first->second["aggregate_name"], stat);
      EXPECT_EQ(agg.first->second["run_name"], name);
    }
    // The mean of three equal values may differ from them in the last bit.
    for (const auto& [counter, value] : EntryCounters(entries.find(name + "_mean")->second)) {
      if (std::isinf(want.at(counter))) {
        EXPECT_EQ(value, want.at(counter)) << counter;
        continue;
      }
      EXPECT_NEAR(value, want.at(counter), 1e-12 * std::max(1.0, std::abs(want.at(counter))))
          << counter;
    }
  }
}

// ---- Several matrices in one run ----

// Two matrices may share cell keys (same strategy, cluster, trace... labels); each cell
// still needs its own kvbench.cells record.
TEST(KvbenchTest, TwoMatricesWithTheSameCellKeysKeepEveryCellRecord) {
  const TempDir dir;
  WriteText(dir / "two.json", kTwoCellConfig);
  json other = json::parse(kTwoCellConfig);
  other["name"] = "other";
  other["strategies"] = {"random"};
  WriteText(dir / "other.json", other.dump());
  const CommandRun run = Exec("--config " + (dir / "two.json") + " --config " +
                              (dir / "other.json") + " --summary=false --out " + (dir / "r.json"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json r = ReadJson(dir.path() / "r.json");
  EXPECT_EQ(CellEntries(r).size(), 3u);
  EXPECT_EQ(r["context"]["cells_run"], "3");
}

}  // namespace
}  // namespace kvb
