#include "core/routing/router_registry.h"

#include <vector>

#include "core/routing/router.h"
#include "core/util/names.h"

namespace kvb {

std::span<const RouterInfo> Routers() {
#define KVB_ROUTER_ENTRY(Name) Name##RouterInfo(),
  static const std::vector<RouterInfo> routers = {KVB_ROUTER_TABLE(KVB_ROUTER_ENTRY)};
#undef KVB_ROUTER_ENTRY
  return routers;
}

const RouterInfo* FindRouter(std::string_view name) { return FindByName(Routers(), name); }

}  // namespace kvb
