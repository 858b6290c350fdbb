// libFuzzer target for the matrix file parser: the input is the file's text. Anything but
// a clean parse or an InputError (a crash, a sanitizer report, another exception) is a
// finding, and so is an accepted config whose --print-config form does not parse back to
// itself.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "bench/matrix_json.h"
#include "core/util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    const kvb::MatrixConfig config = kvb::ParseMatrixConfig(json, "fuzz.json");
    const nlohmann::ordered_json printed = kvb::MatrixConfigToJson(config);
    const kvb::MatrixConfig again =
        kvb::ParseMatrixConfig(nlohmann::json::parse(printed.dump()), "fuzz.json");
    if (kvb::MatrixConfigToJson(again) != printed) {
      std::fprintf(stderr, "--print-config output does not parse back to itself:\n%s\n",
                   printed.dump(2).c_str());
      std::abort();
    }
  } catch (const kvb::InputError&) {
  }
  return 0;
}
