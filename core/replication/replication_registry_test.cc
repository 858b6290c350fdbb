#include "core/replication/replication_registry.h"

#include <set>
#include <string>

#include "core/policy/policy_sizing.h"
#include "core/replication/replication_policy.h"
#include "core/trace/trace_shape.h"
#include "core/util/params.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(ReplicationRegistryTest, EveryEntryIsCompleteAndNamedOnce) {
  std::set<std::string> names;
  for (const ReplicationInfo& info : ReplicationPolicies()) {
    SCOPED_TRACE(std::string(info.name));
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << "registered twice";
    EXPECT_FALSE(info.description.empty());
    EXPECT_FALSE(info.source.empty());
    EXPECT_TRUE(static_cast<bool>(info.make));
    ASSERT_NE(info.state_bytes, nullptr) << "no memory estimate (state_bytes)";
    EXPECT_EQ(FindReplicationPolicy(info.name), &info);
  }
}

TEST(ReplicationRegistryTest, PrebleTableIsSizedByItsParameterAndBudgetedByItsInnerPolicy) {
  TraceShape shape;
  const PolicySizing cell{shape, 8, false, 1.0};
  const ReplicationInfo* preble = FindReplicationPolicy("preble");
  ASSERT_NE(preble, nullptr);
  const Params small =
      ResolveParams("replication", preble->name, preble->params, {{"table_size", "100"}});
  const uint64_t entry = preble->state_bytes(small, cell) / 100;
  EXPECT_EQ(preble->state_bytes(small, cell), 100 * entry);
  EXPECT_GT(entry, 0u);
  const Params defaults = ResolveParams("replication", preble->name, preble->params, {});
  EXPECT_EQ(preble->state_bytes(defaults, cell), 65536 * entry);

  const ReplicationInfo* budgeted = FindReplicationPolicy("budgeted");
  ASSERT_NE(budgeted, nullptr);
  const Params over_preble =
      ResolveParams("replication", budgeted->name, budgeted->params, {{"policy", "preble"}});
  EXPECT_EQ(budgeted->state_bytes(over_preble, cell), 65536 * entry);
  const Params over_mooncake =
      ResolveParams("replication", budgeted->name, budgeted->params, {{"policy", "mooncake"}});
  EXPECT_EQ(budgeted->state_bytes(over_mooncake, cell), 0u);
}

// Copying is a property of the policy: the memory guard bounds holders by it.
TEST(ReplicationRegistryTest, CopyingPoliciesSayTheyCopy) {
  for (const ReplicationInfo& info : ReplicationPolicies()) {
    SCOPED_TRACE(std::string(info.name));
    const auto policy = info.make(ResolveParams("replication", info.name, info.params, {}), 1);
    const bool copies = info.name != "mooncake" && info.name != "none" && info.name != "budgeted";
    // budgeted copies as its default inner policy (seed_dynamic) does.
    EXPECT_EQ(policy->copies_prefixes(), copies || info.name == "budgeted");
  }
}

}  // namespace
}  // namespace kvb
