#include "core/util/names.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kvb {
namespace {

enum class Colour { kRed, kGreen, kBlue };
constexpr EnumName<Colour> kColours[] = {{Colour::kRed, "red"}, {Colour::kGreen, "green"}};

TEST(NamesTest, EnumNamesBothWays) {
  EXPECT_EQ(NameOf(kColours, Colour::kGreen), "green");
  EXPECT_EQ(NameOf(kColours, Colour::kBlue), "unknown");  // not in the table
  EXPECT_EQ(ValueNamed(kColours, "red"), Colour::kRed);
  EXPECT_EQ(ValueNamed(kColours, "blue"), std::nullopt);
  EXPECT_EQ(ValueNamed(kColours, "Red"), std::nullopt);  // exact match only
}

TEST(NamesTest, RegistryNames) {
  struct Entry {
    std::string name;
  };
  const std::vector<Entry> entries = {{"a"}, {"b"}, {"c"}};
  EXPECT_EQ(JoinNames(entries), "a, b, c");
  EXPECT_EQ(FindByName(entries, "b"), &entries[1]);
  EXPECT_EQ(FindByName(entries, "d"), nullptr);
}

TEST(NamesTest, NearestNameIsALikelyTypoOnly) {
  const std::vector<std::string_view> names = {"strategy", "strategies", "cluster", "lru", "lfu"};
  EXPECT_EQ(NearestName("stratgy", names), "strategy");       // one deletion
  EXPECT_EQ(NearestName("strategeis", names), "strategies");  // one swap of neighbours
  EXPECT_EQ(NearestName("clsuter", names), "cluster");
  EXPECT_EQ(NearestName("mru", names), "lru");                // 1 step of 3 letters: under half
  EXPECT_EQ(NearestName("xyz", names), std::nullopt);         // 3 steps from lru
  EXPECT_EQ(NearestName("ab", names), std::nullopt);          // any step is half of 2 letters
  EXPECT_EQ(NearestName("clustering", names), std::nullopt);  // 3 steps
  // Ties go to the earlier candidate: "lfu" and "lru" are both one step from "lxu".
  EXPECT_EQ(NearestName("lxu", names), "lru");
  EXPECT_EQ(DidYouMean("stratgy", names), " (did you mean 'strategy'?)");
  EXPECT_EQ(DidYouMean("xyz", names), "");
}

}  // namespace
}  // namespace kvb
