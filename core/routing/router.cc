#include "core/routing/router.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

uint32_t ClusterView::resident_blocks(size_t node) const {
  if (resident_blocks_.size() != nodes()) {
    resident_blocks_.assign(nodes(), 0);
    holders_->ResidentCounts(request_.blocks, resident_blocks_);
  }
  return resident_blocks_[node];
}

std::unique_ptr<Router> MakeRouter(std::string_view spec, uint64_t seed) {
  const SpecText text = ParseSpecText(spec, "router");
  const RouterInfo* info = FindRouter(text.name);
  if (info == nullptr) {
    throw InputError(absl::StrCat("router spec '", std::string(spec), "': unknown router '",
                                  text.name, "' (known: ", JoinNames(Routers()), ")"));
  }
  return info->make(ResolveParams("router", info->name, info->params, text.args), seed);
}

}  // namespace kvb
