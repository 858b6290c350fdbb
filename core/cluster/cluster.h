#ifndef KVB_CORE_CLUSTER_CLUSTER_H_
#define KVB_CORE_CLUSTER_CLUSTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/cache/block_cache.h"
#include "core/index/sim_prefix_index.h"
#include "core/trace/trace.h"

namespace kvb {

// One prefill node: its KV cache size and eviction policy, and its compute speed relative
// to the hardware profile (heterogeneous clusters).
struct NodeSpec {
  size_t capacity_blocks = 0;
  std::string eviction = "lru";
  double speed = 1.0;
  // Local SSD (tier G3; 0: none), fed by what DRAM evicts, with its own eviction policy.
  size_t ssd_capacity_blocks = 0;
  std::string ssd_eviction = "lru";
};

// Local: a node reuses only what it holds. Global: a node may also fetch a prefix held by
// another node (at transfer cost) and keeps the fetched blocks. Pool (Mooncake Store): every
// node's DRAM is one pool; a prefix is assembled block by block from whichever nodes hold
// its blocks, each read from its least busy holder, and new blocks are placed by
// PoolPlacement.
enum class CacheScope { kLocal, kGlobal, kPool };

// Pool scope: where a block computed by a request goes: its node (local), a node chosen by
// a hash of the block (hashed), or the node holding the fewest blocks (balanced).
enum class PoolPlacement { kLocal, kHashed, kBalanced };

// With an HBM prefix cache, when a node's DRAM (G2) receives blocks: when a prefill
// completes (write-through), or when HBM evicts them (write-back; SGLang HiCache's
// write_through and write_back policies).
enum class DramWrite { kThrough, kBack };

struct ClusterSpec {
  std::vector<NodeSpec> nodes;
  CacheScope scope = CacheScope::kLocal;
  PoolPlacement pool_placement = PoolPlacement::kLocal;  // pool scope only
  // Pool scope: every node's SSD (tier G3) is in the pool too; a block only SSDs hold is read
  // on its holder, then sent (Mooncake Store's DRAM + SSD pool).
  bool pool_ssd = false;
  // Serving shapes: each node's HBM keeps the blocks of finished requests as a prefix cache
  // (tier G1, HbmPrefixCache) evicted by `hbm_eviction`; off, HBM holds running requests only.
  bool hbm_prefix_cache = false;
  std::string hbm_eviction = "lru";
  DramWrite dram_write = DramWrite::kThrough;
};

// The nodes' caches and the index of who holds what, kept consistent, with the
// accounting the metrics need (resident and replica blocks, evictions, stranding).
class Cluster {
 public:
  // Throws InputError for an unknown eviction policy or an empty cluster. With
  // seed_copy_limit > 0 the cluster follows the seed's memory accounting (SeedInsert,
  // SeedCopy): each node may hold up to that many blocks beyond its capacity as copies.
  Cluster(const ClusterSpec& spec, const Trace& trace, size_t seed_copy_limit = 0);

  // Heap bytes of the nodes' caches of a Cluster(spec, trace, seed_copy_limit) on a trace
  // of `universe` distinct ids: each node's BlockCache (capacity + seed_copy_limit slots,
  // clipped to the universe) plus the per-node arrays, counted in `slots`. The index of
  // holders (SimPrefixIndex) is not included. Throws InputError for an unknown policy.
  static BlockCacheBytes EstimateCacheBytes(const ClusterSpec& spec, size_t universe,
                                            size_t seed_copy_limit = 0);

  size_t size() const { return caches_.size(); }
  const SimPrefixIndex& holders() const { return holders_; }
  bool Holds(size_t node, BlockId id) const { return holders_.Holds(id, node); }

  // Tells node's policy of an access to a resident block; false if not resident.
  bool Touch(size_t node, BlockId id) { return caches_[node].Touch(id); }
  // Makes `id` resident on `node`, evicting as needed. Precondition: not resident there.
  void Insert(size_t node, BlockId id);

  // The seed's miss: while the node's counted memory is full, evict a victim (each eviction
  // frees one block of memory, copy or not); then insert `id`, counted. Not resident there.
  void SeedInsert(size_t node, BlockId id);
  // The seed's copy: uncounted by memory; a block the node holds is re-inserted as new.
  // Does nothing and returns false once the node holds seed_copy_limit blocks or more.
  bool SeedCopy(size_t node, BlockId id);

  // Realistic storing of a served request: blocks visited from the last to the first,
  // touched if resident, inserted otherwise (parents end up more recent than children).
  void StorePrefix(size_t node, std::span<const BlockId> blocks);

  uint64_t resident_blocks() const { return resident_blocks_; }
  // Copies beyond the first of every resident block, summed.
  uint64_t replica_blocks() const { return resident_blocks_ - distinct_resident_; }
  uint32_t peak_holders() const { return peak_holders_; }
  // Inserts of a block some other node already held.
  uint64_t replicas_created() const { return replicas_created_; }
  uint64_t evictions() const { return evictions_; }
  // Evictions of a block whose parent was not resident on that node: memory that held a
  // block no request could reuse.
  uint64_t stranded_evictions() const { return stranded_evictions_; }

  // Tier G3: whether any node has an SSD, and what the SSDs hold (null without).
  bool has_ssd() const { return ssd_holders_ != nullptr; }
  const SimPrefixIndex* ssd_holders() const { return ssd_holders_.get(); }
  bool HoldsOnSsd(size_t node, BlockId id) const {
    return ssd_holders_ != nullptr && ssd_holders_->Holds(id, node);
  }
  // Blocks resident on every SSD, and written to them since the start.
  uint64_t ssd_resident_blocks() const { return ssd_resident_blocks_; }
  size_t ssd_node_resident(size_t node) const {
    return ssd_caches_.empty() ? 0 : ssd_caches_[node].size();
  }
  uint64_t ssd_written_blocks() const { return ssd_written_blocks_; }
  // Calls each(node, blocks) for every node whose SSD was written since the last call, with
  // the blocks written, and forgets them.
  template <typename Each>
  void TakeSsdWrites(Each&& each) {
    if (!ssd_writes_pending_) return;
    for (size_t n = 0; n < ssd_writes_.size(); ++n) {
      if (ssd_writes_[n] == 0) continue;
      each(n, ssd_writes_[n]);
      ssd_writes_[n] = 0;
    }
    ssd_writes_pending_ = false;
  }
  size_t node_resident(size_t node) const { return caches_[node].size(); }
  size_t node_capacity(size_t node) const { return capacity_[node]; }

 private:
  void OnEvicted(size_t node, BlockId id);
  // A block DRAM evicted goes to the node's SSD (touched if there already).
  void Demote(size_t node, BlockId id);
  // Records that `node` now holds `id` (just inserted into its cache).
  void Admit(size_t node, BlockId id);

  const Trace& trace_;
  std::vector<BlockCache> caches_;
  std::vector<size_t> capacity_;  // per node, as specified
  size_t seed_copy_limit_;
  std::vector<size_t> seed_counted_;  // seed mode: blocks counted by memory, per node
  SimPrefixIndex holders_;            // who holds what: the routers' view of the caches
  uint64_t resident_blocks_ = 0;
  uint64_t distinct_resident_ = 0;
  uint32_t peak_holders_ = 0;
  uint64_t replicas_created_ = 0;
  uint64_t evictions_ = 0;
  uint64_t stranded_evictions_ = 0;
  std::vector<BlockCache> ssd_caches_;           // per node when any node has an SSD
  std::unique_ptr<SimPrefixIndex> ssd_holders_;  // who holds what on SSD
  std::vector<uint64_t> ssd_writes_;             // per node: written since TakeSsdWrites
  bool ssd_writes_pending_ = false;
  uint64_t ssd_resident_blocks_ = 0;
  uint64_t ssd_written_blocks_ = 0;
};

}  // namespace kvb

#endif  // KVB_CORE_CLUSTER_CLUSTER_H_
