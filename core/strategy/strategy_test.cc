// Strategy specs: parsing, defaults, canonical names and the errors a user sees.

#include "core/strategy/strategy.h"

#include <string>

#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/util/input_error.h"
#include "core/util/params.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& spec) {
  try {
    MakeStrategy(spec, 1);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ParamsTest, SpecTextSplitsNameAndAssignments) {
  const SpecText t = ParseSpecText("dynamo:overlap_weight=2,temperature=0.5", "router");
  EXPECT_EQ(t.name, "dynamo");
  ASSERT_EQ(t.args.size(), 2u);
  EXPECT_EQ(t.args[0].first, "overlap_weight");
  EXPECT_EQ(t.args[0].second, "2");
  EXPECT_EQ(t.args[1].first, "temperature");
  EXPECT_EQ(t.args[1].second, "0.5");
  EXPECT_TRUE(ParseSpecText("random", "router").args.empty());
}

TEST(ParamsTest, SpecTextRejectsBadSyntax) {
  EXPECT_THROW(ParseSpecText("", "router"), InputError);
  EXPECT_THROW(ParseSpecText(":a=1", "router"), InputError);
  EXPECT_THROW(ParseSpecText("x:", "router"), InputError);
  EXPECT_THROW(ParseSpecText("x:a", "router"), InputError);
  EXPECT_THROW(ParseSpecText("x:=1", "router"), InputError);
  EXPECT_THROW(ParseSpecText("x:a=", "router"), InputError);
  EXPECT_THROW(ParseSpecText("x:a=1,", "router"), InputError);
}

constexpr std::string_view kColours[] = {"red", "green"};
constexpr ParamSpec kSpecs[] = {
    {"weight", 1.5, 0, 10, "a weight"},
    {"count", 3, 1, 8, "a count", true},
    {"flag", 0, 0, 1, "a switch", true},
    {"colour", 1, 0, 1, "a choice", false, kColours},
};

TEST(ParamsTest, ResolveAppliesOverridesOverDefaults) {
  const Params p = ResolveParams("router", "x", kSpecs, {{"count", "5"}, {"flag", "true"}});
  EXPECT_EQ(p.Get("weight"), 1.5);
  EXPECT_EQ(p.GetInt("count"), 5);
  EXPECT_TRUE(p.GetBool("flag"));
  EXPECT_EQ(p.GetChoice("colour"), "green");
  EXPECT_EQ(p.NonDefaultText(), "count=5,flag=1");
  EXPECT_EQ(DefaultsText(kSpecs), "weight=1.5, count=3, flag=0, colour=green");
  EXPECT_EQ(ResolveParams("router", "x", kSpecs, {{"colour", "red"}}).GetChoice("colour"), "red");
}

TEST(ParamsTest, ResolveNamesTheStrategyAndTheKey) {
  auto error = [](const std::vector<std::pair<std::string, std::string>>& args) {
    try {
      ResolveParams("router", "x", kSpecs, args);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"size", "1"}}),
            "router 'x': unknown key 'size' (known: weight, count, flag, colour)");
  EXPECT_EQ(error({{"weight", "11"}}),
            "router 'x': key 'weight': expected a number in [0, 10], got '11'");
  EXPECT_EQ(error({{"weight", "1.5x"}}),
            "router 'x': key 'weight': expected a number in [0, 10], got '1.5x'");
  EXPECT_EQ(error({{"count", "2.5"}}),
            "router 'x': key 'count': expected an integer in [1, 8], got '2.5'");
  EXPECT_EQ(error({{"flag", "yes"}}),
            "router 'x': key 'flag': expected 0, 1, false or true, got 'yes'");
  EXPECT_EQ(error({{"colour", "blue"}}),
            "router 'x': key 'colour': expected one of red, green, got 'blue'");
  EXPECT_EQ(error({{"count", "2"}, {"count", "3"}}), "router 'x': key 'count' given twice");
  EXPECT_EQ(error({{"weight", "nan"}}),
            "router 'x': key 'weight': expected a number in [0, 10], got 'nan'");
}

TEST(StrategyTest, CanonicalSpecKeepsOnlyWhatDiffersFromDefaults) {
  EXPECT_EQ(MakeStrategy("random", 1).spec, "random");
  EXPECT_EQ(MakeStrategy("random+mooncake", 1).spec, "random");
  EXPECT_EQ(MakeStrategy("random+none", 1).spec, "random+none");
  EXPECT_EQ(MakeStrategy("kvcache_centric:slo_s=30,kvcache_balancing_threshold=1", 1).spec,
            "kvcache_centric:slo_s=30");
  EXPECT_EQ(MakeStrategy("kvcache_centric+budgeted:share=0.05,policy=seed_dynamic", 1).spec,
            "kvcache_centric+budgeted:share=0.05");
  EXPECT_EQ(MakeStrategy("least_loaded+budgeted:policy=preble", 1).spec,
            "least_loaded+budgeted:policy=preble");
}

TEST(StrategyTest, ReplicationPoliciesDeclareWhatTheyDo) {
  EXPECT_TRUE(MakeStrategy("random", 1).replication->keeps_fetched());
  EXPECT_FALSE(MakeStrategy("random+none", 1).replication->keeps_fetched());
  EXPECT_TRUE(MakeStrategy("random+seed_dynamic", 1).replication->needs_hotspots());
  EXPECT_FALSE(MakeStrategy("random+preble", 1).replication->needs_hotspots());
  const Strategy budgeted = MakeStrategy("random+budgeted:policy=seed_predictive,share=0.25", 1);
  EXPECT_EQ(budgeted.replication->replica_budget_share(), 0.25);
  EXPECT_TRUE(budgeted.replication->needs_hotspots());
  EXPECT_EQ(MakeStrategy("random+seed_dynamic", 1).replication->replica_budget_share(), 0);
}

TEST(StrategyTest, ErrorsNameTheStrategyAndTheKey) {
  EXPECT_THAT(ErrorOf("dynamo:overlap_credt=0.5"),
              HasSubstr("unknown key 'overlap_credt' (did you mean 'overlap_credit'?)"));
  EXPECT_THAT(ErrorOf("kvcache_centrik"),
              HasSubstr("unknown router 'kvcache_centrik' (did you mean 'kvcache_centric'?)"));
  EXPECT_THAT(ErrorOf("random+seed_dinamic"),
              HasSubstr("unknown replication policy 'seed_dinamic' (did you mean "
                        "'seed_dynamic'?)"));
  EXPECT_THAT(ErrorOf("nosuch"), HasSubstr("strategy 'nosuch': unknown router 'nosuch' (known: "));
  EXPECT_THAT(ErrorOf("random+nosuch"),
              HasSubstr("strategy 'random+nosuch': unknown replication policy 'nosuch' (known: "
                        "none, mooncake, seed_dynamic"));
  EXPECT_EQ(ErrorOf("kvcache_centric:slo=3"),
            "router 'kvcache_centric': unknown key 'slo' (known: kvcache_balancing_threshold, "
            "slo_s)");
  EXPECT_EQ(ErrorOf("kvcache_centric:kvcache_balancing_threshold=0.5"),
            "router 'kvcache_centric': key 'kvcache_balancing_threshold': expected a number in "
            "[1, 1000000000], got '0.5'");
  EXPECT_EQ(ErrorOf("random:seed=3"),
            "router 'random': unknown key 'seed' (it takes no parameters)");
  EXPECT_EQ(ErrorOf("random+seed_dynamic:theta=2"),
            "replication 'seed_dynamic': key 'theta': expected a number in [1e-09, 1], got '2'");
  EXPECT_EQ(ErrorOf("random+none+mooncake"),
            "strategy 'random+none+mooncake': at most one '+' (router+replication)");
}

TEST(StrategyTest, EveryRegisteredNameMakesAStrategyWithItsDefaults) {
  for (const RouterInfo& r : Routers()) {
    for (const ReplicationInfo& p : ReplicationPolicies()) {
      const std::string spec = std::string(r.name) + "+" + std::string(p.name);
      const Strategy s = MakeStrategy(spec, 7);
      EXPECT_NE(s.router, nullptr) << spec;
      EXPECT_NE(s.replication, nullptr) << spec;
      EXPECT_EQ(s.spec, p.name == kDefaultReplication ? std::string(r.name) : spec);
    }
  }
}

}  // namespace
}  // namespace kvb
