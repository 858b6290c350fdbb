// kvbench: runs strategy matrices (configs/**/*.json) as Google Benchmark suites, the cells
// in parallel on TBB workers, and writes Google Benchmark's JSON with kvbench's details.
//   kvbench --config configs/default.json --out results/latest.json
//   kvbench merge a.json b.json -o all.json

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/capacity.h"
#include "bench/cell_counters.h"
#include "bench/cell_distribution.h"
#include "bench/journal.h"
#include "bench/matrix_json.h"
#include "bench/result_merge.h"
#include "bench/run_result_json.h"
#include "bench/strict_json.h"
#include "benchmark/benchmark.h"
#include "boost/program_options.hpp"
#include "core/matrix/matrix.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/memory_estimate.h"
#include "core/util/atomic_file.h"
#include "core/util/fnv.h"
#include "core/util/input_error.h"
#include "core/util/params.h"
#include "kvb_git_commit.h"
#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/info.h"

namespace kvb {
namespace {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitCellsFailed = 1;
constexpr int kExitUsage = 2;

struct UsageError {
  std::string message;
};

// ---- --list-strategies ----

template <typename Info>
void PrintEntry(const Info& info) {
  std::printf("  %-22s %s\n", std::string(info.name).c_str(),
              std::string(info.description).c_str());
  std::printf("  %-22s defaults: %s\n", "", DefaultsText(info.params).c_str());
  std::printf("  %-22s source: %s\n", "", std::string(info.source).c_str());
}

template <typename Infos>
void PrintParams(const Infos& infos) {
  for (const auto& info : infos) {
    for (const ParamSpec& p : info.params) {
      std::printf("  %s.%s: %s\n", std::string(info.name).c_str(), std::string(p.name).c_str(),
                  std::string(p.description).c_str());
    }
  }
}

void ListStrategies() {
  std::printf(
      "Strategies are \"router[:key=value,...][+replication[:key=value,...]]\"; without\n"
      "\"+replication\" the replication is \"%s\". In a matrix file, \"*\" is every router\n"
      "and \"*+R\" every router with replication R.\n\nRouters\n",
      std::string(kDefaultReplication).c_str());
  for (const RouterInfo& r : Routers()) PrintEntry(r);
  std::printf("\nReplication policies\n");
  for (const ReplicationInfo& p : ReplicationPolicies()) PrintEntry(p);
  std::printf("\nParameters\n");
  PrintParams(Routers());
  PrintParams(ReplicationPolicies());
}

// ---- The matrices of a run ----

struct LoadedMatrix {
  MatrixConfig config;
  MatrixSpec spec;
  std::vector<Cell> cells;       // after --shard
  size_t cells_total = 0;        // before --shard
  size_t skipped = 0;            // seed-mode cells without time or dollars
  double cell_time_limit_s = 0;  // the config's, or --cell-time-limit
};

struct Shard {
  size_t k = 0, n = 1;
};

Shard ParseShard(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  size_t k = 0, n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &k) || !absl::SimpleAtoi(parts[1], &n) ||
      n == 0 || k >= n) {
    throw UsageError{absl::StrCat("--shard: expected k/N with 0 <= k < N, got '", text, "'")};
  }
  return {k, n};
}

// ---- Memory: no cell may need more than its share of the machine ----

// The largest estimated heap of one cell, and how messages name where it came from.
struct MemoryLimit {
  uint64_t bytes = UINT64_MAX;
  std::string name;  // "--cell-memory-limit 16GB", "cell_memory_limit 16GB", "the default ..."
};

// The default: physical memory (sysconf) / the cells that run at once (worker threads;
// timing mode runs one at a time). No limit if the memory size is unknown.
MemoryLimit DefaultMemoryLimit(size_t workers) {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return {UINT64_MAX, "no limit (physical memory unknown)"};
  const uint64_t memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  workers = std::max<size_t>(workers, 1);
  return {memory / workers,
          absl::StrCat("the default cell memory limit ", FormatBytes(memory / workers),
                       " (physical memory ", FormatBytes(memory), " / ", workers, " worker thread",
                       workers == 1 ? "" : "s", "; see --cell-memory-limit)")};
}

// Refuses, before any cell runs, a matrix with a cell whose estimated heap exceeds `limit`:
// one line naming the config, the cluster and trace (and the strategy or rate scale when
// they make the difference), the estimate with its breakdown, and the limit. The estimate
// depends on the trace, the cluster and the rate scale (windows), and on the strategy only
// through its own tables: each is checked without it first. `shapes` caches each trace's
// counts (one pass over it).
void CheckCellMemory(const LoadedMatrix& m, const std::vector<Cell>& cells,
                     const MemoryLimit& limit, std::map<const Trace*, TraceShape>& shapes) {
  if (limit.bytes == UINT64_MAX) return;
  std::set<std::array<size_t, 3>> base_checked;      // trace, cluster, rate scale
  std::set<std::array<size_t, 4>> strategy_checked;  // and strategy
  for (const Cell& cell : cells) {
    const CellChoice& x = cell.choice;
    if (!strategy_checked.insert({x.trace, x.cluster, x.rate_scale, x.strategy}).second) continue;
    const Trace* trace = m.spec.traces[x.trace].trace.get();
    auto shape = shapes.find(trace);
    if (shape == shapes.end()) shape = shapes.emplace(trace, TraceShape::Of(*trace)).first;
    const SimConfig config = CellConfig(m.spec, cell);
    for (const bool with_strategy : {false, true}) {
      if (!with_strategy && !base_checked.insert({x.trace, x.cluster, x.rate_scale}).second) {
        continue;
      }
      const CellMemoryEstimate e = EstimateCellMemory(
          shape->second, config, with_strategy ? cell.strategy_spec : std::string());
      if (e.total <= limit.bytes) continue;
      std::string where =
          absl::StrCat(m.config.source, ": cluster '", m.spec.clusters[x.cluster].name,
                       "', trace '", m.spec.traces[x.trace].name, "'");
      if (with_strategy) absl::StrAppend(&where, ", strategy '", cell.strategy_spec, "'");
      if (m.spec.rate_scales.size() > 1) {
        absl::StrAppend(&where, ", rate_scale ",
                        absl::StrFormat("%g", m.spec.rate_scales[x.rate_scale]));
      }
      throw InputError(absl::StrCat(where, ": a cell needs an estimated ", FormatBytes(e.total),
                                    " (", e.description, ") > ", limit.name,
                                    "; lower capacity or nodes, or raise the limit"));
    }
  }
}

// One cell's outcome as the report needs it: metrics, details, error, wall time.
struct Outcome {
  CellCounters counters;
  nlohmann::ordered_json details;
  std::string error;
  double wall_s = 0;
};

nlohmann::ordered_json CellDetails(const LoadedMatrix& m, const Cell& cell, const CellRun& run) {
  const ClusterConfig& k = m.config.clusters[cell.choice.cluster];
  nlohmann::ordered_json d = {{"matrix", m.spec.name},
                              {"key", cell.key},
                              {"strategy", cell.strategy_spec},
                              {"cluster", k.name},
                              {"mode", k.mode},
                              {"nodes", k.nodes},
                              {"capacity_blocks", k.capacity_blocks},
                              {"eviction", k.eviction},
                              {"scope", k.scope},
                              {"profile", k.profile},
                              {"trace", m.spec.traces[cell.choice.trace].name},
                              {"prices", m.spec.prices[cell.choice.prices].name},
                              {"rate_scale", m.spec.rate_scales[cell.choice.rate_scale]},
                              {"seed", m.spec.seeds[cell.choice.seed]},
                              {"error", run.error}};
  if (run.error.empty()) d["result"] = RunResultToJson(run.result);
  return d;
}

Outcome ToOutcome(const LoadedMatrix& m, const Cell& cell, const CellRun& run) {
  Outcome o;
  if (run.error.empty()) o.counters = CountersOf(run.result);
  o.details = CellDetails(m, cell, run);
  o.error = run.error;
  o.wall_s = run.wall_s;
  return o;
}

// An outcome as one line of text: for the MPI gather and the journal. `index` is the
// cell's position in its matrix.
std::string OutcomePayload(const Outcome& o, size_t index) {
  nlohmann::ordered_json p = {
      {"index", index}, {"error", o.error}, {"wall_s", o.wall_s}, {"details", o.details}};
  nlohmann::ordered_json counters = nlohmann::ordered_json::array();
  for (const auto& [name, value] : o.counters) counters.push_back({name, value});
  p["counters"] = std::move(counters);
  return p.dump();
}

// The cell's index in its matrix and its outcome.
std::pair<size_t, Outcome> OutcomeFromPayload(const std::string& text) {
  const nlohmann::ordered_json p = nlohmann::ordered_json::parse(text);
  Outcome o;
  o.error = p.at("error").get<std::string>();
  o.wall_s = p.at("wall_s").get<double>();
  o.details = p.at("details");
  for (const auto& c : p.at("counters")) {
    o.counters.emplace_back(c.at(0).get<std::string>(), c.at(1).get<double>());
  }
  return {p.at("index").get<size_t>(), std::move(o)};
}

// ---- SIGINT / SIGTERM: no new cells; running cells get a grace period; twice: exit now ----

std::atomic<bool> g_stop_new_cells{false};
std::atomic<bool> g_cancel_running_cells{false};
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_watchdog_done{false};
std::thread g_watchdog;

extern "C" void OnStopSignal(int signal) {
  if (g_stop_new_cells.exchange(true)) _exit(128 + signal);  // the second one: at once
  g_stop_signal.store(signal);
  static const char kMessage[] =
      "\nkvbench: stopping: no new cells, running cells finish within the grace period; "
      "the journal keeps finished cells (interrupt again to exit now)\n";
  [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
}

void InstallStopHandlers(double grace_s) {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  g_watchdog = std::thread([grace_s] {
    while (!g_watchdog_done.load() && !g_stop_new_cells.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    while (!g_watchdog_done.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!g_watchdog_done.load()) g_cancel_running_cells.store(true);
  });
}

void StopWatchdog() {
  g_watchdog_done.store(true);
  if (g_watchdog.joinable()) g_watchdog.join();
}

// ---- Progress on stderr: cells done / total, rate, ETA ----

class Progress {
 public:
  Progress(bool enabled, size_t total) : enabled_(enabled), total_(total) {}

  void Update(size_t done) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(tty_ ? 200 : 2000)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    std::fprintf(stderr, "%skvbench: %zu/%zu cells, %.1f cells/s, ETA %.0f s%s", tty_ ? "\r" : "",
                 done, total_, rate, eta, tty_ && done < total_ ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  const bool enabled_;
  const size_t total_;
  const bool tty_ = isatty(STDERR_FILENO) != 0;
  std::mutex mutex_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

// ---- Google Benchmark: one entry per cell, one per matrix ----

// Forwards to the console reporter (when shown) and to the JSON reporter.
class TeeReporter : public benchmark::BenchmarkReporter {
 public:
  TeeReporter(benchmark::BenchmarkReporter* display, benchmark::BenchmarkReporter* json)
      : display_(display), json_(json) {}
  bool ReportContext(const Context& context) override {
    const bool ok = json_->ReportContext(context);
    return display_ == nullptr ? ok : display_->ReportContext(context) && ok;
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    json_->ReportRuns(runs);
    if (display_ != nullptr) display_->ReportRuns(runs);
  }
  void Finalize() override {
    json_->Finalize();
    if (display_ != nullptr) display_->Finalize();
  }

 private:
  benchmark::BenchmarkReporter* display_;
  benchmark::BenchmarkReporter* json_;
};

void SetCounters(benchmark::State& state, const CellCounters& counters) {
  for (const auto& [name, value] : counters) state.counters[name] = value;
}

struct RunSettings {
  bool timing = false;
  int repetitions = 1;
  MatrixRunOptions options;
};

// Registers the cells of `m`. Metrics mode reports `outcomes` (already run in parallel);
// timing mode runs each cell inside its benchmark, one at a time, and stores its outcome.
void RegisterCells(const LoadedMatrix& m, std::vector<Outcome>& outcomes, RunSettings settings) {
  settings.options.cell_time_limit_s = m.cell_time_limit_s;
  for (size_t i = 0; i < m.cells.size(); ++i) {
    const Cell& cell = m.cells[i];
    const std::string name = absl::StrCat(m.spec.name, "/", cell.key);
    Outcome* outcome = &outcomes[i];
    if (!settings.timing && outcome->details.is_null()) continue;  // not run: interrupted
    auto* b = benchmark::RegisterBenchmark(
        name.c_str(), [&m, &cell, outcome, settings](benchmark::State& state) {
          for (auto _ : state) {
            if (settings.timing) {
              *outcome = ToOutcome(m, cell, RunCell(m.spec, cell, settings.options));
            }
            state.SetIterationTime(outcome->wall_s);
          }
          state.SetLabel(absl::StrCat("cell=", cell.hash));
          if (!outcome->error.empty()) {
            state.SkipWithError(outcome->error.c_str());
            return;
          }
          SetCounters(state, outcome->counters);
        });
    // Metrics mode reports one finished run: --benchmark_repetitions must not repeat it.
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
    b->Repetitions(settings.timing ? settings.repetitions : 1);
  }
}

void RegisterMatrixEntry(const LoadedMatrix& m, const std::vector<Outcome>& outcomes,
                         const double* wall_s, size_t threads, const Shard& shard) {
  std::string name = absl::StrCat(m.spec.name, "/matrix");
  if (shard.n > 1) absl::StrAppend(&name, "/shard=", shard.k, "of", shard.n);
  auto* b = benchmark::RegisterBenchmark(
      name.c_str(), [&outcomes, wall_s, threads](benchmark::State& state) {
        double wall = *wall_s;
        if (wall <= 0) {  // timing mode: the cells' own times, run one at a time
          for (const Outcome& o : outcomes) wall += o.wall_s;
        }
        double failed = 0, refs = 0, cells = 0;
        for (const Outcome& o : outcomes) {
          if (o.details.is_null()) continue;  // not run (interrupted or filtered out)
          cells += 1;
          failed += o.error.empty() ? 0 : 1;
          for (const auto& [counter, value] : o.counters) {
            if (counter == "block_refs") refs += value;
          }
        }
        for (auto _ : state) state.SetIterationTime(wall);
        state.SetLabel("matrix");
        state.counters["cells"] = cells;
        state.counters["cells_failed"] = failed;
        state.counters["cells_per_s"] = wall > 0 ? cells / wall : 0;
        state.counters["block_refs_per_s"] = wall > 0 ? refs / wall : 0;
        state.counters["workers"] = static_cast<double>(threads);
      });
  b->UseManualTime()->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
}

// Google Benchmark appends the run's settings to names ("/iterations:1/repeats:9/
// manual_time", then "_mean" on aggregates); entries keep the cell's name and the suffix.
std::string CellEntryName(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  std::string aggregate;
  while (!parts.empty()) {
    const std::string& last = parts.back();
    if (last.starts_with("manual_time")) {
      aggregate = last.substr(std::string_view("manual_time").size());
    } else if (!last.starts_with("iterations:") && !last.starts_with("repeats:")) {
      break;
    }
    parts.pop_back();
  }
  return absl::StrCat(absl::StrJoin(parts, "/"), aggregate);
}

// Google Benchmark's JSON writes NaN and Infinity (e.g. the cv of a counter whose mean is
// 0), which strict JSON has not: they become null.
std::string NonFiniteToNull(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (const std::string_view token : {"-NaN", "NaN", "-Infinity", "Infinity"}) {
      if (std::string_view(text).substr(i, token.size()) == token) {
        out += "null";
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// ---- Text summary: one table per matrix and cluster ----

double CounterOf(const Outcome& o, std::string_view name) {
  for (const auto& [counter, value] : o.counters) {
    if (counter == name) return value;
  }
  return 0;
}

void PrintSummary(const LoadedMatrix& m, const std::vector<Outcome>& outcomes) {
  std::map<std::string, std::vector<size_t>> groups;  // "cluster trace prices rate seed" -> cells
  std::vector<std::string> order;
  for (size_t i = 0; i < m.cells.size(); ++i) {
    const CellChoice& x = m.cells[i].choice;
    const std::string group = absl::StrCat(
        "cluster=", m.spec.clusters[x.cluster].name, " trace=", m.spec.traces[x.trace].name,
        " prices=", m.spec.prices[x.prices].name,
        " rate_scale=", absl::StrFormat("%g", m.spec.rate_scales[x.rate_scale]),
        " seed=", m.spec.seeds[x.seed]);
    if (!groups.contains(group)) order.push_back(group);
    groups[group].push_back(i);
  }
  for (const std::string& group : order) {
    const bool seed = m.spec.clusters[m.cells[groups[group][0]].choice.cluster].config.mode ==
                      SimMode::kSeedCompat;
    std::printf("\n%s  %s (%s mode)\n", m.spec.name.c_str(), group.c_str(),
                seed ? "seed" : "realistic");
    if (seed) {
      std::printf("  %-44s %8s %8s %8s %9s\n", "strategy", "hit", "conc", "hit/conc", "load_cv");
    } else {
      std::printf("  %-44s %8s %8s %9s %9s %9s %9s\n", "strategy", "hit", "conc", "ttft_mean",
                  "ttft_p99", "slo", "$/1k req");
    }
    for (const size_t i : groups[group]) {
      const Outcome& o = outcomes[i];
      const std::string strategy = m.cells[i].strategy_spec;
      if (!o.error.empty()) {
        std::printf("  %-44s FAILED: %s\n", strategy.c_str(), o.error.c_str());
        continue;
      }
      const double hit = CounterOf(o, "hit_rate"), conc = CounterOf(o, "concentration");
      if (seed) {
        std::printf("  %-44s %7.2f%% %8.3f %8.3f %9.3f\n", strategy.c_str(), 100 * hit, conc,
                    conc > 0 ? hit / conc : 0, CounterOf(o, "load_cv"));
      } else {
        std::printf("  %-44s %7.2f%% %8.3f %8.2fs %8.2fs %8.1f%% %9.2f\n", strategy.c_str(),
                    100 * hit, conc, CounterOf(o, "ttft_mean_s"), CounterOf(o, "ttft_p99_s"),
                    100 * CounterOf(o, "slo_attainment"), CounterOf(o, "usd_per_1k_requests"));
      }
    }
  }
}

// ---- merge ----

int RunMerge(const std::vector<std::string>& args) {
  po::options_description options("merge options");
  options.add_options()("help,h", "this help")("output,o", po::value<std::string>(),
                                               "merged result file (written atomically)")(
      "inputs", po::value<std::vector<std::string>>(), "result files");
  po::positional_options_description positional;
  positional.add("inputs", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{absl::StrCat("merge: ", e.what())};
  }
  if (vm.count("help")) {
    std::cout << "usage: kvbench merge SHARD.json... -o ALL.json\n\n"
                 "Joins the results of `kvbench --shard k/N` runs of one config; refuses\n"
                 "files of different configs or traces and cells present twice.\n\n"
              << options;
    return kExitOk;
  }
  if (!vm.count("inputs") || !vm.count("output")) {
    throw UsageError{"merge: give the shard files and -o OUTPUT"};
  }
  std::vector<ResultFile> files;
  for (const std::string& path : vm["inputs"].as<std::vector<std::string>>()) {
    files.push_back({path, nlohmann::ordered_json(ReadJsonFile(path))});
  }
  std::vector<std::string> warnings;
  const nlohmann::ordered_json merged = MergeResults(files, &warnings);
  for (const std::string& w : warnings)
    std::fprintf(stderr, "kvbench merge: warning: %s\n", w.c_str());
  WriteFileAtomically(vm["output"].as<std::string>(), merged.dump(2) + "\n");
  return kExitOk;
}

// ---- main run ----

// Refuses, before any cell runs, an --out that could not be written at the end.
void CheckOutputPath(const std::string& path) {
  if (path.empty()) throw UsageError{"--out: empty path"};
  if (std::filesystem::is_directory(path)) {
    throw InputError(absl::StrCat(path, ": is a directory (--out names the result file)"));
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!std::filesystem::is_directory(dir)) {
    throw InputError(absl::StrCat(path, ": no directory ", dir.string()));
  }
  if (access(dir.c_str(), W_OK) != 0) {
    throw InputError(
        absl::StrCat(path, ": cannot write in ", dir.string(), ": ", std::strerror(errno)));
  }
}

std::string JoinPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) absl::StrAppend(&out, out.empty() ? "" : ";", k, "=", v);
  return out;
}

int Run(int argc, char** argv) {
  po::options_description options("kvbench options");
  options.add_options()("help,h", "this help")(
      "config,c", po::value<std::vector<std::string>>(),
      "matrix file (repeatable); see configs/ and --print-config")(
      "trace", po::value<std::string>(), "run every matrix on this Mooncake JSONL trace instead")(
      "preset", po::value<std::string>(),
      "run every matrix on this generated workload instead (preset name or workload .json)")(
      "requests", po::value<uint64_t>(), "with --preset: requests to generate")(
      "trace-seed", po::value<uint64_t>()->default_value(1), "with --preset: generator seed")(
      "threads,j", po::value<size_t>()->default_value(0),
      "TBB workers running cells (0: one per core)")(
      "shard", po::value<std::string>(), "run only the cells of shard k/N (by cell hash)")(
      "list", "print the cells (hash, name) and exit")("out,o", po::value<std::string>(),
                                                       "write the result JSON here (atomically)")(
      "progress", po::value<bool>()->implicit_value(true),
      "cells done / total, rate and ETA on stderr (default: on when stderr is a terminal)")(
      "mode", po::value<std::string>()->default_value("metrics"),
      "metrics: cells in parallel; timing: one cell at a time, --repetitions each")(
      "repetitions", po::value<int>()->default_value(9),
      "timing mode: runs per cell (>= 9 for compare.py's U test)")(
      "cell-time-limit", po::value<double>(),
      "seconds a cell may run before it is stopped and recorded as failed (overrides the "
      "configs' cell_time_limit_s)")(
      "cell-memory-limit", po::value<std::string>(),
      "largest estimated heap of one cell, a size (16GB, 512MiB) or auto: physical memory / "
      "worker threads (timing mode: / 1); a matrix with a cell over it exits 2 before any cell "
      "runs, --list included (overrides the configs' cell_memory_limit)")(
      "resume", "skip the cells already in OUT.journal (same config and version) and run the rest")(
      "grace", po::value<double>()->default_value(30),
      "after SIGINT/SIGTERM: seconds running cells may finish before they are abandoned")(
      "summary", po::value<bool>()->default_value(true)->implicit_value(true),
      "print a table per matrix and cluster")(
      "list-strategies", "every router and replication policy, with defaults and sources")(
      "print-config", "print the resolved configs with every default (or a template) and exit");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  if (vm.count("help")) {
    std::cout << "usage: kvbench --config FILE [--config FILE...] [--out RESULT.json] [options]\n"
                 "       kvbench merge SHARD.json... -o ALL.json\n"
                 "       kvbench --list-strategies | --print-config [--config FILE]\n\n"
                 "Google Benchmark's flags are accepted too: --benchmark_filter=<regex>\n"
                 "(report only matching cells), --benchmark_format,\n"
                 "--benchmark_counters_tabular, --benchmark_context=<key>=<value>,...\n\n"
              << options;
    return kExitOk;
  }
  if (vm.count("list-strategies")) {
    ListStrategies();
    return kExitOk;
  }
  const std::vector<std::string> config_files =
      vm.count("config") ? vm["config"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (vm.count("trace") && vm.count("preset")) {
    throw UsageError{"give --trace or --preset, not both"};
  }
  if (vm.count("requests") && !vm.count("preset")) throw UsageError{"--requests needs --preset"};

  std::vector<MatrixConfig> configs;
  for (const std::string& file : config_files) {
    MatrixConfig c = ReadMatrixConfig(file);
    for (const MatrixConfig& earlier : configs) {
      if (earlier.name == c.name) {
        throw InputError(
            absl::StrCat(file, ": name: '", c.name, "' is also the name of ", earlier.source));
      }
    }
    if (vm.count("trace") || vm.count("preset")) {
      nlohmann::json entry;
      if (vm.count("trace")) {
        const std::string trace_file = vm["trace"].as<std::string>();
        std::string stem = std::filesystem::path(trace_file).stem().string();
        for (char& ch : stem) {
          if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '_';
        }
        entry = {{"name", stem.empty() ? "trace" : stem}, {"file", trace_file}};
      } else {
        const std::string preset = vm["preset"].as<std::string>();
        entry = {{"name", std::filesystem::path(preset).stem().string()},
                 {"preset", preset},
                 {"seed", vm["trace-seed"].as<uint64_t>()}};
        if (vm.count("requests")) entry["requests"] = vm["requests"].as<uint64_t>();
      }
      const TraceConfig t = ParseTraceConfig(entry, vm.count("trace") ? "--trace" : "--preset");
      OverrideTraces(c, t);
    }
    configs.push_back(std::move(c));
  }
  if (vm.count("print-config")) {
    nlohmann::ordered_json out;
    if (configs.empty()) {
      out = MatrixConfigTemplate();
    } else if (configs.size() == 1) {
      out = MatrixConfigToJson(configs[0]);
    } else {
      for (const MatrixConfig& c : configs) out.push_back(MatrixConfigToJson(c));
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (configs.empty()) {
    throw UsageError{"give --config FILE (see configs/), or --list-strategies / --print-config"};
  }

  if (vm.count("out")) CheckOutputPath(vm["out"].as<std::string>());
  if (vm.count("cell-time-limit")) {
    const double limit = vm["cell-time-limit"].as<double>();
    if (!(limit >= 0) || !std::isfinite(limit)) {
      throw UsageError{"--cell-time-limit: must be a finite number of seconds >= 0"};
    }
  }
  if (const double grace = vm["grace"].as<double>(); !(grace >= 0) || !std::isfinite(grace)) {
    throw UsageError{"--grace: must be a finite number of seconds >= 0"};
  }
  // --cell-memory-limit: absent (the configs' cell_memory_limit), auto, or bytes.
  std::optional<std::optional<uint64_t>> memory_flag;
  if (vm.count("cell-memory-limit")) {
    try {
      memory_flag =
          ParseMemoryLimit(vm["cell-memory-limit"].as<std::string>(), "--cell-memory-limit");
    } catch (const InputError& e) {
      throw UsageError{e.what()};
    }
  }

  RunSettings settings;
  const std::string mode = vm["mode"].as<std::string>();
  if (mode != "metrics" && mode != "timing") {
    throw UsageError{absl::StrCat("--mode: expected metrics or timing, got '", mode, "'")};
  }
  settings.timing = mode == "timing";
  settings.repetitions = vm["repetitions"].as<int>();
  if (settings.repetitions < 1) throw UsageError{"--repetitions: must be >= 1"};
  settings.options.threads = vm["threads"].as<size_t>();
  // --threads caps every TBB parallel region of the process, not only the matrix's arena.
  std::optional<oneapi::tbb::global_control> thread_cap;
  if (settings.options.threads > 0) {
    thread_cap.emplace(oneapi::tbb::global_control::max_allowed_parallelism,
                       settings.options.threads);
  }
  const Shard shard = vm.count("shard") ? ParseShard(vm["shard"].as<std::string>()) : Shard{};
  CellDistribution& ranks = CellDistribution::Get();
  if (settings.timing && ranks.size() > 1) {
    throw UsageError{"--mode timing runs one cell at a time: do not start it on several ranks"};
  }

  // Load every matrix (traces once per process) and expand its cells.
  TraceCache traces;
  std::vector<LoadedMatrix> matrices;
  Fnv1a config_hash;
  const MemoryLimit default_memory_limit =
      DefaultMemoryLimit(settings.timing ? 1
                         : settings.options.threads > 0
                             ? settings.options.threads
                             : static_cast<size_t>(oneapi::tbb::info::default_concurrency()));
  std::map<const Trace*, TraceShape> trace_shapes;
  for (const MatrixConfig& c : configs) {
    LoadedMatrix m;
    m.config = c;
    m.spec = BuildMatrixSpec(c, traces);
    std::vector<Cell> all;
    try {
      all = ExpandMatrix(m.spec, &m.skipped);
    } catch (const InputError& e) {
      throw InputError(absl::StrCat(c.source, ": ", e.what()));
    }
    m.cells_total = all.size();
    // Settings no simulation could run with fail here, with the config's name, rather than
    // in every cell.
    std::set<std::array<size_t, 3>> checked;  // trace, cluster, rate scale
    for (const Cell& cell : all) {
      const CellChoice& x = cell.choice;
      if (!checked.insert({x.trace, x.cluster, x.rate_scale}).second) continue;
      try {
        ValidateSimConfig(*m.spec.traces[x.trace].trace, CellConfig(m.spec, cell));
      } catch (const InputError& e) {
        throw InputError(absl::StrCat(c.source, ": cluster '", m.spec.clusters[x.cluster].name,
                                      "', trace '", m.spec.traces[x.trace].name, "', rate_scales[",
                                      x.rate_scale, "]: ", e.what()));
      }
    }
    // Cells too big for the machine: refused now, not found by the OOM killer.
    MemoryLimit memory_limit = default_memory_limit;
    if (memory_flag.has_value()) {
      if (memory_flag->has_value()) {
        memory_limit = {**memory_flag, absl::StrCat("--cell-memory-limit ",
                                                    vm["cell-memory-limit"].as<std::string>())};
      }
    } else if (c.cell_memory_limit_bytes.has_value()) {
      memory_limit = {*c.cell_memory_limit_bytes,
                      absl::StrCat("cell_memory_limit ", c.cell_memory_limit)};
    }
    CheckCellMemory(m, all, memory_limit, trace_shapes);
    for (Cell& cell : all) {
      if (InShard(cell, shard.k, shard.n)) m.cells.push_back(std::move(cell));
    }
    config_hash.Add(MatrixConfigToJson(c).dump());
    config_hash.Add("\n");
    matrices.push_back(std::move(m));
  }
  if (vm.count("list")) {
    for (const LoadedMatrix& m : matrices) {
      for (const Cell& cell : m.cells) {
        std::printf("%s  %s/%s\n", cell.hash.c_str(), m.spec.name.c_str(), cell.key.c_str());
      }
      std::fprintf(
          stderr, "%s: %zu cells%s (%zu seed-mode cells without time or dollars skipped)\n",
          m.spec.name.c_str(), m.cells.size(),
          shard.n > 1
              ? absl::StrCat(" in shard ", shard.k, "/", shard.n, " of ", m.cells_total).c_str()
              : "",
          m.skipped);
    }
    return kExitOk;
  }

  size_t total_cells = 0;
  for (const LoadedMatrix& m : matrices) total_cells += m.cells.size();
  const bool show_progress =
      vm.count("progress") ? vm["progress"].as<bool>() : isatty(STDERR_FILENO) != 0;
  Progress progress(show_progress && ranks.rank() == 0, total_cells);
  size_t done_before = 0;

  // The journal: finished cells, synced by its writer thread, so --resume loses none of them.
  const std::string config_hash_text = absl::StrFormat("%016x", config_hash.value());
  std::unique_ptr<Journal> journal;
  std::map<std::string, std::string> journaled;  // "<matrix>/<hash>" -> payload
  if (vm.count("resume") && (!vm.count("out") || settings.timing || ranks.size() > 1)) {
    throw UsageError{
        "--resume needs --out (its journal is OUT.journal), metrics mode and one process"};
  }
  if (vm.count("out") && !settings.timing && ranks.size() == 1) {
    const std::string path = vm["out"].as<std::string>() + ".journal";
    const JournalOwner owner{config_hash_text, KVB_VERSION};
    if (vm.count("resume")) {
      std::vector<std::string> warnings;
      journal = Journal::Resume(path, owner, &journaled, &warnings);
      for (const std::string& w : warnings)
        std::fprintf(stderr, "kvbench: warning: %s\n", w.c_str());
      std::fprintf(stderr, "kvbench: resuming: %zu finished cells in %s\n", journaled.size(),
                   path.c_str());
    } else {
      journal = Journal::Create(path, owner);
    }
  }
  if (!settings.timing) InstallStopHandlers(vm["grace"].as<double>());

  std::vector<std::vector<Outcome>> outcomes(matrices.size());
  std::vector<double> walls(matrices.size(), 0);
  size_t resumed = 0, not_run = 0;
  for (size_t mi = 0; mi < matrices.size(); ++mi) {
    LoadedMatrix& m = matrices[mi];
    m.cell_time_limit_s = vm.count("cell-time-limit") ? vm["cell-time-limit"].as<double>()
                                                      : m.config.cell_time_limit_s;
    settings.options.cell_time_limit_s = m.cell_time_limit_s;
    outcomes[mi].resize(m.cells.size());
    if (settings.timing) continue;
    // Metrics mode: this rank's cells (but those journaled) in parallel, then every outcome
    // gathered on rank 0.
    const auto start = std::chrono::steady_clock::now();
    std::vector<Cell> mine;
    std::vector<size_t> mine_index;
    for (size_t i = 0; i < m.cells.size(); ++i) {
      if (i % ranks.size() != ranks.rank()) continue;
      const auto it = journaled.find(absl::StrCat(m.spec.name, "/", m.cells[i].hash));
      if (it != journaled.end()) {
        outcomes[mi][i] = OutcomeFromPayload(it->second).second;
        ++resumed;
        continue;
      }
      mine.push_back(m.cells[i]);
      mine_index.push_back(i);
    }
    MatrixRunOptions run_options = settings.options;
    run_options.stop = &g_stop_new_cells;
    run_options.cancel = &g_cancel_running_cells;
    run_options.progress = [&](size_t done, size_t) { progress.Update(done_before + done); };
    // Each outcome is made once, on the worker that ran the cell: journaled there (failures
    // are not: they run again on --resume), and serialised again only to cross MPI ranks.
    std::vector<std::optional<Outcome>> finished(mine.size());
    run_options.on_cell = [&](size_t j, const CellRun& run) {
      finished[j] = ToOutcome(m, mine[j], run);
      if (journal && run.error.empty()) {
        journal->Append(absl::StrCat(m.spec.name, "/", mine[j].hash),
                        OutcomePayload(*finished[j], mine_index[j]));
      }
    };
    RunMatrix(m.spec, mine, run_options);
    std::vector<std::string> payloads;
    for (size_t j = 0; j < mine.size(); ++j) {
      if (!finished[j]) {
        ++not_run;
      } else if (ranks.size() == 1) {
        outcomes[mi][mine_index[j]] = std::move(*finished[j]);
      } else {
        payloads.push_back(OutcomePayload(*finished[j], mine_index[j]));
      }
    }
    if (ranks.size() > 1) {
      for (const std::string& text : ranks.GatherToRoot(payloads)) {
        auto [index, outcome] = OutcomeFromPayload(text);
        outcomes[mi].at(index) = std::move(outcome);
      }
    }
    walls[mi] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    done_before += m.cells.size();
  }
  StopWatchdog();
  if (ranks.rank() != 0) return kExitOk;

  // Report through Google Benchmark: context, one entry per cell, one per matrix.
  const size_t threads = settings.options.threads > 0
                             ? settings.options.threads
                             : static_cast<size_t>(oneapi::tbb::info::default_concurrency());
  std::vector<std::string> names, sources;
  size_t cells_total = 0;
  for (const LoadedMatrix& m : matrices) {
    names.push_back(m.spec.name);
    sources.push_back(m.config.source);
    cells_total += m.cells_total;
  }
  benchmark::AddCustomContext("kvbench_version", KVB_VERSION);
  benchmark::AddCustomContext("git_commit", KVB_GIT_COMMIT);
  benchmark::AddCustomContext("matrices", absl::StrJoin(names, ","));
  benchmark::AddCustomContext("config_files", absl::StrJoin(sources, ","));
  benchmark::AddCustomContext("config_hash", config_hash_text);
  benchmark::AddCustomContext("trace_digests", JoinPairs(traces.digests()));
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("mode", mode);
  benchmark::AddCustomContext("shard", absl::StrCat(shard.k, "/", shard.n));
  benchmark::AddCustomContext("mpi_ranks", std::to_string(ranks.size()));
  benchmark::AddCustomContext("cells_total", std::to_string(cells_total));
  benchmark::AddCustomContext("cells_run", std::to_string(total_cells));

  for (size_t mi = 0; mi < matrices.size(); ++mi) {
    RegisterCells(matrices[mi], outcomes[mi], settings);
    RegisterMatrixEntry(matrices[mi], outcomes[mi], &walls[mi], threads, shard);
  }
  std::ostringstream json_text;
  benchmark::JSONReporter json;
  json.SetOutputStream(&json_text);
  json.SetErrorStream(&std::cerr);
  std::optional<benchmark::ConsoleReporter> console;
  if (settings.timing) console.emplace();
  TeeReporter tee(console ? &*console : nullptr, &json);
  benchmark::RunSpecifiedBenchmarks(&tee);

  size_t failed = 0;
  for (const auto& list : outcomes) {
    for (const Outcome& o : list) failed += o.error.empty() ? 0 : 1;
  }
  nlohmann::ordered_json result = nlohmann::ordered_json::parse(NonFiniteToNull(json_text.str()));
  result["context"]["cells_failed"] = std::to_string(failed);
  if (g_stop_new_cells.load()) {
    result["context"]["incomplete"] =
        absl::StrCat("interrupted by signal ", g_stop_signal.load(), ": ", not_run,
                     " cells not run (finish them with --resume)");
  }
  result["context"]["cells_run"] = std::to_string(total_cells - not_run);
  if (resumed > 0) result["context"]["resumed_cells"] = std::to_string(resumed);
  for (auto& entry : result["benchmarks"]) {
    for (const char* field : {"name", "run_name"}) {
      if (entry.contains(field)) entry[field] = CellEntryName(entry[field].get<std::string>());
    }
  }
  nlohmann::ordered_json kv = {{"format", 1}};
  kv["matrices"] = nlohmann::ordered_json::array();
  nlohmann::ordered_json cells = nlohmann::ordered_json::object();
  for (size_t mi = 0; mi < matrices.size(); ++mi) {
    const LoadedMatrix& m = matrices[mi];
    kv["matrices"].push_back({{"name", m.spec.name},
                              {"file", m.config.source},
                              {"config", MatrixConfigToJson(m.config)}});
    for (size_t i = 0; i < m.cells.size(); ++i) {
      // Cells left out by --benchmark_filter in timing mode have no outcome.
      if (!outcomes[mi][i].details.is_null()) cells[m.cells[i].hash] = outcomes[mi][i].details;
    }
  }
  kv["cells"] = std::move(cells);
  result["kvbench"] = std::move(kv);
  if (journal) journal->Sync();  // a write error surfaces before the result claims success
  if (vm.count("out")) WriteFileAtomically(vm["out"].as<std::string>(), result.dump(1) + "\n");
  // The result holds every cell: the journal is needed again only if some must run again.
  if (journal && failed == 0 && !g_stop_new_cells.load()) journal->Remove();

  if (vm["summary"].as<bool>() && !settings.timing) {
    for (size_t mi = 0; mi < matrices.size(); ++mi) PrintSummary(matrices[mi], outcomes[mi]);
    std::printf("\n");
  }
  if (g_stop_new_cells.load()) {
    std::fprintf(stderr,
                 "kvbench: interrupted: %zu cells not run, %zu failed; --resume finishes them\n",
                 not_run, failed);
    return 128 + g_stop_signal.load();
  }
  if (failed > 0) {
    std::fprintf(stderr, "kvbench: %zu of %zu cells failed (their errors are in the result)\n",
                 failed, total_cells);
    return kExitCellsFailed;
  }
  return kExitOk;
}

}  // namespace
}  // namespace kvb

int main(int argc, char** argv) {
  kvb::CellDistribution::Init(&argc, &argv);
  int code = kvb::kExitOk;
  try {
    // Google Benchmark answers --help itself and exits: keep it from seeing ours.
    std::vector<char*> args;
    bool help = false;
    for (int i = 0; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (i > 0 && (arg == "--help" || arg == "-h")) {
        help = true;
      } else {
        args.push_back(argv[i]);
      }
    }
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());  // removes the --benchmark_* flags
    args.resize(static_cast<size_t>(count));
    static char help_flag[] = "--help";
    if (help) args.push_back(help_flag);
    count = static_cast<int>(args.size());
    if (count >= 2 && std::string_view(args[1]) == "merge") {
      code = kvb::RunMerge(std::vector<std::string>(args.begin() + 2, args.end()));
    } else {
      code = kvb::Run(count, args.data());
    }
  } catch (const kvb::UsageError& e) {
    std::fprintf(stderr, "kvbench: error: %s (see kvbench --help)\n", e.message.c_str());
    code = kvb::kExitUsage;
  } catch (const kvb::InputError& e) {
    std::fprintf(stderr, "kvbench: error: %s\n", e.what());
    code = kvb::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvbench: error: %s\n", e.what());
    code = kvb::kExitCellsFailed;
  }
  if (code != kvb::kExitOk && code != kvb::kExitCellsFailed) kvb::CellDistribution::Abort(code);
  kvb::CellDistribution::Finalize();
  return code;
}
