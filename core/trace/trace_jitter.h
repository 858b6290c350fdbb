#ifndef KVB_CORE_TRACE_TRACE_JITTER_H_
#define KVB_CORE_TRACE_TRACE_JITTER_H_

#include <cstdint>
#include <memory>

#include "core/trace/trace.h"

namespace kvb {

// How requests that share a timestamp are ordered once spread.
enum class JitterOrder {
  kKeep,     // in their trace order: the draws of one timestamp are sorted before use
  kShuffle,  // each request takes its own draw: their order is random
};

// The trace with each request's arrival moved later by a whole number of ms drawn uniformly
// from [0, jitter_ms) (one draw per request, in trace order, from `seed`), re-sorted by
// arrival (stable). For traces whose timestamps are rounded to a tick (the Mooncake
// conversation trace's 3 s): requests that share a tick are spread over it. Lengths and
// block ids are kept. `jitter_ms` 0 or 1 keeps every arrival.
std::shared_ptr<const Trace> JitterArrivals(const Trace& trace, uint32_t jitter_ms, uint64_t seed,
                                            JitterOrder order = JitterOrder::kKeep);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_TRACE_JITTER_H_
