#ifndef KVB_CORE_UTIL_FNV_H_
#define KVB_CORE_UTIL_FNV_H_

#include <cstdint>
#include <string_view>

namespace kvb {

// FNV-1a, 64 bits, fed incrementally: a hash every platform computes the same, for cell
// keys and content digests (not for hash tables: see Mix64).
class Fnv1a {
 public:
  void Add(std::string_view bytes) {
    for (const char c : bytes) {
      h_ ^= static_cast<unsigned char>(c);
      h_ *= 0x100000001b3ull;
    }
  }
  // Adds `value` as 8 little-endian bytes, whatever the platform's byte order.
  void AddU64(uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (value >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ull;
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

inline uint64_t Fnv1a64(std::string_view text) {
  Fnv1a h;
  h.Add(text);
  return h.value();
}

}  // namespace kvb

#endif  // KVB_CORE_UTIL_FNV_H_
