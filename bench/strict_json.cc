#include "bench/strict_json.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

namespace {

std::string TypeName(const nlohmann::json& j) {
  if (j.is_number_float()) return absl::StrCat("the number ", j.dump());
  if (j.is_number()) return absl::StrCat("the integer ", j.dump());
  return j.type_name();
}

}  // namespace

std::string DescribeJson(const nlohmann::json& j) {
  constexpr size_t kShown = 40;
  if (j.is_number() || j.is_boolean() || j.is_null())
    return TypeName(j) == j.type_name() ? j.dump() : TypeName(j);
  if (j.is_string()) {
    const std::string& text = j.get_ref<const std::string&>();
    if (text.size() <= kShown) return absl::StrCat("the string ", j.dump());
    return absl::StrCat("the string ", nlohmann::json(text.substr(0, kShown)).dump(), "...");
  }
  return j.is_array() ? "an array" : "an object";
}

StrictObject::StrictObject(const nlohmann::json& json, std::string source, std::string path)
    : json_(json), source_(std::move(source)), path_(std::move(path)) {
  if (!json_.is_object()) {
    throw InputError(absl::StrCat(source_, ": ", path_.empty() ? "(top level)" : path_,
                                  ": expected an object, got ", TypeName(json_)));
  }
}

std::string StrictObject::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", std::string(key));
}

void StrictObject::Fail(std::string_view key, std::string_view problem) const {
  throw InputError(absl::StrCat(source_, ": ", PathOf(key), ": ", std::string(problem)));
}

const nlohmann::json& StrictObject::Get(std::string_view key) {
  const auto it = json_.find(key);
  if (it == json_.end()) Fail(key, "missing required field");
  read_.emplace(key);
  return *it;
}

double StrictObject::Number(std::string_view key) {
  const nlohmann::json& j = Get(key);
  if (!j.is_number()) Fail(key, absl::StrCat("expected a number, got ", TypeName(j)));
  return j.get<double>();
}

uint64_t StrictObject::Unsigned(std::string_view key, uint64_t max) {
  const nlohmann::json& j = Get(key);
  if (!j.is_number_integer()) Fail(key, absl::StrCat("expected an integer, got ", TypeName(j)));
  if (!j.is_number_unsigned() && j.get<int64_t>() < 0) {
    Fail(key, absl::StrCat("expected a non-negative integer, got ", j.dump()));
  }
  const uint64_t v = j.get<uint64_t>();
  if (v > max) Fail(key, absl::StrCat(v, " is out of range (max ", max, ")"));
  return v;
}

int64_t StrictObject::Integer(std::string_view key, int64_t min, int64_t max) {
  const nlohmann::json& j = Get(key);
  if (!j.is_number_integer()) Fail(key, absl::StrCat("expected an integer, got ", TypeName(j)));
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(max)) {
    Fail(key, absl::StrCat(j.dump(), " is out of range (max ", max, ")"));
  }
  const int64_t v = j.get<int64_t>();
  if (v < min || v > max) Fail(key, absl::StrCat(v, " is out of range [", min, ", ", max, "]"));
  return v;
}

std::string StrictObject::String(std::string_view key) {
  const nlohmann::json& j = Get(key);
  if (!j.is_string()) Fail(key, absl::StrCat("expected a string, got ", TypeName(j)));
  return j.get<std::string>();
}

bool StrictObject::Bool(std::string_view key) {
  const nlohmann::json& j = Get(key);
  if (!j.is_boolean()) Fail(key, absl::StrCat("expected true or false, got ", TypeName(j)));
  return j.get<bool>();
}

const nlohmann::json& StrictObject::Raw(std::string_view key) { return Get(key); }

bool StrictObject::Has(std::string_view key) const {
  asked_.emplace(key);
  return json_.contains(key);
}

StrictObject StrictObject::Object(std::string_view key) {
  return StrictObject(Get(key), source_, PathOf(key));
}

void StrictObject::Finish() const {
  for (const auto& [key, value] : json_.items()) {
    if (read_.find(key) != read_.end()) continue;
    std::vector<std::string_view> known(read_.begin(), read_.end());
    known.insert(known.end(), asked_.begin(), asked_.end());
    Fail(key, absl::StrCat("unknown field", DidYouMean(key, known)));
  }
}

nlohmann::json ReadJsonFile(const std::string& path) {
  if (std::filesystem::is_directory(path)) throw InputError(absl::StrCat(path, ": is a directory"));
  std::ifstream in(path);
  if (!in) throw InputError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string what = e.what();
    const size_t at = what.find("parse error");
    throw InputError(
        absl::StrCat(path, ": invalid JSON: ", at == std::string::npos ? what : what.substr(at)));
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond a double ("1e400"): "[json.exception.out_of_range.406] number overflow
    // parsing '1e400'" is bad input, not an internal failure.
    std::string what = e.what();
    const size_t at = what.find("] ");
    throw InputError(absl::StrCat(
        path, ": invalid JSON: ", at == std::string::npos ? what : what.substr(at + 2)));
  }
}

}  // namespace kvb
