// none: no block is ever copied to stay. A prefix fetched from another node (global scope)
// serves one request and is dropped: the node keeps only what it held before, and so none
// of the suffix computed on the fetched blocks either (that suffix is useless without them).

#include "core/replication/replication_registry.h"

namespace kvb {
namespace {

class NoReplication final : public ReplicationPolicy {
 public:
  bool keeps_fetched() const override { return false; }
};

}  // namespace

ReplicationInfo NoReplicationInfo() {
  return {"none",
          "no copies: fetched prefixes serve one request and are dropped",
          "kvbench baseline",
          {},
          [](const Params&, uint64_t) { return std::make_unique<NoReplication>(); },
          NoPolicyState};
}

}  // namespace kvb
