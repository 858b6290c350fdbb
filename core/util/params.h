#ifndef KVB_CORE_UTIL_PARAMS_H_
#define KVB_CORE_UTIL_PARAMS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvb {

// One parameter of a strategy: name, default, inclusive range and meaning. A parameter
// with `choices` takes one of those names; its value is the index of the chosen name.
struct ParamSpec {
  std::string_view name;
  double default_value = 0;
  double min = 0;
  double max = 0;
  std::string_view description;
  bool integer = false;
  std::span<const std::string_view> choices = {};
};

// The values of a strategy's parameters: its defaults, overridden by a spec.
class Params {
 public:
  Params() = default;
  Params(std::span<const ParamSpec> specs, std::vector<double> values)
      : specs_(specs), values_(std::move(values)) {}

  // Precondition (std::logic_error otherwise): `name` is declared.
  double Get(std::string_view name) const;
  int64_t GetInt(std::string_view name) const { return static_cast<int64_t>(Get(name)); }
  bool GetBool(std::string_view name) const { return Get(name) != 0; }
  std::string_view GetChoice(std::string_view name) const;

  // "key=value,..." of the parameters that differ from their defaults, in declaration
  // order; empty when every value is the default.
  std::string NonDefaultText() const;
  std::span<const ParamSpec> specs() const { return specs_; }

 private:
  std::span<const ParamSpec> specs_;
  std::vector<double> values_;
};

// "name" or "name:key=value,key=value" split into its name and its assignments.
struct SpecText {
  std::string name;
  std::vector<std::pair<std::string, std::string>> args;
};

// Throws InputError "<kind> spec '<text>': <problem>" on bad syntax.
SpecText ParseSpecText(std::string_view text, std::string_view kind);

// Applies `args` over the defaults of `specs`. Throws InputError naming the strategy and
// the key: "router 'dynamo': unknown key 'x' (known: ...)" or "router 'dynamo': key
// 'temperature': expected a number in [0, 100], got 'hot'".
Params ResolveParams(std::string_view kind, std::string_view name, std::span<const ParamSpec> specs,
                     const std::vector<std::pair<std::string, std::string>>& args);

// "key=default" of every parameter, ", "-separated; "-" for none (for listings).
std::string DefaultsText(std::span<const ParamSpec> specs);

// A value as written in specs and listings: integers without a fraction, others with up
// to 6 significant digits.
std::string FormatParamValue(const ParamSpec& spec, double value);

}  // namespace kvb

#endif  // KVB_CORE_UTIL_PARAMS_H_
