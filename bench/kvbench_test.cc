// The kvbench command: --list-strategies lists every registered strategy with its defaults.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/util/params.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::HasSubstr;

struct CommandRun {
  int exit_code = -1;
  std::string out;
};

CommandRun Exec(const std::string& args) {
  const std::string command = std::string(KVBENCH_BIN) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  CommandRun run;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(KvbenchTest, ListStrategiesShowsEveryRegisteredStrategyWithItsDefaults) {
  const CommandRun run = Exec("--list-strategies");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  for (const RouterInfo& r : Routers()) {
    EXPECT_THAT(run.out, HasSubstr("  " + std::string(r.name) + " ")) << r.name;
    EXPECT_THAT(run.out, HasSubstr(std::string(r.description))) << r.name;
    EXPECT_THAT(run.out, HasSubstr("defaults: " + DefaultsText(r.params))) << r.name;
  }
  for (const ReplicationInfo& p : ReplicationPolicies()) {
    EXPECT_THAT(run.out, HasSubstr("  " + std::string(p.name) + " ")) << p.name;
    EXPECT_THAT(run.out, HasSubstr("defaults: " + DefaultsText(p.params))) << p.name;
  }
  // A parameter's meaning, as a user would look it up.
  EXPECT_THAT(run.out, HasSubstr("kvcache_centric.kvcache_balancing_threshold: fetch when"));
  EXPECT_THAT(run.out, HasSubstr("defaults: alpha=0.5, beta=0.6, gamma=0.8, theta=0.15"));
}

TEST(KvbenchTest, UnknownFlagsFailWithUsage) {
  const CommandRun run = Exec("--no-such-flag");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.out, HasSubstr("kvbench: error: unrecognised option '--no-such-flag'"));
}

}  // namespace
}  // namespace kvb
