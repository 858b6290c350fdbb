#include "core/strategy/strategy.h"

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

ResolvedStrategy ResolveStrategy(std::string_view spec) {
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
    throw InputError(absl::StrCat(
        "strategy '", std::string(spec), "': unknown router '", router_spec.name, "'",
        DidYouMeanName(router_spec.name, Routers()), " (known: ", JoinNames(Routers()), ")"));
  }
  const SpecText replication_spec = ParseSpecText(replication_text, "replication");
  const ReplicationInfo* replication = FindReplicationPolicy(replication_spec.name);
  if (replication == nullptr) {
    throw InputError(absl::StrCat("strategy '", std::string(spec),
                                  "': unknown replication policy '", replication_spec.name, "'",
                                  DidYouMeanName(replication_spec.name, ReplicationPolicies()),
                                  " (known: ", JoinNames(ReplicationPolicies()), ")"));
  }
  ResolvedStrategy r{
      router,
      ResolveParams("router", router->name, router->params, router_spec.args),
      replication,
      ResolveParams("replication", replication->name, replication->params, replication_spec.args),
      {}};
  r.spec = Canonical(*router, r.router_params);
  if (replication->name != kDefaultReplication || !r.replication_params.NonDefaultText().empty()) {
    absl::StrAppend(&r.spec, "+", Canonical(*replication, r.replication_params));
  }
  return r;
}

Strategy MakeStrategy(std::string_view spec, uint64_t seed) {
  const ResolvedStrategy resolved = ResolveStrategy(spec);
  Strategy strategy;
  strategy.spec = resolved.spec;
  strategy.router = resolved.router->make(resolved.router_params, seed);
  // The policy draws from its own stream: adding one never changes the router's draws.
  strategy.replication = resolved.replication->make(resolved.replication_params, seed ^ 0x5EEDu);
  return strategy;
}

uint64_t StrategyStateBytes(const ResolvedStrategy& strategy, const PolicySizing& cell) {
  return strategy.router->state_bytes(strategy.router_params, cell) +
         strategy.replication->state_bytes(strategy.replication_params, cell);
}

}  // namespace kvb
