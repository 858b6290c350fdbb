#include "bench/kvbench_report.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/cli_common.h"
#include "bench/run_result_json.h"
#include "core/util/atomic_file.h"

namespace kvb {
namespace {

double CounterOf(const Outcome& o, std::string_view name) {
  for (const auto& [counter, value] : o.counters) {
    if (counter == name) return value;
  }
  return 0;
}

// One table per matrix and cluster (with trace, prices, rate scale and seed).
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

}  // namespace

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

namespace {

// How many of Google Benchmark's `time_unit` make a second.
double TimeUnitPerSecond(const std::string& unit) {
  if (unit == "s") return 1;
  if (unit == "ms") return 1e3;
  if (unit == "us") return 1e6;
  return 1e9;
}

}  // namespace

nlohmann::ordered_json MakeResultJson(const RunPlan& plan, const RunOutcomes& outcomes) {
  nlohmann::ordered_json result =
      nlohmann::ordered_json::parse(NonFiniteToNull(outcomes.benchmark_json));
  result["context"]["cells_failed"] = std::to_string(outcomes.Failed());
  if (outcomes.stop_signal != 0) {
    result["context"]["incomplete"] =
        absl::StrCat("interrupted by signal ", outcomes.stop_signal, ": ", outcomes.not_run,
                     " cells not run (finish them with --resume)");
  }
  result["context"]["cells_run"] = std::to_string(plan.CellsToRun() - outcomes.not_run);
  if (outcomes.resumed > 0) result["context"]["resumed_cells"] = std::to_string(outcomes.resumed);
  // Metrics mode reports cells already run on TBB workers: their cpu_time is the CPU time
  // of the thread that ran each, not of the (empty) reporting loop.
  std::map<std::string, double> cpu_s_of_hash;
  if (!plan.flags.timing()) {
    for (size_t mi = 0; mi < plan.matrices.size(); ++mi) {
      for (size_t i = 0; i < plan.matrices[mi].cells.size(); ++i) {
        cpu_s_of_hash[plan.matrices[mi].cells[i].hash] = outcomes.cells[mi][i].cpu_s;
      }
    }
  }
  for (auto& entry : result["benchmarks"]) {
    for (const char* field : {"name", "run_name"}) {
      if (entry.contains(field)) entry[field] = CellEntryName(entry[field].get<std::string>());
    }
    const std::string label = entry.value("label", "");
    const auto cpu =
        label.starts_with("cell=") ? cpu_s_of_hash.find(label.substr(5)) : cpu_s_of_hash.end();
    if (cpu != cpu_s_of_hash.end() && entry.contains("cpu_time")) {
      entry["cpu_time"] = cpu->second * TimeUnitPerSecond(entry.value("time_unit", "ns"));
    }
  }
  nlohmann::ordered_json kv = {{"format", 1}};
  kv["matrices"] = nlohmann::ordered_json::array();
  nlohmann::ordered_json cells = nlohmann::ordered_json::object();
  for (size_t mi = 0; mi < plan.matrices.size(); ++mi) {
    const LoadedMatrix& m = plan.matrices[mi];
    kv["matrices"].push_back({{"name", m.spec.name},
                              {"file", m.config.source},
                              {"config", MatrixConfigToJson(m.config)}});
    for (size_t i = 0; i < m.cells.size(); ++i) {
      // Cells left out by --benchmark_filter in timing mode have no outcome.
      const Outcome& o = outcomes.cells[mi][i];
      if (!o.details.is_null()) cells[m.cells[i].hash] = o.details;
    }
  }
  kv["cells"] = std::move(cells);
  result["kvbench"] = std::move(kv);
  // What every counter and per-cell metric means: scripts read this, not their own lists.
  result["metrics"] = MetricTableJson();
  return result;
}

int RunExitCode(const RunPlan& plan, const RunOutcomes& outcomes) {
  const size_t failed = outcomes.Failed();
  if (outcomes.stop_signal != 0) {
    std::fprintf(stderr,
                 "kvbench: interrupted: %zu cells not run, %zu failed; --resume finishes them\n",
                 outcomes.not_run, failed);
    return ExitCodeForSignal(outcomes.stop_signal);
  }
  if (failed > 0) {
    std::fprintf(stderr, "kvbench: %zu of %zu cells failed (their errors are in the result)\n",
                 failed, plan.CellsToRun());
    return kExitFailure;
  }
  return kExitOk;
}

int WriteRunReport(RunPlan& plan, const RunOutcomes& outcomes) {
  const nlohmann::ordered_json result = MakeResultJson(plan, outcomes);
  if (plan.journal)
    plan.journal->Sync();  // a write error surfaces before the result claims success
  if (plan.flags.out) WriteFileAtomically(*plan.flags.out, result.dump(1) + "\n");
  // --benchmark_format=json without --out: the result on stdout, as Google Benchmark does.
  const bool json_to_stdout = plan.flags.benchmark_json && !plan.flags.out;
  if (json_to_stdout) std::cout << result.dump(1) << "\n" << std::flush;
  // The result holds every cell: the journal is needed again only if some must run again.
  if (plan.journal && outcomes.Failed() == 0 && outcomes.stop_signal == 0) plan.journal->Remove();
  if (plan.flags.summary && !plan.flags.timing() && !json_to_stdout) {
    for (size_t mi = 0; mi < plan.matrices.size(); ++mi) {
      PrintSummary(plan.matrices[mi], outcomes.cells[mi]);
    }
    std::printf("\n");
  }
  return RunExitCode(plan, outcomes);
}

}  // namespace kvb
