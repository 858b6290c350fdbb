// mooncake: a prefix fetched for a request stays on the node that fetched it, with the
// suffix computed on it (Algorithm 1 step 4: hot blocks get copies where they are used).
// No proactive copies. The default of a strategy spec without "+replication".

#include "core/replication/replication_registry.h"

namespace kvb {
namespace {

class MooncakeReplication final : public ReplicationPolicy {
 public:
  bool keeps_fetched() const override { return true; }
};

}  // namespace

ReplicationInfo MooncakeReplicationInfo() {
  return {"mooncake",
          "a fetched prefix stays on the node that fetched it",
          "Mooncake (FAST'25), Algorithm 1 step 4",
          {},
          [](const Params&, uint64_t) { return std::make_unique<MooncakeReplication>(); },
          NoPolicyState};
}

}  // namespace kvb
