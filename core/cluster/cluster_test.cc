#include "core/cluster/cluster.h"

#include <random>
#include <string>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

std::shared_ptr<const Trace> Chain(const std::vector<std::vector<RawBlockId>>& requests) {
  TraceBuilder builder(4);
  for (const auto& ids : requests) EXPECT_FALSE(builder.Add(0, 4 * ids.size(), 1, ids));
  return builder.Finish();
}

TEST(ClusterTest, InsertEvictKeepTheIndexAndCountersConsistent) {
  // Ids 0 -> 1 -> 2 (one chain) and 3 (a root).
  const auto trace = Chain({{10, 11, 12}, {13}});
  ClusterSpec spec;
  spec.nodes = {NodeSpec{2, "fifo", 1.0}, NodeSpec{2, "lru", 1.0}};
  Cluster cluster(spec, *trace);
  cluster.Insert(0, 0);
  cluster.Insert(0, 1);
  cluster.Insert(1, 0);  // a second copy of block 0
  EXPECT_EQ(cluster.resident_blocks(), 3u);
  EXPECT_EQ(cluster.replica_blocks(), 1u);
  EXPECT_EQ(cluster.replicas_created(), 1u);
  EXPECT_EQ(cluster.peak_holders(), 2u);
  // FIFO on node 0 evicts block 0 (the parent of resident block 1): then inserting block 2
  // needs another eviction: block 1, now stranded (its parent is gone).
  cluster.Insert(0, 3);
  EXPECT_FALSE(cluster.Holds(0, 0));
  EXPECT_EQ(cluster.evictions(), 1u);
  EXPECT_EQ(cluster.stranded_evictions(), 0u);  // block 0 is a root
  cluster.Insert(0, 2);
  EXPECT_FALSE(cluster.Holds(0, 1));
  EXPECT_EQ(cluster.evictions(), 2u);
  EXPECT_EQ(cluster.stranded_evictions(), 1u);  // block 1 went without its parent
  EXPECT_EQ(cluster.replica_blocks(), 0u);
  EXPECT_EQ(cluster.node_resident(0), 2u);
}

TEST(ClusterTest, StorePrefixWithLruNeverStrands) {
  // Many branches of one stem through a 5-block LRU cache (a request fits), stored in
  // reverse: parents stay more recent than children, so victims are always leaves.
  std::vector<std::vector<RawBlockId>> requests;
  for (RawBlockId k = 0; k < 40; ++k) requests.push_back({0, 1, 100 + k, 200 + k});
  const auto trace = Chain(requests);
  ClusterSpec spec;
  spec.nodes = {NodeSpec{5, "lru", 1.0}};
  Cluster cluster(spec, *trace);
  for (size_t i = 0; i < trace->size(); ++i) cluster.StorePrefix(0, (*trace)[i].blocks);
  EXPECT_GT(cluster.evictions(), 0u);
  EXPECT_EQ(cluster.stranded_evictions(), 0u);
}

TEST(ClusterTest, UnknownPolicyAndEmptyClusterAreInputErrors) {
  const auto trace = Chain({{1}});
  ClusterSpec spec;
  EXPECT_THROW(Cluster(spec, *trace), InputError);
  spec.nodes = {NodeSpec{1, "nope", 1.0}};
  EXPECT_THROW(Cluster(spec, *trace), InputError);
}

// The seed's memory accounting (docs/SEED_MODEL.md, "Copies"): copies are uncounted, a copy
// of a held block re-inserts it as new, and copies stop at the copy limit.
TEST(ClusterTest, SeedCopiesLiveOutsideMemoryAndReinsertAsNew) {
  const auto trace = Chain({{10}, {11}, {12}, {13}});  // ids a=0, b=1, c=2, d=3
  ClusterSpec spec;
  spec.nodes = {NodeSpec{2, "lfu", 1.0}};
  Cluster cluster(spec, *trace, /*seed_copy_limit=*/3);
  const BlockId a = 0, b = 1, c = 2, d = 3;
  cluster.SeedInsert(0, a);
  EXPECT_TRUE(cluster.Touch(0, a));
  EXPECT_TRUE(cluster.Touch(0, a));     // a: frequency 3
  cluster.SeedInsert(0, b);             // b: frequency 1; memory full (2 of 2)
  EXPECT_TRUE(cluster.SeedCopy(0, a));  // a back to frequency 1, newer than b
  EXPECT_TRUE(cluster.Touch(0, b));     // b: frequency 2
  // Memory is full: one victim, the lowest frequency: a (without the re-insert it would
  // have been b, frequency 2 against a's 3).
  cluster.SeedInsert(0, c);
  EXPECT_FALSE(cluster.Holds(0, a));
  EXPECT_TRUE(cluster.Holds(0, b));
  EXPECT_EQ(cluster.evictions(), 1u);
  // A copy is not counted: the node now holds 3 blocks with a memory of 2.
  EXPECT_TRUE(cluster.SeedCopy(0, d));
  EXPECT_EQ(cluster.node_resident(0), 3u);
  EXPECT_EQ(cluster.node_capacity(0), 2u);
  // At the copy limit (3 blocks held), copies stop.
  EXPECT_FALSE(cluster.SeedCopy(0, a));
  EXPECT_FALSE(cluster.Holds(0, a));
  // A miss still evicts only while counted memory is full: c (frequency 1, older than d).
  cluster.SeedInsert(0, a);
  EXPECT_FALSE(cluster.Holds(0, c));
  EXPECT_TRUE(cluster.Holds(0, d));
  EXPECT_EQ(cluster.node_resident(0), 3u);
  EXPECT_EQ(cluster.evictions(), 2u);
}

// Under every policy, random stores, inserts and touches on three nodes never put more
// blocks in a node's DRAM or SSD than its capacity, and the counters and indexes agree
// with a count over every id.
TEST(ClusterTest, NoTierEverHoldsMoreThanItsCapacity) {
  std::mt19937 rng(7);
  std::vector<std::vector<RawBlockId>> requests;
  for (int r = 0; r < 40; ++r) {
    std::vector<RawBlockId> ids;
    const RawBlockId root = 1000 * (r % 6);  // six families of shared prefixes
    for (int b = 0; b < 6; ++b) ids.push_back(b < 3 ? root + b : root + 100 * r + b);
    requests.push_back(ids);
  }
  const auto trace = Chain(requests);
  const size_t universe = trace->distinct_blocks();
  for (const EvictionPolicyInfo& policy : EvictionPolicies()) {
    SCOPED_TRACE(std::string(policy.name));
    const std::string name(policy.name);
    ClusterSpec spec;
    spec.nodes = {NodeSpec{3, name, 1.0, 4, name}, NodeSpec{5, name, 1.0, 0, name},
                  NodeSpec{8, name, 1.0, 10, "lru"}};
    Cluster cluster(spec, *trace);
    for (int op = 0; op < 3000; ++op) {
      const size_t node = rng() % 3;
      const Request& r = (*trace)[rng() % trace->size()];
      const BlockId id = r.blocks[rng() % r.blocks.size()];
      switch (rng() % 3) {
        case 0:
          cluster.StorePrefix(node, std::span<const BlockId>(r.blocks).first(1 + rng() % 6));
          break;
        case 1:
          if (!cluster.Holds(node, id)) cluster.Insert(node, id);
          break;
        default:
          EXPECT_EQ(cluster.Touch(node, id), cluster.Holds(node, id));
      }
      uint64_t resident = 0, on_ssd = 0;
      for (size_t n = 0; n < 3; ++n) {
        ASSERT_LE(cluster.node_resident(n), spec.nodes[n].capacity_blocks);
        ASSERT_LE(cluster.ssd_node_resident(n), spec.nodes[n].ssd_capacity_blocks);
        resident += cluster.node_resident(n);
        on_ssd += cluster.ssd_node_resident(n);
      }
      ASSERT_EQ(cluster.resident_blocks(), resident);
      ASSERT_EQ(cluster.ssd_resident_blocks(), on_ssd);
      if (op % 100 != 0) continue;
      for (size_t n = 0; n < 3; ++n) {  // the indexes, against a count over every id
        size_t held = 0, held_on_ssd = 0;
        for (BlockId b = 0; b < universe; ++b) {
          held += cluster.Holds(n, b);
          held_on_ssd += cluster.HoldsOnSsd(n, b);
        }
        EXPECT_EQ(held, cluster.node_resident(n));
        EXPECT_EQ(held_on_ssd, cluster.ssd_node_resident(n));
      }
    }
    EXPECT_GT(cluster.ssd_resident_blocks(), 0u);
    EXPECT_GE(cluster.ssd_written_blocks(), cluster.ssd_resident_blocks());
  }
}

}  // namespace
}  // namespace kvb
