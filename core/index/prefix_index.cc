#include "core/index/prefix_index.h"

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "core/util/mutex.h"

namespace kvb {
namespace prefix_index_internal {
namespace {

// Live threads per reader slot, and the round-robin start of the next search. Counting live
// threads, not every thread ever started, keeps short-lived threads (a benchmark's, a pool
// that grows and shrinks) from landing on the slot of a long-lived reader.
struct SlotTable {
  Mutex mu;
  std::array<uint32_t, kReaderSlots> live ABSL_GUARDED_BY(mu){};
  size_t next ABSL_GUARDED_BY(mu) = 0;
};

SlotTable& Slots() {
  static SlotTable* const table = new SlotTable;  // never destroyed: threads may outlive main
  return *table;
}

// A thread's slot: taken when the thread first asks, released when the thread exits.
class SlotLease {
 public:
  SlotLease() {
    SlotTable& table = Slots();
    MutexLock lock(&table.mu);
    slot_ = table.next;
    for (size_t i = 1; i < kReaderSlots; ++i) {
      const size_t s = (table.next + i) % kReaderSlots;
      if (table.live[s] < table.live[slot_]) slot_ = s;
    }
    ++table.live[slot_];
    table.next = (slot_ + 1) % kReaderSlots;
  }
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease() {
    SlotTable& table = Slots();
    MutexLock lock(&table.mu);
    --table.live[slot_];
  }
  size_t slot() const { return slot_; }

 private:
  size_t slot_;
};

}  // namespace

size_t AssignReaderSlot() {
  thread_local const SlotLease lease;
  return lease.slot();
}

}  // namespace prefix_index_internal

// Every member of the four key x lock combinations is compiled here once, so a mistake in
// a combination no caller uses yet still fails the build.
template class BasicPrefixIndex<RawBlockId, ShardedLocking>;
template class BasicPrefixIndex<BlockId, NoLocking>;
template class BasicPrefixIndex<RawBlockId, NoLocking>;
template class BasicPrefixIndex<BlockId, ShardedLocking>;

}  // namespace kvb
