#ifndef KVB_BENCH_STRICT_JSON_H_
#define KVB_BENCH_STRICT_JSON_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

namespace kvb {

// Reads a JSON object field by field into plain structs. Every field asked for must be
// present with the right type, and Finish() rejects fields nobody asked for. Errors are
// InputError("SOURCE: path.to.field: problem").
class StrictObject {
 public:
  // `source` names the file (or flag) in messages; `path` is this object's path ("" = root).
  StrictObject(const nlohmann::json& json, std::string source, std::string path);

  double Number(std::string_view key);
  uint64_t Unsigned(std::string_view key, uint64_t max);
  int64_t Integer(std::string_view key, int64_t min, int64_t max);
  std::string String(std::string_view key);
  StrictObject Object(std::string_view key);
  bool Bool(std::string_view key);
  // The field as it is, for callers that check its type themselves; marks it read.
  const nlohmann::json& Raw(std::string_view key);
  bool Has(std::string_view key) const;

  // Throws if the object has a field that was not read.
  void Finish() const;

  // "path.key", the way messages name a field.
  std::string PathOf(std::string_view key) const;
  [[noreturn]] void Fail(std::string_view key, std::string_view problem) const;

 private:
  const nlohmann::json& Get(std::string_view key);

  const nlohmann::json& json_;
  std::string source_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
  mutable std::set<std::string, std::less<>> asked_;  // every key Has() or Get() looked for
};

// A value as error messages name it, short whatever its size: "the integer 7", "the
// string \"abc\"" (cut at 40 characters), "an array", "an object", "null", "true".
std::string DescribeJson(const nlohmann::json& value);

// Parses a whole file as JSON; InputError with line and column on a syntax error.
nlohmann::json ReadJsonFile(const std::string& path);

}  // namespace kvb

#endif  // KVB_BENCH_STRICT_JSON_H_
