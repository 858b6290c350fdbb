#ifndef KVB_CORE_INDEX_PREFIX_INDEX_H_
#define KVB_CORE_INDEX_PREFIX_INDEX_H_

// PrefixIndex: which nodes hold which block id. Because an id names a whole prefix (see
// core/trace/trace.h), "node n caches the first k blocks of a request" means n holds the
// request's ids[0..k). BasicPrefixIndex<Key, LockPolicy> keeps a hash map of holder sets
// per shard; PrefixIndex, its use, takes raw 64-bit ids in S shards by id hash, each
// behind a big-reader lock (BigReaderMutex): a router serving many requests at once. The
// single-threaded simulation uses SimPrefixIndex (core/index/sim_prefix_index.h), which
// has the same interface and results over interned ids, without locks or hashing.
//
// Concurrency (ShardedLocking): every method is thread-safe, and every single-id
// operation (Add of one id, Remove, Holders, Holds, HolderCount) is atomic. Multi-id calls
// take one shard lock per id in turn, so they are NOT atomic snapshots across ids:
//   - Add(node, ids) becomes visible id by id, in order;
//   - LongestPrefix / ResidentCounts read each id at its own instant. A router may rely on:
//     a node reported with prefix length L held every one of ids[0..L) at the instant that
//     id was read, and a node that no writer touched during the call gets its exact
//     length. It may not rely on the answer still holding after the call returns.
// NoLocking: const methods may run concurrently with each other, never with a writer.
//
// Locks (ShardedLocking): a reader locks only its thread's slot of the shard's
// BigReaderMutex, so readers on different threads write no shared cache line and scale
// with cores; a writer locks all 8 slots, 40-50 ns more per id than one lock. Add of an
// id the node already holds takes only a reader lock.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "core/trace/trace.h"

namespace kvb {

// A node of the cluster, 0..nodes-1.
using NodeId = uint16_t;
inline constexpr size_t kMaxPrefixIndexNodes = 1024;
// Holder sets up to this size live inside their entry (24 bytes), larger ones on the heap.
inline constexpr size_t kInlineHolders = 8;
// A holder set: distinct nodes in ascending order.
using HolderList = absl::InlinedVector<NodeId, kInlineHolders>;

// What LongestPrefix found: the longest matched prefix and every node that matches it.
struct LongestPrefixResult {
  uint32_t best_len = 0;  // max over nodes of their matched prefix length
  HolderList best_nodes;  // ascending; the nodes matching best_len; empty iff best_len == 0
};

// Lock policy: no locks at all. Its mutex is an empty type whose operations compile to
// nothing; the index then has a single shard.
struct NoLocking {
  class ABSL_LOCKABLE Mutex {
   public:
    void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {}
    void Unlock() ABSL_UNLOCK_FUNCTION() {}
    void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {}
    void ReaderUnlock() ABSL_UNLOCK_FUNCTION() {}
  };
  static constexpr size_t kDefaultShards = 1;
  static constexpr bool kSharded = false;
};

namespace prefix_index_internal {

// Reader slots of a BigReaderMutex: enough for 8 reading cores before two threads share one.
inline constexpr size_t kReaderSlots = 8;

// The calling thread's reader slot, in 0..kReaderSlots-1: on its first call the slot with
// the fewest live threads (ties round-robin), then the same; the thread's exit frees it.
size_t AssignReaderSlot();

// The calling thread's reader slot: assigned on first use, then fixed for its life.
inline size_t ReaderSlot() {
  // Constant-initialised and trivially destructible: each use is one TLS load.
  static thread_local size_t slot_plus_one = 0;
  if (slot_plus_one == 0) [[unlikely]] {
    slot_plus_one = AssignReaderSlot() + 1;
  }
  return slot_plus_one - 1;
}

}  // namespace prefix_index_internal

// A distributed reader-writer lock ("big-reader lock") with absl::Mutex's method names and
// thread-safety annotations. A reader locks only its thread's slot, a std::mutex on its
// own cache line, so readers on different slots never write a shared cache line; a writer
// locks every slot in ascending order. Slots are ordinary mutexes: two threads sharing a
// slot (more live threads than slots) exclude each other as readers, and a thread must
// not take a reader lock it already holds. Size: 8 slots x 64 B = 512 B, so a 64-shard
// index spends 32 KiB on locks (its shards: 36 KiB, against 8 KiB with a shared_mutex).
//
// Why std::mutex slots: Debian's abseil runs deadlock detection on every absl::Mutex
// acquisition (22-34 ns per lock/unlock pair measured here, against 6-7 ns for std::mutex)
// and is not built with TSan, so TSan cannot see its happens-before edges; TSan intercepts
// pthread mutexes. And one std::shared_mutex (pthread_rwlock) has a lock word that every
// reader writes: a reader's pair costs 6 ns alone but 63 ns on each of two threads, and
// LongestPrefix on a cache-resident index went 0.75-1.55x from 1 to 2 threads. Here a
// reader's pair costs 6 ns alone and on each of two threads; a writer's 53 ns.
class ABSL_LOCKABLE BigReaderMutex {
 public:
  static constexpr size_t kSlots = prefix_index_internal::kReaderSlots;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    for (Slot& slot : slots_) slot.mu.lock();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    for (size_t i = kSlots; i-- > 0;) slots_[i].mu.unlock();
  }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { slots_[ThisThreadSlot()].mu.lock(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { slots_[ThisThreadSlot()].mu.unlock(); }

  // The slot that the calling thread's reader locks take.
  static size_t ThisThreadSlot() { return prefix_index_internal::ReaderSlot(); }

 private:
  struct alignas(64) Slot {
    std::mutex mu;
  };
  std::array<Slot, kSlots> slots_;
};

// Lock policy: one big-reader lock per shard; readers take it with ReaderLock.
struct ShardedLocking {
  using Mutex = BigReaderMutex;
  static constexpr size_t kDefaultShards = 64;
  static constexpr bool kSharded = true;
};

namespace prefix_index_internal {

template <typename M>
class ABSL_SCOPED_LOCKABLE ReaderGuard {
 public:
  explicit ReaderGuard(M& mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_.ReaderLock(); }
  ReaderGuard(const ReaderGuard&) = delete;
  ReaderGuard& operator=(const ReaderGuard&) = delete;
  ~ReaderGuard() ABSL_UNLOCK_FUNCTION() { mu_.ReaderUnlock(); }

 private:
  M& mu_;
};

template <typename M>
class ABSL_SCOPED_LOCKABLE WriterGuard {
 public:
  explicit WriterGuard(M& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_.Lock(); }
  WriterGuard(const WriterGuard&) = delete;
  WriterGuard& operator=(const WriterGuard&) = delete;
  ~WriterGuard() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }

 private:
  M& mu_;
};

// Inserts `node` keeping `set` ascending; false if it was already there.
inline bool InsertHolder(HolderList& set, NodeId node) {
  auto it = std::lower_bound(set.begin(), set.end(), node);
  if (it != set.end() && *it == node) return false;
  set.insert(it, node);
  return true;
}

// Removes `node` from `set`; false if it was not there.
inline bool EraseHolder(HolderList& set, NodeId node) {
  auto it = std::lower_bound(set.begin(), set.end(), node);
  if (it == set.end() || *it != node) return false;
  set.erase(it);
  return true;
}

inline bool ContainsHolder(const HolderList& set, NodeId node) {
  return std::binary_search(set.begin(), set.end(), node);
}

// One step of LongestPrefix's walk: next = alive ∩ holders (both ascending); a node of
// alive that is not in holders ends its match at k, written to prefix_per_node unless
// that is empty.
inline void IntersectHolders(const HolderList& alive, std::span<const NodeId> holders, uint32_t k,
                             std::span<uint32_t> prefix_per_node, HolderList& next) {
  next.clear();
  const NodeId* h = holders.data();
  const NodeId* const h_end = h + holders.size();
  for (NodeId a : alive) {
    while (h != h_end && *h < a) ++h;
    if (h != h_end && *h == a) {
      next.push_back(a);
    } else if (!prefix_per_node.empty()) {
      prefix_per_node[a] = k;
    }
  }
}

// Storage of one shard: a hash map from key to its (never empty) holder set.
template <typename Key>
class HashHolderStorage {
 public:
  // Lookups of unrelated keys miss the cache: LongestPrefix prefetches a few ids ahead.
  void Prefetch(Key key) const { map_.prefetch(key); }
  void Reserve(size_t ids) { map_.reserve(ids); }
  const HolderList* Find(Key key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  HolderList* FindMutable(Key key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  // The set of `key`, inserted empty if absent; the caller makes it non-empty.
  HolderList& FindOrInsert(Key key) { return map_[key]; }
  void Erase(Key key) { map_.erase(key); }
  size_t MemoryBytes() const {
    return map_.capacity() * (sizeof(std::pair<const Key, HolderList>) + 1);
  }

 private:
  absl::flat_hash_map<Key, HolderList> map_;
};

}  // namespace prefix_index_internal

// Maps block id -> holder set (nodes), and answers "how long a prefix of these ids does
// every node hold". `Key` is BlockId (interned) or RawBlockId; `LockPolicy` is NoLocking
// or ShardedLocking. Throws std::invalid_argument / std::out_of_range on bad node numbers.
template <typename Key, typename LockPolicy>
class BasicPrefixIndex {
  using Storage = prefix_index_internal::HashHolderStorage<Key>;

 public:
  using KeyType = Key;
  using Mutex = typename LockPolicy::Mutex;

  // `nodes` in 1..1024. `shards`: a power of two, 0 = the policy's default; NoLocking
  // always uses one shard.
  explicit BasicPrefixIndex(size_t nodes, size_t shards = 0);
  BasicPrefixIndex(const BasicPrefixIndex&) = delete;
  BasicPrefixIndex& operator=(const BasicPrefixIndex&) = delete;

  // Capacity hint for about `ids` distinct ids with holders at once; changes no result,
  // only time and memory.
  void Reserve(size_t ids);

  // Makes `node` a holder of every id in `ids`, in order (idempotent; with locks, an id it
  // already holds costs only a reader lock). Returns how many it did not hold before.
  size_t Add(size_t node, std::span<const Key> ids);
  size_t Add(size_t node, Key id) { return Add(node, std::span<const Key>(&id, 1)); }
  // Drops `node` as a holder of `id`; false if it was not one. When the last holder
  // leaves, the id's entry is erased.
  bool Remove(size_t node, Key id);

  // The holders of `id`, ascending (empty if none).
  HolderList Holders(Key id) const;
  bool Holds(Key id, size_t node) const;
  uint32_t HolderCount(Key id) const;

  // Walks `ids` in order; a node's match ends at its first id it does not hold, and the
  // walk stops once no node matches. If `prefix_per_node` is non-empty it must have
  // nodes() entries and receives every node's matched length (0 for most nodes).
  LongestPrefixResult LongestPrefix(std::span<const Key> ids,
                                    std::span<uint32_t> prefix_per_node = {}) const;
  // resident[n] = how many of `ids` node n holds, counted per id (no prefix rule);
  // `resident` must have nodes() entries.
  void ResidentCounts(std::span<const Key> ids, std::span<uint32_t> resident) const;

  // Distinct ids with at least one holder, and (id, node) pairs held. With concurrent
  // writers each shard is read at its own instant.
  size_t size() const;
  size_t holder_entries() const;
  // Approximate heap bytes of the entries (excluding heap-held sets of > 8 holders).
  size_t MemoryBytes() const;

  size_t nodes() const { return nodes_; }
  size_t shards() const { return shard_count_; }

 private:
  struct alignas(64) Shard {
    mutable Mutex mu;
    Storage map ABSL_GUARDED_BY(mu);
    size_t ids ABSL_GUARDED_BY(mu) = 0;      // entries in map
    size_t entries ABSL_GUARDED_BY(mu) = 0;  // sum of the entries' set sizes
  };
  static constexpr size_t kPrefetchAhead = 8;  // ids in flight in LongestPrefix
  using ReaderGuard = prefix_index_internal::ReaderGuard<Mutex>;
  using WriterGuard = prefix_index_internal::WriterGuard<Mutex>;

  Shard& ShardOf(Key key) const {
    if constexpr (!LockPolicy::kSharded) {
      return shards_[0];
    } else {
      // Fibonacci hashing: the top log2(shards) bits of the product, independent of the
      // map's own hash. Two shifts, so that one shard (a shift by 64) stays defined.
      const uint64_t product = static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull;
      return shards_[(product >> (shard_shift_ - 1)) >> 1];
    }
  }
  NodeId CheckedNode(size_t node) const {
    if (node >= nodes_) {
      throw std::out_of_range("PrefixIndex: node " + std::to_string(node) + " >= nodes " +
                              std::to_string(nodes_));
    }
    return static_cast<NodeId>(node);
  }

  size_t nodes_;
  size_t shard_count_;
  int shard_shift_;  // 64 - log2(shard_count_), in 48..64
  std::unique_ptr<Shard[]> shards_;
};

// Router use: raw 64-bit ids, lock-sharded.
using PrefixIndex = BasicPrefixIndex<RawBlockId, ShardedLocking>;

// ---------------------------------------------------------------------------------------
// Implementation.

template <typename Key, typename LockPolicy>
BasicPrefixIndex<Key, LockPolicy>::BasicPrefixIndex(size_t nodes, size_t shards) : nodes_(nodes) {
  if (nodes == 0 || nodes > kMaxPrefixIndexNodes) {
    throw std::invalid_argument("PrefixIndex: nodes must be in 1.." +
                                std::to_string(kMaxPrefixIndexNodes) + ", got " +
                                std::to_string(nodes));
  }
  if (shards == 0) shards = LockPolicy::kDefaultShards;
  if (!std::has_single_bit(shards) || shards > (size_t{1} << 16)) {
    throw std::invalid_argument("PrefixIndex: shards must be a power of two <= 65536, got " +
                                std::to_string(shards));
  }
  if constexpr (!LockPolicy::kSharded) shards = 1;
  shard_count_ = shards;
  shard_shift_ = 64 - std::countr_zero(shards);
  shards_ = std::make_unique<Shard[]>(shard_count_);
}

template <typename Key, typename LockPolicy>
void BasicPrefixIndex<Key, LockPolicy>::Reserve(size_t ids) {
  for (size_t s = 0; s < shard_count_; ++s) {
    WriterGuard lock(shards_[s].mu);
    // An even share plus slack for imbalance.
    const size_t share = shard_count_ == 1 ? ids : ids / shard_count_ + ids / shard_count_ / 8;
    shards_[s].map.Reserve(share);
  }
}

template <typename Key, typename LockPolicy>
size_t BasicPrefixIndex<Key, LockPolicy>::Add(size_t node, std::span<const Key> ids) {
  const NodeId n = CheckedNode(node);
  size_t added = 0;
  for (Key id : ids) {
    Shard& shard = ShardOf(id);
    if constexpr (LockPolicy::kSharded) {
      // Already a holder (a router re-adding a cached prefix): a reader lock suffices.
      ReaderGuard lock(shard.mu);
      const HolderList* set = shard.map.Find(id);
      if (set != nullptr && prefix_index_internal::ContainsHolder(*set, n)) continue;
    }
    WriterGuard lock(shard.mu);
    HolderList& set = shard.map.FindOrInsert(id);
    const bool was_empty = set.empty();
    if (prefix_index_internal::InsertHolder(set, n)) {
      ++added;
      ++shard.entries;
      if (was_empty) ++shard.ids;
    }
  }
  return added;
}

template <typename Key, typename LockPolicy>
bool BasicPrefixIndex<Key, LockPolicy>::Remove(size_t node, Key id) {
  const NodeId n = CheckedNode(node);
  Shard& shard = ShardOf(id);
  WriterGuard lock(shard.mu);
  HolderList* set = shard.map.FindMutable(id);
  if (set == nullptr || !prefix_index_internal::EraseHolder(*set, n)) return false;
  --shard.entries;
  if (set->empty()) {
    shard.map.Erase(id);
    --shard.ids;
  }
  return true;
}

template <typename Key, typename LockPolicy>
HolderList BasicPrefixIndex<Key, LockPolicy>::Holders(Key id) const {
  const Shard& shard = ShardOf(id);
  ReaderGuard lock(shard.mu);
  const HolderList* set = shard.map.Find(id);
  return set == nullptr ? HolderList() : *set;
}

template <typename Key, typename LockPolicy>
bool BasicPrefixIndex<Key, LockPolicy>::Holds(Key id, size_t node) const {
  const NodeId n = CheckedNode(node);
  const Shard& shard = ShardOf(id);
  ReaderGuard lock(shard.mu);
  const HolderList* set = shard.map.Find(id);
  return set != nullptr && prefix_index_internal::ContainsHolder(*set, n);
}

template <typename Key, typename LockPolicy>
uint32_t BasicPrefixIndex<Key, LockPolicy>::HolderCount(Key id) const {
  const Shard& shard = ShardOf(id);
  ReaderGuard lock(shard.mu);
  const HolderList* set = shard.map.Find(id);
  return set == nullptr ? 0 : static_cast<uint32_t>(set->size());
}

template <typename Key, typename LockPolicy>
LongestPrefixResult BasicPrefixIndex<Key, LockPolicy>::LongestPrefix(
    std::span<const Key> ids, std::span<uint32_t> prefix_per_node) const {
  const bool per_node = !prefix_per_node.empty();
  if (per_node) {
    if (prefix_per_node.size() != nodes_) {
      throw std::invalid_argument("PrefixIndex::LongestPrefix: prefix_per_node has " +
                                  std::to_string(prefix_per_node.size()) + " entries, nodes " +
                                  std::to_string(nodes_));
    }
    std::fill(prefix_per_node.begin(), prefix_per_node.end(), 0);
  }
  LongestPrefixResult result;
  if (ids.empty()) return result;
  // Start fetching ids[i]'s slot now (under its shard's lock, since the map's layout may
  // change), so that several cache misses overlap.
  auto prefetch = [&](size_t i) {
    if (i >= ids.size()) return;
    const Shard& shard = ShardOf(ids[i]);
    ReaderGuard lock(shard.mu);
    shard.map.Prefetch(ids[i]);
  };
  for (size_t i = 0; i < kPrefetchAhead; ++i) prefetch(i);
  {
    const Shard& shard = ShardOf(ids[0]);
    ReaderGuard lock(shard.mu);
    const HolderList* set = shard.map.Find(ids[0]);
    if (set == nullptr) return result;
    result.best_nodes = *set;
  }
  HolderList& alive = result.best_nodes;
  HolderList next;
  uint32_t k = 1;
  for (; k < ids.size(); ++k) {
    prefetch(k + kPrefetchAhead - 1);
    {
      const Shard& shard = ShardOf(ids[k]);
      ReaderGuard lock(shard.mu);
      const HolderList* set = shard.map.Find(ids[k]);
      const std::span<const NodeId> holders =
          set == nullptr ? std::span<const NodeId>() : std::span<const NodeId>(*set);
      prefix_index_internal::IntersectHolders(alive, holders, k, prefix_per_node, next);
    }
    if (next.empty()) break;  // every alive node ends at k: they are the best
    alive.swap(next);
  }
  result.best_len = k;
  if (per_node) {
    for (NodeId a : alive) prefix_per_node[a] = k;
  }
  return result;
}

template <typename Key, typename LockPolicy>
void BasicPrefixIndex<Key, LockPolicy>::ResidentCounts(std::span<const Key> ids,
                                                       std::span<uint32_t> resident) const {
  if (resident.size() != nodes_) {
    throw std::invalid_argument("PrefixIndex::ResidentCounts: resident has " +
                                std::to_string(resident.size()) + " entries, nodes " +
                                std::to_string(nodes_));
  }
  std::fill(resident.begin(), resident.end(), 0);
  for (Key id : ids) {
    const Shard& shard = ShardOf(id);
    ReaderGuard lock(shard.mu);
    const HolderList* set = shard.map.Find(id);
    if (set == nullptr) continue;
    for (NodeId n : *set) ++resident[n];
  }
}

template <typename Key, typename LockPolicy>
size_t BasicPrefixIndex<Key, LockPolicy>::size() const {
  size_t total = 0;
  for (size_t s = 0; s < shard_count_; ++s) {
    ReaderGuard lock(shards_[s].mu);
    total += shards_[s].ids;
  }
  return total;
}

template <typename Key, typename LockPolicy>
size_t BasicPrefixIndex<Key, LockPolicy>::holder_entries() const {
  size_t total = 0;
  for (size_t s = 0; s < shard_count_; ++s) {
    ReaderGuard lock(shards_[s].mu);
    total += shards_[s].entries;
  }
  return total;
}

template <typename Key, typename LockPolicy>
size_t BasicPrefixIndex<Key, LockPolicy>::MemoryBytes() const {
  size_t total = shard_count_ * sizeof(Shard);
  for (size_t s = 0; s < shard_count_; ++s) {
    ReaderGuard lock(shards_[s].mu);
    total += shards_[s].map.MemoryBytes();
  }
  return total;
}

}  // namespace kvb

#endif  // KVB_CORE_INDEX_PREFIX_INDEX_H_
