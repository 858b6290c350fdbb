#include "core/trace/trace.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "core/util/fnv.h"

namespace kvb {

namespace {

// The direct array covers raw ids up to this multiple of the distinct ids seen (plus a
// floor), so dense traces never touch the hash map and sparse ones waste little memory.
constexpr size_t kDenseSlack = 4;
constexpr size_t kDenseFloor = size_t{1} << 16;

template <typename T>
size_t VectorBytes(const HugeVector<T>& v) {
  return HugePageAllocator<T>::AllocatedBytes(v.capacity());
}

// Gives back spare capacity when it exceeds a quarter of the size (a copy costs time).
template <typename T>
void ShrinkIfLoose(HugeVector<T>& v) {
  if (v.capacity() - v.size() > v.size() / 4) v.shrink_to_fit();
}

}  // namespace

uint64_t TraceDigest(const Trace& trace) {
  Fnv1a h;
  h.AddU64(trace.block_tokens());
  h.AddU64(trace.size());
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    h.AddU64(static_cast<uint64_t>(r.arrival_ms));
    h.AddU64(r.input_tokens);
    h.AddU64(r.output_tokens);
    h.AddU64(r.blocks.size());
    for (const BlockId id : r.blocks) h.AddU64(trace.raw_id(id));
  }
  return h.value();
}

size_t Trace::memory_bytes() const {
  return VectorBytes(meta_) + VectorBytes(offsets_) + VectorBytes(blocks_) + VectorBytes(raw_) +
         VectorBytes(parent_) + VectorBytes(depth_);
}

TraceBuilder::TraceBuilder(uint32_t block_tokens) : trace_(std::make_unique<Trace>()) {
  trace_->block_tokens_ = block_tokens;
}

void TraceBuilder::Reserve(size_t requests, size_t block_refs, size_t distinct_blocks) {
  Trace& t = *trace_;
  t.meta_.reserve(requests);
  t.offsets_.reserve(requests + 1);
  t.blocks_.reserve(block_refs);
  t.parent_.reserve(distinct_blocks);
  t.depth_.reserve(distinct_blocks);
  distinct_before_.reserve(requests);
}

size_t TraceBuilder::FirstRequestContaining(BlockId id) const {
  // Ids are interned in order of first appearance: the first request containing `id` is
  // the last one that started with at most `id` distinct ids.
  // The request being added is the last entry of distinct_before_.
  const auto it = std::upper_bound(distinct_before_.begin(), distinct_before_.end(), id);
  return static_cast<size_t>(it - distinct_before_.begin()) - 1;
}

BlockId TraceBuilder::Find(RawBlockId raw) const {
  if (identity_) return raw < trace_->distinct_ ? static_cast<BlockId>(raw) : kNoParent;
  if (raw < dense_.size()) return dense_[raw] - 1;  // 0 - 1 wraps to kNoParent
  if (sparse_.empty()) return kNoParent;
  auto it = sparse_.find(raw);
  return it == sparse_.end() ? kNoParent : it->second;
}

void TraceBuilder::Insert(RawBlockId raw, BlockId id) {
  if (identity_) {
    if (raw == id) return;
    // The first id out of sequence: index and list every id so far explicitly from now on.
    identity_ = false;
    trace_->raw_.resize(id);
    std::iota(trace_->raw_.begin(), trace_->raw_.end(), RawBlockId{0});
    for (BlockId k = 0; k < id; ++k) InsertMapped(k, k);
  }
  InsertMapped(raw, id);
}

void TraceBuilder::InsertMapped(RawBlockId raw, BlockId id) {
  if (raw >= dense_.size() && raw < kDenseSlack * (trace_->distinct_ + 1) + kDenseFloor) {
    size_t new_size = std::max<size_t>(kDenseFloor, dense_.size());
    while (new_size <= raw) new_size *= 2;
    dense_.resize(new_size, 0);
    // Ids kept in the map that the array now covers move into it.
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (it->first < new_size) {
        dense_[it->first] = it->second + 1;
        sparse_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (raw < dense_.size()) {
    dense_[raw] = id + 1;
  } else {
    sparse_.emplace(raw, id);
  }
}

void TraceBuilder::Erase(RawBlockId raw) {
  if (identity_) return;  // Find() consults distinct_, which the caller shrinks
  if (raw < dense_.size()) {
    dense_[raw] = 0;
  } else {
    sparse_.erase(raw);
  }
}

std::optional<PrefixConflict> TraceBuilder::Add(int64_t arrival_ms, uint32_t input_tokens,
                                                uint32_t output_tokens,
                                                std::span<const RawBlockId> raw_ids) {
  Trace& t = *trace_;
  const size_t blocks_before = t.blocks_.size();
  const size_t distinct_before = t.distinct_;
  distinct_before_.push_back(static_cast<uint32_t>(distinct_before));
  BlockId parent = kNoParent;
  for (size_t pos = 0; pos < raw_ids.size(); ++pos) {
    const RawBlockId raw = raw_ids[pos];
    BlockId id = Find(raw);
    if (id == kNoParent) {
      id = static_cast<BlockId>(t.distinct_);
      Insert(raw, id);
      if (!identity_) t.raw_.push_back(raw);
      t.parent_.push_back(parent);
      t.depth_.push_back(static_cast<uint32_t>(pos));
      ++t.distinct_;
    } else if (t.depth_[id] != pos || t.parent_[id] != parent) {
      PrefixConflict conflict;
      conflict.position = pos;
      conflict.id = raw;
      conflict.earlier_depth = t.depth_[id];
      if (t.parent_[id] != kNoParent) conflict.earlier_parent = t.raw_id(t.parent_[id]);
      if (parent != kNoParent) conflict.parent = t.raw_id(parent);
      conflict.earlier_request = FirstRequestContaining(id);
      // Undo this request: drop the ids it introduced and its block references.
      for (size_t k = distinct_before; k < t.distinct_; ++k) {
        Erase(t.raw_id(static_cast<BlockId>(k)));
      }
      t.distinct_ = distinct_before;
      if (!identity_) t.raw_.resize(distinct_before);
      t.parent_.resize(distinct_before);
      t.depth_.resize(distinct_before);
      t.blocks_.resize(blocks_before);
      distinct_before_.pop_back();
      return conflict;
    }
    t.blocks_.push_back(id);
    parent = id;
  }
  if (!t.meta_.empty() && arrival_ms < t.meta_.back().arrival_ms) {
    ++timestamps_backwards_;
    sorted_ = false;
  }
  t.meta_.push_back(Trace::Meta{arrival_ms, input_tokens, output_tokens});
  t.offsets_.push_back(t.blocks_.size());
  return std::nullopt;
}

std::shared_ptr<const Trace> TraceBuilder::Finish(BuildReport* report) {
  Trace& t = *trace_;
  if (!sorted_) {
    std::vector<uint32_t> order(t.meta_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return t.meta_[a].arrival_ms < t.meta_[b].arrival_ms;
    });
    HugeVector<Trace::Meta> meta;
    HugeVector<uint64_t> offsets;
    HugeVector<BlockId> blocks;
    meta.reserve(t.meta_.size());
    offsets.reserve(t.offsets_.size());
    blocks.reserve(t.blocks_.size());
    offsets.push_back(0);
    for (uint32_t i : order) {
      meta.push_back(t.meta_[i]);
      blocks.insert(blocks.end(), t.blocks_.begin() + t.offsets_[i],
                    t.blocks_.begin() + t.offsets_[i + 1]);
      offsets.push_back(blocks.size());
    }
    t.meta_ = std::move(meta);
    t.offsets_ = std::move(offsets);
    t.blocks_ = std::move(blocks);
  }
  ShrinkIfLoose(t.meta_);
  ShrinkIfLoose(t.offsets_);
  ShrinkIfLoose(t.blocks_);
  ShrinkIfLoose(t.raw_);
  ShrinkIfLoose(t.parent_);
  ShrinkIfLoose(t.depth_);
  if (report != nullptr) report->timestamps_backwards = timestamps_backwards_;
  dense_ = {};
  sparse_ = {};
  distinct_before_ = {};
  return std::shared_ptr<const Trace>(std::move(trace_));
}

}  // namespace kvb
