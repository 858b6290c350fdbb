// kvcache_centric: Mooncake's Algorithm 1. best_len = the longest prefix any node holds;
// a node whose own prefix p satisfies best_len / p > kvcache_balancing_threshold (p = 0
// always does) plans to fetch the missing blocks from the holder; the node minimising
// T_transfer + T_queue + T_prefill wins (ties: lowest index). With slo_s > 0 a request
// whose best predicted TTFT exceeds it is rejected. Fetches need the global cache scope and
// come from the holder of the longest prefix with the least queued work.

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

// The paper publishes no value for the threshold: 1 lets the predicted times alone decide
// whether a longer remote prefix is worth its transfer.
constexpr ParamSpec kParams[] = {
    {"kvcache_balancing_threshold", 1.0, 1.0, 1e9,
     "fetch when best_len / own prefix exceeds this (own prefix 0: always)"},
    {"slo_s", 0.0, 0.0, 1e9, "reject when the best predicted TTFT exceeds this; 0 = never"},
};

class KvcacheCentricRouter final : public Router {
 public:
  explicit KvcacheCentricRouter(const Params& p)
      : threshold_(p.Get("kvcache_balancing_threshold")), slo_s_(p.Get("slo_s")) {}

  RouteDecision Route(const ClusterView& view) override {
    // Step 1: the longest prefix held anywhere (in a pool, over every node's DRAM).
    const uint32_t best_len = view.pool_prefix_blocks();
    // Step 2: every node, with or without a fetch.
    uint32_t fetch_blocks = 0;  // the transfer time of the last fetch size asked (most
    double fetch_s = 0;         // nodes fetch all best_len blocks)
    // Node n's predicted time and whether it fetches: T_transfer + T_queue + T_prefill,
    // summed in that order.
    auto score = [&](uint32_t n, bool& fetch) {
      const uint32_t own = view.prefix_blocks(n);
      fetch = view.global_cache() && best_len > own &&
              (own == 0 || static_cast<double>(best_len) / own > threshold_);
      const uint32_t prefix = fetch ? best_len : own;
      if (fetch && best_len - own != fetch_blocks) {
        fetch_blocks = best_len - own;
        fetch_s = view.transfer_s(fetch_blocks);
      }
      return (fetch ? fetch_s : 0.0) + view.queued_work_s(n) + view.predicted_prefill_s(n, prefix);
    };
    bool chosen_fetches = false;
    double chosen_s = score(0, chosen_fetches);
    uint32_t chosen = 0;
    // Cold nodes, holding none of the prefix (most, in a large cluster), all fetch the same
    // blocks and, at one speed, predict the same prefill: score them as (transfer +
    // queue) + prefill with the two shared terms computed once, the same sums as score().
    bool cold_fetch = false;
    double cold_transfer_s = 0, cold_prefill_s = 0;
    const bool shared_terms = view.uniform_speed();
    if (shared_terms) {
      cold_fetch = view.global_cache() && best_len > 0;
      cold_transfer_s = cold_fetch ? view.transfer_s(best_len) : 0.0;
      cold_prefill_s = view.predicted_prefill_s(0, cold_fetch ? best_len : 0);
    }
    for (uint32_t n = 1; n < view.nodes(); ++n) {
      bool fetch;
      double s;
      if (shared_terms && view.prefix_blocks(n) == 0) {
        fetch = cold_fetch;
        s = cold_transfer_s + view.queued_work_s(n) + cold_prefill_s;
      } else {
        s = score(n, fetch);
      }
      if (s < chosen_s) {
        chosen = n;
        chosen_fetches = fetch;
        chosen_s = s;
      }
    }
    // Step 3: admission against the SLO.
    if (slo_s_ > 0 && chosen_s > slo_s_) return kRejectRequest;
    // Step 4 is the engine's: it runs the planned fetch when the request starts.
    if (chosen_fetches) return RouteDecision(chosen, LeastLoadedHolder(view, best_len), best_len);
    return RouteDecision(chosen, kNoFetch, 0);
  }

 private:
  // Of the nodes holding `len` blocks of the prefix, the least queued work (ties: lowest
  // index): a pool serves a block from any holder (Mooncake Store; issue: least loaded).
  static uint32_t LeastLoadedHolder(const ClusterView& view, uint32_t len) {
    uint32_t holder = view.longest_prefix_node();
    double holder_s = view.queued_work_s(holder);
    for (uint32_t n = holder + 1; n < view.nodes(); ++n) {
      if (view.prefix_blocks(n) < len) continue;
      const double s = view.queued_work_s(n);
      if (s < holder_s) {
        holder = n;
        holder_s = s;
      }
    }
    return holder;
  }

  double threshold_;
  double slo_s_;
};

}  // namespace

RouterInfo KvcacheCentricRouterInfo() {
  return {"kvcache_centric",
          "least transfer + queue + prefill time, fetching the longest prefix held elsewhere",
          "Mooncake (FAST'25), Algorithm 1 (global cache-aware with cache load balancing)",
          kParams,
          [](const Params& p, uint64_t) { return std::make_unique<KvcacheCentricRouter>(p); },
          NoPolicyState};
}

}  // namespace kvb
