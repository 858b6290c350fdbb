#include "core/routing/router_registry.h"

#include <set>
#include <string>

#include "core/policy/policy_sizing.h"
#include "core/routing/router.h"
#include "core/trace/trace_shape.h"
#include "core/util/params.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Every entry is complete: a new router cannot join the table without a memory estimate,
// and names stay unique (specs name routers by them).
TEST(RouterRegistryTest, EveryEntryIsCompleteAndNamedOnce) {
  std::set<std::string> names;
  for (const RouterInfo& info : Routers()) {
    SCOPED_TRACE(std::string(info.name));
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << "registered twice";
    EXPECT_FALSE(info.description.empty());
    EXPECT_FALSE(info.source.empty());
    EXPECT_TRUE(static_cast<bool>(info.make));
    ASSERT_NE(info.state_bytes, nullptr) << "no memory estimate (state_bytes)";
    EXPECT_EQ(FindRouter(info.name), &info);
  }
  EXPECT_EQ(FindRouter("no_such_router"), nullptr);
}

// Each estimate answers for a trace shape and grows with the cluster where it keeps
// per-node state; never below zero or absurd for a small cell.
TEST(RouterRegistryTest, StateEstimatesScaleWithTheCluster) {
  TraceShape shape;
  shape.requests = 1000;
  shape.block_refs = 20000;
  shape.distinct_blocks = 5000;
  shape.arrival_span_s = 100;
  for (const RouterInfo& info : Routers()) {
    SCOPED_TRACE(std::string(info.name));
    const Params params = ResolveParams("router", info.name, info.params, {});
    for (const bool seed_compat : {false, true}) {
      const uint64_t small = info.state_bytes(params, PolicySizing{shape, 4, seed_compat, 1.0});
      const uint64_t large = info.state_bytes(params, PolicySizing{shape, 64, seed_compat, 1.0});
      EXPECT_LE(small, large);
      EXPECT_LT(large, uint64_t{1} << 30);
    }
  }
}

TEST(RouterRegistryTest, HandComputedStateOfTheRing) {
  // prefix_hash_bounded: virtual_nodes 16-byte points and an 8-byte stamp per node.
  const RouterInfo* info = FindRouter("prefix_hash_bounded");
  ASSERT_NE(info, nullptr);
  const Params params =
      ResolveParams("router", info->name, info->params, {{"virtual_nodes", "10"}});
  TraceShape shape;
  EXPECT_EQ(info->state_bytes(params, PolicySizing{shape, 3, false, 1.0}), 3u * (10 * 16 + 8));
}

}  // namespace
}  // namespace kvb
