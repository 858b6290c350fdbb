#include "core/sim/metric_table.h"

#include <cmath>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(MetricTableTest, NamesAreUniqueAndEveryRowIsComplete) {
  std::set<std::string> names;
  for (const MetricSpec& m : Metrics()) {
    SCOPED_TRACE(std::string(m.name));
    EXPECT_TRUE(names.insert(std::string(m.name)).second) << "named twice";
    EXPECT_FALSE(m.unit.empty());
    EXPECT_FALSE(m.section.empty());
    EXPECT_FALSE(m.description.empty());
    ASSERT_NE(m.read, nullptr);
    EXPECT_EQ(FindMetric(m.name), &m);
    // A fraction is a share in [0, 1]; its unit says so, and no count is one.
    EXPECT_EQ(m.fraction, m.unit == "fraction");
    EXPECT_FALSE(m.fraction && m.integer);
  }
  EXPECT_EQ(FindMetric("requests_cv"), nullptr);  // one name per metric: load_cv
}

// Each row reads its own field: a result whose every field differs.
TEST(MetricTableTest, EachMetricReadsItsField) {
  RunResult r;
  r.requests = 1, r.served = 2, r.rejected = 3, r.block_refs = 4, r.hit_blocks = 5;
  r.fetched_blocks = 6, r.input_tokens = 7, r.hit_tokens = 8, r.hit_rate = 0.09;
  r.token_hit_rate = 0.10, r.evictions = 11, r.stranded_evictions = 12;
  r.concentration = 0.13, r.load_cv = 14, r.busy_cv = 15, r.jain_index = 0.16, r.gini = 0.17;
  r.ttft_mean_s = 18, r.ttft_p50_s = 19, r.ttft_p90_s = 20, r.ttft_p99_s = 21;
  r.ttft_max_s = 22, r.queue_wait_mean_s = 23, r.queue_wait_p99_s = 24;
  r.slo_attainment = 0.25, r.makespan_s = 26, r.gpu_seconds = 27;
  r.gpu_seconds_no_reuse = 28, r.gpu_seconds_saved = 29, r.cached_gb_hours = 30;
  r.replica_gb_hours = 31, r.replica_blocks = 32, r.replica_bytes = 33;
  r.transfer_bytes = 34, r.gpu_usd = 35, r.storage_usd = 36, r.network_usd = 37;
  r.usd_per_1k_requests = 38, r.replicas_created = 39, r.copies = 40, r.copied_blocks = 41;
  r.copies_refused = 42, r.fetches_dropped = 43, r.peak_holders = 44;
  r.traditional_score = 45;
  r.ttft_queue_mean_s = 46, r.ttft_transfer_mean_s = 47, r.ttft_load_mean_s = 48;
  r.ttft_prefill_mean_s = 49, r.node_seconds = 50, r.requests_per_s = 51, r.goodput = 0.52;
  r.finished = 53, r.output_tokens = 54, r.output_tokens_per_s = 55, r.tbt_mean_s = 56;
  r.tbt_slowest10_mean_s = 57, r.tbt_slowest10_p90_s = 73, r.tbt_max_s = 58, r.itl_p50_s = 59,
  r.itl_p90_s = 60;
  r.itl_p99_s = 61, r.e2e_mean_s = 62, r.e2e_p50_s = 63, r.e2e_p99_s = 64;
  r.preemptions = 65, r.rejected_router = 66, r.rejected_admission = 67;
  r.rejected_engine = 68, r.hbm_utilisation_mean = 0.69, r.batch_size_mean = 70;
  r.load_bytes = 71, r.fetch_bytes = 72, r.rejected_decode = 74, r.wasted_prefill_s = 75;
  r.pd_transfer_bytes = 76, r.prediction_error_mean = 77, r.prediction_error_p90 = 78;
  r.provisioned_gb_hours = 79;
  r.hbm_prefix_cache = true, r.hbm_hit_blocks = 80, r.hbm_hit_rate = 0.81, r.hbm_evictions = 82;
  r.ssd_tier = true, r.ssd_hit_blocks = 83, r.ssd_read_bytes = 84, r.ssd_provisioned_gb_hours = 85;
  r.ssd_write_bytes = 86, r.ssd_cached_gb_hours = 87;
  r.router_held = 88, r.router_wait_mean_s = 89;
  std::set<double> seen;
  for (const MetricSpec& m : Metrics()) seen.insert(m.read(r));
  EXPECT_EQ(seen.size(), Metrics().size()) << "two metrics read the same field";
  EXPECT_DOUBLE_EQ(FindMetric("load_cv")->read(r), 14);
  EXPECT_DOUBLE_EQ(FindMetric("usd_per_1k_requests")->read(r), 38);
  EXPECT_DOUBLE_EQ(FindMetric("hit_rate")->read(r), 0.09);
  EXPECT_DOUBLE_EQ(FindMetric("goodput")->read(r), 0.52);
  EXPECT_DOUBLE_EQ(FindMetric("fetch_bytes")->read(r), 72);
  EXPECT_DOUBLE_EQ(FindMetric("provisioned_gb_hours")->read(r), 79);
  EXPECT_DOUBLE_EQ(FindMetric("hbm_hit_rate")->read(r), 0.81);
  EXPECT_DOUBLE_EQ(FindMetric("ssd_read_bytes")->read(r), 84);
  EXPECT_DOUBLE_EQ(FindMetric("ssd_write_bytes")->read(r), 86);
  EXPECT_DOUBLE_EQ(FindMetric("ssd_cached_gb_hours")->read(r), 87);
  EXPECT_DOUBLE_EQ(FindMetric("router_wait_mean_s")->read(r), 89);
  EXPECT_EQ(Metrics().size(), 89u);
}

TEST(MetricTableTest, HbmMetricsAreNullWithoutTheTier) {
  RunResult r;
  r.hbm_hit_blocks = 3;  // a cell without tier G1 never sets these: they do not apply
  for (const char* name : {"hbm_hit_blocks", "hbm_hit_rate", "hbm_evictions"}) {
    EXPECT_TRUE(std::isnan(FindMetric(name)->read(r))) << name;
    EXPECT_TRUE(FindMetric(name)->nullable) << name;
  }
  r.hbm_prefix_cache = true;
  EXPECT_DOUBLE_EQ(FindMetric("hbm_hit_blocks")->read(r), 3);
  r.ssd_read_bytes = 5;
  for (const char* name : {"ssd_hit_blocks", "ssd_read_bytes", "ssd_provisioned_gb_hours",
                           "ssd_write_bytes", "ssd_cached_gb_hours"}) {
    EXPECT_TRUE(std::isnan(FindMetric(name)->read(r))) << name;
  }
  r.ssd_tier = true;
  EXPECT_DOUBLE_EQ(FindMetric("ssd_read_bytes")->read(r), 5);
}

TEST(MetricTableTest, DirectionsOfTheHeadlineMetrics) {
  EXPECT_EQ(FindMetric("hit_rate")->better, Better::kHigher);
  EXPECT_EQ(FindMetric("ttft_p99_s")->better, Better::kLower);
  EXPECT_EQ(FindMetric("concentration")->better, Better::kLower);
  EXPECT_EQ(FindMetric("usd_per_1k_requests")->better, Better::kLower);
  EXPECT_EQ(FindMetric("slo_attainment")->better, Better::kHigher);
  EXPECT_TRUE(FindMetric("slo_attainment")->fraction);
  EXPECT_FALSE(FindMetric("input_tokens")->counter);
  EXPECT_EQ(BetterName(Better::kLower), "lower");
}

}  // namespace
}  // namespace kvb
