#ifndef KVB_CORE_TRACE_TRACE_H_
#define KVB_CORE_TRACE_TRACE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/util/huge_page_allocator.h"

namespace kvb {

// A block id as it appears in a trace: it names the whole prefix ending with its block.
using RawBlockId = uint64_t;
// A trace's block ids interned into 0..distinct_blocks()-1, so hot loops index arrays.
using BlockId = uint32_t;
inline constexpr BlockId kNoParent = std::numeric_limits<BlockId>::max();

// One request of a trace. `blocks[i]` names the prefix made of the first i+1 blocks.
struct Request {
  int64_t arrival_ms = 0;
  uint32_t input_tokens = 0;
  uint32_t output_tokens = 0;
  std::span<const BlockId> blocks;
};

// An immutable, compact request trace: one flat array of interned ids plus per-request
// offsets. The ids form one prefix tree: every id has a single parent and depth.
// Requests are ordered by arrival time (stable for equal times).
class Trace {
 public:
  size_t size() const { return meta_.size(); }
  bool empty() const { return meta_.empty(); }
  Request operator[](size_t i) const {
    const Meta& m = meta_[i];
    return Request{
        m.arrival_ms, m.input_tokens, m.output_tokens,
        std::span<const BlockId>(blocks_.data() + offsets_[i], offsets_[i + 1] - offsets_[i])};
  }

  // Total block references over all requests.
  size_t block_count() const { return blocks_.size(); }
  // Number of distinct ids (prefix-tree nodes).
  size_t distinct_blocks() const { return distinct_; }
  // Tokens per block (512 for the Mooncake traces); the last block may be partial.
  uint32_t block_tokens() const { return block_tokens_; }

  RawBlockId raw_id(BlockId id) const { return raw_.empty() ? id : raw_[id]; }
  // The id of the previous block of every request containing `id`, or kNoParent.
  BlockId parent(BlockId id) const { return parent_[id]; }
  // 0-based position of `id` in every request containing it.
  uint32_t depth(BlockId id) const { return depth_[id]; }

  // Whole arrays, for loops that want them.
  std::span<const BlockId> all_blocks() const { return blocks_; }
  std::span<const BlockId> parents() const { return parent_; }
  std::span<const uint32_t> depths() const { return depth_; }

  // First and last arrival; 0 for an empty trace.
  int64_t first_arrival_ms() const { return empty() ? 0 : meta_.front().arrival_ms; }
  int64_t last_arrival_ms() const { return empty() ? 0 : meta_.back().arrival_ms; }

  // Heap bytes held by this trace.
  size_t memory_bytes() const;

 private:
  friend class TraceBuilder;
  struct Meta {
    int64_t arrival_ms;
    uint32_t input_tokens;
    uint32_t output_tokens;
  };

  uint32_t block_tokens_ = 512;
  HugeVector<Meta> meta_;
  HugeVector<uint64_t> offsets_{0};
  HugeVector<BlockId> blocks_;
  size_t distinct_ = 0;
  HugeVector<RawBlockId> raw_;  // empty when every raw id equals its interned id
  HugeVector<BlockId> parent_;
  HugeVector<uint32_t> depth_;
};

// A digest of the trace's content (block size, and per request its arrival, lengths and
// raw block ids): equal traces have equal digests on every platform.
uint64_t TraceDigest(const Trace& trace);

// Why TraceBuilder::add refused a request: one of its ids already appeared at another
// position or after another parent, which would break prefix semantics.
struct PrefixConflict {
  size_t position = 0;                       // index in the refused request's ids
  RawBlockId id = 0;                         // the offending raw id
  uint32_t earlier_depth = 0;                // position where it was first seen
  std::optional<RawBlockId> earlier_parent;  // its parent then (nullopt: none)
  std::optional<RawBlockId> parent;          // its parent now
  // Index (in add order) of the first request containing it; the refused request's own
  // index (== size()) when it first appeared earlier in that same request.
  size_t earlier_request = 0;
};

// What TraceBuilder::Finish() did to the input order.
struct BuildReport {
  // Requests whose arrival is earlier than the previous added request's arrival.
  size_t timestamps_backwards = 0;
};

// Builds a Trace from raw requests, interning ids and checking the prefix-tree property.
// Raw ids numbered 0, 1, 2, ... in order of first appearance (the Mooncake traces, the
// generator) intern to themselves; other small ids go through a direct array, the rest
// through a hash map.
class TraceBuilder {
 public:
  explicit TraceBuilder(uint32_t block_tokens = 512);

  // Appends one request. On a prefix conflict returns it and leaves the builder unchanged.
  std::optional<PrefixConflict> Add(int64_t arrival_ms, uint32_t input_tokens,
                                    uint32_t output_tokens, std::span<const RawBlockId> raw_ids);

  size_t size() const { return trace_->meta_.size(); }

  // Capacity hints, e.g. from a file's size; they change no result.
  void Reserve(size_t requests, size_t block_refs, size_t distinct_blocks);

  // Stable-sorts requests by arrival and returns the trace; the builder is spent.
  std::shared_ptr<const Trace> Finish(BuildReport* report = nullptr);

 private:
  // Returns the interned id of `raw` or kNoParent if unseen.
  BlockId Find(RawBlockId raw) const;
  void Insert(RawBlockId raw, BlockId id);
  void InsertMapped(RawBlockId raw, BlockId id);
  void Erase(RawBlockId raw);
  size_t FirstRequestContaining(BlockId id) const;

  std::unique_ptr<Trace> trace_;
  bool identity_ = true;                   // every raw id so far equals its interned id
  std::vector<uint32_t> distinct_before_;  // per request added: distinct ids before it
  HugeVector<uint32_t> dense_;             // raw id -> interned id + 1 (0 = unseen), raw < size
  absl::flat_hash_map<RawBlockId, BlockId> sparse_;  // raw ids beyond the dense range
  size_t timestamps_backwards_ = 0;
  bool sorted_ = true;
};

}  // namespace kvb

#endif  // KVB_CORE_TRACE_TRACE_H_
