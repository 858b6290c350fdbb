#include "core/cache/cache_sim.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cache/lru.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

std::shared_ptr<const Trace> BuildTrace(const std::vector<std::vector<RawBlockId>>& requests) {
  TraceBuilder builder;
  int64_t t = 0;
  for (const std::vector<RawBlockId>& ids : requests) {
    const std::optional<PrefixConflict> conflict =
        builder.Add(t++, static_cast<uint32_t>(512 * ids.size()), 1, ids);
    EXPECT_FALSE(conflict.has_value());
  }
  return builder.Finish();
}

// Ids are numbered in order of first appearance, so they intern to themselves.
// Tree: 0 -> 1 -> 2, 1 -> 3, 0 -> 4.
std::shared_ptr<const Trace> TinyTrace() {
  return BuildTrace({{0, 1, 2}, {0, 1, 3}, {0, 4}, {0, 1, 2}});
}

const EvictionPolicyInfo& Policy(const char* name) { return *FindEvictionPolicy(name); }

void ExpectResult(const CacheSimResult& r, uint64_t hits, uint64_t misses, uint64_t evictions,
                  uint64_t stranded) {
  EXPECT_EQ(r.requests, 4u);
  EXPECT_EQ(r.block_refs, 11u);
  EXPECT_EQ(r.hits, hits);
  EXPECT_EQ(r.misses, misses);
  EXPECT_EQ(r.evictions, evictions);
  EXPECT_EQ(r.stranded_evictions, stranded);
  EXPECT_DOUBLE_EQ(r.hit_rate, static_cast<double>(hits) / 11.0);
}

TEST(CacheSimTest, TinyTracePerBlockLru) {
  // Capacity 3; LRU order most recent first.
  // R1 0 1 2: 3 misses                          -> 2 1 0
  // R2 0 1 3: hit, hit, miss evicts 2            -> 3 1 0
  // R3 0 4:   hit, miss evicts 1                 -> 4 0 3
  // R4 0 1 2: hit; 1 misses, evicts 3 whose parent 1 is not resident (stranded) -> 1 0 4;
  //           2 misses, evicts 4                 -> 2 1 0
  ExpectResult(SimulateCache(*TinyTrace(), Policy("lru"), 3, ReuseMode::kPerBlock),
               /*hits=*/4, /*misses=*/7, /*evictions=*/4, /*stranded=*/1);
}

TEST(CacheSimTest, TinyTracePrefixLru) {
  // Capacity 3; blocks stored from the last to the first; LRU order most recent first.
  // R1 0 1 2: k=0, 3 misses; insert 2, 1, 0          -> 0 1 2
  // R2 0 1 3: k=2; insert 3 evicts 2; touch 1, 0       -> 0 1 3
  // R3 0 4:   k=1; insert 4 evicts 3; touch 0          -> 0 4 1
  // R4 0 1 2: k=2; insert 2 evicts 1 (parent 0 resident) -> 2 0 4; 1 is gone, insert it
  //           evicts 4; touch 0                        -> 0 1 2
  // Hits 0+2+1+2, no stranded eviction.
  ExpectResult(SimulateCache(*TinyTrace(), Policy("lru"), 3, ReuseMode::kPrefix),
               /*hits=*/5, /*misses=*/6, /*evictions=*/4, /*stranded=*/0);
}

TEST(CacheSimTest, TinyTracePrefixFifoStrandsChildren) {
  // Capacity 3; FIFO queue oldest first.
  // R1: k=0; insert 2, 1, 0                       -> 2 1 0
  // R2 0 1 3: k=2; insert 3 evicts 2              -> 1 0 3
  // R3 0 4: k=1; insert 4 evicts 1                -> 0 3 4
  // R4 0 1 2: k=1 (1 is gone); insert 2 evicts 0 (a root) -> 3 4 2; insert 1 evicts 3
  //           (parent 1 absent: stranded) -> 4 2 1; insert 0 evicts 4 (parent 0 absent:
  //           stranded) -> 2 1 0.
  ExpectResult(SimulateCache(*TinyTrace(), Policy("fifo"), 3, ReuseMode::kPrefix),
               /*hits=*/4, /*misses=*/7, /*evictions=*/5, /*stranded=*/2);
}

TEST(CacheSimTest, CapacityZeroMissesEverything) {
  for (const ReuseMode mode : {ReuseMode::kPerBlock, ReuseMode::kPrefix}) {
    ExpectResult(SimulateCache(*TinyTrace(), Policy("lfu"), 0, mode), 0, 11, 0, 0);
  }
}

TEST(CacheSimTest, EmptyTraceHasZeroHitRate) {
  const std::shared_ptr<const Trace> empty = TraceBuilder().Finish();
  const CacheSimResult r = SimulateCache(*empty, Policy("lru"), 8, ReuseMode::kPrefix);
  EXPECT_EQ(r.requests, 0u);
  EXPECT_EQ(r.block_refs, 0u);
  EXPECT_EQ(r.hit_rate, 0.0);
}

TEST(CacheSimTest, ModeNames) {
  EXPECT_EQ(ReuseModeName(ReuseMode::kPerBlock), "per-block");
  EXPECT_EQ(ReuseModeName(ReuseMode::kPrefix), "prefix");
}

// Forwards to an inner policy through a class SimulateCache does not know, so the replay
// takes its generic (virtual-call) path.
class ForwardingPolicy : public EvictionPolicy {
 public:
  explicit ForwardingPolicy(std::unique_ptr<EvictionPolicy> inner) : inner_(std::move(inner)) {}
  void OnInsert(Slot slot, BlockId id) override { inner_->OnInsert(slot, id); }
  void OnHit(Slot slot) override { inner_->OnHit(slot); }
  void OnRemove(Slot slot) override { inner_->OnRemove(slot); }
  Slot Evict() override { return inner_->Evict(); }

 private:
  std::unique_ptr<EvictionPolicy> inner_;
};

void ExpectSameResult(const CacheSimResult& a, const CacheSimResult& b) {
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.block_refs, b.block_refs);
  EXPECT_EQ(a.hits, b.hits);
  EXPECT_EQ(a.misses, b.misses);
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(a.stranded_evictions, b.stranded_evictions);
}

class GeneratedTraceTest : public ::testing::TestWithParam<const char*> {
 protected:
  static std::shared_ptr<const Trace> Generate(const char* preset) {
    return GenerateWorkload(FindWorkloadPreset(preset)->spec, 1500, /*seed=*/3);
  }
};

TEST_P(GeneratedTraceTest, InvariantsForEveryPolicy) {
  const std::shared_ptr<const Trace> trace = Generate(GetParam());
  const TraceStats stats = ComputeTraceStats(*trace, 0);
  ASSERT_GT(stats.reusable_blocks, 0u);
  const size_t distinct = trace->distinct_blocks();
  size_t longest_request = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    longest_request = std::max(longest_request, (*trace)[i].blocks.size());
  }
  ASSERT_LE(longest_request, size_t{1000});  // so the LRU check below runs
  for (const EvictionPolicyInfo& info : EvictionPolicies()) {
    SCOPED_TRACE(std::string(info.name));
    for (const size_t capacity : {size_t{1}, size_t{64}, size_t{1000}, distinct / 3}) {
      for (const ReuseMode mode : {ReuseMode::kPerBlock, ReuseMode::kPrefix}) {
        const CacheSimResult r = SimulateCache(*trace, info, capacity, mode);
        EXPECT_EQ(r.requests, trace->size());
        EXPECT_EQ(r.block_refs, trace->block_count());
        EXPECT_EQ(r.hits + r.misses, r.block_refs);
        EXPECT_LE(r.stranded_evictions, r.evictions);
        if (mode == ReuseMode::kPrefix) {
          EXPECT_LE(r.hits, stats.reusable_blocks) << capacity;
          // LRU keeps every parent more recent than its children, so it never strands a
          // block, unless a request is longer than the cache: then the request's own
          // deeper blocks, stored first, are the least recent when its parents come in.
          if (info.name == "lru" && capacity >= longest_request) {
            EXPECT_EQ(r.stranded_evictions, 0u) << capacity;
          }
          if (info.name == "lru" && capacity == 1) {
            EXPECT_GT(r.stranded_evictions, 0u);
          }
        } else {
          // Every miss inserts; the cache ends full, every id having been seen.
          EXPECT_EQ(r.evictions, r.misses - std::min(capacity, distinct)) << capacity;
        }
      }
    }
    // Unbounded: exactly the blocks seen before, in both modes (a block seen before
    // implies its whole prefix was), and nothing evicted.
    for (const size_t capacity : {distinct, std::numeric_limits<size_t>::max()}) {
      for (const ReuseMode mode : {ReuseMode::kPerBlock, ReuseMode::kPrefix}) {
        const CacheSimResult r = SimulateCache(*trace, info, capacity, mode);
        EXPECT_EQ(r.hits, stats.reusable_blocks);
        EXPECT_EQ(r.evictions, 0u);
        EXPECT_DOUBLE_EQ(r.hit_rate, stats.reusable_share);
      }
    }
  }
}

TEST_P(GeneratedTraceTest, LruPerBlockHitsGrowWithCapacity) {
  // LRU is a stack algorithm: a larger cache always holds what a smaller one holds.
  const std::shared_ptr<const Trace> trace = Generate(GetParam());
  uint64_t previous = 0;
  for (const size_t capacity : {1, 2, 8, 50, 200, 1000, 5000}) {
    const CacheSimResult r = SimulateCache(*trace, Policy("lru"), capacity, ReuseMode::kPerBlock);
    EXPECT_GE(r.hits, previous) << capacity;
    previous = r.hits;
  }
  EXPECT_GT(previous, 0u);
}

TEST_P(GeneratedTraceTest, GenericPathMatchesTheDevirtualizedOne) {
  const std::shared_ptr<const Trace> trace = Generate(GetParam());
  for (const EvictionPolicyInfo& info : EvictionPolicies()) {
    EvictionPolicyInfo wrapped = info;
    wrapped.make = [&info](size_t capacity, size_t universe) -> std::unique_ptr<EvictionPolicy> {
      return std::make_unique<ForwardingPolicy>(info.make(capacity, universe));
    };
    for (const ReuseMode mode : {ReuseMode::kPerBlock, ReuseMode::kPrefix}) {
      SCOPED_TRACE(std::string(info.name) + " " + std::string(ReuseModeName(mode)));
      const CacheSimResult direct = SimulateCache(*trace, info, 300, mode);
      ExpectSameResult(SimulateCache(*trace, wrapped, 300, mode), direct);
      EXPECT_GT(direct.evictions, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, GeneratedTraceTest,
                         ::testing::Values("conversation", "toolagent", "synthetic"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return std::string(param.param);
                         });

}  // namespace
}  // namespace kvb
