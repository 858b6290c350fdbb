// llm_d: the llm-d endpoint picker's default profile: the highest weighted sum of a prefix
// score (blocks of the request matched from its start over its blocks, both capped at
// max_prefix_blocks), a queue score ((max - w) / (max - min) over the nodes' waiting
// requests, 1 if all equal) and a KV score (1 - KV-cache utilisation: HBM blocks held by
// running requests over the node's HBM blocks); max-score picker, random among ties. The
// prefix index is the router's own record of what it routed where (LRU per node, written
// when routed); prefix_source=cache reads the nodes' real caches (the precise scorer),
// counting a block cached in host DRAM past the HBM run as cpu_weight of one in HBM
// (llm-d/llm-d-kv-cache@7be76e11 pkg/kvcache/backend.go: gpu 1.0, cpu 0.8).
// Off by default (weight 0), llm-d's load-aware scorer (0.5 for an empty waiting queue,
// else 0.5 x (1 - min(w, threshold) / threshold)) and active-request scorer (per node the
// requests routed and not yet answered, dropped after a timeout; 1 for none, else
// (max - count) / max): llm-d/llm-d-inference-scheduler@d5cbb322
// pkg/plugins/scorer/{load_aware,active_request}.go. Off by default too, the session-affinity
// scorer (1 for the node that answered the session's last response, 0 elsewhere; the
// session id derived from the first session_blocks blocks, as vllm_session derives it):
// llm-d/llm-d-inference-scheduler@520af478
// pkg/epp/framework/plugins/scheduling/scorer/sessionaffinity/session_affinity.go.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/cache/id_index.h"
#include "core/routing/approx_tree.h"
#include "core/routing/request_rate.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

constexpr std::string_view kPrefixSources[] = {"routed", "cache"};
// When an active request stops counting: GIE runs PostResponse on the response headers,
// which a streaming response sends with its first chunk (first_token); a non-streaming
// one only at the end (finish).
constexpr std::string_view kActiveUntil[] = {"first_token", "finish"};

// Weights: llm-d's default scheduling profile (prefix-cache-scorer 3, queue-scorer 2,
// kv-cache-utilization-scorer 2). Prefix index: maxPrefixBlocksToMatch 256 and
// lruCapacityPerServer 31250 blocks of 16 tokens, i.e. 4096 and 500,000 tokens: 8 and 977
// blocks of 512 tokens.
constexpr ParamSpec kParams[] = {
    {"prefix_weight", 3, 0, 1000, "weight of the prefix match ratio"},
    {"queue_weight", 2, 0, 1000, "weight of the min-max normalised waiting-queue score"},
    {"kv_weight", 2, 0, 1000, "weight of the free KV-cache fraction"},
    {"max_prefix_blocks", 8, 1, 1e6, "leading blocks the prefix score considers", true},
    {"lru_blocks", 977, 1, 1e9, "blocks the routed-prefix index keeps per node", true},
    {"prefix_source", 0, 0, 1, "routed: the router's own history; cache: the nodes' caches", true,
     kPrefixSources},
    {"cpu_weight", 0.8, 0, 1,
     "prefix_source=cache with an HBM tier: score of a block matched in host DRAM only"},
    {"disk_weight", 1, 0, 1,
     "prefix_source=cache with an SSD tier: score of a block matched on SSD only (upstream "
     "scores a medium it has no weight for as 1)"},
    {"load_aware_weight", 0, 0, 1000, "weight of llm-d's load-aware scorer (waiting requests)"},
    {"load_threshold", 128, 1, 1e6, "waiting requests at which the load-aware score is 0", true},
    {"active_request_weight", 0, 0, 1000,
     "weight of llm-d's active-request scorer (requests in flight per node)"},
    {"active_request_timeout_s", 120, 1e-3, 1e6,
     "an in-flight request stops counting after this, at the next sweep (every timeout)"},
    {"active_until", 0, 0, 1, "first_token (streaming: PostResponse on the first chunk) or finish",
     true, kActiveUntil},
    {"session_weight", 0, 0, 1000,
     "weight of llm-d's session-affinity scorer (the node of the session's last response)"},
    {"session_blocks", 2, 1, 1e6, "leading blocks naming the derived session id", true},
};

class LlmDRouter final : public Router {
 public:
  LlmDRouter(const Params& p, uint64_t seed)
      : prefix_weight_(p.Get("prefix_weight")),
        cpu_weight_(p.Get("cpu_weight")),
        disk_weight_(p.Get("disk_weight")),
        queue_weight_(p.Get("queue_weight")),
        kv_weight_(p.Get("kv_weight")),
        max_prefix_blocks_(static_cast<size_t>(p.GetInt("max_prefix_blocks"))),
        lru_blocks_(static_cast<size_t>(p.GetInt("lru_blocks"))),
        routed_(p.GetChoice("prefix_source") == "routed"),
        load_aware_weight_(p.Get("load_aware_weight")),
        load_threshold_(p.Get("load_threshold")),
        active_weight_(p.Get("active_request_weight")),
        active_timeout_s_(p.Get("active_request_timeout_s")),
        active_until_finish_(p.GetChoice("active_until") == "finish"),
        session_weight_(p.Get("session_weight")),
        session_blocks_(static_cast<size_t>(p.GetInt("session_blocks"))),
        next_sweep_s_(active_timeout_s_),
        rng_(seed) {}

  void OnFirstToken(const RoutedRequest& r) override {
    if (!active_until_finish_) Answered(r.request);
  }
  // The response's end sets the session token to its node (ResponseBody at EndOfStream);
  // the session's next request carries it.
  void OnFinished(const RoutedRequest& r) override {
    Answered(r.request);
    if (session_weight_ == 0) return;
    const auto it = session_of_.find(r.request);
    if (it == session_of_.end()) return;
    session_node_[it->second] = r.node;
    session_of_.erase(it);
  }

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (routed_ && index_.size() != n) index_.assign(n, ApproxTree());
    if (active_weight_ > 0) {
      if (active_.size() != n) active_.assign(n, 0);
      Sweep(view.now_s());
    }
    uint32_t max_active = 0;
    for (const uint32_t count : active_) max_active = std::max(max_active, count);
    uint32_t min_q = view.waiting_requests(0);
    uint32_t max_q = min_q;
    for (size_t i = 1; i < n; ++i) {
      min_q = std::min(min_q, view.waiting_requests(i));
      max_q = std::max(max_q, view.waiting_requests(i));
    }
    const std::span<const BlockId> ids =
        view.request().blocks.first(std::min(view.request().blocks.size(), max_prefix_blocks_));
    const BlockId session =
        session_weight_ > 0 ? DerivedSession(view.request().blocks, session_blocks_) : kNoSession;
    const auto last = session == kNoSession ? session_node_.end() : session_node_.find(session);
    const uint32_t session_node =
        last == session_node_.end() ? static_cast<uint32_t>(n) : last->second;
    double best = -1;
    tied_.clear();
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t matched =
          routed_ ? index_[i].Match(ids)
                  : std::min<uint32_t>(view.prefix_blocks(i), static_cast<uint32_t>(ids.size()));
      double weighted = matched;
      if (!routed_ && (view.hbm_tier() || view.ssd_tier())) {
        // Without an HBM tier, DRAM counts as the GPU's cache, as before.
        const uint32_t memory = std::min(matched, view.memory_prefix_blocks(i));
        const uint32_t gpu =
            view.hbm_tier() ? std::min(matched, view.hbm_prefix_blocks(i)) : memory;
        weighted = gpu + cpu_weight_ * static_cast<double>(memory - gpu) +
                   disk_weight_ * static_cast<double>(matched - memory);
      }
      const double prefix = ids.empty() ? 0.0 : weighted / static_cast<double>(ids.size());
      const double queue = max_q == min_q ? 1.0
                                          : static_cast<double>(max_q - view.waiting_requests(i)) /
                                                static_cast<double>(max_q - min_q);
      const double kv = 1.0 - std::clamp(view.kv_utilisation(i), 0.0, 1.0);
      double score = prefix_weight_ * prefix + queue_weight_ * queue + kv_weight_ * kv;
      if (load_aware_weight_ > 0) {
        const double waiting = std::min<double>(view.waiting_requests(i), load_threshold_);
        score +=
            load_aware_weight_ * (waiting == 0 ? 0.5 : 0.5 * (1.0 - waiting / load_threshold_));
      }
      if (active_weight_ > 0) {
        const uint32_t count = active_[i];
        score += active_weight_ * (count == 0 ? 1.0
                                              : static_cast<double>(max_active - count) /
                                                    static_cast<double>(max_active));
      }
      if (i == session_node) score += session_weight_;
      if (score > best) {
        best = score;
        tied_.clear();
      }
      if (score == best) tied_.push_back(i);
    }
    const uint32_t chosen = tied_.size() == 1 ? tied_[0] : tied_[rng_() % tied_.size()];
    if (routed_) index_[chosen].Touch(ids, lru_blocks_);
    if (active_weight_ > 0) {
      ++active_[chosen];
      in_flight_[view.request_index()] = chosen;
      routed_order_.push_back({view.request_index(), view.now_s()});
    }
    if (session != kNoSession) session_of_[view.request_index()] = session;
    return chosen;
  }

 private:
  struct Routed {
    uint32_t request;
    double t_s;
  };

  // PostResponse: the request no longer counts on its node (if it still did).
  void Answered(uint32_t request) {
    const auto it = in_flight_.find(request);
    if (it == in_flight_.end()) return;
    --active_[it->second];
    in_flight_.erase(it);
  }

  // The TTL cache's cleaner runs every timeout from the start, dropping the requests routed
  // a timeout or more before it (ttlcache's DeleteExpired on a ticker).
  void Sweep(double now_s) {
    while (next_sweep_s_ <= now_s) {
      while (!routed_order_.empty() &&
             routed_order_.front().t_s + active_timeout_s_ <= next_sweep_s_) {
        Answered(routed_order_.front().request);
        routed_order_.pop_front();
      }
      next_sweep_s_ += active_timeout_s_;
    }
  }

  double prefix_weight_;
  double cpu_weight_;
  double disk_weight_;
  double queue_weight_;
  double kv_weight_;
  size_t max_prefix_blocks_;
  size_t lru_blocks_;
  bool routed_;
  double load_aware_weight_;
  double load_threshold_;
  double active_weight_;
  double active_timeout_s_;
  bool active_until_finish_;
  double session_weight_;
  size_t session_blocks_;
  double next_sweep_s_;
  std::mt19937_64 rng_;
  std::vector<uint32_t> active_;                         // per node: requests in flight
  absl::flat_hash_map<uint32_t, uint32_t> in_flight_;    // request -> node, while it counts
  std::deque<Routed> routed_order_;                      // routed requests, oldest first
  std::vector<ApproxTree> index_;                        // per node: the prefixes routed there
  absl::flat_hash_map<uint32_t, BlockId> session_of_;    // request -> session, until answered
  absl::flat_hash_map<BlockId, uint32_t> session_node_;  // session -> its last response's node
  std::vector<uint32_t> tied_;
};

// Per node a tie slot and, with the routed index, an LRU set of at most lru_blocks ids
// (at most the trace's distinct ids; a map and a slot pool that grow by doubling); with
// the active-request scorer a count per node and, at worst every request in flight, a
// map entry and a routed record per request (the map grows by doubling, erases leave
// tombstones that may double it once; the deque's blocks hold 512 bytes of records). With
// the session scorer, at worst a session and an in-flight entry per request, likewise.
uint64_t LlmDStateBytes(const Params& params, const PolicySizing& cell) {
  uint64_t bytes = cell.nodes * sizeof(uint32_t);
  if (params.Get("session_weight") > 0) {
    const uint64_t capacity = 2 * IdIndex::HashCapacityGrown(cell.trace.requests) + 1;
    bytes += 2 * IdIndex::HashTableBytes(capacity, 2 * sizeof(uint32_t), alignof(uint32_t));
  }
  if (params.Get("active_request_weight") > 0) {
    const uint64_t requests = cell.trace.requests;
    const uint64_t capacity = 2 * IdIndex::HashCapacityGrown(requests) + 1;
    bytes += cell.nodes * sizeof(uint32_t) +
             IdIndex::HashTableBytes(capacity, 2 * sizeof(uint32_t), alignof(uint32_t)) +
             (requests * 16 + 511) / 512 * 512 + 4096;
  }
  if (params.GetChoice("prefix_source") == "routed") {
    const uint64_t per_node = std::min<uint64_t>(static_cast<uint64_t>(params.GetInt("lru_blocks")),
                                                 cell.trace.distinct_blocks);
    uint64_t capacity = IdIndex::HashCapacityGrown(per_node);
    capacity = 2 * capacity + 1;  // pruning erases: tombstones may double it once
    bytes += cell.nodes * (sizeof(ApproxTree) + IdIndex::HashTableBytes(capacity) +
                           Pow2Ceil(per_node) * ApproxTree::slot_bytes());
  }
  return bytes;
}

}  // namespace

RouterInfo LlmDRouterInfo() {
  return {"llm_d",
          "highest 3 x routed-prefix match + 2 x waiting-queue score + 2 x free HBM KV fraction",
          "llm-d endpoint picker default profile (prefix-cache, queue and "
          "kv-cache-utilization scorers, max-score picker)",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<LlmDRouter>(params, seed);
          },
          LlmDStateBytes,
          "kubernetes-sigs/gateway-api-inference-extension@a172f54a "
          "pkg/epp/scheduling/framework/plugins/{prefixcachescorer,queuescorer}; llm-d's "
          "default profile weights 3/2/2; load-aware and active-request scorers: "
          "llm-d/llm-d-inference-scheduler@d5cbb322 pkg/plugins/scorer; session affinity: "
          "@520af478 pkg/epp/framework/plugins/scheduling/scorer/sessionaffinity"};
}

}  // namespace kvb
