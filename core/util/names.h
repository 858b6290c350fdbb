#ifndef KVB_CORE_UTIL_NAMES_H_
#define KVB_CORE_UTIL_NAMES_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvb {

// "a, b, c": the names of a registry's entries (anything with a `name` member), in order,
// for "unknown X (known: ...)" messages.
template <typename Entries>
std::string JoinNames(const Entries& entries) {
  std::string out;
  for (const auto& entry : entries) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

// The entry called `name` in a registry, or nullptr.
template <typename Entries>
auto FindByName(const Entries& entries, std::string_view name) -> decltype(&*entries.begin()) {
  for (const auto& entry : entries) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

// An enum's values and their names in configs and results, one row each.
template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

// The name of `value` in `table`, or "unknown".
template <typename E, size_t N>
constexpr std::string_view NameOf(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& row : table) {
    if (row.value == value) return row.name;
  }
  return "unknown";
}

// The value named `name` in `table`, or nullopt.
template <typename E, size_t N>
constexpr std::optional<E> ValueNamed(const EnumName<E> (&table)[N], std::string_view name) {
  for (const EnumName<E>& row : table) {
    if (row.name == name) return row.value;
  }
  return std::nullopt;
}

// The candidate nearest to `word` by edit distance (insert, delete, substitute, swap two
// neighbours: one step each) when it is a likely typo: at most 2 steps, and fewer than
// half of `word`'s letters; ties go to the earlier candidate. nullopt otherwise.
std::optional<std::string> NearestName(std::string_view word,
                                       std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" when NearestName finds x, else "": for "unknown X" messages.
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

// The same over a registry's entries (anything with a `name` member).
template <typename Entries>
std::string DidYouMeanName(std::string_view word, const Entries& entries) {
  std::vector<std::string_view> names;
  for (const auto& entry : entries) names.push_back(entry.name);
  return DidYouMean(word, names);
}

}  // namespace kvb

#endif  // KVB_CORE_UTIL_NAMES_H_
