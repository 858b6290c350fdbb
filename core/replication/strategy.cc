#include "core/replication/strategy.h"

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

namespace {

// "name" plus ":k=v,..." of the non-default parameters.
template <typename Info>
std::string Canonical(const Info& info, const Params& params) {
  std::string text(info.name);
  const std::string args = params.NonDefaultText();
  if (!args.empty()) absl::StrAppend(&text, ":", args);
  return text;
}

}  // namespace

Strategy MakeStrategy(std::string_view spec, uint64_t seed) {
  const size_t plus = spec.find('+');
  const std::string_view router_text = spec.substr(0, plus);
  const std::string_view replication_text =
      plus == std::string_view::npos ? kDefaultReplication : spec.substr(plus + 1);
  if (replication_text.find('+') != std::string_view::npos) {
    throw InputError(
        absl::StrCat("strategy '", std::string(spec), "': at most one '+' (router+replication)"));
  }

  const SpecText router_spec = ParseSpecText(router_text, "router");
  const RouterInfo* router = FindRouter(router_spec.name);
  if (router == nullptr) {
    throw InputError(absl::StrCat("strategy '", std::string(spec), "': unknown router '",
                                  router_spec.name, "' (known: ", JoinNames(Routers()), ")"));
  }
  const SpecText replication_spec = ParseSpecText(replication_text, "replication");
  const ReplicationInfo* replication = FindReplicationPolicy(replication_spec.name);
  if (replication == nullptr) {
    throw InputError(absl::StrCat("strategy '", std::string(spec),
                                  "': unknown replication policy '", replication_spec.name,
                                  "' (known: ", JoinNames(ReplicationPolicies()), ")"));
  }
  const Params router_params =
      ResolveParams("router", router->name, router->params, router_spec.args);
  const Params replication_params =
      ResolveParams("replication", replication->name, replication->params, replication_spec.args);

  Strategy strategy;
  strategy.spec = Canonical(*router, router_params);
  if (replication->name != kDefaultReplication || !replication_params.NonDefaultText().empty()) {
    absl::StrAppend(&strategy.spec, "+", Canonical(*replication, replication_params));
  }
  strategy.router = router->make(router_params, seed);
  // The policy draws from its own stream: adding one never changes the router's draws.
  strategy.replication = replication->make(replication_params, seed ^ 0x5EEDu);
  return strategy;
}

}  // namespace kvb
