#ifndef KVB_CORE_CACHE_EVICTION_POLICY_H_
#define KVB_CORE_CACHE_EVICTION_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/trace/trace.h"

namespace kvb {

// A cache of capacity C keeps its resident blocks in slots 0..C-1.
using Slot = uint32_t;
inline constexpr Slot kNoSlot = std::numeric_limits<Slot>::max();

// Decides which resident block leaves a full cache. The cache owns residency; the policy
// only orders. Calls: OnInsert when a block enters a free slot, OnHit when a resident
// block is accessed again, OnRemove when the cache drops a block itself, and Evict to
// choose a victim (which the policy forgets). Every call is O(1) amortised.
class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;
  virtual void OnInsert(Slot slot, BlockId id) = 0;
  virtual void OnHit(Slot slot) = 0;
  virtual void OnRemove(Slot slot) = 0;
  // Precondition: at least one resident slot.
  virtual Slot Evict() = 0;
};

// Registry entry of an eviction policy (one file per policy fills one entry).
struct EvictionPolicyInfo {
  std::string_view name;         // "lru", "lfu", "fifo", "sieve", "s3fifo"
  std::string_view description;  // one line: the textbook rule
  std::string_view source;       // where the rule comes from
  // Makes a policy for a cache of `capacity` slots over ids 0..universe-1.
  std::function<std::unique_ptr<EvictionPolicy>(size_t capacity, size_t universe)> make;
  // Heap bytes of the policy `make` returns for (capacity, universe), the object included
  // (what it allocates up front; its arrays never grow).
  std::function<size_t(size_t capacity, size_t universe)> estimate_bytes;
};

// Every eviction policy, in a stable order.
std::span<const EvictionPolicyInfo> EvictionPolicies();
// The policy called `name`, or nullptr.
const EvictionPolicyInfo* FindEvictionPolicy(std::string_view name);
// The policy called `name`; throws InputError("<config_path>: unknown policy '<name>'
// (known: ...)") if there is none.
const EvictionPolicyInfo& RequireEvictionPolicy(std::string_view name,
                                                std::string_view config_path);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_EVICTION_POLICY_H_
