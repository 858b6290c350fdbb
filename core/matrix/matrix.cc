#include "core/matrix/matrix.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/replication/strategy.h"
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

uint64_t Fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::vector<Cell> ExpandMatrix(const MatrixSpec& spec) {
  CheckNotEmpty(spec.strategies.size(), "strategies");
  CheckNotEmpty(spec.clusters.size(), "clusters");
  CheckNotEmpty(spec.traces.size(), "traces");
  CheckNotEmpty(spec.rate_scales.size(), "rate_scales");
  CheckNotEmpty(spec.seeds.size(), "seeds");
  CheckLabels(spec.clusters, "clusters");
  CheckLabels(spec.traces, "traces");
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
  for (size_t i = 0; i < spec.rate_scales.size(); ++i) {
    if (!(spec.rate_scales[i] > 0)) {
      throw InputError(absl::StrCat("rate_scales[", i, "]: must be > 0"));
    }
  }

  std::vector<Cell> cells;
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
        for (size_t r = 0; r < spec.rate_scales.size(); ++r) {
          for (size_t n = 0; n < spec.seeds.size(); ++n) {
            Cell cell{s, c, t, r, n, canonical[s], "", ""};
            cell.key = absl::StrCat("strategy=", canonical[s], "/cluster=", spec.clusters[c].name,
                                    "/trace=", spec.traces[t].name,
                                    "/rate_scale=", absl::StrFormat("%g", spec.rate_scales[r]),
                                    "/seed=", spec.seeds[n]);
            cell.hash = absl::StrFormat("%012x", Fnv1a64(cell.key) >> 16);
            cells.push_back(std::move(cell));
          }
        }
      }
    }
  }
  return cells;
}

bool InShard(const Cell& cell, size_t k, size_t n) { return n > 0 && Fnv1a64(cell.key) % n == k; }

std::vector<CellRun> RunMatrix(const MatrixSpec& spec, std::span<const Cell> cells,
                               const MatrixRunOptions& options) {
  std::vector<CellRun> runs(cells.size());
  std::atomic<size_t> done{0};
  auto run_one = [&](size_t i) {
    const Cell& cell = cells[i];
    CellRun& out = runs[i];
    const auto start = std::chrono::steady_clock::now();
    try {
      SimConfig config = spec.clusters[cell.cluster].config;
      config.rate_scale = spec.rate_scales[cell.rate_scale];
      config.seed = spec.seeds[cell.seed];
      Strategy strategy = MakeStrategy(cell.strategy_spec, config.seed);
      out.result = Simulate(*spec.traces[cell.trace].trace, config, strategy);
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t finished = done.fetch_add(1) + 1;
    if (options.progress) options.progress(finished, cells.size());
  };
  const int workers =
      options.threads > 0 ? static_cast<int>(options.threads) : oneapi::tbb::task_arena::automatic;
  oneapi::tbb::task_arena arena(workers);
  arena.execute([&] {
    oneapi::tbb::parallel_for(
        oneapi::tbb::blocked_range<size_t>(0, cells.size(), 1),
        [&](const oneapi::tbb::blocked_range<size_t>& range) {
          for (size_t i = range.begin(); i != range.end(); ++i) run_one(i);
        },
        oneapi::tbb::simple_partitioner());
  });
  return runs;
}

}  // namespace kvb
