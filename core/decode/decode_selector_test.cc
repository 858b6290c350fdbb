#include "core/decode/decode_selector.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Three nodes: 0 busy but little KV, 1 idle-ish with much KV, 2 in between.
DecodeView ThreeNodes(std::vector<DecodeNodeState>& nodes) {
  nodes = {{10, 2, 100, 1000, 5000}, {1, 0, 900, 1000, 40000}, {4, 1, 500, 1000, 20000}};
  DecodeView v;
  v.nodes = nodes;
  v.context_tokens = 1000;
  v.blocks_needed = 63;
  // 10 ms + 1 ms per request + 1 us per context token.
  v.predict_decode_step_s = [](uint64_t batch, uint64_t context) {
    return 0.010 + 0.001 * static_cast<double>(batch) + 1e-6 * static_cast<double>(context);
  };
  return v;
}

TEST(DecodeSelectorTest, LeastLoadedCountsRunningAndWaiting) {
  std::vector<DecodeNodeState> nodes;
  const DecodeView v = ThreeNodes(nodes);
  EXPECT_EQ(MakeDecodeSelector("least_loaded")->Select(v), 1u);  // 1 request
}

TEST(DecodeSelectorTest, LeastKvPicksTheLowestShareAfterTheRequest) {
  std::vector<DecodeNodeState> nodes;
  const DecodeView v = ThreeNodes(nodes);
  EXPECT_EQ(MakeDecodeSelector("least_kv")->Select(v), 0u);  // (100 + 63) / 1000
}

TEST(DecodeSelectorTest, MooncakeTbtPicksTheFastestStepAndRejectsOverTheSlo) {
  std::vector<DecodeNodeState> nodes;
  DecodeView v = ThreeNodes(nodes);
  // Steps with the request: node 0 10 + 13 + 6 = 29 ms; node 1 10 + 2 + 41 = 53 ms;
  // node 2 10 + 6 + 21 = 37 ms.
  EXPECT_NEAR(v.predicted_step_with_s(0), 0.029, 1e-12);
  EXPECT_EQ(MakeDecodeSelector("mooncake_tbt")->Select(v), 0u);
  v.tbt_slo_s = 0.030;
  EXPECT_EQ(MakeDecodeSelector("mooncake_tbt")->Select(v), 0u);
  v.tbt_slo_s = 0.028;
  EXPECT_EQ(MakeDecodeSelector("mooncake_tbt")->Select(v), kNoDecodeNode);
}

TEST(DecodeSelectorTest, DynamoPicksTheLeastActiveBlocksUniformAmongTies) {
  std::vector<DecodeNodeState> nodes;
  DecodeView v = ThreeNodes(nodes);
  EXPECT_EQ(MakeDecodeSelector("dynamo")->Select(v), 0u);  // 100 blocks, though busiest
  // Nodes 0 and 2 tie at 500 blocks: each about half the time over seeds; never node 1.
  nodes[0].active_kv_blocks = 500;
  int zero = 0;
  const int draws = 2000;
  for (int seed = 1; seed <= draws; ++seed) {
    const uint32_t d = MakeDecodeSelector("dynamo", seed)->Select(v);
    EXPECT_NE(d, 1u);
    zero += d == 0;
  }
  EXPECT_NEAR(zero, draws / 2.0, 5 * std::sqrt(draws * 0.25));
}

TEST(DecodeSelectorTest, RegistryNamesEveryEntryOnce) {
  EXPECT_EQ(DecodeSelectors().size(), 4u);
  for (const DecodeSelectorInfo& info : DecodeSelectors()) {
    EXPECT_EQ(FindDecodeSelector(info.name), &info);
    EXPECT_FALSE(info.description.empty());
    EXPECT_FALSE(info.source.empty());
    EXPECT_NE(info.make(1), nullptr);
  }
  try {
    MakeDecodeSelector("fastest");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "unknown decode selector 'fastest' (known: least_loaded, least_kv, mooncake_tbt, dynamo)");
  }
}

}  // namespace
}  // namespace kvb
