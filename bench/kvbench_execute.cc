#include "bench/kvbench_execute.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/cell_distribution.h"
#include "bench/run_result_json.h"
#include "benchmark/benchmark.h"
#include "core/util/mutex.h"

namespace kvb {
namespace {

// ---- SIGINT / SIGTERM: no new cells; running cells get a grace period; twice: exit now ----

std::atomic<bool> g_stop_new_cells{false};
std::atomic<bool> g_cancel_running_cells{false};
std::atomic<int> g_stop_signal{0};
Mutex g_watchdog_mutex;
CondVar g_watchdog_wake;
bool g_watchdog_done ABSL_GUARDED_BY(g_watchdog_mutex) = false;
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
  {
    MutexLock lock(&g_watchdog_mutex);
    g_watchdog_done = false;
  }
  g_watchdog = std::thread([grace_s] {
    // A signal handler cannot notify, so the stop flag is polled; StopWatchdog wakes it at once.
    MutexLock lock(&g_watchdog_mutex);
    while (!g_watchdog_done && !g_stop_new_cells.load()) {
      g_watchdog_wake.WaitUntil(&g_watchdog_mutex,
                                std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    while (!g_watchdog_done && std::chrono::steady_clock::now() < deadline) {
      g_watchdog_wake.WaitUntil(&g_watchdog_mutex, deadline);
    }
    if (!g_watchdog_done) g_cancel_running_cells.store(true);
  });
}

void StopWatchdog() {
  {
    MutexLock lock(&g_watchdog_mutex);
    g_watchdog_done = true;
  }
  g_watchdog_wake.NotifyAll();
  if (g_watchdog.joinable()) g_watchdog.join();
}

// ---- Progress on stderr: cells done / total, rate, ETA, and the cells running ----

class Progress {
 public:
  Progress(bool enabled, size_t total) : enabled_(enabled), total_(total) {}

  // `done` cells have finished.
  void Update(size_t done) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = done;
    Print(done < total_);
  }

  // The cell `key` no longer runs (the next Update counts it done).
  void Finished(const std::string& key) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(key);
  }

  // A running cell has simulated `requests` of `total` requests, up to arrival `arrival_s`.
  void InCell(const std::string& key, size_t requests, size_t total, double arrival_s) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    running_[key] = Running{requests, total, arrival_s};
    Print(true);
  }

 private:
  struct Running {
    size_t requests;
    size_t total;
    double arrival_s;
  };

  // One line: cells done (plus the running cells' shares), rate, ETA, the least advanced
  // running cell. Rate-limited unless `throttle` is false (the last line).
  void Print(bool throttle) {
    const auto now = std::chrono::steady_clock::now();
    if (throttle && now - last_ < std::chrono::milliseconds(tty_ ? 200 : 2000)) return;
    last_ = now;
    double progressed = static_cast<double>(done_);
    const std::pair<const std::string, Running>* slowest = nullptr;
    for (const auto& entry : running_) {
      const Running& r = entry.second;
      progressed += r.total > 0 ? static_cast<double>(r.requests) / r.total : 0;
      if (slowest == nullptr ||
          r.requests * slowest->second.total < slowest->second.requests * r.total) {
        slowest = &entry;
      }
    }
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? progressed / elapsed : 0;
    const double eta = rate > 0 ? (static_cast<double>(total_) - progressed) / rate : 0;
    std::string running;
    if (slowest != nullptr && done_ < total_) {
      const Running& r = slowest->second;
      running = absl::StrFormat("; %zu running, slowest %s: %zu/%zu requests, %.0f s simulated",
                                running_.size(), slowest->first, r.requests, r.total, r.arrival_s);
    }
    std::fprintf(stderr, "%skvbench: %zu/%zu cells, %.2f cells/s, ETA %.0f s%s%s%s",
                 tty_ ? "\r" : "", done_, total_, rate, eta, running.c_str(), tty_ ? "\033[K" : "",
                 tty_ && done_ < total_ ? "" : "\n");
    std::fflush(stderr);
  }

  const bool enabled_;
  const size_t total_;
  const bool tty_ = isatty(STDERR_FILENO) != 0;
  std::mutex mutex_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
  size_t done_ = 0;
  std::map<std::string, Running> running_;  // by cell key
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
                              {"seed", m.spec.seeds[cell.choice.seed]}};
  if (!m.spec.jitter_seeds.empty()) d["jitter"] = m.spec.jitter_seeds[cell.choice.jitter];
  if (!k.hbm_cache_eviction.empty()) {  // tier G1's fields exist only with it
    d["hbm_eviction"] = k.hbm_cache_eviction;
    d["dram_write"] = k.dram_write;
  }
  if (k.ssd_capacity_blocks > 0) {  // tier G3's, likewise
    d["ssd_capacity_blocks"] = k.ssd_capacity_blocks;
    d["ssd_eviction"] = k.ssd_eviction;
    if (k.ssd_pooled) d["ssd_pooled"] = true;
  }
  d["error"] = run.error;
  if (run.error.empty()) d["result"] = RunResultToJson(run.result);
  return d;
}

// Metrics mode: runs this rank's cells of matrix `mi` (but those journaled) in parallel,
// then gathers every outcome on rank 0.
void RunMatrixCells(RunPlan& plan, size_t mi, Progress& progress, size_t done_before,
                    RunOutcomes& result) {
  const LoadedMatrix& m = plan.matrices[mi];
  const CellDistribution& ranks = CellDistribution::Get();
  std::vector<Outcome>& outcomes = result.cells[mi];
  const auto start = std::chrono::steady_clock::now();
  std::vector<Cell> mine;
  std::vector<size_t> mine_index;
  for (size_t i = 0; i < m.cells.size(); ++i) {
    if (i % ranks.size() != ranks.rank()) continue;
    const auto it = plan.journaled.find(absl::StrCat(m.spec.name, "/", m.cells[i].hash));
    if (it != plan.journaled.end()) {
      outcomes[i] = OutcomeFromPayload(it->second).second;
      ++result.resumed;
      continue;
    }
    mine.push_back(m.cells[i]);
    mine_index.push_back(i);
  }
  MatrixRunOptions run_options;
  run_options.threads = plan.flags.threads;
  run_options.cell_time_limit_s = m.cell_time_limit_s;
  run_options.stop = &g_stop_new_cells;
  run_options.cancel = &g_cancel_running_cells;
  run_options.progress = [&](size_t done, size_t) { progress.Update(done_before + done); };
  run_options.in_cell = [&](const Cell& cell, size_t done, size_t total, double arrival_s) {
    progress.InCell(cell.key, done, total, arrival_s);
  };
  // Each outcome is made once, on the worker that ran the cell: journaled there (failures
  // are not: they run again on --resume), and serialised again only to cross MPI ranks.
  std::vector<std::optional<Outcome>> finished(mine.size());
  Journal* journal = plan.journal.get();
  run_options.on_cell = [&](size_t j, const CellRun& run) {
    progress.Finished(mine[j].key);  // RunMatrix calls progress (the count) after on_cell
    finished[j] = ToOutcome(m, mine[j], run);
    if (journal != nullptr && run.error.empty()) {
      journal->Append(absl::StrCat(m.spec.name, "/", mine[j].hash),
                      OutcomePayload(*finished[j], mine_index[j]));
    }
  };
  RunMatrix(m.spec, mine, run_options);
  std::vector<std::string> payloads;
  for (size_t j = 0; j < mine.size(); ++j) {
    if (!finished[j]) {
      ++result.not_run;
    } else if (ranks.size() == 1) {
      outcomes[mine_index[j]] = std::move(*finished[j]);
    } else {
      payloads.push_back(OutcomePayload(*finished[j], mine_index[j]));
    }
  }
  if (ranks.size() > 1) {
    for (const std::string& text : ranks.GatherToRoot(payloads)) {
      auto [index, outcome] = OutcomeFromPayload(text);
      outcomes.at(index) = std::move(outcome);
    }
  }
  result.walls[mi] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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

// Registers the cells of `m`. Metrics mode reports `outcomes` (already run in parallel);
// timing mode runs each cell inside its benchmark, one at a time, and stores its outcome.
void RegisterCells(const LoadedMatrix& m, std::vector<Outcome>& outcomes, const RunPlan& plan) {
  const bool timing = plan.flags.timing();
  const int repetitions = plan.flags.repetitions;
  MatrixRunOptions options;
  options.threads = plan.flags.threads;
  options.cell_time_limit_s = m.cell_time_limit_s;
  for (size_t i = 0; i < m.cells.size(); ++i) {
    const Cell& cell = m.cells[i];
    const std::string name = absl::StrCat(m.spec.name, "/", cell.key);
    Outcome* outcome = &outcomes[i];
    if (!timing && outcome->details.is_null()) continue;  // not run: interrupted
    auto* b = benchmark::RegisterBenchmark(
        name.c_str(), [&m, &cell, outcome, timing, options](benchmark::State& state) {
          for (auto _ : state) {
            if (timing) *outcome = ToOutcome(m, cell, RunCell(m.spec, cell, options));
            state.SetIterationTime(outcome->wall_s);
          }
          state.SetLabel(absl::StrCat("cell=", cell.hash));
          if (!outcome->error.empty()) {
            state.SkipWithError(outcome->error.c_str());
            return;
          }
          for (const auto& [counter, value] : outcome->counters) state.counters[counter] = value;
        });
    // Metrics mode reports one finished run: --benchmark_repetitions must not repeat it.
    b->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
    b->Repetitions(timing ? repetitions : 1);
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

std::string JoinPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) absl::StrAppend(&out, out.empty() ? "" : ";", k, "=", v);
  return out;
}

// Reports the run through Google Benchmark: its context, then every registered entry
// (timing mode runs the cells here); returns the JSON reporter's text.
std::string ReportThroughGoogleBenchmark(const RunPlan& plan, RunOutcomes& result) {
  std::vector<std::string> names, sources;
  for (const LoadedMatrix& m : plan.matrices) {
    names.push_back(m.spec.name);
    sources.push_back(m.config.source);
  }
  benchmark::AddCustomContext("kvbench_version", plan.build.version);
  benchmark::AddCustomContext("git_commit", plan.build.git_commit);
  benchmark::AddCustomContext("matrices", absl::StrJoin(names, ","));
  benchmark::AddCustomContext("config_files", absl::StrJoin(sources, ","));
  benchmark::AddCustomContext("config_hash", plan.config_hash);
  benchmark::AddCustomContext("trace_digests", JoinPairs(plan.traces.digests()));
  benchmark::AddCustomContext("threads", std::to_string(plan.workers));
  benchmark::AddCustomContext("mode", plan.flags.mode);
  benchmark::AddCustomContext("shard", absl::StrCat(plan.shard.k, "/", plan.shard.n));
  benchmark::AddCustomContext("mpi_ranks", std::to_string(plan.processes));
  benchmark::AddCustomContext("cells_total", std::to_string(plan.CellsTotal()));
  benchmark::AddCustomContext("cells_run", std::to_string(plan.CellsToRun()));

  for (size_t mi = 0; mi < plan.matrices.size(); ++mi) {
    RegisterCells(plan.matrices[mi], result.cells[mi], plan);
    RegisterMatrixEntry(plan.matrices[mi], result.cells[mi], &result.walls[mi], plan.workers,
                        plan.shard);
  }
  std::ostringstream json_text;
  benchmark::JSONReporter json;
  json.SetOutputStream(&json_text);
  json.SetErrorStream(&std::cerr);
  std::optional<benchmark::ConsoleReporter> console;
  if (plan.flags.timing() && !(plan.flags.benchmark_json && !plan.flags.out)) console.emplace();
  TeeReporter tee(console ? &*console : nullptr, &json);
  benchmark::RunSpecifiedBenchmarks(&tee);
  return json_text.str();
}

}  // namespace

Outcome ToOutcome(const LoadedMatrix& m, const Cell& cell, const CellRun& run) {
  Outcome o;
  if (run.error.empty()) o.counters = CountersOf(run.result);
  o.details = CellDetails(m, cell, run);
  o.error = run.error;
  o.wall_s = run.wall_s;
  o.cpu_s = run.cpu_s;
  return o;
}

std::string OutcomePayload(const Outcome& o, size_t index) {
  nlohmann::ordered_json p = {{"index", index},
                              {"error", o.error},
                              {"wall_s", o.wall_s},
                              {"cpu_s", o.cpu_s},
                              {"details", o.details}};
  nlohmann::ordered_json counters = nlohmann::ordered_json::array();
  for (const auto& [name, value] : o.counters) counters.push_back({name, value});
  p["counters"] = std::move(counters);
  return p.dump();
}

std::pair<size_t, Outcome> OutcomeFromPayload(const std::string& text) {
  const nlohmann::ordered_json p = nlohmann::ordered_json::parse(text);
  Outcome o;
  o.error = p.at("error").get<std::string>();
  o.wall_s = p.at("wall_s").get<double>();
  o.cpu_s = p.value("cpu_s", 0.0);  // journals written before it have none
  o.details = p.at("details");
  for (const auto& c : p.at("counters")) {
    // null: a metric that does not apply (NaN, e.g. goodput without an SLO).
    o.counters.emplace_back(
        c.at(0).get<std::string>(),
        c.at(1).is_null() ? std::numeric_limits<double>::quiet_NaN() : c.at(1).get<double>());
  }
  return {p.at("index").get<size_t>(), std::move(o)};
}

size_t RunOutcomes::Failed() const {
  size_t failed = 0;
  for (const auto& list : cells) {
    for (const Outcome& o : list) failed += o.error.empty() ? 0 : 1;
  }
  return failed;
}

RunOutcomes ExecuteRunPlan(RunPlan& plan) {
  const CellDistribution& ranks = CellDistribution::Get();
  const bool show_progress = plan.flags.progress.value_or(isatty(STDERR_FILENO) != 0);
  Progress progress(show_progress && ranks.rank() == 0, plan.CellsToRun());
  const bool timing = plan.flags.timing();
  if (!timing) InstallStopHandlers(plan.flags.grace_s);

  RunOutcomes result;
  result.cells.resize(plan.matrices.size());
  result.walls.assign(plan.matrices.size(), 0);
  size_t done_before = 0;
  for (size_t mi = 0; mi < plan.matrices.size(); ++mi) {
    result.cells[mi].resize(plan.matrices[mi].cells.size());
    if (timing) continue;  // the cells run inside their Google Benchmark entries
    RunMatrixCells(plan, mi, progress, done_before, result);
    done_before += plan.matrices[mi].cells.size();
  }
  StopWatchdog();
  if (ranks.rank() != 0) {
    result.reports = false;
    return result;
  }
  result.benchmark_json = ReportThroughGoogleBenchmark(plan, result);
  if (g_stop_new_cells.load()) result.stop_signal = g_stop_signal.load();
  return result;
}

}  // namespace kvb
