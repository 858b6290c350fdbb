#include "core/decode/decode_selector.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

std::span<const DecodeSelectorInfo> DecodeSelectors() {
  static const std::vector<DecodeSelectorInfo> kSelectors = {
      LeastLoadedDecodeInfo(), LeastKvDecodeInfo(), MooncakeTbtDecodeInfo(), DynamoDecodeInfo()};
  return kSelectors;
}

const DecodeSelectorInfo* FindDecodeSelector(std::string_view name) {
  return FindByName(DecodeSelectors(), name);
}

std::unique_ptr<DecodeSelector> MakeDecodeSelector(std::string_view name, uint64_t seed) {
  const DecodeSelectorInfo* info = FindDecodeSelector(name);
  if (info == nullptr) {
    throw InputError(absl::StrCat("unknown decode selector '", std::string(name),
                                  "' (known: ", JoinNames(DecodeSelectors()), ")"));
  }
  return info->make(seed);
}

}  // namespace kvb
