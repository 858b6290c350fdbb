#include "core/trace/trace_jitter.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Four requests: three on the 0 ms tick, one on the 3,000 ms tick; input tokens name them.
std::shared_ptr<const Trace> Ticks() {
  TraceBuilder builder(4);
  const std::vector<std::tuple<int64_t, uint32_t, std::vector<RawBlockId>>> requests = {
      {0, 8, {10, 11}}, {0, 4, {10}}, {0, 5, {20, 21}}, {3000, 6, {10, 11}}};
  for (const auto& [ms, input, ids] : requests) {
    EXPECT_FALSE(builder.Add(ms, input, 1, ids).has_value());
  }
  return builder.Finish();
}

// Request (by input tokens) -> (arrival, raw ids).
std::map<uint32_t, std::pair<int64_t, std::vector<RawBlockId>>> ByInput(const Trace& t) {
  std::map<uint32_t, std::pair<int64_t, std::vector<RawBlockId>>> out;
  for (size_t i = 0; i < t.size(); ++i) {
    std::vector<RawBlockId> ids;
    for (const BlockId id : t[i].blocks) ids.push_back(t.raw_id(id));
    out[t[i].input_tokens] = {t[i].arrival_ms, ids};
  }
  return out;
}

TEST(TraceJitterTest, EachArrivalMovesByItsOwnDrawAndTheTraceIsResorted) {
  const auto trace = Ticks();
  const auto jittered = JitterArrivals(*trace, 3000, 7, JitterOrder::kShuffle);
  // The draws, in trace order (8, 4, 5, 6 tokens), computed independently.
  std::mt19937_64 rng(7);
  std::map<uint32_t, int64_t> want;
  for (const auto& [input, ms] : {std::pair<uint32_t, int64_t>{8, 0}, {4, 0}, {5, 0}, {6, 3000}}) {
    want[input] = ms + static_cast<int64_t>(rng() % 3000);
  }
  const auto got = ByInput(*jittered);
  const auto before = ByInput(*trace);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [input, arrival] : want) {
    EXPECT_EQ(got.at(input).first, arrival) << input;
    EXPECT_EQ(got.at(input).second, before.at(input).second) << input;  // its ids, kept
  }
  for (size_t i = 1; i < jittered->size(); ++i) {
    EXPECT_LE((*jittered)[i - 1].arrival_ms, (*jittered)[i].arrival_ms);
  }
  EXPECT_EQ(jittered->distinct_blocks(), trace->distinct_blocks());
  EXPECT_EQ(jittered->block_count(), trace->block_count());
}

// kKeep: the three requests of the 0 ms tick take that tick's draws in ascending order, so
// they keep their trace order; the 3,000 ms request takes the fourth draw.
TEST(TraceJitterTest, KeepOrderSortsTheDrawsOfATick) {
  const auto trace = Ticks();
  const auto jittered = JitterArrivals(*trace, 3000, 7);
  std::mt19937_64 rng(7);
  std::vector<int64_t> draws;
  for (int i = 0; i < 4; ++i) draws.push_back(static_cast<int64_t>(rng() % 3000));
  std::sort(draws.begin(), draws.begin() + 3);
  ASSERT_EQ(jittered->size(), 4u);
  const std::vector<uint32_t> inputs = {8, 4, 5};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*jittered)[i].input_tokens, inputs[i]) << i;
    EXPECT_EQ((*jittered)[i].arrival_ms, draws[i]) << i;
  }
  EXPECT_EQ(ByInput(*jittered).at(6).first, 3000 + draws[3]);
}

TEST(TraceJitterTest, SameSeedSameTraceOtherSeedAnother) {
  const auto trace = Ticks();
  EXPECT_EQ(TraceDigest(*JitterArrivals(*trace, 3000, 1)),
            TraceDigest(*JitterArrivals(*trace, 3000, 1)));
  EXPECT_NE(TraceDigest(*JitterArrivals(*trace, 3000, 1)),
            TraceDigest(*JitterArrivals(*trace, 3000, 2)));
}

TEST(TraceJitterTest, NoJitterKeepsTheTrace) {
  const auto trace = Ticks();
  for (const uint32_t jitter_ms : {0u, 1u}) {
    for (const JitterOrder order : {JitterOrder::kKeep, JitterOrder::kShuffle}) {
      EXPECT_EQ(TraceDigest(*JitterArrivals(*trace, jitter_ms, 5, order)), TraceDigest(*trace));
    }
  }
}

}  // namespace
}  // namespace kvb
