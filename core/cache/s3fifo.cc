#include "core/cache/s3fifo.h"

#include <algorithm>

namespace kvb {

S3FifoPolicy::S3FifoPolicy(size_t capacity, size_t universe)
    : small_target_(std::max<size_t>(1, (capacity + 9) / 10)),
      main_capacity_(capacity - std::min(capacity, small_target_)),
      links_(capacity),
      frequency_(capacity, 0),
      queue_of_(capacity, Queue::kNone),
      id_of_(capacity, 0),
      ghost_links_(main_capacity_),
      ghost_id_(main_capacity_, 0),
      ghost_entry_of_(universe, main_capacity_) {
  free_ghost_entries_.reserve(main_capacity_);
  for (size_t e = main_capacity_; e-- > 0;) free_ghost_entries_.push_back(static_cast<Slot>(e));
}

void S3FifoPolicy::OnInsert(Slot slot, BlockId id) {
  frequency_[slot] = 0;
  id_of_[slot] = id;
  if (TakeFromGhost(id)) {
    queue_of_[slot] = Queue::kMain;
    links_.PushFront(main_, slot);
  } else {
    queue_of_[slot] = Queue::kSmall;
    links_.PushFront(small_, slot);
  }
}

void S3FifoPolicy::OnRemove(Slot slot) {
  links_.Unlink(queue_of_[slot] == Queue::kSmall ? small_ : main_, slot);
  queue_of_[slot] = Queue::kNone;
}

Slot S3FifoPolicy::Evict() {
  if (small_.size >= small_target_ || main_.empty()) return EvictFromSmall();
  return EvictFromMain();
}

Slot S3FifoPolicy::EvictFromSmall() {
  while (!small_.empty()) {
    const Slot tail = small_.back;
    links_.Unlink(small_, tail);
    if (frequency_[tail] > 1) {
      Slot victim = kNoSlot;
      if (main_.size >= main_capacity_ && !main_.empty()) victim = EvictFromMain();
      queue_of_[tail] = Queue::kMain;
      links_.PushFront(main_, tail);
      if (victim != kNoSlot) return victim;
    } else {
      queue_of_[tail] = Queue::kNone;
      RememberInGhost(id_of_[tail]);
      return tail;
    }
  }
  return EvictFromMain();
}

Slot S3FifoPolicy::EvictFromMain() {
  for (;;) {
    const Slot tail = main_.back;
    if (frequency_[tail] == 0) {
      links_.Unlink(main_, tail);
      queue_of_[tail] = Queue::kNone;
      return tail;
    }
    --frequency_[tail];
    links_.MoveToFront(main_, tail);
  }
}

void S3FifoPolicy::RememberInGhost(BlockId id) {
  if (main_capacity_ == 0) return;
  Slot entry;
  if (!free_ghost_entries_.empty()) {
    entry = free_ghost_entries_.back();
    free_ghost_entries_.pop_back();
  } else {  // G is full: forget its oldest id
    entry = ghost_.back;
    ghost_links_.Unlink(ghost_, entry);
    ghost_entry_of_.Erase(ghost_id_[entry]);
  }
  ghost_id_[entry] = id;
  ghost_links_.PushFront(ghost_, entry);
  ghost_entry_of_.Set(id, entry);
}

bool S3FifoPolicy::TakeFromGhost(BlockId id) {
  if (ghost_.empty()) return false;
  const Slot entry = ghost_entry_of_.Find(id);
  if (entry == kNoSlot) return false;
  ghost_links_.Unlink(ghost_, entry);
  ghost_entry_of_.Erase(id);
  free_ghost_entries_.push_back(entry);
  return true;
}

size_t S3FifoPolicy::EstimateBytes(size_t capacity, size_t universe) {
  const size_t small_target = std::max<size_t>(1, (capacity + 9) / 10);
  const size_t main_capacity = capacity - std::min(capacity, small_target);
  return sizeof(S3FifoPolicy) + SlotLinks::EstimateBytes(capacity) +
         capacity * (sizeof(uint8_t) + sizeof(Queue) + sizeof(BlockId)) +
         SlotLinks::EstimateBytes(main_capacity) +
         main_capacity * (sizeof(BlockId) + sizeof(Slot)) +
         IdIndex::EstimateBytes(universe, main_capacity);
}

std::unique_ptr<EvictionPolicy> MakeS3FifoPolicy(size_t capacity, size_t universe) {
  return std::make_unique<S3FifoPolicy>(std::min(capacity, universe), universe);
}

size_t S3FifoPolicyBytes(size_t capacity, size_t universe) {
  return S3FifoPolicy::EstimateBytes(std::min(capacity, universe), universe);
}

}  // namespace kvb
