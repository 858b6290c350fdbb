#include "core/sim/memory_estimate.h"

#include <cstdint>
#include <string>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/cache/id_index.h"
#include "core/cache/lfu.h"
#include "core/cache/lru.h"
#include "core/cache/s3fifo.h"
#include "core/index/prefix_index.h"
#include "core/sim/run_result.h"
#include "core/sim/testing/sim_testing.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 200 requests over 600 s, 2,000 block references, 1,000 distinct blocks.
TraceShape SmallShape() {
  TraceShape t;
  t.requests = 200;
  t.block_refs = 2000;
  t.distinct_blocks = 1000;
  t.arrival_span_s = 600;
  return t;
}

SimConfig Cluster(SimMode mode, size_t nodes, size_t capacity, const char* eviction) {
  SimConfig c;
  c.mode = mode;
  c.cluster.nodes.assign(nodes, NodeSpec{capacity, eviction, 1.0});
  return c;
}

TEST(MemoryEstimateTest, FourNodesOfOneHundredLruBlocksByHand) {
  const CellMemoryEstimate e =
      EstimateCellMemory(SmallShape(), Cluster(SimMode::kRealistic, 4, 100, "lru"));
  // Slots: min(100, 1,000) = 100 per node, not clipped.
  EXPECT_EQ(e.slots_per_node, 100u);
  EXPECT_EQ(e.capacity_blocks, 100u);
  EXPECT_FALSE(e.capacity_clipped);
  // Id indexes: 1,000 ids x 4 B = 4,000 B <= 1 MiB, so a direct array per node (below the
  // 1 MiB huge-page threshold: not rounded): 4 x 1,000 x 4 B.
  EXPECT_EQ(e.id_indexes, 4u * 1000 * 4);
  // Cache slots: slot -> id, 100 x 4 B per node; the node records: a BlockCache and a
  // counted-blocks entry (8 B) per node, and the capacities vector grown to 4 x 8 B.
  EXPECT_EQ(e.cache_slots, 4 * (100 * 4 + sizeof(BlockCache) + 8) + 4 * 8);
  // LRU: the policy object and two 4-byte links per slot, per node.
  EXPECT_EQ(e.eviction_state, 4 * (sizeof(LruPolicy) + 100 * 8));
  // Prefix index: 4 nodes <= 64, a 64-bit holder mask per id (1,000 x 8 B, under 1 MiB).
  EXPECT_EQ(e.prefix_index, 1000u * 8);
  // Time series: 600 s / 60 s = 10 windows + 1, each with 4 queue lengths and 20 heat-key
  // counts (4 B); the rows vector grown to 16; 600 / 30 + 1 = 21 replica samples (grown
  // to 32) of the tracked ranks within 1,000 ids (1, 10, 100, 1,000: 4 keys).
  EXPECT_EQ(e.time_series, 11 * (4 + 20) * 4 + 16 * sizeof(WindowRow) + 4 * 32 * 4);
  // Per request: while running, at most 48 B per request (a queued request's 40-byte
  // record, sizeof(Queued), plus 8 B; up to 40 B per served one while its TTFT and
  // queue-wait records grow): 9,600 B; at the end both records (8 B each, grown to 256) and
  // a sorted copy (200 x 8 B): 5,696 B; the larger, plus the 101 percentiles (grown to
  // 128 x 8 B).
  EXPECT_EQ(e.per_request, 200 * 48 + 128 * 8);
  // Per id: a 2-byte heat rank; the setup's count per id and histogram of counts
  // (1,000 x 4 + 201 x 4 = 4,804 B) are covered by the later growth (per request + time
  // series > 4,804 B).
  EXPECT_GT(e.per_request + e.time_series, 4804u);
  EXPECT_EQ(e.per_id, 1000u * 2);
  // Per node: NodeState 136 B, its queue's map and first chunk 576 B, the simulator's
  // arrays 76 B, two events 48 B, the result's NodeResult; per cell the gap histogram
  // (1e-6 to 1e5 s in 1% buckets: 2,547 of 8 B) and the prediction-error one (1e-9 to 1e4:
  // 3,010).
  EXPECT_EQ(e.per_node, 4 * (136 + 576 + 76 + 48 + sizeof(NodeResult)) + (2547 + 3010) * 8);
  EXPECT_EQ(e.hotspot_tracker, 0u);
  EXPECT_EQ(e.router_state, 0u);
  EXPECT_EQ(e.total, e.cache_slots + e.eviction_state + e.id_indexes + e.prefix_index + e.per_id +
                         e.per_request + e.per_node + e.time_series);
  EXPECT_THAT(e.description, HasSubstr("id indexes 16.0 KB"));
  EXPECT_THAT(e.description, HasSubstr("prefix index 8.0 KB"));
  EXPECT_THAT(e.description, HasSubstr(" = " + FormatBytes(e.total)));
  EXPECT_THAT(e.description, Not(HasSubstr("clipped")));
}

TEST(MemoryEstimateTest, TraceShapeReadsTheTrace) {
  // Blocks of 4 tokens; 3 requests, 2 + 3 + 1 = 6 references of 4 ids, 2.5 s apart.
  const auto trace =
      testing::MakeTrace({{1000, 8, {1, 2}}, {2000, 12, {1, 2, 3}}, {3500, 4, {9}}}, 4);
  const TraceShape t = TraceShape::Of(*trace);
  EXPECT_EQ(t.requests, 3u);
  EXPECT_EQ(t.block_refs, 6u);
  EXPECT_EQ(t.distinct_blocks, 4u);
  EXPECT_DOUBLE_EQ(t.arrival_span_s, 2.5);
  const SimConfig c = Cluster(SimMode::kRealistic, 2, 10, "fifo");
  EXPECT_EQ(EstimateCellMemory(*trace, c).total, EstimateCellMemory(t, c).total);
}

TEST(MemoryEstimateTest, CapacityBeyondTheTraceIsClipped) {
  // 10^6 blocks per node on 1,000 distinct blocks: 1,000 slots, as for capacity 1,000.
  const CellMemoryEstimate huge =
      EstimateCellMemory(SmallShape(), Cluster(SimMode::kRealistic, 4, 1000000, "lru"));
  const CellMemoryEstimate exact =
      EstimateCellMemory(SmallShape(), Cluster(SimMode::kRealistic, 4, 1000, "lru"));
  EXPECT_EQ(huge.slots_per_node, 1000u);
  EXPECT_TRUE(huge.capacity_clipped);
  EXPECT_FALSE(exact.capacity_clipped);
  EXPECT_EQ(huge.total, exact.total);
  EXPECT_EQ(huge.eviction_state, 4 * (sizeof(LruPolicy) + 1000 * 8));
  EXPECT_THAT(huge.description, HasSubstr("; capacity 1000000 blocks per node clipped to the "
                                          "trace's 1000 distinct blocks"));
}

TEST(MemoryEstimateTest, SeedModeCountsTheCopyRoom) {
  // Seed mode: 512 counted blocks + 500 copies = 1,012 slots per node, LFU.
  TraceShape t = SmallShape();
  t.distinct_blocks = 10000;
  const CellMemoryEstimate e = EstimateCellMemory(t, Cluster(SimMode::kSeedCompat, 4, 512, "lfu"));
  EXPECT_EQ(e.slots_per_node, 1012u);
  EXPECT_FALSE(e.capacity_clipped);
  // LFU per node: the object, links (8 B) and a group index (4 B) per slot, and the pool
  // of 1,013 groups.
  EXPECT_EQ(e.eviction_state, 4 * LfuPolicy::EstimateBytes(1012));
  EXPECT_EQ(LfuPolicy::EstimateBytes(1012), sizeof(LfuPolicy) + 1012 * (8 + 4) + 1013 * 32);
  // 10,000 ids x 4 B = 40 KB: direct.
  EXPECT_EQ(e.id_indexes, 4u * 10000 * 4);
  // Seed mode has no TTFT records; its windows are per 1,000 requests: 1.
  EXPECT_EQ(e.per_request, 0u);
  EXPECT_EQ(e.time_series, 1 * (4 + 20) * 4 + 1 * sizeof(WindowRow));
  // On 1,000 distinct blocks the 1,012 slots are clipped to 1,000.
  const CellMemoryEstimate clipped =
      EstimateCellMemory(SmallShape(), Cluster(SimMode::kSeedCompat, 4, 512, "lfu"));
  EXPECT_EQ(clipped.slots_per_node, 1000u);
  EXPECT_TRUE(clipped.capacity_clipped);
  EXPECT_THAT(clipped.description, HasSubstr("capacity 512 blocks + 500 seed copies per node "
                                             "clipped to the trace's 1000 distinct blocks"));
}

TEST(MemoryEstimateTest, S3FifoCountsItsGhostAndItsIndex) {
  // 100 slots over 1,000 ids: small FIFO target 10, main 90, ghost 90 entries. Per slot
  // links 8 + frequency 1 + queue 1 + id 4 B; per ghost entry links 8 + id 4 + free 4 B;
  // the ghost's index of 1,000 ids is direct (4,000 B).
  EXPECT_EQ(S3FifoPolicy::EstimateBytes(100, 1000),
            sizeof(S3FifoPolicy) + 100 * 14 + 90 * 16 + 4000);
  EXPECT_EQ(S3FifoPolicyBytes(5000, 1000), S3FifoPolicy::EstimateBytes(1000, 1000));
}

TEST(MemoryEstimateTest, HashIndexSizingFollowsAbseil) {
  // reserve(100): growth 100 needs capacity >= 100 + 99 / 7 = 114: 127 slots. Array: 127 +
  // 16 control bytes rounded to 4 (144) + 127 x 8 B slots = 1,160 B.
  EXPECT_EQ(IdIndex::HashCapacityReserved(100), 127u);
  EXPECT_EQ(IdIndex::HashTableBytes(127), 144u + 127 * 8);
  // Churn at 100 entries: 99 x 32 = 3,168 <= 127 x 25 = 3,175: rehashed in place.
  EXPECT_EQ(IdIndex::HashCapacityAfterChurn(100), 127u);
  // At 110: 109 x 32 = 3,488 > 3,175: doubles to 255.
  EXPECT_EQ(IdIndex::HashCapacityReserved(110), 127u);
  EXPECT_EQ(IdIndex::HashCapacityAfterChurn(110), 255u);
  // Grown by inserts: 1, 3, 7, 15 (growth 14), 31 (28), ...: 15 entries need 31.
  EXPECT_EQ(IdIndex::HashCapacityGrown(14), 15u);
  EXPECT_EQ(IdIndex::HashCapacityGrown(15), 31u);
  // 10^6 ids, 1,000 entries: 4 MB > 1 MiB and 10^6 > 16 x 1,000: a hash map.
  EXPECT_FALSE(IdIndex::ChoosesDirect(1000000, 1000));
  EXPECT_EQ(IdIndex::EstimateBytes(1000000, 1000), IdIndex::HashTableBytes(2047));
  // 10^6 ids, 100,000 entries: 10^6 <= 16 x 10^5: direct, 4 MB rounded to 2 MiB pages.
  EXPECT_EQ(IdIndex::EstimateBytes(1000000, 100000), 2u * 2097152);
}

TEST(MemoryEstimateTest, IssueExampleIsSmallOnASmallTraceAndHugeOnAHugeOne) {
  // 1,024 nodes x 10^9 tokens = 1,953,125 blocks of 512 tokens each.
  const size_t capacity = 1000000000 / 512;
  ASSERT_EQ(capacity, 1953125u);
  const SimConfig c = Cluster(SimMode::kRealistic, 1024, capacity, "lru");

  // On a conversation-sized trace (182,790 distinct blocks): clipped to 182,790 slots.
  TraceShape small;
  small.requests = 12031;
  small.block_refs = 288500;
  small.distinct_blocks = 182790;
  small.arrival_span_s = 3537;
  const CellMemoryEstimate s = EstimateCellMemory(small, c);
  EXPECT_TRUE(s.capacity_clipped);
  EXPECT_EQ(s.slots_per_node, 182790u);
  // Per node: 182,790 x (4 B slot + 8 B links + 4 B direct index) = 2.9 MB: 3.0 GB in all.
  EXPECT_EQ(s.id_indexes, 1024u * 182790 * 4);
  EXPECT_EQ(s.eviction_state, 1024 * (sizeof(LruPolicy) + 182790 * 8));
  // 288,500 references can fill at most 288,500 (id, node) pairs < 8 x 182,790: no heap
  // holder sets. A 4-byte word per id (731,160 B, under 1 MiB: not rounded) and room for
  // a set (24 B + 4 B free-list entry) per id, since 187M slots could hold every id twice.
  EXPECT_EQ(s.prefix_index, 182790u * 4 + 182790u * 28);
  EXPECT_LT(s.total, 4000000000u);
  EXPECT_GT(s.total, 2900000000u);

  // On a trace of 10^9 distinct blocks (2 x 10^9 references, 10^7 requests): every slot
  // counts. Id index per node: 10^9 ids > 16 x 1,953,125, so a hash map reserved for
  // 1,953,125: capacity 2^22 - 1 = 4,194,303 (1,953,125 + 279,017 = 2,232,142 needed),
  // not doubled by churn (1,953,124 x 32 <= 4,194,303 x 25): 4,194,320 control bytes +
  // 8 x 4,194,303 = 37,748,744 B, 38.7 GB for 1,024 nodes.
  TraceShape huge;
  huge.requests = 10000000;
  huge.block_refs = 2000000000;
  huge.distinct_blocks = 1000000000;
  huge.arrival_span_s = 36000;
  const CellMemoryEstimate h = EstimateCellMemory(huge, c);
  EXPECT_FALSE(h.capacity_clipped);
  EXPECT_EQ(h.slots_per_node, 1953125u);
  EXPECT_EQ(IdIndex::HashCapacityReserved(1953125), 4194303u);
  EXPECT_EQ(h.id_indexes, uint64_t{1024} * 37748744);
  // Slots 4 B + LRU links 8 B: 12 x 1,953,125 x 1,024 = 24.0 GB.
  EXPECT_EQ(h.eviction_state, 1024 * (sizeof(LruPolicy) + 1953125u * 8));
  // Prefix index: words of 4 x 10^9 B rounded to 1,908 huge pages, and 2 x 10^9 slots may
  // hold every id twice: 10^9 sets of 28 B; 2 x 10^9 pairs < 8 x 10^9: no heap sets.
  EXPECT_EQ(h.prefix_index, uint64_t{1908} * 2097152 + uint64_t{1000000000} * 28);

  // The 10M-request conversation preset (143,142,825 ids) on the same 1,024 nodes at 3M
  // tokens (5,859 blocks each: 5,999,616 slots): words of 572,571,300 B rounded to 274
  // huge pages + 5,999,616 / 2 sets of 28 B.
  TraceShape ten_million = huge;
  ten_million.distinct_blocks = 143142825;
  ten_million.block_refs = 236000000;
  SimConfig c3m = c;
  for (NodeSpec& n : c3m.cluster.nodes) n.capacity_blocks = 5859;
  EXPECT_EQ(EstimateCellMemory(ten_million, c3m).prefix_index,
            uint64_t{274} * 2097152 + uint64_t{2999808} * 28);
  // Per id: ranks 2 B + setup scratch 4 B per id (+ 4 B per request), less the later
  // growth (under 10^9 B).
  EXPECT_GT(h.per_id, 2000000000u + 3000000000u);
  EXPECT_GT(h.total, 90000000000u);
  EXPECT_LT(h.total, 110000000000u);
  EXPECT_THAT(h.description, HasSubstr("id indexes 38.7 GB"));
}

TEST(MemoryEstimateTest, HolderSetsBeyondEightNodesGoToTheHeap) {
  // 128 nodes (> 64: a word per id, 4 B, and 128,000 slots may hold every id twice: a
  // set of 24 B + 4 B per id) x 1,000 slots on 1,000 ids with 10^5 references: up to min(128,000
  // slots, 10^5 references) = 10^5 pairs, of which 10^5 - 8 x 1,000 = 92,000 in heap sets (2 B per
  // holder, capacity doubling: 4 B), over min(1,000, ceil(92,000 / 120)) = 767 sets (16 B malloc
  // overhead each).
  EXPECT_EQ(sizeof(HolderList), 24u);
  TraceShape t = SmallShape();
  t.block_refs = 100000;
  const CellMemoryEstimate e =
      EstimateCellMemory(t, Cluster(SimMode::kRealistic, 128, 1000, "lru"));
  EXPECT_EQ(e.prefix_index, 1000u * 32 + 92000 * 4 + 767 * 16);
  // With 2,000 references, at most 2,000 pairs: all inline.
  EXPECT_EQ(
      EstimateCellMemory(SmallShape(), Cluster(SimMode::kRealistic, 128, 1000, "lru")).prefix_index,
      1000u * 32);
  // 16 nodes keep masks, never a heap set: 8 B per id.
  EXPECT_EQ(EstimateCellMemory(t, Cluster(SimMode::kRealistic, 16, 1000, "lru")).prefix_index,
            1000u * 8);
}

TEST(MemoryEstimateTest, StrategiesAddTheirTables) {
  const TraceShape t = SmallShape();
  const SimConfig c = Cluster(SimMode::kRealistic, 16, 100, "lru");
  EXPECT_EQ(EstimateCellMemory(t, c, "random").router_state, 0u);
  EXPECT_EQ(EstimateCellMemory(t, c, "random").total, EstimateCellMemory(t, c).total);
  // sglang_cache_aware: 2,000 references over 16 trees (each at most min(32,768, 1,000)
  // ids): 125 per tree. Its map grows by inserts to 255 slots (127 holds only 112):
  // 272 + 255 x 8 = 2,312 B; 125 slots grown to 128 x 12 B = 1,536 B; the tree 80 B (a
  // 40-byte flat_hash_map, a vector, three ids: sizeof(ApproxTree) on x86-64, libstdc++);
  // a since-poll tally (8 B), a match and a candidate slot (4 B each).
  EXPECT_EQ(EstimateCellMemory(t, c, "sglang_cache_aware").router_state,
            16u * (80 + 2312 + 1536 + 16));
  // prefix_hash_bounded: 150 ring points of 16 B and one visit mark (8 B) per node.
  EXPECT_EQ(EstimateCellMemory(t, c, "prefix_hash_bounded").router_state, 16u * (150 * 16 + 8));
  EXPECT_EQ(EstimateCellMemory(t, c, "prefix_hash_bounded:virtual_nodes=4096").router_state,
            16u * (4096 * 16 + 8));
  // preble: its table of 65,536 entries of 40 B (or table_size); under budgeted too.
  EXPECT_EQ(EstimateCellMemory(t, c, "random+preble").router_state, 65536u * 40);
  EXPECT_EQ(EstimateCellMemory(t, c, "random+preble:table_size=1000").router_state, 40000u);
  EXPECT_EQ(EstimateCellMemory(t, c, "random+budgeted:policy=preble").router_state, 65536u * 40);
  // Routers reading hot spots make the cell track them.
  EXPECT_EQ(EstimateCellMemory(t, c, "random").hotspot_tracker, 0u);
  EXPECT_GT(EstimateCellMemory(t, c, "prefix_aware_hotspot").hotspot_tracker, 0u);
  SimConfig tracked = c;
  tracked.track_hotspots = true;
  // 2,000 references, the first 8 blocks of each: up to 1,000 ids over 16 shards of at
  // most 4,096: 63 per shard. Per shard: the shard (192 B), its map grown to 127 slots
  // (1,160 B), 64 entries (48 B: id, heap position, count, error, window counts, ring
  // head and size, the entry's window), heap positions (4 B) and 20 history counts (4 B).
  EXPECT_EQ(EstimateCellMemory(t, tracked).hotspot_tracker,
            16u * (192 + 1160 + 64 * (48 + 4) + 64 * 20 * 4));
  EXPECT_THROW(EstimateCellMemory(t, c, "no_such_router"), InputError);
}

TEST(MemoryEstimateTest, UnknownEvictionIsAnInputError) {
  EXPECT_THROW(EstimateCellMemory(SmallShape(), Cluster(SimMode::kRealistic, 2, 10, "mru")),
               InputError);
}

TEST(MemoryEstimateTest, FormatBytesUsesDecimalUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(812), "812 B");
  EXPECT_EQ(FormatBytes(1000), "1.0 KB");
  EXPECT_EQ(FormatBytes(40000000), "40.0 MB");
  EXPECT_EQ(FormatBytes(999960), "1.0 MB");
  EXPECT_EQ(FormatBytes(212400000000), "212.4 GB");
  EXPECT_EQ(FormatBytes(uint64_t{3} << 40), "3.3 TB");
}

}  // namespace
}  // namespace kvb
