// Every registered router x replication pair through the engine, in seed and realistic
// modes, on a generated trace: the engine's invariants hold and runs are deterministic.
// Adding a strategy to a registry adds it here.

#include <string>
#include <vector>

#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/sim/testing/sim_testing.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using testing::MillisecondPerTokenCost;
using testing::RealisticConfig;

constexpr size_t kCapacity = 300;

SimConfig ConfigFor(SimMode mode, uint32_t block_tokens) {
  SimConfig config = RealisticConfig(4, kCapacity, CacheScope::kGlobal);
  config.mode = mode;
  config.cost = MillisecondPerTokenCost(block_tokens, 2e6);
  config.rate_scale = 0.05;  // a few requests queue, none waits for ever
  if (mode == SimMode::kSeedCompat) {
    for (NodeSpec& n : config.cluster.nodes) n.eviction = "lfu";
  }
  return config;
}

void CheckInvariants(const Trace& trace, const SimConfig& config, const RunResult& r) {
  EXPECT_EQ(r.requests, trace.size());
  EXPECT_EQ(r.served + r.rejected, trace.size());
  EXPECT_LE(r.hit_blocks, r.block_refs);
  EXPECT_LE(r.fetched_blocks, r.hit_blocks);
  uint64_t requests = 0, refs = 0, hits = 0;
  for (const NodeResult& n : r.nodes) {
    requests += n.requests;
    refs += n.block_refs;
    hits += n.hit_blocks;
    const size_t bound =
        config.mode == SimMode::kSeedCompat ? kCapacity + config.seed_copy_limit_blocks : kCapacity;
    EXPECT_LE(n.resident_blocks_end, bound);
  }
  EXPECT_EQ(requests, r.served);
  EXPECT_EQ(refs, r.block_refs);
  EXPECT_EQ(hits, r.hit_blocks);
  if (config.mode == SimMode::kSeedCompat) {
    EXPECT_EQ(r.transfer_bytes, 0u);  // the seed's copies are free, and it never fetches
    EXPECT_EQ(r.fetched_blocks, 0u);
  } else {
    EXPECT_EQ(r.transfer_bytes, (r.fetched_blocks + r.copied_blocks) * config.cost.BlockBytes());
    EXPECT_GE(r.ttft_p99_s, r.ttft_p50_s);
    EXPECT_GE(r.ttft_max_s, r.ttft_p99_s);
    EXPECT_GE(r.gpu_seconds_no_reuse + 1e-9, r.gpu_seconds);
  }
}

TEST(StrategyMatrixTest, EveryRouterAndReplicationPairKeepsTheEnginesInvariants) {
  const auto trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 600, 11);
  for (SimMode mode : {SimMode::kSeedCompat, SimMode::kRealistic}) {
    const SimConfig config = ConfigFor(mode, trace->block_tokens());
    for (const RouterInfo& router : Routers()) {
      for (const ReplicationInfo& replication : ReplicationPolicies()) {
        const std::string spec = std::string(router.name) + "+" + std::string(replication.name);
        SCOPED_TRACE(spec + (mode == SimMode::kSeedCompat ? " seed" : " realistic"));
        Strategy first = MakeStrategy(spec, 5);
        const RunResult a = Simulate(*trace, config, first);
        CheckInvariants(*trace, config, a);
        // Determinism: the same spec and seed give the same run.
        Strategy second = MakeStrategy(spec, 5);
        const RunResult b = Simulate(*trace, config, second);
        EXPECT_EQ(a.hit_blocks, b.hit_blocks);
        EXPECT_EQ(a.copies, b.copies);
        EXPECT_EQ(a.transfer_bytes, b.transfer_bytes);
        EXPECT_EQ(a.ttft_mean_s, b.ttft_mean_s);
        for (size_t n = 0; n < a.nodes.size(); ++n) {
          EXPECT_EQ(a.nodes[n].requests, b.nodes[n].requests);
        }
      }
    }
  }
}

}  // namespace
}  // namespace kvb
