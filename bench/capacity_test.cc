#include "bench/capacity.h"

#include <string>

#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(CapacityTest, ParsesNumbersMultipliersAndUnits) {
  Capacity c = ParseCapacity("512blocks", "x");
  EXPECT_EQ(c.value, 512u);
  EXPECT_EQ(c.unit, CapacityUnit::kBlocks);
  c = ParseCapacity("3Mtokens", "x");
  EXPECT_EQ(c.value, 3000000u);
  EXPECT_EQ(c.unit, CapacityUnit::kTokens);
  c = ParseCapacity("1TB", "x");
  EXPECT_EQ(c.value, 1000000000000u);
  EXPECT_EQ(c.unit, CapacityUnit::kBytes);
  c = ParseCapacity("2MiB", "x");
  EXPECT_EQ(c.value, 2u * 1024 * 1024);
  c = ParseCapacity("1.5ktokens", "x");
  EXPECT_EQ(c.value, 1500u);
  c = ParseCapacity("0 blocks", "x");
  EXPECT_EQ(c.value, 0u);
}

TEST(CapacityTest, BadTextNamesWhere) {
  for (const char* bad : {"", "12", "blocks", "-1blocks", "3Xtokens", "1e30B", "4 XB", "nanB"}) {
    try {
      ParseCapacity(bad, "clusters[2].capacity");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("clusters[2].capacity: expected \"<number><unit>\"", 0),
                0u)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace kvb
