// Checks EstimateCellMemory against the heap real simulations take. This binary replaces
// the C library's malloc family (malloc, free, calloc, realloc, memalign, aligned_alloc,
// posix_memalign, valloc, pvalloc), forwarding to glibc's own (__libc_malloc, ...): operator
// new and delete call malloc and free, and the large arrays (HugePageAllocator) come from
// aligned_alloc, so every heap byte of a cell is seen. Counted: live bytes (each block's
// malloc_usable_size, what it really occupies; over-aligned blocks their requested size) and
// their peak, with atomics; and the bytes requested, for exact checks of single structures.
// Sanitizer builds leave this binary out (they bring their own malloc).

#include <errno.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/cache/eviction_policy.h"
#include "core/cache/id_index.h"
#include "core/cluster/cluster.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/memory_estimate.h"
#include "core/sim/simulator.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "gtest/gtest.h"

extern "C" {
void* __libc_malloc(size_t size);
void __libc_free(void* p);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
}

namespace {

std::atomic<int64_t> g_live{0};        // bytes in live blocks (usable sizes)
std::atomic<int64_t> g_peak{0};        // the most g_live has been since ResetPeak
std::atomic<uint64_t> g_requested{0};  // bytes asked for, ever (never decreases)

void AddLive(int64_t size) {
  const int64_t live = g_live.fetch_add(size, std::memory_order_relaxed) + size;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

void Counted(void* p, size_t requested) {
  if (p == nullptr) return;
  g_requested.fetch_add(requested, std::memory_order_relaxed);
  AddLive(static_cast<int64_t>(malloc_usable_size(p)));
}

// Over-aligned blocks (the huge-page arrays) count their requested size: glibc's usable size
// of an mmapped aligned block includes up to `alignment` bytes of slack that depend on where
// the mapping landed, which made the measured peak vary by up to 2 MiB from run to run.
constexpr size_t kAlignedSlots = 64;  // over-aligned blocks live at once; more: usable size
std::atomic<void*> g_aligned[kAlignedSlots];
std::atomic<size_t> g_aligned_size[kAlignedSlots];
std::atomic<int> g_aligned_live{0};

// Records an over-aligned block; false if the table is full.
bool RecordAligned(void* p, size_t size) {
  for (size_t i = 0; i < kAlignedSlots; ++i) {
    void* expected = nullptr;
    if (g_aligned[i].compare_exchange_strong(expected, p)) {
      g_aligned_size[i].store(size);
      g_aligned_live.fetch_add(1);
      return true;
    }
  }
  return false;
}

// The counted size of live block p: its recorded size if over-aligned, else usable size.
int64_t CountedSize(void* p, bool forget) {
  if (g_aligned_live.load() > 0) {
    for (size_t i = 0; i < kAlignedSlots; ++i) {
      if (g_aligned[i].load() == p) {
        const auto size = static_cast<int64_t>(g_aligned_size[i].load());
        if (forget) {
          g_aligned[i].store(nullptr);
          g_aligned_live.fetch_sub(1);
        }
        return size;
      }
    }
  }
  return static_cast<int64_t>(malloc_usable_size(p));
}

void Uncounted(void* p) {
  if (p != nullptr) g_live.fetch_sub(CountedSize(p, true), std::memory_order_relaxed);
}

}  // namespace

extern "C" {

void* malloc(size_t size) noexcept {
  void* p = __libc_malloc(size);
  Counted(p, size);
  return p;
}

void free(void* p) noexcept {
  Uncounted(p);
  __libc_free(p);
}

void* calloc(size_t count, size_t size) noexcept {
  void* p = __libc_calloc(count, size);
  Counted(p, count * size);
  return p;
}

void* realloc(void* p, size_t size) noexcept {
  const int64_t old = p == nullptr ? 0 : CountedSize(p, false);
  void* q = __libc_realloc(p, size);
  if (q == nullptr && size != 0) return nullptr;  // failed: p is unchanged
  if (p != nullptr) CountedSize(p, true);         // forgets p if it was over-aligned
  g_live.fetch_sub(old, std::memory_order_relaxed);
  Counted(q, size);
  return q;
}

void* memalign(size_t alignment, size_t size) noexcept {
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return p;
  if (alignment > alignof(std::max_align_t) && RecordAligned(p, size)) {
    g_requested.fetch_add(size, std::memory_order_relaxed);
    AddLive(static_cast<int64_t>(size));
  } else {
    Counted(p, size);
  }
  return p;
}

void* aligned_alloc(size_t alignment, size_t size) noexcept { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  void* p = memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) noexcept {
  void* p = __libc_valloc(size);
  Counted(p, size);
  return p;
}

void* pvalloc(size_t size) noexcept {
  void* p = __libc_pvalloc(size);
  Counted(p, size);
  return p;
}

}  // extern "C"

namespace kvb {
namespace {

// Live bytes now, and the peak since the last ResetPeak.
int64_t Live() { return g_live.load(); }
void ResetPeak() { g_peak.store(g_live.load()); }
int64_t Peak() { return g_peak.load(); }

TEST(CountingMallocTest, SeesNewAndAlignedAlloc) {
  const int64_t before = Live();
  auto* v = new std::vector<int>(1000);
  EXPECT_GE(Live() - before, 4000);
  void* huge = std::aligned_alloc(size_t{2} << 20, size_t{4} << 20);
  EXPECT_GE(Live() - before, (int64_t{4} << 20) + 4000);
  std::free(huge);
  delete v;
  EXPECT_EQ(Live(), before);
}

// Bytes requested while `make` builds a structure (no frees in between).
template <typename Make>
uint64_t RequestedBy(Make make) {
  const uint64_t before = g_requested.load();
  auto made = make();
  const uint64_t requested = g_requested.load() - before;
  return requested;
}

// The structure-level rules are exact: what the constructors ask malloc for.
TEST(StructureSizesTest, BlockCacheEstimateIsWhatItsConstructorAllocates) {
  struct Case {
    size_t capacity, universe;
  };
  // Direct indexes, a hash index (10^6 ids > 1 MiB / 4 and > 16 x 1,000 slots), a capacity
  // beyond the universe, and arrays large enough for huge pages.
  for (const Case c : {Case{100, 1000}, Case{1000, 1000000}, Case{5000, 1000},
                       Case{300000, 3000000}, Case{1, 50}}) {
    for (const EvictionPolicyInfo& policy : EvictionPolicies()) {
      SCOPED_TRACE(std::string(policy.name) + " capacity " + std::to_string(c.capacity) +
                   " universe " + std::to_string(c.universe));
      const uint64_t requested = RequestedBy([&] {
        return std::make_unique<BlockCache>(c.capacity, c.universe,
                                            policy.make(c.capacity, c.universe));
      });
      const BlockCacheBytes estimate = BlockCache::EstimateBytes(c.capacity, c.universe, policy);
      // The estimate counts a hash index after churn (it may double once): compare the
      // index as reserved.
      const bool direct = IdIndex::ChoosesDirect(c.universe, std::min(c.capacity, c.universe));
      uint64_t expected = estimate.total() + sizeof(BlockCache);
      if (!direct) {
        const size_t slots = std::min(c.capacity, c.universe);
        expected = expected - estimate.index +
                   IdIndex::HashTableBytes(IdIndex::HashCapacityReserved(slots));
      }
      if (policy.name == "s3fifo") {
        // S3-FIFO's ghost index, likewise as reserved.
        const size_t slots = std::min(c.capacity, c.universe);
        const size_t main = slots - std::min(slots, std::max<size_t>(1, (slots + 9) / 10));
        if (main > 0 && !IdIndex::ChoosesDirect(c.universe, main)) {
          expected = expected - IdIndex::EstimateBytes(c.universe, main) +
                     IdIndex::HashTableBytes(IdIndex::HashCapacityReserved(main));
        }
      }
      EXPECT_EQ(requested, expected);
    }
  }
}

// Churn: a full hash index erasing and inserting at most `entries` ends at the capacity
// HashCapacityAfterChurn says.
TEST(StructureSizesTest, HashIndexAfterChurn) {
  for (const size_t entries : {100, 110, 1000, 1792, 5859}) {
    SCOPED_TRACE(entries);
    const size_t universe = 100 * entries + 1000000;
    ASSERT_FALSE(IdIndex::ChoosesDirect(universe, entries));
    const int64_t before = Live();
    {
      IdIndex index(universe, entries);
      for (size_t i = 0; i < entries; ++i) index.Set(static_cast<BlockId>(i), 1);
      for (size_t i = entries; i < 50 * entries; ++i) {
        index.Erase(static_cast<BlockId>(i - entries));
        index.Set(static_cast<BlockId>(i), 1);
      }
      const int64_t live = Live() - before;
      const auto estimate = static_cast<int64_t>(IdIndex::EstimateBytes(universe, entries));
      // Usable sizes exceed requested ones by a few bytes (small blocks) or up to a page
      // (mmapped ones).
      EXPECT_GE(live, estimate);
      EXPECT_LE(live, estimate + 4096);
    }
  }
}

struct AccuracyCase {
  std::string name;
  SimMode mode;
  size_t nodes;
  size_t capacity;
  std::string eviction;
  CacheScope scope;
  std::string strategy;
  std::string preset;
  size_t requests;
  double rate_scale = 1;
  ClusterShape shape = ClusterShape::kPrefillOnly;
  size_t decode_nodes = 0;
  bool hbm_prefix_cache = false;  // tier G1
  size_t ssd_blocks = 0;          // tier G3, per node
};

// gtest prints a failing parameter by its name.
void PrintTo(const AccuracyCase& c, std::ostream* os) { *os << c.name; }

// Measured peak heap growth of a run (strategy, Simulate, the result kept) over the
// estimate: the band the test holds it to. Measured on Debian 12 (glibc 2.36, abseil
// 20220623): 0.89 to 1.06, most cells within 0.2% (their peak is the caches and the setup's
// ranking of ids, both sized exactly); the estimate errs high where it takes bounds (holder
// sets on 256 nodes, the seed router's records).
constexpr double kMinRatio = 0.8;
constexpr double kMaxRatio = 1.25;

class AccuracyTest : public ::testing::TestWithParam<AccuracyCase> {};

// "chains": `requests` requests, one a second, each the 20-block chain number i % 50:
// 1,000 distinct blocks and 20 references per request, so that many nodes hold each block
// (holder sets beyond 8 nodes) and per-request records outgrow the per-id ones. Otherwise
// a generator preset (seed 7).
std::shared_ptr<const Trace> MakeTrace(const std::string& preset, size_t requests) {
  if (preset != "chains") return GenerateWorkload(FindWorkloadPreset(preset)->spec, requests, 7);
  TraceBuilder builder(512);
  std::vector<RawBlockId> ids(20);
  for (size_t i = 0; i < requests; ++i) {
    for (size_t k = 0; k < ids.size(); ++k) ids[k] = (i % 50) * 20 + k;
    EXPECT_FALSE(builder.Add(static_cast<int64_t>(i) * 1000, 20 * 512, 10, ids).has_value());
  }
  return builder.Finish();
}

TEST_P(AccuracyTest, MeasuredPeakIsWithinTheBandOfTheEstimate) {
  const AccuracyCase& c = GetParam();
  const auto trace = MakeTrace(c.preset, c.requests);
  SimConfig config;
  config.mode = c.mode;
  config.cluster.nodes.assign(c.nodes, NodeSpec{c.capacity, c.eviction, 1.0});
  config.cluster.scope = c.scope;
  config.rate_scale = c.rate_scale;
  config.shape = c.shape;
  config.decode_nodes = c.decode_nodes;
  config.cluster.hbm_prefix_cache = c.hbm_prefix_cache;
  for (NodeSpec& node : config.cluster.nodes) node.ssd_capacity_blocks = c.ssd_blocks;
  const CellMemoryEstimate estimate = EstimateCellMemory(*trace, config, c.strategy);

  const int64_t before = Live();
  ResetPeak();
  RunResult result;
  {
    Strategy strategy = MakeStrategy(c.strategy, config.seed);
    result = Simulate(*trace, config, strategy);
  }
  const int64_t measured = Peak() - before;
  const double ratio = static_cast<double>(measured) / static_cast<double>(estimate.total);
  // Serving cells: the gaps of requests in flight are a worst case (every node's
  // max_num_seqs requests with their longest gap lists); the rest is held to the band.
  const double ratio_without_gaps =
      static_cast<double>(measured) / static_cast<double>(estimate.total - estimate.serving_gaps);
  std::printf(
      "%-28s distinct %7zu  measured %11lld B  estimate %11llu B  ratio %.4f (%.4f without "
      "the gaps' worst case)\n  %s\n",
      c.name.c_str(), trace->distinct_blocks(), static_cast<long long>(measured),
      static_cast<unsigned long long>(estimate.total), ratio, ratio_without_gaps,
      estimate.description.c_str());
  EXPECT_EQ(result.served + result.rejected, trace->size());
  EXPECT_GE(ratio_without_gaps, kMinRatio) << estimate.description;
  EXPECT_LE(ratio, kMaxRatio) << estimate.description;
}

std::string CaseName(const ::testing::TestParamInfo<AccuracyCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(
    Cells, AccuracyTest,
    ::testing::Values(
        // Realistic, 16 nodes, local: LRU and LFU; the direct id indexes dominate.
        AccuracyCase{"real16_lru_local", SimMode::kRealistic, 16, 2000, "lru", CacheScope::kLocal,
                     "prefix_greedy", "conversation", 4000},
        AccuracyCase{"real16_lfu_local", SimMode::kRealistic, 16, 2000, "lfu", CacheScope::kLocal,
                     "least_loaded", "conversation", 4000},
        // Global scope, fetched prefixes stay; S3-FIFO and SIEVE.
        AccuracyCase{"real16_lru_global", SimMode::kRealistic, 16, 2000, "lru", CacheScope::kGlobal,
                     "kvcache_centric", "conversation", 4000},
        AccuracyCase{"real16_s3fifo_global", SimMode::kRealistic, 16, 2000, "s3fifo",
                     CacheScope::kGlobal, "random", "toolagent", 4000},
        AccuracyCase{"real16_sieve_local", SimMode::kRealistic, 16, 500, "sieve",
                     CacheScope::kLocal, "cache_aware", "synthetic", 2000},
        // Hash id indexes: 20,000 requests (> 262,144 distinct ids) on 5,859-block nodes.
        AccuracyCase{"real16_lru_hash_index", SimMode::kRealistic, 16, 5859, "lru",
                     CacheScope::kLocal, "prefix_greedy", "conversation", 20000},
        // Seed mode (512 blocks + 500 copies per node, LFU), with the seed's router.
        AccuracyCase{"seed16_lfu", SimMode::kSeedCompat, 16, 512, "lfu", CacheScope::kLocal,
                     "random", "conversation", 4000},
        AccuracyCase{"seed16_lfu_seed_paper", SimMode::kSeedCompat, 16, 512, "lfu",
                     CacheScope::kLocal, "seed_paper", "conversation", 3000},
        // 256 nodes: per-node state and the caches of many nodes; capacity beyond the
        // trace (clipped) with a global cache holding many copies of each block.
        AccuracyCase{"real256_lru_local", SimMode::kRealistic, 256, 1000, "lru", CacheScope::kLocal,
                     "random", "conversation", 4000},
        AccuracyCase{"real256_lru_global_clipped", SimMode::kRealistic, 256, 1000000, "lru",
                     CacheScope::kGlobal, "round_robin", "toolagent", 3000},
        AccuracyCase{"real256_sglang", SimMode::kRealistic, 256, 2000, "lru", CacheScope::kLocal,
                     "sglang_cache_aware", "conversation", 4000},
        AccuracyCase{"seed256_lfu_hotspots", SimMode::kSeedCompat, 256, 512, "lfu",
                     CacheScope::kLocal, "least_loaded+seed_dynamic", "conversation", 3000},
        // Every node holds most blocks: holder sets of up to 256 nodes on the heap.
        AccuracyCase{"real256_chains_heavy_sets", SimMode::kRealistic, 256, 1000, "lru",
                     CacheScope::kLocal, "round_robin", "chains", 20000},
        // Arrivals 1,000x faster: the queues hold most requests at once.
        AccuracyCase{"real16_chains_overload", SimMode::kRealistic, 16, 1000, "fifo",
                     CacheScope::kLocal, "random", "chains", 20000, 1000},
        // Serving shapes: engines, latencies and the gaps of requests in flight, at the
        // trace's pace and 8x faster (batches of hundreds, preemptions).
        AccuracyCase{"agg16_conversation", SimMode::kRealistic, 16, 2000, "lru", CacheScope::kLocal,
                     "dynamo", "conversation", 4000, 1, ClusterShape::kAggregated},
        AccuracyCase{"agg16_conversation_x8", SimMode::kRealistic, 16, 2000, "lru",
                     CacheScope::kLocal, "least_loaded", "conversation", 4000, 8,
                     ClusterShape::kAggregated},
        AccuracyCase{"pd8x8_toolagent", SimMode::kRealistic, 8, 2000, "lru", CacheScope::kGlobal,
                     "kvcache_centric", "toolagent", 4000, 4, ClusterShape::kDisaggregated, 8},
        // Tier G1: HBM prefix caches on every node.
        AccuracyCase{"agg16_conversation_hbm", SimMode::kRealistic, 16, 2000, "lru",
                     CacheScope::kLocal, "dynamo", "conversation", 4000, 1,
                     ClusterShape::kAggregated, 0, true},
        // Tier G3: an SSD of 20,000 blocks under each node's 2,000 of DRAM.
        AccuracyCase{"real16_ssd", SimMode::kRealistic, 16, 2000, "lru", CacheScope::kLocal,
                     "prefix_greedy", "conversation", 4000, 1, ClusterShape::kPrefillOnly, 0, false,
                     20000}),
    CaseName);

// Every registered router and replication policy, in both modes: the heap a cell takes
// with the policy beyond what it takes with `random` (nothing of its own) must stay within
// what the policy's registry estimate adds. A new stateful policy whose state_bytes leaves
// its tables out fails here. The slack covers what routing changes besides the policy's
// own tables (queue records, map growth): within 4 KiB on this trace, measured.
class PolicyStateTest : public ::testing::TestWithParam<std::pair<std::string, SimMode>> {};

constexpr int64_t kPolicySlackBytes = 48 * 1024;

// The measured peak heap growth of one cell, and its estimate.
std::pair<int64_t, uint64_t> MeasureCell(const Trace& trace, const SimConfig& config,
                                         const std::string& spec) {
  const CellMemoryEstimate estimate = EstimateCellMemory(trace, config, spec);
  const int64_t before = Live();
  ResetPeak();
  {
    Strategy strategy = MakeStrategy(spec, config.seed);
    const RunResult result = Simulate(trace, config, strategy);
    EXPECT_EQ(result.served + result.rejected, trace.size());
  }
  return {Peak() - before, estimate.total};
}

TEST_P(PolicyStateTest, PeakBeyondRandomIsWithinTheEstimateBeyondRandom) {
  const auto& [spec, mode] = GetParam();
  static const std::shared_ptr<const Trace> trace = MakeTrace("conversation", 6000);
  SimConfig config;
  config.mode = mode;
  const bool seed = mode == SimMode::kSeedCompat;
  config.cluster.nodes.assign(16, NodeSpec{seed ? 512u : 2000u, seed ? "lfu" : "lru", 1.0});
  const auto [base_measured, base_estimate] = MeasureCell(*trace, config, "random");
  const auto [measured, estimate] = MeasureCell(*trace, config, spec);
  const int64_t measured_extra = measured - base_measured;
  const int64_t estimated_extra =
      static_cast<int64_t>(estimate) - static_cast<int64_t>(base_estimate);
  std::printf("%-34s %-9s measured +%9lld B  estimated +%9lld B\n", spec.c_str(),
              seed ? "seed" : "realistic", static_cast<long long>(measured_extra),
              static_cast<long long>(estimated_extra));
  EXPECT_LE(measured_extra, estimated_extra + kPolicySlackBytes);
}

// The registries' entries: routers alone, replication policies behind `random`.
std::vector<std::pair<std::string, SimMode>> RegisteredPolicies() {
  std::vector<std::pair<std::string, SimMode>> cells;
  for (const SimMode mode : {SimMode::kRealistic, SimMode::kSeedCompat}) {
    for (const RouterInfo& r : Routers()) cells.emplace_back(std::string(r.name), mode);
    for (const ReplicationInfo& p : ReplicationPolicies()) {
      cells.emplace_back("random+" + std::string(p.name), mode);
    }
  }
  return cells;
}

std::string PolicyCaseName(const ::testing::TestParamInfo<std::pair<std::string, SimMode>>& info) {
  std::string name = info.param.first + (info.param.second == SimMode::kSeedCompat ? "_seed" : "");
  for (char& ch : name) ch = (ch == '+') ? '_' : ch;
  return name;
}

INSTANTIATE_TEST_SUITE_P(Registries, PolicyStateTest, ::testing::ValuesIn(RegisteredPolicies()),
                         PolicyCaseName);

}  // namespace
}  // namespace kvb
