#ifndef KVB_CORE_CACHE_S3FIFO_H_
#define KVB_CORE_CACHE_S3FIFO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/cache/eviction_policy.h"
#include "core/cache/id_index.h"
#include "core/cache/slot_list.h"

namespace kvb {

// S3-FIFO (SOSP'23): new blocks probe a small FIFO; those hit there or ghost-remembered go main.
//
// Algorithm 1 of Yang et al.: new blocks enter a small FIFO S (10% of the cache) unless a
// ghost FIFO G remembers their id (then the main FIFO M); S's tail moves to M if hit more
// than once since insertion, else leaves and its id enters G; M's tail is reinserted at M's
// head with frequency - 1 while its frequency (capped at 3, +1 per hit) is positive.
//
// Choices where the paper leaves room (the test's reference follows them too):
// - |S| target s = ceil(capacity / 10) (>= 1), so "|S| >= 0.1 * capacity" is exactly
//   "|S| >= s"; M's capacity is capacity - s, and G holds at most that many ids.
// - Evict returns ONE victim. Moving S's tail into a full M evicts M's victim first and that
//   block is the call's victim (Algorithm 1 would go on and evict one more from S). An
//   empty M (capacity 1 leaves it no room) takes the block without evicting.
// - A block keeps its frequency when it moves from S to M, and enters with frequency 0.
// - An id found in G is taken out of G when its block is inserted into M.
// - Evict uses S when |S| >= s or M is empty, M otherwise; OnRemove forgets a block
//   without remembering it in G.
class S3FifoPolicy final : public EvictionPolicy {
 public:
  static constexpr uint8_t kMaxFrequency = 3;

  S3FifoPolicy(size_t capacity, size_t universe);

  // Heap bytes of a policy for `capacity` slots over ids 0..universe-1, the object included:
  // per slot links, frequency, queue and id; per ghost entry (capacity - s of them) links,
  // id and a free-list entry; and the ghost's id index.
  static size_t EstimateBytes(size_t capacity, size_t universe);

  void OnInsert(Slot slot, BlockId id) override;
  void OnHit(Slot slot) override {
    if (frequency_[slot] < kMaxFrequency) ++frequency_[slot];
  }
  void OnRemove(Slot slot) override;
  Slot Evict() override;

  size_t small_target() const { return small_target_; }
  size_t main_capacity() const { return main_capacity_; }
  size_t small_size() const { return small_.size; }
  size_t main_size() const { return main_.size; }
  size_t ghost_size() const { return ghost_.size; }

 private:
  enum class Queue : uint8_t { kNone, kSmall, kMain };

  Slot EvictFromSmall();
  Slot EvictFromMain();
  void RememberInGhost(BlockId id);
  // Removes `id` from G; returns whether it was there.
  bool TakeFromGhost(BlockId id);

  size_t small_target_;
  size_t main_capacity_;
  SlotLinks links_;        // S and M: front = head (newest), back = tail (oldest)
  SlotList small_, main_;  //
  std::vector<uint8_t> frequency_;
  std::vector<Queue> queue_of_;
  std::vector<BlockId> id_of_;
  // G: a FIFO of ids threaded through its own entries 0..main_capacity_-1.
  SlotLinks ghost_links_;
  SlotList ghost_;
  std::vector<BlockId> ghost_id_;
  std::vector<Slot> free_ghost_entries_;
  IdIndex ghost_entry_of_;  // id -> entry in G
};

// Factory for the registry: a policy for min(capacity, universe) slots.
std::unique_ptr<EvictionPolicy> MakeS3FifoPolicy(size_t capacity, size_t universe);
// Heap bytes of what MakeS3FifoPolicy(capacity, universe) returns.
size_t S3FifoPolicyBytes(size_t capacity, size_t universe);

}  // namespace kvb

#endif  // KVB_CORE_CACHE_S3FIFO_H_
