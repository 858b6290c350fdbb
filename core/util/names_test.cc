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

}  // namespace
}  // namespace kvb
