#ifndef KVB_CORE_UTIL_NAMES_H_
#define KVB_CORE_UTIL_NAMES_H_

#include <string>
#include <string_view>

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

}  // namespace kvb

#endif  // KVB_CORE_UTIL_NAMES_H_
