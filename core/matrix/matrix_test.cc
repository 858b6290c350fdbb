// Matrix expansion (order, exclusions, keys, errors), sharding, and parallel runs that do
// not depend on the thread count.

#include "core/matrix/matrix.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/sim/testing/sim_testing.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_jitter.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Debian's libtbb is not built with ThreadSanitizer: TSan cannot see the synchronisation
// inside it and reports its recycling of task memory (blocked_range, start_for) as races.
// The runs below are checked in the Release and AddressSanitizer builds.
#if defined(__SANITIZE_THREAD__)
#define KVB_SKIP_UNDER_TSAN() GTEST_SKIP() << "libtbb is not TSan-instrumented"
#else
#define KVB_SKIP_UNDER_TSAN() (void)0
#endif

MatrixSpec SmallSpec() {
  MatrixSpec spec;
  spec.name = "small";
  spec.strategies = {"random", "least_loaded", "kvcache_centric+none"};
  SimConfig seed;
  seed.mode = SimMode::kSeedCompat;
  seed.cluster.nodes.assign(4, NodeSpec{64, "lfu", 1.0});
  SimConfig realistic = testing::RealisticConfig(4, 200, CacheScope::kGlobal);
  spec.clusters = {{"seed4", seed}, {"real4", realistic}};
  const auto trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 400, 3);
  realistic.cost = testing::MillisecondPerTokenCost(trace->block_tokens(), 1e6);
  spec.clusters[1].config = realistic;
  spec.traces = {{"conv400", trace, {}}};
  spec.rate_scales = {0.1, 0.2};
  return spec;
}

TEST(MatrixTest, ExpandsTheProductInAStableOrder) {
  size_t skipped = 99;
  const std::vector<Cell> cells = ExpandMatrix(SmallSpec(), &skipped);
  // seed4 has no time: only its first rate scale; real4 has both.
  ASSERT_EQ(cells.size(), 3u * 1 + 3u * 2);
  EXPECT_EQ(skipped, 3u);
  EXPECT_EQ(cells[0].key,
            "strategy=random/cluster=seed4/trace=conv400/prices=profile/rate_scale=0.1/seed=1");
  EXPECT_EQ(cells[1].key,
            "strategy=least_loaded/cluster=seed4/trace=conv400/prices=profile/rate_scale=0.1/"
            "seed=1");
  EXPECT_EQ(cells[3].key,
            "strategy=random/cluster=real4/trace=conv400/prices=profile/rate_scale=0.1/seed=1");
  EXPECT_EQ(cells[4].key,
            "strategy=random/cluster=real4/trace=conv400/prices=profile/rate_scale=0.2/seed=1");
  EXPECT_EQ(cells[8].key,
            "strategy=kvcache_centric+none/cluster=real4/trace=conv400/prices=profile/"
            "rate_scale=0.2/seed=1");
  EXPECT_EQ(cells[8].choice, (CellChoice{2, 1, 0, 0, 1, 0}));
  std::set<std::string> hashes;
  for (const Cell& c : cells) {
    EXPECT_EQ(c.hash.size(), 12u);
    hashes.insert(c.hash);
  }
  EXPECT_EQ(hashes.size(), cells.size());
  // The hash is the top 48 bits of FNV-1a 64 of "<matrix>/<key>", computed independently.
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : "small/" + cells[0].key) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  char hex[13];
  std::snprintf(hex, sizeof(hex), "%012llx", static_cast<unsigned long long>(h >> 16));
  EXPECT_EQ(cells[0].hash, hex);
}

TEST(MatrixTest, Fnv1aMatchesItsPublishedVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(MatrixTest, AnExplicitListReplacesTheProduct) {
  MatrixSpec spec = SmallSpec();
  spec.cells = {{2, 1, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 0}};
  const std::vector<Cell> cells = ExpandMatrix(spec);
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].strategy_spec, "kvcache_centric+none");
  EXPECT_EQ(cells[1].key,
            "strategy=random/cluster=seed4/trace=conv400/prices=profile/rate_scale=0.1/seed=1");
  // The same cell gets the same key and hash however it was listed.
  EXPECT_EQ(cells[0].hash, ExpandMatrix(SmallSpec())[8].hash);

  auto error = [](const MatrixSpec& s) {
    try {
      ExpandMatrix(s);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  spec.cells.push_back({2, 1, 0, 0, 1, 0});
  EXPECT_EQ(error(spec), "cells[2]: the same cell as cells[0]");
  spec.cells.back() = {0, 0, 0, 0, 1, 0};
  EXPECT_EQ(error(spec),
            "cells[2]: cluster 'seed4' runs in seed mode, which has neither time nor dollars: "
            "its cells take the first prices and rate_scale");
  spec.cells.back() = {0, 0, 0, 0, 0, 7};
  EXPECT_EQ(error(spec), "cells[2]: names an entry beyond its list");
}

// Jitter seeds make an axis: each cell replays its trace's jittered copy for its seed.
TEST(MatrixTest, JitterSeedsRunTheJitteredTraces) {
  MatrixSpec spec = SmallSpec();
  spec.strategies = {"least_loaded"};
  spec.clusters.erase(spec.clusters.begin());  // real4 only
  spec.rate_scales = {0.1};
  const std::shared_ptr<const Trace> trace = spec.traces[0].trace;
  const std::shared_ptr<const Trace> moved = JitterArrivals(*trace, 5000, 9);
  spec.jitter_seeds = {0, 9};
  spec.traces[0].jittered = {trace, moved};
  const std::vector<Cell> cells = ExpandMatrix(spec);
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].key,
            "strategy=least_loaded/cluster=real4/trace=conv400/prices=profile/rate_scale=0.1/"
            "seed=1/jitter=0");
  EXPECT_TRUE(cells[1].key.ends_with("/seed=1/jitter=9"));
  EXPECT_EQ(cells[1].choice.jitter, 1u);
  MatrixRunOptions one_thread;
  one_thread.threads = 1;
  const std::vector<CellRun> runs = RunMatrix(spec, cells, one_thread);
  // Against the simulator run directly on each trace.
  for (size_t i = 0; i < 2; ++i) {
    Strategy strategy = MakeStrategy("least_loaded", 1);
    const RunResult want = Simulate(i == 0 ? *trace : *moved, CellConfig(spec, cells[i]), strategy);
    ASSERT_EQ(runs[i].error, "");
    EXPECT_EQ(runs[i].result.ttft_mean_s, want.ttft_mean_s) << i;
    EXPECT_EQ(runs[i].result.hit_blocks, want.hit_blocks) << i;
  }
  EXPECT_NE(runs[0].result.ttft_mean_s, runs[1].result.ttft_mean_s);

  spec.jitter_seeds = {9, 9};
  EXPECT_THROW(ExpandMatrix(spec), InputError);
  spec.jitter_seeds = {0, 9, 10};  // three seeds, two jittered traces
  EXPECT_THROW(ExpandMatrix(spec), std::logic_error);
}

TEST(MatrixTest, ExclusionsRemoveEveryMatchingCell) {
  MatrixSpec spec = SmallSpec();
  spec.exclude = {{"kvcache_centric+none", "seed4", ""}, {"", "", "nosuch"}};
  const std::vector<Cell> cells = ExpandMatrix(spec);
  EXPECT_EQ(cells.size(), 9u - 1);
  for (const Cell& c : cells) {
    EXPECT_FALSE(c.strategy_spec == "kvcache_centric+none" && c.choice.cluster == 0) << c.key;
  }
}

TEST(MatrixTest, BadListsNameTheEntryAtFault) {
  auto error = [](const MatrixSpec& spec) {
    try {
      ExpandMatrix(spec);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  MatrixSpec spec = SmallSpec();
  spec.strategies[1] = "least_loaded:x=1";
  EXPECT_EQ(error(spec),
            "strategies[1]: router 'least_loaded': unknown key 'x' (it takes no "
            "parameters)");
  spec = SmallSpec();
  spec.strategies.push_back("random+mooncake");
  EXPECT_EQ(error(spec),
            "strategies[3]: 'random+mooncake' is the same strategy as an earlier "
            "entry ('random')");
  spec = SmallSpec();
  spec.clusters[1].name = "seed4";
  EXPECT_EQ(error(spec), "clusters[1].name: 'seed4' appears twice");
  spec = SmallSpec();
  spec.traces[0].name = "a/b";
  EXPECT_EQ(error(spec), "traces[0].name: 'a/b' must not contain '/' or '='");
  spec = SmallSpec();
  spec.seeds.clear();
  EXPECT_EQ(error(spec), "seeds: must not be empty");
  spec = SmallSpec();
  spec.rate_scales[1] = 0;
  EXPECT_EQ(error(spec), "rate_scales[1]: must be a finite number > 0");
  spec = SmallSpec();
  spec.rate_scales[1] = 0.1;
  EXPECT_EQ(error(spec), "rate_scales[1]: 0.1 appears twice");
  spec = SmallSpec();
  spec.seeds = {4, 4};
  EXPECT_EQ(error(spec), "seeds[1]: 4 appears twice");
  spec = SmallSpec();
  spec.prices.push_back(spec.prices[0]);
  EXPECT_EQ(error(spec), "prices[1].name: 'profile' appears twice");
}

TEST(MatrixTest, ShardsPartitionTheCells) {
  const std::vector<Cell> cells = ExpandMatrix(SmallSpec());
  for (size_t n : {1u, 2u, 3u, 5u}) {
    std::multiset<std::string> seen;
    for (size_t k = 0; k < n; ++k) {
      for (const Cell& c : cells) {
        if (InShard(c, k, n)) seen.insert(c.key);
      }
    }
    EXPECT_EQ(seen.size(), cells.size()) << n;  // every cell once
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), cells.size()) << n;
  }
}

TEST(MatrixTest, ResultsDoNotDependOnTheThreadCount) {
  KVB_SKIP_UNDER_TSAN();
  const MatrixSpec spec = SmallSpec();
  const std::vector<Cell> cells = ExpandMatrix(spec);
  size_t reported = 0;
  MatrixRunOptions one;
  one.threads = 1;
  one.progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, cells.size());
    reported = std::max(reported, done);
  };
  const std::vector<CellRun> a = RunMatrix(spec, cells, one);
  EXPECT_EQ(reported, cells.size());
  MatrixRunOptions two;
  two.threads = 2;
  const std::vector<CellRun> b = RunMatrix(spec, cells, two);
  ASSERT_EQ(a.size(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    SCOPED_TRACE(cells[i].key);
    EXPECT_TRUE(a[i].error.empty()) << a[i].error;
    EXPECT_EQ(a[i].result.served, spec.traces[0].trace->size());
    EXPECT_EQ(a[i].result.hit_blocks, b[i].result.hit_blocks);
    EXPECT_EQ(a[i].result.ttft_mean_s, b[i].result.ttft_mean_s);
    EXPECT_EQ(a[i].result.transfer_bytes, b[i].result.transfer_bytes);
    EXPECT_EQ(a[i].result.concentration, b[i].result.concentration);
  }
  // A cell equals the same run made directly.
  SimConfig config = spec.clusters[1].config;
  config.rate_scale = 0.2;
  config.prices.gpu_dollars_per_node_hour = config.cost.hardware().gpu_dollars_per_node_hour;
  Strategy direct = MakeStrategy("least_loaded", 1);
  const RunResult r = Simulate(*spec.traces[0].trace, config, direct);
  ASSERT_EQ(cells[6].key,
            "strategy=least_loaded/cluster=real4/trace=conv400/prices=profile/rate_scale=0.2/"
            "seed=1");
  EXPECT_EQ(a[6].result.hit_blocks, r.hit_blocks);
  EXPECT_EQ(a[6].result.ttft_mean_s, r.ttft_mean_s);
  EXPECT_EQ(a[6].result.usd_per_1k_requests, r.usd_per_1k_requests);
}

// Serving cells (aggregated, disaggregated with stale signals and a noisy predictor) give
// the same results on one thread and on two.
TEST(MatrixTest, ServingResultsDoNotDependOnTheThreadCount) {
  KVB_SKIP_UNDER_TSAN();
  MatrixSpec spec;
  spec.name = "serving";
  spec.strategies = {"random", "dynamo", "kvcache_centric", "llm_d"};
  SimConfig aggregated;
  aggregated.shape = ClusterShape::kAggregated;
  aggregated.cluster.nodes.assign(4, NodeSpec{2000, "lru", 1.0});
  aggregated.ttft_slo_s = 10;
  aggregated.tbt_slo_s = 0.05;
  SimConfig disaggregated = aggregated;
  disaggregated.shape = ClusterShape::kDisaggregated;
  disaggregated.decode_nodes = 2;
  disaggregated.decode_selector = "mooncake_tbt";
  disaggregated.signal_refresh_s = 0.5;
  disaggregated.predictor.noise_sigma = 0.3;
  spec.clusters = {{"agg4", aggregated}, {"pd4x2", disaggregated}};
  spec.traces = {{"conv", GenerateWorkload(FindWorkloadPreset("conversation")->spec, 600, 5), {}}};
  spec.rate_scales = {4};
  const std::vector<Cell> cells = ExpandMatrix(spec);
  MatrixRunOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const std::vector<CellRun> a = RunMatrix(spec, cells, one);
  const std::vector<CellRun> b = RunMatrix(spec, cells, two);
  ASSERT_EQ(a.size(), 8u);
  for (size_t i = 0; i < cells.size(); ++i) {
    SCOPED_TRACE(cells[i].key);
    ASSERT_TRUE(a[i].error.empty()) << a[i].error;
    const RunResult& x = a[i].result;
    const RunResult& y = b[i].result;
    EXPECT_GT(x.finished, 0u);
    EXPECT_EQ(x.finished, y.finished);
    EXPECT_EQ(x.ttft_mean_s, y.ttft_mean_s);
    EXPECT_EQ(x.tbt_slowest10_mean_s, y.tbt_slowest10_mean_s);
    EXPECT_EQ(x.itl_p99_s, y.itl_p99_s);
    EXPECT_EQ(x.goodput, y.goodput);
    EXPECT_EQ(x.preemptions, y.preemptions);
    EXPECT_EQ(x.pd_transfer_bytes, y.pd_transfer_bytes);
    EXPECT_EQ(x.prediction_error_mean, y.prediction_error_mean);
    EXPECT_EQ(x.gpu_seconds, y.gpu_seconds);
  }
}

TEST(MatrixTest, PriceListsShareOneSimulationAndOnlyChangeDollars) {
  KVB_SKIP_UNDER_TSAN();
  MatrixSpec spec = SmallSpec();
  spec.strategies = {"kvcache_centric"};
  spec.rate_scales = {0.2};
  Prices gpu_heavy;
  gpu_heavy.gpu_dollars_per_node_hour = 100;
  gpu_heavy.storage_dollars_per_gb_hour = 0;
  gpu_heavy.network_dollars_per_gb = 0;
  spec.prices.push_back({"gpu_heavy", gpu_heavy, false});
  const std::vector<Cell> cells = ExpandMatrix(spec);
  ASSERT_EQ(cells.size(), 1u + 2u);  // seed4 keeps only the first price list
  const std::vector<CellRun> runs = RunMatrix(spec, cells);
  const RunResult& profile = runs[1].result;
  const RunResult& heavy = runs[2].result;
  ASSERT_EQ(cells[2].choice.prices, 1u);
  EXPECT_EQ(profile.hit_blocks, heavy.hit_blocks);
  EXPECT_EQ(profile.gpu_seconds, heavy.gpu_seconds);
  EXPECT_GT(profile.gpu_seconds, 0);
  // By hand: GPU only, $100 per node-hour.
  EXPECT_DOUBLE_EQ(heavy.gpu_usd, heavy.gpu_seconds / 3600 * 100);
  EXPECT_EQ(heavy.storage_usd, 0);
  EXPECT_DOUBLE_EQ(heavy.usd_per_1k_requests, heavy.gpu_usd * 1000 / heavy.served);
  // The profile list takes the GPU price of the cluster's hardware.
  const double node_hour = spec.clusters[1].config.cost.hardware().gpu_dollars_per_node_hour;
  EXPECT_DOUBLE_EQ(profile.gpu_usd, profile.gpu_seconds / 3600 * node_hour);
  // Provisioned GPUs: every node for the whole run, busy or not (by hand: 4 nodes x
  // makespan at $100 per node-hour), so it costs at least the busy seconds.
  MatrixSpec rented = spec;
  rented.prices[1].prices.gpu_billing = GpuBilling::kProvisioned;
  const RunResult provisioned = RunMatrix(rented, ExpandMatrix(rented))[2].result;
  EXPECT_DOUBLE_EQ(provisioned.gpu_usd, 4 * provisioned.makespan_s / 3600 * 100);
  EXPECT_GE(provisioned.gpu_usd, heavy.gpu_usd);
  EXPECT_EQ(provisioned.gpu_seconds, heavy.gpu_seconds);
  // Both equal a direct run at those prices.
  SimConfig config = CellConfig(spec, cells[2]);
  EXPECT_EQ(config.prices.ssd_dollars_per_gb_hour,
            config.cost.hardware().ssd_dollars_per_gb_hour);  // SSD: the profile's price, always
  Prices expected = gpu_heavy;
  expected.ssd_dollars_per_gb_hour = config.cost.hardware().ssd_dollars_per_gb_hour;
  EXPECT_EQ(config.prices, expected);
  Strategy direct = MakeStrategy("kvcache_centric", 1);
  EXPECT_EQ(Simulate(*spec.traces[0].trace, config, direct).usd_per_1k_requests,
            heavy.usd_per_1k_requests);
}

TEST(MatrixTest, ACellPastItsTimeLimitStopsWithAnError) {
  const MatrixSpec spec = SmallSpec();
  const std::vector<Cell> cells = ExpandMatrix(spec);
  MatrixRunOptions options;
  options.cell_time_limit_s = 1e-9;
  // Seed cell: the check runs before every 256th request. Realistic: every 256th step.
  EXPECT_EQ(RunCell(spec, cells[0], options).error,
            "time limit of 1e-09 s passed after 255 of 400 requests");
  const CellRun run = RunCell(spec, cells[4], options);
  EXPECT_TRUE(run.error.starts_with("time limit of 1e-09 s passed after ")) << run.error;
  std::atomic<bool> cancel{true};
  MatrixRunOptions cancelled;
  cancelled.cancel = &cancel;
  EXPECT_EQ(RunCell(spec, cells[0], cancelled).error, "cancelled after 255 of 400 requests");
  EXPECT_TRUE(RunCell(spec, cells[0]).error.empty());
}

TEST(MatrixTest, AFailingCellRecordsItsErrorAndTheOthersFinish) {
  KVB_SKIP_UNDER_TSAN();
  MatrixSpec spec = SmallSpec();
  spec.clusters[0].config.cluster.nodes[2].eviction = "nosuch";
  const std::vector<Cell> cells = ExpandMatrix(spec);
  const std::vector<CellRun> runs = RunMatrix(spec, cells);
  size_t failed = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].choice.cluster == 0) {
      ++failed;
      EXPECT_NE(runs[i].error.find("cluster.nodes[2].eviction: unknown policy 'nosuch'"),
                std::string::npos)
          << runs[i].error;
    } else {
      EXPECT_TRUE(runs[i].error.empty()) << runs[i].error;
      EXPECT_EQ(runs[i].result.served, spec.traces[0].trace->size());
    }
  }
  EXPECT_EQ(failed, 3u);
}

}  // namespace
}  // namespace kvb
