#include "core/trace/trace.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Adds a request and fails the test if the builder refuses it.
void AddOrFail(TraceBuilder& builder, int64_t arrival_ms, std::vector<RawBlockId> raw_ids,
               uint32_t input_tokens = 0, uint32_t output_tokens = 0) {
  const std::optional<PrefixConflict> conflict =
      builder.Add(arrival_ms, input_tokens, output_tokens, raw_ids);
  ASSERT_FALSE(conflict.has_value()) << "unexpected conflict on raw id " << conflict->id;
}

// The raw ids of request `i`, in order.
std::vector<RawBlockId> RawIdsOf(const Trace& trace, size_t i) {
  std::vector<RawBlockId> raw;
  for (BlockId id : trace[i].blocks) raw.push_back(trace.raw_id(id));
  return raw;
}

std::vector<BlockId> BlocksOf(const Trace& trace, size_t i) {
  const Request r = trace[i];
  return std::vector<BlockId>(r.blocks.begin(), r.blocks.end());
}

TEST(TraceBuilderTest, DenseSmallIdsAreInternedInFirstSeenOrder) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {10, 11, 12});
  AddOrFail(builder, 1, {10, 11, 13});
  AddOrFail(builder, 2, {20});
  const std::shared_ptr<const Trace> trace = builder.Finish();

  ASSERT_EQ(trace->size(), 3u);
  // 10 -> 0, 11 -> 1, 12 -> 2, 13 -> 3, 20 -> 4.
  EXPECT_EQ(trace->distinct_blocks(), 5u);
  EXPECT_EQ(trace->block_count(), 7u);
  EXPECT_THAT(BlocksOf(*trace, 0), ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(BlocksOf(*trace, 1), ElementsAre(0u, 1u, 3u));
  EXPECT_THAT(BlocksOf(*trace, 2), ElementsAre(4u));
  EXPECT_EQ(trace->raw_id(0), 10u);
  EXPECT_EQ(trace->raw_id(3), 13u);
  EXPECT_EQ(trace->raw_id(4), 20u);
  EXPECT_THAT(trace->all_blocks(), ElementsAre(0u, 1u, 2u, 0u, 1u, 3u, 4u));
}

// The digest reads content, not interning: a trace whose ids intern differently but whose
// requests are the same digests the same; changing any field changes it.
TEST(TraceDigestTest, FollowsContentOnly) {
  auto build = [](int64_t arrival, RawBlockId last, uint32_t input) {
    TraceBuilder builder;
    AddOrFail(builder, 0, {10, 11}, 1000, 10);
    AddOrFail(builder, arrival, {10, last}, input, 20);
    return builder.Finish();
  };
  const uint64_t base = TraceDigest(*build(5, 12, 900));
  EXPECT_EQ(TraceDigest(*build(5, 12, 900)), base);
  EXPECT_NE(TraceDigest(*build(6, 12, 900)), base);
  EXPECT_NE(TraceDigest(*build(5, 13, 900)), base);
  EXPECT_NE(TraceDigest(*build(5, 12, 901)), base);
  // By hand for a one-request trace: FNV-1a over the little-endian u64s
  // block_tokens=512, size=1, arrival=0, input=0, output=0, blocks=1, raw id 7.
  TraceBuilder one;
  AddOrFail(one, 0, {7});
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t v : {512ull, 1ull, 0ull, 0ull, 0ull, 1ull, 7ull}) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  }
  EXPECT_EQ(TraceDigest(*one.Finish()), h);
}

// Raw ids 0, 1, 2, ... in order of first appearance intern to themselves (no lookup
// structure at all); the first id out of sequence switches to explicit indexing.
TEST(TraceBuilderTest, SequentialIdsInternToThemselves) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {0, 1, 2});
  AddOrFail(builder, 0, {0, 1, 3});
  AddOrFail(builder, 0, {4});
  const std::shared_ptr<const Trace> trace = builder.Finish();
  EXPECT_EQ(trace->distinct_blocks(), 5u);
  EXPECT_THAT(trace->all_blocks(), ElementsAre(0u, 1u, 2u, 0u, 1u, 3u, 4u));
  for (BlockId id = 0; id < 5; ++id) EXPECT_EQ(trace->raw_id(id), id);
  EXPECT_THAT(trace->parents(), ElementsAre(kNoParent, 0u, 1u, 1u, kNoParent));
}

TEST(TraceBuilderTest, LeavingTheSequenceKeepsEarlierIds) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {0, 1, 2});
  AddOrFail(builder, 0, {0, 1, 3});
  AddOrFail(builder, 0, {100, 101});  // 100 would be id 4: the sequence ends here
  AddOrFail(builder, 0, {0, 1, 2});   // ids seen before the switch are still found
  AddOrFail(builder, 0, {100, 101, 5});
  // 3 is still known at position 2 after 1.
  const std::optional<PrefixConflict> conflict = builder.Add(0, 0, 0, std::vector<RawBlockId>{3});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->earlier_depth, 2u);
  EXPECT_EQ(conflict->earlier_parent, std::optional<RawBlockId>(1));
  const std::shared_ptr<const Trace> trace = builder.Finish();
  EXPECT_EQ(trace->distinct_blocks(), 7u);  // 0 1 2 3 100 101 5
  EXPECT_THAT(BlocksOf(*trace, 3), ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(BlocksOf(*trace, 4), ElementsAre(4u, 5u, 6u));
  EXPECT_THAT(RawIdsOf(*trace, 4), ElementsAre(100u, 101u, 5u));
}

TEST(TraceBuilderTest, ConflictInTheSequenceForgetsTheRefusedIds) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {0, 1});
  // 2 and 3 continue the sequence, then 0 comes back at position 2.
  ASSERT_TRUE(builder.Add(0, 0, 0, std::vector<RawBlockId>{2, 3, 0}).has_value());
  // Were 3 still known (at position 1 after 2), this would conflict.
  AddOrFail(builder, 0, {3});
  const std::shared_ptr<const Trace> trace = builder.Finish();
  EXPECT_EQ(trace->distinct_blocks(), 3u);
  EXPECT_EQ(trace->raw_id(2), 3u);
  EXPECT_EQ(trace->depth(2), 0u);
}

TEST(TraceBuilderTest, ConflictThatLeftTheSequenceForgetsTheRefusedIds) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {0, 1});
  // 2 continues the sequence, 5 leaves it (it would be id 3), then 0 conflicts.
  ASSERT_TRUE(builder.Add(0, 0, 0, std::vector<RawBlockId>{2, 5, 0}).has_value());
  AddOrFail(builder, 0, {5});     // 5 at position 0: fine once forgotten
  AddOrFail(builder, 0, {7, 2});  // 2 at position 1: fine once forgotten
  AddOrFail(builder, 0, {0, 1});
  const std::shared_ptr<const Trace> trace = builder.Finish();
  EXPECT_EQ(trace->distinct_blocks(), 5u);  // 0 1 5 7 2
  EXPECT_THAT(RawIdsOf(*trace, 1), ElementsAre(5u));
  EXPECT_THAT(BlocksOf(*trace, 2), ElementsAre(3u, 4u));
  EXPECT_THAT(BlocksOf(*trace, 3), ElementsAre(0u, 1u));
}

TEST(TraceBuilderTest, ParentAndDepthDescribeThePrefixTree) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {10, 11, 12});
  AddOrFail(builder, 0, {10, 11, 13});
  AddOrFail(builder, 0, {20});
  const std::shared_ptr<const Trace> trace = builder.Finish();

  // Interned: 10 -> 0, 11 -> 1, 12 -> 2, 13 -> 3, 20 -> 4.
  EXPECT_THAT(trace->parents(), ElementsAre(kNoParent, 0u, 1u, 1u, kNoParent));
  EXPECT_THAT(trace->depths(), ElementsAre(0u, 1u, 2u, 2u, 0u));
  EXPECT_EQ(trace->parent(3), 1u);
  EXPECT_EQ(trace->depth(3), 2u);
  EXPECT_EQ(trace->parent(4), kNoParent);
}

TEST(TraceBuilderTest, RequestFieldsAndBlockTokensAreKept) {
  TraceBuilder builder(/*block_tokens=*/256);
  AddOrFail(builder, 42, {1, 2}, /*input_tokens=*/300, /*output_tokens=*/7);
  AddOrFail(builder, 43, {}, /*input_tokens=*/0, /*output_tokens=*/9);
  const std::shared_ptr<const Trace> trace = builder.Finish();

  EXPECT_EQ(trace->block_tokens(), 256u);
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_EQ(trace->operator[](0).arrival_ms, 42);
  EXPECT_EQ(trace->operator[](0).input_tokens, 300u);
  EXPECT_EQ(trace->operator[](0).output_tokens, 7u);
  EXPECT_TRUE(trace->operator[](1).blocks.empty());
  EXPECT_EQ(trace->operator[](1).output_tokens, 9u);
  EXPECT_EQ(TraceBuilder().Finish()->block_tokens(), 512u);
}

TEST(TraceBuilderTest, SparseSixtyFourBitIdsGoThroughTheHashMap) {
  constexpr RawBlockId kHigh = 0xFFFF'FFFF'FFFF'FF00;
  constexpr RawBlockId kHigher = 0xFFFF'FFFF'FFFF'FF01;
  constexpr RawBlockId kMax = 0xFFFF'FFFF'FFFF'FFFF;
  constexpr RawBlockId kMiddle = RawBlockId{1} << 40;
  TraceBuilder builder;
  AddOrFail(builder, 0, {kHigh, kHigher, kMax});
  AddOrFail(builder, 1, {kHigh, kMiddle});
  AddOrFail(builder, 2, {kHigh, kHigher, kMax});
  const std::shared_ptr<const Trace> trace = builder.Finish();

  EXPECT_EQ(trace->distinct_blocks(), 4u);
  EXPECT_THAT(BlocksOf(*trace, 0), ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(BlocksOf(*trace, 1), ElementsAre(0u, 3u));
  EXPECT_THAT(BlocksOf(*trace, 2), ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(RawIdsOf(*trace, 1), ElementsAre(kHigh, kMiddle));
  EXPECT_EQ(trace->raw_id(2), kMax);
  EXPECT_EQ(trace->parent(3), 0u);
  EXPECT_EQ(trace->depth(3), 1u);
}

// The direct array starts at 65536 entries and covers raw ids below
// 4 * (distinct ids + 1) + 65536; ids beyond it wait in the hash map until the array grows.
TEST(TraceBuilderTest, DenseArrayGrowsAndTakesOverIdsFromTheHashMap) {
  TraceBuilder builder;
  // 1 distinct id: limit 4 * 2 + 65536 = 65544 <= 70000, so 70000 goes to the map.
  AddOrFail(builder, 0, {70000});
  // 5 creates the array with 65536 entries; 70000 stays in the map.
  AddOrFail(builder, 1, {5});
  // 3 distinct ids: limit 4 * 4 + 65536 = 65552 > 65540, so the array doubles to 131072
  // and 70000 moves from the map into it.
  AddOrFail(builder, 2, {65540});
  // 70000 must still be found (same interned id, no conflict), now through the array.
  AddOrFail(builder, 3, {70000, 6});
  // And a conflict on it must still be detected.
  const std::optional<PrefixConflict> conflict =
      builder.Add(4, 0, 0, std::vector<RawBlockId>{5, 70000});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->id, 70000u);
  EXPECT_EQ(conflict->earlier_depth, 0u);
  const std::shared_ptr<const Trace> trace = builder.Finish();

  EXPECT_EQ(trace->size(), 4u);
  EXPECT_EQ(trace->distinct_blocks(), 4u);  // 70000, 5, 65540, 6
  EXPECT_THAT(BlocksOf(*trace, 3), ElementsAre(0u, 3u));
  EXPECT_THAT(RawIdsOf(*trace, 3), ElementsAre(70000u, 6u));
}

TEST(TraceBuilderTest, ManyMixedIdsRoundTripAndAreReused) {
  // Raw id 7 * i for i < 50000: the first ~21845 fit the growing array, later ones go to
  // the map until it grows again. Adding them all a second time must reuse every id.
  constexpr size_t kCount = 50000;
  TraceBuilder builder;
  for (size_t i = 0; i < kCount; ++i) AddOrFail(builder, 0, {RawBlockId{7} * i});
  for (size_t i = kCount; i-- > 0;) AddOrFail(builder, 0, {RawBlockId{7} * i});
  const std::shared_ptr<const Trace> trace = builder.Finish();

  ASSERT_EQ(trace->size(), 2 * kCount);
  EXPECT_EQ(trace->distinct_blocks(), kCount);
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(trace->raw_id(static_cast<BlockId>(i)), RawBlockId{7} * i);
    ASSERT_THAT(BlocksOf(*trace, i), ElementsAre(static_cast<BlockId>(i)));
    ASSERT_THAT(BlocksOf(*trace, 2 * kCount - 1 - i), ElementsAre(static_cast<BlockId>(i)));
  }
}

TEST(TraceBuilderTest, PrefixConflictLeavesTheBuilderUnchanged) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {1, 2, 3});
  // 4 and 5 are new; 2 was seen at position 1 and comes here at position 2.
  const std::optional<PrefixConflict> conflict =
      builder.Add(1, 0, 0, std::vector<RawBlockId>{4, 5, 2});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(builder.size(), 1u);

  // 4 and 5 must have been forgotten: in the opposite order they are accepted (were they
  // still known at positions 0 and 1, this would conflict), and take the next ids 3 and 4.
  AddOrFail(builder, 2, {5, 4});
  const std::shared_ptr<const Trace> trace = builder.Finish();
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_EQ(trace->distinct_blocks(), 5u);
  EXPECT_EQ(trace->block_count(), 5u);
  EXPECT_THAT(BlocksOf(*trace, 1), ElementsAre(3u, 4u));
  EXPECT_THAT(RawIdsOf(*trace, 1), ElementsAre(5u, 4u));
  EXPECT_EQ(trace->parent(4), 3u);
  EXPECT_EQ(trace->depth(4), 1u);
  EXPECT_THAT(trace->all_blocks(), ElementsAre(0u, 1u, 2u, 3u, 4u));
}

TEST(TraceBuilderTest, ConflictAtAnotherPositionDescribesBothSightings) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {1, 2});
  const std::optional<PrefixConflict> conflict = builder.Add(1, 0, 0, std::vector<RawBlockId>{2});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->position, 0u);
  EXPECT_EQ(conflict->id, 2u);
  EXPECT_EQ(conflict->earlier_depth, 1u);
  EXPECT_EQ(conflict->earlier_parent, std::optional<RawBlockId>(1));
  EXPECT_EQ(conflict->parent, std::nullopt);
  EXPECT_EQ(conflict->earlier_request, 0u);
}

TEST(TraceBuilderTest, ConflictWithAnotherParentDescribesBothParents) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {9});
  AddOrFail(builder, 0, {1, 2});
  AddOrFail(builder, 0, {1, 2, 3});
  const std::optional<PrefixConflict> conflict =
      builder.Add(0, 0, 0, std::vector<RawBlockId>{7, 2});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->position, 1u);
  EXPECT_EQ(conflict->id, 2u);
  EXPECT_EQ(conflict->earlier_depth, 1u);
  EXPECT_EQ(conflict->earlier_parent, std::optional<RawBlockId>(1));
  EXPECT_EQ(conflict->parent, std::optional<RawBlockId>(7));
  EXPECT_EQ(conflict->earlier_request, 1u);  // {1, 2} is the first request holding 2
}

TEST(TraceBuilderTest, ConflictPointsAtTheFirstRequestContainingTheId) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {9});
  AddOrFail(builder, 0, {1, 2});
  AddOrFail(builder, 0, {1, 3});  // 3 first appears in request 2
  AddOrFail(builder, 0, {1, 3, 4});
  const std::optional<PrefixConflict> conflict = builder.Add(0, 0, 0, std::vector<RawBlockId>{3});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->earlier_request, 2u);
  EXPECT_EQ(conflict->earlier_parent, std::optional<RawBlockId>(1));
  EXPECT_EQ(builder.size(), 4u);
}

TEST(TraceBuilderTest, IdRepeatedWithinOneRequestConflictsWithItself) {
  TraceBuilder builder;
  AddOrFail(builder, 0, {1});
  const std::optional<PrefixConflict> conflict =
      builder.Add(0, 0, 0, std::vector<RawBlockId>{7, 7});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->position, 1u);
  EXPECT_EQ(conflict->id, 7u);
  EXPECT_EQ(conflict->earlier_depth, 0u);
  EXPECT_EQ(conflict->earlier_parent, std::nullopt);
  EXPECT_EQ(conflict->parent, std::optional<RawBlockId>(7));
  // The first request containing 7 is the refused one, whose index would have been 1:
  // callers must not look it up among the accepted requests.
  EXPECT_EQ(conflict->earlier_request, 1u);
  EXPECT_EQ(builder.size(), 1u);
  // 7 was forgotten.
  AddOrFail(builder, 0, {2, 7});
  EXPECT_EQ(builder.Finish()->distinct_blocks(), 3u);
}

TEST(TraceBuilderTest, IdRepeatedWithinOneRequestInTheSequence) {
  TraceBuilder builder;
  const std::optional<PrefixConflict> conflict =
      builder.Add(0, 0, 0, std::vector<RawBlockId>{0, 0});
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->position, 1u);
  EXPECT_EQ(conflict->earlier_depth, 0u);
  EXPECT_EQ(conflict->earlier_request, 0u);  // the refused request's would-be index
  EXPECT_EQ(builder.size(), 0u);
  AddOrFail(builder, 0, {1, 0});  // both forgotten
  EXPECT_THAT(builder.Finish()->parents(), ElementsAre(kNoParent, 0u));
}

TEST(TraceBuilderTest, FinishStableSortsByArrivalAndCountsBackwardSteps) {
  TraceBuilder builder;
  AddOrFail(builder, 5, {1}, /*input_tokens=*/10);
  AddOrFail(builder, 3, {2}, 20);  // 3 < 5: backwards #1
  AddOrFail(builder, 5, {3}, 30);
  AddOrFail(builder, 1, {4}, 40);  // 1 < 5: backwards #2
  AddOrFail(builder, 3, {5}, 50);
  AddOrFail(builder, 3, {6}, 60);  // equal to the previous: not backwards
  BuildReport report;
  const std::shared_ptr<const Trace> trace = builder.Finish(&report);

  EXPECT_EQ(report.timestamps_backwards, 2u);
  ASSERT_EQ(trace->size(), 6u);
  // Stable: among equal arrivals the add order is kept.
  const std::vector<std::vector<RawBlockId>> expected_ids = {{4}, {2}, {5}, {6}, {1}, {3}};
  const std::vector<int64_t> expected_arrivals = {1, 3, 3, 3, 5, 5};
  const std::vector<uint32_t> expected_inputs = {40, 20, 50, 60, 10, 30};
  for (size_t i = 0; i < trace->size(); ++i) {
    EXPECT_THAT(RawIdsOf(*trace, i), ElementsAreArray(expected_ids[i])) << "request " << i;
    EXPECT_EQ((*trace)[i].arrival_ms, expected_arrivals[i]) << "request " << i;
    EXPECT_EQ((*trace)[i].input_tokens, expected_inputs[i]) << "request " << i;
  }
  EXPECT_EQ(trace->first_arrival_ms(), 1);
  EXPECT_EQ(trace->last_arrival_ms(), 5);
}

TEST(TraceBuilderTest, SortedInputWithEqualTimesHasNoBackwardSteps) {
  TraceBuilder builder;
  AddOrFail(builder, 1, {1});
  AddOrFail(builder, 1, {1, 2});
  AddOrFail(builder, 2, {3});
  BuildReport report;
  report.timestamps_backwards = 99;
  const std::shared_ptr<const Trace> trace = builder.Finish(&report);
  EXPECT_EQ(report.timestamps_backwards, 0u);
  EXPECT_THAT(RawIdsOf(*trace, 1), ElementsAre(1u, 2u));
}

TEST(TraceTest, EmptyTrace) {
  const std::shared_ptr<const Trace> trace = TraceBuilder().Finish();
  EXPECT_TRUE(trace->empty());
  EXPECT_EQ(trace->size(), 0u);
  EXPECT_EQ(trace->block_count(), 0u);
  EXPECT_EQ(trace->distinct_blocks(), 0u);
  EXPECT_EQ(trace->first_arrival_ms(), 0);
  EXPECT_EQ(trace->last_arrival_ms(), 0);
}

TEST(TraceTest, MemoryBytesCoversTheArrays) {
  TraceBuilder builder;
  for (RawBlockId i = 0; i < 1000; ++i) AddOrFail(builder, 0, {i, 100000 + i});
  const std::shared_ptr<const Trace> trace = builder.Finish();
  // At least: 2000 interned refs (4 B), 2000 raw ids (8 B), parents (4 B) and depths (4 B).
  const size_t lower_bound =
      2000 * (sizeof(BlockId) + sizeof(RawBlockId) + sizeof(BlockId) + sizeof(uint32_t));
  EXPECT_GE(trace->memory_bytes(), lower_bound);
  EXPECT_GT(TraceBuilder().Finish()->memory_bytes(), 0u);  // the offsets' leading 0
}

}  // namespace
}  // namespace kvb
