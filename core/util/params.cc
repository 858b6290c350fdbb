#include "core/util/params.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

namespace {

size_t IndexOf(std::span<const ParamSpec> specs, std::string_view name) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  return specs.size();
}

std::string Known(std::span<const ParamSpec> specs) {
  if (specs.empty()) return "it takes no parameters";
  std::string out = "known: ";
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i > 0) out += ", ";
    out += specs[i].name;
  }
  return out;
}

std::string Choices(const ParamSpec& spec) {
  std::string out;
  for (std::string_view c : spec.choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// Parses `text` as the value of `spec`, or returns an explanation of what was expected.
bool ParseValue(const ParamSpec& spec, std::string_view text, double& value,
                std::string& expected) {
  if (!spec.choices.empty()) {
    for (size_t i = 0; i < spec.choices.size(); ++i) {
      if (spec.choices[i] == text) {
        value = static_cast<double>(i);
        return true;
      }
    }
    expected = absl::StrCat("one of ", Choices(spec));
    return false;
  }
  const std::string range = absl::StrCat("in [", FormatParamValue(spec, spec.min), ", ",
                                         FormatParamValue(spec, spec.max), "]");
  expected = absl::StrCat(spec.integer ? "an integer " : "a number ", range);
  if (spec.integer && spec.min == 0 && spec.max == 1) {
    expected = "0, 1, false or true";
    if (text == "true") return value = 1, true;
    if (text == "false") return value = 0, true;
  }
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return false;
  if (spec.integer && value != std::floor(value)) return false;
  return value >= spec.min && value <= spec.max;
}

}  // namespace

double Params::Get(std::string_view name) const {
  const size_t i = IndexOf(specs_, name);
  if (i == specs_.size()) {
    throw std::logic_error(absl::StrCat("parameter '", std::string(name), "' is not declared"));
  }
  return values_[i];
}

std::string_view Params::GetChoice(std::string_view name) const {
  const size_t i = IndexOf(specs_, name);
  if (i == specs_.size() || specs_[i].choices.empty()) {
    throw std::logic_error(absl::StrCat("parameter '", std::string(name), "' has no choices"));
  }
  return specs_[i].choices[static_cast<size_t>(values_[i])];
}

std::string Params::NonDefaultText() const {
  std::string out;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (values_[i] == specs_[i].default_value) continue;
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, std::string(specs_[i].name), "=",
                    FormatParamValue(specs_[i], values_[i]));
  }
  return out;
}

SpecText ParseSpecText(std::string_view text, std::string_view kind) {
  auto fail = [&](std::string_view problem) {
    throw InputError(
        absl::StrCat(std::string(kind), " spec '", std::string(text), "': ", std::string(problem)));
  };
  SpecText spec;
  const size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (spec.name.empty()) fail("missing the strategy's name");
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) fail("nothing after ':'");
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
      fail(absl::StrCat("expected key=value, got '", std::string(item), "'"));
    }
    spec.args.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

Params ResolveParams(std::string_view kind, std::string_view name, std::span<const ParamSpec> specs,
                     const std::vector<std::pair<std::string, std::string>>& args) {
  std::vector<double> values;
  values.reserve(specs.size());
  for (const ParamSpec& s : specs) values.push_back(s.default_value);
  std::vector<bool> seen(specs.size(), false);
  const std::string who = absl::StrCat(std::string(kind), " '", std::string(name), "'");
  for (const auto& [key, text] : args) {
    const size_t i = IndexOf(specs, key);
    if (i == specs.size()) {
      throw InputError(absl::StrCat(who, ": unknown key '", key, "'", DidYouMeanName(key, specs),
                                    " (", Known(specs), ")"));
    }
    if (seen[i]) throw InputError(absl::StrCat(who, ": key '", key, "' given twice"));
    seen[i] = true;
    std::string expected;
    if (!ParseValue(specs[i], text, values[i], expected)) {
      throw InputError(
          absl::StrCat(who, ": key '", key, "': expected ", expected, ", got '", text, "'"));
    }
  }
  return Params(specs, std::move(values));
}

std::string DefaultsText(std::span<const ParamSpec> specs) {
  if (specs.empty()) return "-";
  std::string out;
  for (const ParamSpec& s : specs) {
    if (!out.empty()) out += ", ";
    absl::StrAppend(&out, std::string(s.name), "=", FormatParamValue(s, s.default_value));
  }
  return out;
}

std::string FormatParamValue(const ParamSpec& spec, double value) {
  if (!spec.choices.empty()) return std::string(spec.choices[static_cast<size_t>(value)]);
  if (spec.integer || value == std::floor(value)) return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.6g", value);
}

}  // namespace kvb
