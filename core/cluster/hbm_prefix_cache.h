#ifndef KVB_CORE_CLUSTER_HBM_PREFIX_CACHE_H_
#define KVB_CORE_CLUSTER_HBM_PREFIX_CACHE_H_

// Every node's GPU prefix cache (tier G1): a block used by a request on the node is pinned
// while the request holds it; once no request holds it, it stays cached in the node's free
// HBM until the engine needs the memory, then leaves in the eviction policy's order (vLLM
// v1's free block queue, LRU: vllm/v1/core/block_pool.py @ c59cb794; docs/ENGINE.md).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/cache/block_cache.h"
#include "core/index/sim_prefix_index.h"
#include "core/trace/trace.h"

namespace kvb {

// HBM blocks of `kv_block_tokens` tokens that one trace block of `block_tokens` takes (a
// partial one counts whole; at least 1).
inline uint64_t HbmBlocksPerBlock(uint32_t block_tokens, uint32_t kv_block_tokens) {
  if (kv_block_tokens == 0) return 1;
  const uint64_t blocks = (uint64_t{block_tokens} + kv_block_tokens - 1) / kv_block_tokens;
  return blocks == 0 ? 1 : blocks;
}

class HbmPrefixCache {
 public:
  using OnEvict = std::function<void(size_t node, BlockId id)>;

  // One cache per entry of `evictions` (a policy name each), each keeping at most
  // `max_cached_blocks` unpinned blocks of ids < `universe`. Throws InputError naming
  // `config_path` for an unknown policy or an empty cluster.
  HbmPrefixCache(const std::vector<std::string>& evictions, size_t max_cached_blocks,
                 size_t universe, const std::string& config_path);

  // Heap bytes of such a cache (pins aside: they follow the requests in flight).
  static BlockCacheBytes EstimateBytes(const std::vector<std::string>& evictions,
                                       size_t max_cached_blocks, size_t universe);

  size_t nodes() const { return cached_.size(); }
  // Whether `id` is in node's HBM, pinned or cached.
  bool Holds(size_t node, BlockId id) const { return holders_.Holds(id, node); }
  const SimPrefixIndex& holders() const { return holders_; }

  // One more request on `node` holds each of `ids` (resident or just computed).
  void Pin(size_t node, std::span<const BlockId> ids);
  // One request fewer holds each of `ids`; those no request holds become cached, visited
  // from the last to the first (parents end up more recent than children). Throws
  // std::logic_error for an id not pinned there.
  void Unpin(size_t node, std::span<const BlockId> ids, const OnEvict& on_evict);
  // Evicts cached blocks of `node` until at most `limit` remain.
  void Fit(size_t node, size_t limit, const OnEvict& on_evict);

  size_t cached_blocks(size_t node) const { return cached_[node].size(); }
  size_t pinned_blocks(size_t node) const { return pins_[node].size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  void Evicted(size_t node, BlockId id, const OnEvict& on_evict);

  std::vector<BlockCache> cached_;  // per node: unpinned blocks, in the policy's order
  std::vector<absl::flat_hash_map<BlockId, uint32_t>> pins_;  // per node: id -> holders
  SimPrefixIndex holders_;                                    // pinned or cached
  uint64_t evictions_ = 0;
};

}  // namespace kvb

#endif  // KVB_CORE_CLUSTER_HBM_PREFIX_CACHE_H_
