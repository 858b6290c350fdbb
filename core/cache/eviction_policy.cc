#include "core/cache/eviction_policy.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "core/cache/fifo.h"
#include "core/cache/lfu.h"
#include "core/cache/lru.h"
#include "core/cache/s3fifo.h"
#include "core/cache/sieve.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

std::span<const EvictionPolicyInfo> EvictionPolicies() {
  static const std::array<EvictionPolicyInfo, 5> kPolicies = {{
      {"lru", "evicts the least recently inserted-or-hit block", "textbook; the seed simulator",
       MakeLruPolicy, LruPolicyBytes},
      {"lfu",
       "evicts the oldest block of the lowest frequency (1 on insert, +1 per hit; a hit moves "
       "a block to the back of its new frequency group)",
       "the seed simulator (docs/SEED_MODEL.md)", MakeLfuPolicy, LfuPolicyBytes},
      {"fifo", "evicts the oldest inserted block; hits change nothing",
       "textbook; the seed simulator", MakeFifoPolicy, FifoPolicyBytes},
      {"sieve",
       "FIFO queue with a visited bit per block; a hand sweeping from the tail clears set bits "
       "and evicts the first unvisited block, keeping its place between evictions",
       "Zhang et al., SIEVE is Simpler than LRU, NSDI'24", MakeSievePolicy, SievePolicyBytes},
      {"s3fifo",
       "small FIFO (10%) for new blocks, main FIFO with reinsertion for blocks hit in the small "
       "one, ghost FIFO of ids recently evicted from the small one",
       "Yang et al., FIFO queues are all you need for cache eviction, SOSP'23 (Algorithm 1)",
       MakeS3FifoPolicy, S3FifoPolicyBytes},
  }};
  return kPolicies;
}

const EvictionPolicyInfo* FindEvictionPolicy(std::string_view name) {
  return FindByName(EvictionPolicies(), name);
}

const EvictionPolicyInfo& RequireEvictionPolicy(std::string_view name,
                                                std::string_view config_path) {
  const EvictionPolicyInfo* policy = FindEvictionPolicy(name);
  if (policy == nullptr) {
    throw InputError(absl::StrCat(std::string(config_path), ": unknown policy '", std::string(name),
                                  "' (known: ", JoinNames(EvictionPolicies()), ")"));
  }
  return *policy;
}

}  // namespace kvb
