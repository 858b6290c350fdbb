// budgeted: another policy (with its defaults) under a cap on replica blocks, a share of the
// cluster's capacity; copies and kept fetches beyond the cap are refused by the engine.

#include <array>
#include <string>

#include "core/replication/replication_registry.h"

namespace kvb {
namespace {

constexpr std::string_view kInner[] = {"seed_dynamic", "seed_predictive", "preble", "mooncake"};

constexpr ParamSpec kParams[] = {
    {"policy", 0, 0, 3, "the policy under the cap", false, kInner},
    {"share", 0.1, 1e-9, 1, "replica blocks allowed, as a share of all nodes' capacity"},
};

class BudgetedReplication final : public ReplicationPolicy {
 public:
  BudgetedReplication(const Params& p, uint64_t seed)
      : inner_(MakeReplicationPolicy(p.GetChoice("policy"), seed)), share_(p.Get("share")) {}

  void BeforeRoute(const ClusterView& view) override { inner_->BeforeRoute(view); }
  void OnServed(const Request& request, uint32_t node, double ttft_s) override {
    inner_->OnServed(request, node, ttft_s);
  }
  bool keeps_fetched() const override { return inner_->keeps_fetched(); }
  double replica_budget_share() const override { return share_; }
  bool needs_hotspots() const override { return inner_->needs_hotspots(); }
  bool copies_prefixes() const override { return inner_->copies_prefixes(); }

 private:
  std::unique_ptr<ReplicationPolicy> inner_;
  double share_;
};

// The inner policy's state, with its defaults (as BudgetedReplication makes it).
uint64_t BudgetedStateBytes(const Params& params, const PolicySizing& cell) {
  const ReplicationInfo* inner = FindReplicationPolicy(params.GetChoice("policy"));
  return inner->state_bytes(ResolveParams("replication", inner->name, inner->params, {}), cell);
}

}  // namespace

ReplicationInfo BudgetedReplicationInfo() {
  return {
      "budgeted",
      "another policy under a cap on total replica bytes",
      "kvbench (replica memory as a budget)",
      kParams,
      [](const Params& p, uint64_t seed) { return std::make_unique<BudgetedReplication>(p, seed); },
      BudgetedStateBytes};
}

}  // namespace kvb
