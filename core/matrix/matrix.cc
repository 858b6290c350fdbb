#include "core/matrix/matrix.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <map>
#include <set>
#include <stdexcept>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/strategy/strategy.h"
#include "core/util/input_error.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"

namespace kvb {

namespace {

// Labels appear in keys: no empty labels, no duplicates, no key separators.
template <typename Entries>
void CheckLabels(const Entries& entries, std::string_view list) {
  std::set<std::string> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].name;
    const std::string where = absl::StrCat(std::string(list), "[", i, "].name");
    if (name.empty()) throw InputError(absl::StrCat(where, ": must not be empty"));
    if (name.find_first_of("/=") != std::string::npos) {
      throw InputError(absl::StrCat(where, ": '", name, "' must not contain '/' or '='"));
    }
    if (!seen.insert(name).second) {
      throw InputError(absl::StrCat(where, ": '", name, "' appears twice"));
    }
  }
}

void CheckNotEmpty(size_t size, std::string_view list) {
  if (size == 0) throw InputError(absl::StrCat(std::string(list), ": must not be empty"));
}

bool Matches(const std::string& pattern, const std::string& value) {
  return pattern.empty() || pattern == value;
}

}  // namespace

std::vector<Cell> ExpandMatrix(const MatrixSpec& spec, size_t* skipped) {
  CheckNotEmpty(spec.strategies.size(), "strategies");
  CheckNotEmpty(spec.clusters.size(), "clusters");
  CheckNotEmpty(spec.traces.size(), "traces");
  CheckNotEmpty(spec.prices.size(), "prices");
  CheckNotEmpty(spec.rate_scales.size(), "rate_scales");
  CheckNotEmpty(spec.seeds.size(), "seeds");
  CheckLabels(spec.clusters, "clusters");
  CheckLabels(spec.traces, "traces");
  CheckLabels(spec.prices, "prices");
  std::vector<std::string> canonical;
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.strategies.size(); ++i) {
    std::string c;
    try {
      c = MakeStrategy(spec.strategies[i], 0).spec;
    } catch (const InputError& e) {
      throw InputError(absl::StrCat("strategies[", i, "]: ", e.what()));
    }
    if (!seen.insert(c).second) {
      throw InputError(absl::StrCat("strategies[", i, "]: '", spec.strategies[i],
                                    "' is the same strategy as an earlier entry ('", c, "')"));
    }
    canonical.push_back(std::move(c));
  }
  std::set<std::string> rates;
  for (size_t i = 0; i < spec.rate_scales.size(); ++i) {
    if (!(spec.rate_scales[i] > 0) || !std::isfinite(spec.rate_scales[i])) {
      throw InputError(absl::StrCat("rate_scales[", i, "]: must be a finite number > 0"));
    }
    if (!rates.insert(absl::StrFormat("%g", spec.rate_scales[i])).second) {
      throw InputError(
          absl::StrCat("rate_scales[", i, "]: ", spec.rate_scales[i], " appears twice"));
    }
  }
  std::set<uint64_t> seeds;
  for (size_t i = 0; i < spec.seeds.size(); ++i) {
    if (!seeds.insert(spec.seeds[i]).second) {
      throw InputError(absl::StrCat("seeds[", i, "]: ", spec.seeds[i], " appears twice"));
    }
  }
  std::set<uint64_t> jitters;
  for (size_t i = 0; i < spec.jitter_seeds.size(); ++i) {
    if (!jitters.insert(spec.jitter_seeds[i]).second) {
      throw InputError(
          absl::StrCat("jitter_seeds[", i, "]: ", spec.jitter_seeds[i], " appears twice"));
    }
  }
  for (const MatrixTrace& t : spec.traces) {
    if (!t.jittered.empty() && t.jittered.size() != spec.jitter_seeds.size()) {
      throw std::logic_error("MatrixTrace::jittered does not match jitter_seeds");
    }
  }
  // Without the axis every cell has jitter 0 and its key names none.
  const size_t jitter_count = std::max<size_t>(1, spec.jitter_seeds.size());

  auto make_cell = [&](const CellChoice& x) {
    Cell cell{x, canonical[x.strategy], "", ""};
    cell.key =
        absl::StrCat("strategy=", canonical[x.strategy], "/cluster=", spec.clusters[x.cluster].name,
                     "/trace=", spec.traces[x.trace].name, "/prices=", spec.prices[x.prices].name,
                     "/rate_scale=", absl::StrFormat("%g", spec.rate_scales[x.rate_scale]),
                     "/seed=", spec.seeds[x.seed]);
    if (!spec.jitter_seeds.empty())
      absl::StrAppend(&cell.key, "/jitter=", spec.jitter_seeds[x.jitter]);
    // The matrix name is part of the hash: two matrices of one run may share a key.
    cell.hash = absl::StrFormat("%012x", Fnv1a64(absl::StrCat(spec.name, "/", cell.key)) >> 16);
    return cell;
  };
  auto seed_mode = [&](size_t cluster) {
    return spec.clusters[cluster].config.mode == SimMode::kSeedCompat;
  };

  std::vector<Cell> cells;
  size_t dropped = 0;
  if (!spec.cells.empty()) {
    std::map<std::array<size_t, 7>, size_t> listed;
    for (size_t i = 0; i < spec.cells.size(); ++i) {
      const CellChoice& x = spec.cells[i];
      const std::string where = absl::StrCat("cells[", i, "]");
      if (x.strategy >= canonical.size() || x.cluster >= spec.clusters.size() ||
          x.trace >= spec.traces.size() || x.prices >= spec.prices.size() ||
          x.rate_scale >= spec.rate_scales.size() || x.seed >= spec.seeds.size() ||
          x.jitter >= jitter_count) {
        throw InputError(absl::StrCat(where, ": names an entry beyond its list"));
      }
      const auto [it, added] =
          listed.emplace(std::array<size_t, 7>{x.strategy, x.cluster, x.trace, x.prices,
                                               x.rate_scale, x.seed, x.jitter},
                         i);
      if (!added) {
        throw InputError(absl::StrCat(where, ": the same cell as cells[", it->second, "]"));
      }
      if (seed_mode(x.cluster) && (x.prices != 0 || x.rate_scale != 0)) {
        throw InputError(absl::StrCat(where, ": cluster '", spec.clusters[x.cluster].name,
                                      "' runs in seed mode, which has neither time nor dollars: "
                                      "its cells take the first prices and rate_scale"));
      }
      cells.push_back(make_cell(x));
    }
  } else {
    for (size_t t = 0; t < spec.traces.size(); ++t) {
      for (size_t c = 0; c < spec.clusters.size(); ++c) {
        for (size_t s = 0; s < canonical.size(); ++s) {
          const bool excluded =
              std::any_of(spec.exclude.begin(), spec.exclude.end(), [&](const MatrixExclusion& x) {
                return Matches(x.strategy, canonical[s]) &&
                       Matches(x.cluster, spec.clusters[c].name) &&
                       Matches(x.trace, spec.traces[t].name);
              });
          if (excluded) continue;
          for (size_t p = 0; p < spec.prices.size(); ++p) {
            for (size_t r = 0; r < spec.rate_scales.size(); ++r) {
              for (size_t n = 0; n < spec.seeds.size(); ++n) {
                for (size_t j = 0; j < jitter_count; ++j) {
                  if (seed_mode(c) && (p != 0 || r != 0)) {
                    ++dropped;
                    continue;
                  }
                  cells.push_back(make_cell({s, c, t, p, r, n, j}));
                }
              }
            }
          }
        }
      }
    }
  }
  if (skipped != nullptr) *skipped = dropped;
  return cells;
}

bool InShard(const Cell& cell, size_t k, size_t n) {
  uint64_t hash = 0;
  return n > 0 && absl::SimpleHexAtoi(cell.hash, &hash) && hash % n == k;
}

const Trace& CellTrace(const MatrixSpec& spec, const CellChoice& choice) {
  const MatrixTrace& t = spec.traces[choice.trace];
  return t.jittered.empty() ? *t.trace : *t.jittered[choice.jitter];
}

SimConfig CellConfig(const MatrixSpec& spec, const Cell& cell) {
  const CellChoice& x = cell.choice;
  SimConfig config = spec.clusters[x.cluster].config;
  config.rate_scale = spec.rate_scales[x.rate_scale];
  config.seed = spec.seeds[x.seed];
  const MatrixPrices& prices = spec.prices[x.prices];
  config.prices = prices.prices;
  if (prices.gpu_price_from_profile) {
    config.prices.gpu_dollars_per_node_hour = config.cost.hardware().gpu_dollars_per_node_hour;
  }
  if (prices.storage_price_from_profile) {
    config.prices.storage_dollars_per_gb_hour = config.cost.hardware().dram_dollars_per_gb_hour;
  }
  // SSD is billed at the cluster's profile price under every price list.
  config.prices.ssd_dollars_per_gb_hour = config.cost.hardware().ssd_dollars_per_gb_hour;
  return config;
}

namespace {

// CPU seconds the calling thread has used.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

CellRun RunCell(const MatrixSpec& spec, const Cell& cell, const MatrixRunOptions& options) {
  CellRun out;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  try {
    SimConfig config = CellConfig(spec, cell);
    config.wall_time_limit_s = options.cell_time_limit_s;
    config.cancel = options.cancel;
    if (options.in_cell) {
      config.on_progress = [&options, &cell](size_t done, size_t total, double arrival_s) {
        options.in_cell(cell, done, total, arrival_s);
      };
    }
    Strategy strategy = MakeStrategy(cell.strategy_spec, config.seed);
    out.result = Simulate(CellTrace(spec, cell.choice), config, strategy);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.cpu_s = ThreadCpuSeconds() - cpu_start;
  return out;
}

std::vector<CellRun> RunMatrix(const MatrixSpec& spec, std::span<const Cell> cells,
                               const MatrixRunOptions& options) {
  // Cells that differ only in prices form one group and share one simulation.
  std::vector<std::vector<size_t>> groups;
  {
    std::map<std::array<size_t, 6>, size_t> group_of;
    for (size_t i = 0; i < cells.size(); ++i) {
      const CellChoice& x = cells[i].choice;
      const std::array<size_t, 6> sim = {x.strategy,   x.cluster, x.trace,
                                         x.rate_scale, x.seed,    x.jitter};
      const auto [it, added] = group_of.emplace(sim, groups.size());
      if (added) groups.emplace_back();
      groups[it->second].push_back(i);
    }
  }
  std::vector<CellRun> runs(cells.size());
  std::atomic<size_t> done{0};
  auto run_group = [&](const std::vector<size_t>& group) {
    if (options.stop != nullptr && options.stop->load()) {
      for (const size_t i : group) runs[i].ran = false;
      return;
    }
    const CellRun shared = RunCell(spec, cells[group.front()], options);
    for (const size_t i : group) {
      runs[i] = shared;
      const SimConfig config = CellConfig(spec, cells[i]);
      if (shared.error.empty() && config.mode == SimMode::kRealistic) {
        ApplyPrices(config.prices, runs[i].result);
      }
      if (options.on_cell) options.on_cell(i, runs[i]);
      const size_t finished = done.fetch_add(1) + 1;
      if (options.progress) options.progress(finished, cells.size());
    }
  };
  const int workers =
      options.threads > 0 ? static_cast<int>(options.threads) : oneapi::tbb::task_arena::automatic;
  oneapi::tbb::task_arena arena(workers);
  arena.execute([&] {
    oneapi::tbb::parallel_for(
        oneapi::tbb::blocked_range<size_t>(0, groups.size(), 1),
        [&](const oneapi::tbb::blocked_range<size_t>& range) {
          for (size_t g = range.begin(); g != range.end(); ++g) run_group(groups[g]);
        },
        oneapi::tbb::simple_partitioner());
  });
  return runs;
}

}  // namespace kvb
