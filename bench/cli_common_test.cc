#include "bench/cli_common.h"

#include <signal.h>

#include <stdexcept>

#include "gtest/gtest.h"

namespace kvb {
namespace {

TEST(CliCommonTest, ExitCodesKeepTheirDocumentedValues) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(ExitCodeForSignal(SIGINT), 130);
  EXPECT_EQ(ExitCodeForSignal(SIGTERM), 143);
}

TEST(CliCommonTest, UsageErrorCarriesItsMessageAndIsAnException) {
  try {
    throw UsageError("--shard: bad");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "--shard: bad");
    EXPECT_NE(dynamic_cast<const UsageError*>(&e), nullptr);
  }
}

}  // namespace
}  // namespace kvb
