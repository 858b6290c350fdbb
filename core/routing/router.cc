#include "core/routing/router.h"

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

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
