#include "bench/capacity.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

struct Multiplier {
  std::string_view prefix;
  double factor;
};

constexpr char kSizeSyntax[] =
    "\"<number><unit>\" with unit B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. \"16GB\", "
    "\"512MiB\")";

// Longest prefixes first, so "Mi" is tried before "M".
constexpr Multiplier kMultipliers[] = {
    {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
    {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
};

}  // namespace

Capacity ParseCapacity(std::string_view text, std::string_view what) {
  auto fail = [&]() -> Capacity {
    throw InputError(absl::StrCat(std::string(what),
                                  ": expected \"<number><unit>\" with unit blocks, tokens or B "
                                  "(optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"",
                                  std::string(text), "\""));
  };
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data() || !(number >= 0) || !std::isfinite(number)) {
    return fail();
  }
  std::string_view rest(end, static_cast<size_t>(text.data() + text.size() - end));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  double factor = 1;
  for (const Multiplier& m : kMultipliers) {
    if (rest.size() > m.prefix.size() && rest.substr(0, m.prefix.size()) == m.prefix) {
      factor = m.factor;
      rest.remove_prefix(m.prefix.size());
      break;
    }
  }
  Capacity capacity;
  if (rest == "blocks") {
    capacity.unit = CapacityUnit::kBlocks;
  } else if (rest == "tokens") {
    capacity.unit = CapacityUnit::kTokens;
  } else if (rest == "B") {
    capacity.unit = CapacityUnit::kBytes;
  } else {
    return fail();
  }
  const double value = std::floor(number * factor);
  if (value > 1.8e19) return fail();
  capacity.value = static_cast<uint64_t>(value);
  return capacity;
}

uint64_t ParseByteSize(std::string_view text, std::string_view what) {
  // "KB" is the usual spelling of kilobytes; ParseCapacity's multiplier is "k".
  std::string normal(text);
  if (normal.ends_with("KB")) normal[normal.size() - 2] = 'k';
  try {
    const Capacity capacity = ParseCapacity(normal, what);
    if (capacity.unit == CapacityUnit::kBytes) return capacity.value;
  } catch (const InputError&) {
  }
  throw InputError(absl::StrCat(std::string(what), ": expected a size ", kSizeSyntax, ", got \"",
                                std::string(text), "\""));
}

std::optional<uint64_t> ParseMemoryLimit(std::string_view text, std::string_view what) {
  if (text == "auto") return std::nullopt;
  uint64_t bytes = 0;
  try {
    bytes = ParseByteSize(text, what);
  } catch (const InputError&) {
    throw InputError(absl::StrCat(std::string(what), ": expected \"auto\" or a size ", kSizeSyntax,
                                  ", got \"", std::string(text), "\""));
  }
  if (bytes == 0) {
    throw InputError(absl::StrCat(std::string(what), ": must be at least 1 byte, got \"",
                                  std::string(text), "\""));
  }
  return bytes;
}

}  // namespace kvb
