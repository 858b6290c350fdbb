// dynamo: NVIDIA Dynamo's KV router. Each node's cost, in blocks of block_tokens tokens:
// prefill_load_scale x max(0, raw prefill - overlap credit) + decode blocks
// + active_request_weight x active requests, where raw prefill = (the request's prompt +
// the prompt tokens routed to the node and not yet past their first token) / block and
// overlap credit = overlap_credit x the node's cached prefix; with an HBM tier, its HBM
// run x overlap_credit + the rest of its prefix (host DRAM) x host_hit_weight
// (ai-dynamo/dynamo@a4bdb9bf lib/kv-router/src/scheduling/selector/default.rs worker_logit). Decode
// blocks: the blocks of the sequences the router placed on the node and not yet freed (a prefill
// pool frees them at the first token). Argmin with uniform random ties, or softmax sampling over
// min-max normalised costs at temperature T > 0.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

constexpr std::string_view kQueuePolicies[] = {"fcfs", "lcfs", "wspt"};
enum QueuePolicy { kFcfs = 0, kLcfs = 1, kWspt = 2 };
// Dynamo's max_num_batched_tokens when a worker reports none (DEFAULT_MAX_BATCHED_TOKENS).
constexpr double kUnconfiguredBatchedTokens = 10'000'000;

// Defaults: Dynamo's KvRouterConfig (overlap_score_credit 1, prefill_load_scale 1,
// router_temperature 0, decode_active_request_weight 0) and vLLM's 16-token KV blocks.
constexpr ParamSpec kParams[] = {
    {"overlap_credit", 1, 0, 1000, "blocks of prefill credited per cached block (0 to 1 usual)"},
    {"prefill_load_scale", 1, 0, 1000, "weight of the prefill blocks against decode blocks"},
    {"active_request_weight", 0, 0, 1e6, "blocks charged per request active on the node"},
    {"temperature", 0, 0, 1000,
     "0: least cost (random among ties); > 0: softmax sampling over normalised costs"},
    {"block_tokens", 16, 1, 1e6, "tokens per cost block (Dynamo's kv_block_size)"},
    // ai-dynamo/dynamo@0243c51b lib/kv-router/src/scheduling/config.rs: host_cache_hit_weight.
    {"host_hit_weight", 0.75, 0, 1,
     "with an HBM tier: credit per block cached in host DRAM past the HBM run"},
    // The same file: disk_cache_hit_weight.
    {"disk_hit_weight", 0.25, 0, 1, "with an SSD tier: credit per block past the HBM/DRAM run"},
    {"overlap_weight", 0, 0, 1000,
     "deprecated alias: nonzero sets prefill_load_scale (Dynamo's legacy flag)"},
    // ai-dynamo/dynamo@00067c31 lib/kv-router/src/scheduling/queue.rs: router_queue_threshold.
    {"queue_threshold", 0, 0, 1000,
     "router queue: hold requests while every node's prefill tokens exceed this x "
     "max_num_batched_tokens (0: no queue, upstream's default)"},
    {"queue_policy", 0, 0, 2, "router queue order: fcfs, lcfs, or wspt (fewest uncached tokens)",
     true, kQueuePolicies},
};

// A uniform double in [0, 1) from 53 random bits (the same on every platform, unlike
// std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

class DynamoRouter final : public Router {
 public:
  DynamoRouter(const Params& p, uint64_t seed)
      : overlap_credit_(p.Get("overlap_credit")),
        prefill_load_scale_(p.Get("overlap_weight") > 0 ? p.Get("overlap_weight")
                                                        : p.Get("prefill_load_scale")),
        active_request_weight_(p.Get("active_request_weight")),
        temperature_(p.Get("temperature")),
        block_tokens_(p.Get("block_tokens")),
        host_hit_weight_(p.Get("host_hit_weight")),
        disk_hit_weight_(p.Get("disk_hit_weight")),
        queue_threshold_(p.Get("queue_threshold")),
        queue_policy_(static_cast<QueuePolicy>(p.GetInt("queue_policy"))),
        rng_(seed) {}

  // Dynamo's SchedulerQueue (queue.rs all_workers_prefill_busy_with, policy_config.rs
  // worker_is_busy): hold while every node's tracked prefill tokens > threshold x batch.
  bool Holds(const ClusterView& view) override {
    if (queue_threshold_ <= 0 || view.seed_mode()) return false;
    if (node_.size() != view.nodes()) node_.assign(view.nodes(), NodeLoad{});
    const double batch =
        view.max_batched_tokens() > 0 ? view.max_batched_tokens() : kUnconfiguredBatchedTokens;
    for (const NodeLoad& load : node_) {
      if (static_cast<double>(load.prefill_tokens) <= queue_threshold_ * batch) return false;
    }
    return true;
  }
  // policy_queue.rs queue_policy_score, lowest first here: fcfs by arrival, lcfs latest
  // first, wspt by max(1, prompt tokens - the best node's cached tokens).
  double HoldRank(const ClusterView& view) override {
    switch (queue_policy_) {
      case kLcfs:
        return -view.now_s();
      case kWspt: {
        const Request& r = view.request();
        const double cached =
            std::min<double>(view.longest_prefix_blocks() * TraceBlockTokens(view), r.input_tokens);
        return std::max(1.0, static_cast<double>(r.input_tokens) - cached);
      }
      case kFcfs:
        break;
    }
    return view.now_s();
  }

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (node_.size() != n) node_.assign(n, NodeLoad{});
    const Request& r = view.request();
    const double trace_block_tokens = TraceBlockTokens(view);
    cost_.resize(n);
    double c_min = std::numeric_limits<double>::infinity();
    double c_max = -c_min;
    for (size_t i = 0; i < n; ++i) {
      // Seed mode has no time: the node's last-100-requests list stands for its load.
      const NodeLoad& load = node_[i];
      const double cached_tokens =
          std::min<double>(view.prefix_blocks(i) * trace_block_tokens, r.input_tokens);
      const double raw_prefill =
          (static_cast<double>(r.input_tokens) + static_cast<double>(load.prefill_tokens)) /
          block_tokens_;
      double credit = overlap_credit_ * cached_tokens / block_tokens_;
      if (view.hbm_tier() || view.ssd_tier()) {
        // Dynamo's tiered match: device blocks, host blocks extending them, disk blocks
        // extending those. Without an HBM tier, DRAM counts as the device, as before.
        const double memory_tokens =
            std::min<double>(view.memory_prefix_blocks(i) * trace_block_tokens, r.input_tokens);
        const double device_tokens =
            view.hbm_tier()
                ? std::min<double>(view.hbm_prefix_blocks(i) * trace_block_tokens, r.input_tokens)
                : memory_tokens;
        credit =
            (overlap_credit_ * device_tokens + host_hit_weight_ * (memory_tokens - device_tokens) +
             disk_hit_weight_ * (cached_tokens - memory_tokens)) /
            block_tokens_;
      }
      const double decode = view.seed_mode() ? static_cast<double>(view.queue_length(i))
                                             : static_cast<double>(load.blocks);
      cost_[i] = prefill_load_scale_ * std::max(0.0, raw_prefill - credit) + decode +
                 active_request_weight_ * static_cast<double>(load.requests);
      c_min = std::min(c_min, cost_[i]);
      c_max = std::max(c_max, cost_[i]);
    }
    const uint32_t chosen = temperature_ > 0 ? Sample(c_min, c_max) : Argmin(c_min);
    if (!view.seed_mode()) Track(view, chosen);
    return chosen;
  }

  // The prompt is done: its tokens leave the node's prefill load; a prefill pool frees the
  // whole sequence.
  void OnFirstToken(const RoutedRequest& r) override {
    auto it = active_.find(r.request);
    if (it == active_.end()) return;
    node_[r.node].prefill_tokens -= it->second.prefill_tokens;
    it->second.prefill_tokens = 0;
    if (it->second.free_at_first_token) Free(it);
  }
  void OnFinished(const RoutedRequest& r) override {
    auto it = active_.find(r.request);
    if (it == active_.end()) return;
    node_[r.node].prefill_tokens -= it->second.prefill_tokens;
    Free(it);
  }

 private:
  struct NodeLoad {
    uint64_t prefill_tokens = 0;  // uncached prompt tokens before their first token
    uint64_t blocks = 0;          // blocks of the sequences held
    uint64_t requests = 0;
  };
  struct Active {
    uint32_t node;
    uint32_t prefill_tokens;
    uint32_t blocks;
    bool free_at_first_token;
  };

  double TraceBlockTokens(const ClusterView& view) const {
    const uint32_t b = view.block_tokens();
    return b == 0 ? block_tokens_ : static_cast<double>(b);
  }

  // Records the request on its node as Dynamo's ActiveSequences do: its uncached prompt
  // tokens until the first token, its blocks (prompt + output) until it is freed.
  void Track(const ClusterView& view, uint32_t node) {
    const Request& r = view.request();
    const double cached =
        std::min<double>(view.prefix_blocks(node) * TraceBlockTokens(view), r.input_tokens);
    const auto prefill = static_cast<uint32_t>(r.input_tokens - cached);
    const auto blocks = static_cast<uint32_t>(
        std::ceil(static_cast<double>(r.input_tokens + r.output_tokens) / block_tokens_));
    active_[view.request_index()] = Active{node, prefill, blocks, view.prefill_pool()};
    node_[node].prefill_tokens += prefill;
    node_[node].blocks += blocks;
    ++node_[node].requests;
  }
  void Free(absl::flat_hash_map<uint32_t, Active>::iterator it) {
    NodeLoad& load = node_[it->second.node];
    load.blocks -= it->second.blocks;
    --load.requests;
    active_.erase(it);
  }

  // Argmin, uniform among the nodes tied at the least cost.
  uint32_t Argmin(double c_min) {
    tied_.clear();
    for (uint32_t i = 0; i < cost_.size(); ++i) {
      if (cost_[i] == c_min) tied_.push_back(i);
    }
    return tied_.size() == 1 ? tied_[0] : tied_[rng_() % tied_.size()];
  }

  // P(i) proportional to exp(-(c_i - c_min) / ((c_max - c_min) T)); uniform if all equal.
  uint32_t Sample(double c_min, double c_max) {
    const size_t n = cost_.size();
    if (c_max == c_min) return static_cast<uint32_t>(rng_() % n);
    double total = 0;
    for (double& c : cost_) {
      c = std::exp(-(c - c_min) / ((c_max - c_min) * temperature_));  // cost -> weight
      total += c;
    }
    double u = Uniform01(rng_) * total;
    for (uint32_t i = 0; i < n; ++i) {
      u -= cost_[i];
      if (u < 0) return i;
    }
    // Rounding left u >= 0 after the last weight: the last node of positive weight.
    uint32_t last = static_cast<uint32_t>(n - 1);
    while (last > 0 && cost_[last] == 0) --last;
    return last;
  }

  double overlap_credit_;
  double prefill_load_scale_;
  double active_request_weight_;
  double temperature_;
  double block_tokens_;
  double host_hit_weight_;
  double disk_hit_weight_;
  double queue_threshold_;
  QueuePolicy queue_policy_;
  std::mt19937_64 rng_;
  std::vector<NodeLoad> node_;
  absl::flat_hash_map<uint32_t, Active> active_;  // by trace index
  std::vector<double> cost_;                      // per node: cost, then (sampling) weight
  std::vector<uint32_t> tied_;
};

// Per node: a load, a cost (or sampling weight) and a tie slot; the requests in flight
// (at most the trace's, in a map that grows by doubling).
uint64_t DynamoStateBytes(const Params& p, const PolicySizing& cell) {
  constexpr uint64_t kEntryBytes = sizeof(uint32_t) + 4 * sizeof(uint32_t) + 1;
  uint64_t bytes = cell.nodes * (3 * sizeof(uint64_t) + sizeof(double) + sizeof(uint32_t)) +
                   2 * cell.trace.requests * kEntryBytes;
  // With a router queue, the simulator's heap of waiting requests (32 B each, a vector
  // grown by doubling) may hold every request.
  if (p.Get("queue_threshold") > 0) bytes += 2 * Pow2Ceil(cell.trace.requests) * 32;
  return bytes;
}

}  // namespace

RouterInfo DynamoRouterInfo() {
  return {"dynamo",
          "least prefill_load_scale x max(0, prompt + active prefill - overlap credit) + "
          "active blocks (+ active requests); softmax sampling at temperature > 0; optional "
          "router queue",
          "NVIDIA Dynamo KV router, DefaultWorkerScorer::worker_logit and SchedulerQueue",
          kParams,
          [](const Params& params, uint64_t seed) {
            return std::make_unique<DynamoRouter>(params, seed);
          },
          DynamoStateBytes,
          "ai-dynamo/dynamo@07a6c9ce lib/kv-router/src/scheduling/selector/default.rs; "
          "@00067c31 scheduling/queue.rs"};
}

}  // namespace kvb
