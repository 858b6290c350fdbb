#include "core/replication/replication_registry.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

std::span<const ReplicationInfo> ReplicationPolicies() {
#define KVB_REPLICATION_ENTRY(Name) Name##ReplicationInfo(),
  static const std::vector<ReplicationInfo> policies = {
      KVB_REPLICATION_TABLE(KVB_REPLICATION_ENTRY)};
#undef KVB_REPLICATION_ENTRY
  return policies;
}

const ReplicationInfo* FindReplicationPolicy(std::string_view name) {
  return FindByName(ReplicationPolicies(), name);
}

std::unique_ptr<ReplicationPolicy> MakeReplicationPolicy(std::string_view spec, uint64_t seed) {
  const SpecText text = ParseSpecText(spec, "replication");
  const ReplicationInfo* info = FindReplicationPolicy(text.name);
  if (info == nullptr) {
    throw InputError(absl::StrCat("replication spec '", std::string(spec),
                                  "': unknown replication policy '", text.name,
                                  "' (known: ", JoinNames(ReplicationPolicies()), ")"));
  }
  return info->make(ResolveParams("replication", info->name, info->params, text.args), seed);
}

}  // namespace kvb
