#include "core/index/prefix_index.h"

namespace kvb {

// Every member of the four key x lock combinations is compiled here once, so a mistake in
// a combination no caller uses yet still fails the build.
template class BasicPrefixIndex<RawBlockId, ShardedLocking>;
template class BasicPrefixIndex<BlockId, NoLocking>;
template class BasicPrefixIndex<RawBlockId, NoLocking>;
template class BasicPrefixIndex<BlockId, ShardedLocking>;

}  // namespace kvb
