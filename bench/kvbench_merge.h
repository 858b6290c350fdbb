#ifndef KVB_BENCH_KVBENCH_MERGE_H_
#define KVB_BENCH_KVBENCH_MERGE_H_

#include <string>
#include <vector>

namespace kvb {

// `kvbench merge SHARD.json... -o ALL.json`: joins the results of --shard runs of one
// config. `args` follow "merge". Returns the exit code; throws UsageError or InputError.
int RunKvbenchMerge(const std::vector<std::string>& args);

}  // namespace kvb

#endif  // KVB_BENCH_KVBENCH_MERGE_H_
