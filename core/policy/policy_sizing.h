#ifndef KVB_CORE_POLICY_POLICY_SIZING_H_
#define KVB_CORE_POLICY_POLICY_SIZING_H_

#include <cstddef>
#include <cstdint>

#include "core/trace/trace_shape.h"
#include "core/util/params.h"

namespace kvb {

// What a policy's memory estimate may depend on besides its parameters: the trace's counts
// and the cell's cluster. The memory guard (core/sim/memory_estimate.h) sums the answers.
struct PolicySizing {
  const TraceShape& trace;
  uint64_t nodes = 0;
  bool seed_compat = false;  // SimMode::kSeedCompat
  double rate_scale = 1;     // arrival times are divided by this
};

// Heap bytes a policy with `params` keeps during a cell at most (its tables, trees, rings,
// records). Every registry entry of a router or replication policy names one; a stateless
// policy returns 0 (NoPolicyState).
using PolicyStateBytesFn = uint64_t (*)(const Params& params, const PolicySizing& cell);

inline uint64_t NoPolicyState(const Params&, const PolicySizing&) { return 0; }

}  // namespace kvb

#endif  // KVB_CORE_POLICY_POLICY_SIZING_H_
