// libFuzzer target for the cost profile parser (configs/profiles/*.json, with its
// "serving" section): the input is the file's text. Anything but a clean parse or an
// InputError is a finding, and so is an accepted profile that does not round-trip through
// CostProfileToJson.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "bench/profile_json.h"
#include "core/util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    const kvb::CostProfile profile = kvb::CostProfileFromJson(json, "fuzz.json");
    const nlohmann::ordered_json printed = kvb::CostProfileToJson(profile);
    const kvb::CostProfile again =
        kvb::CostProfileFromJson(nlohmann::json::parse(printed.dump()), "fuzz.json");
    if (!(again == profile)) {
      std::fprintf(stderr, "profile does not round-trip:\n%s\n", printed.dump(2).c_str());
      std::abort();
    }
  } catch (const kvb::InputError&) {
  }
  return 0;
}
