#ifndef KVB_CORE_UTIL_MEMORY_ARITHMETIC_H_
#define KVB_CORE_UTIL_MEMORY_ARITHMETIC_H_

// Arithmetic of memory estimates: sizes that saturate instead of wrapping, and the growth
// rules of containers that double.

#include <cstdint>

namespace kvb {

// glibc malloc: bytes a small allocation costs beyond its size.
inline constexpr uint64_t kMallocOverhead = 16;

// The power of two at or above n (0 for 0): a doubling vector's capacity after n pushes.
inline constexpr uint64_t Pow2Ceil(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p *= 2;
  return n == 0 ? 0 : p;
}

inline constexpr uint64_t CeilDiv(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : a / b + (a % b != 0 ? 1 : 0);
}

inline constexpr uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

inline constexpr uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

}  // namespace kvb

#endif  // KVB_CORE_UTIL_MEMORY_ARITHMETIC_H_
