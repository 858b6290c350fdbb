// preble_e2: Preble's E2 global scheduler. Exploit when the longest cached prefix is longer
// than the request's new part: among the nodes holding it, the lowest load cost; else
// explore: the lowest load cost of all nodes. Rebalance: when the most loaded node carries
// >= rebalance_ratio x the least loaded one, the lowest load cost of all nodes. Ties: lowest
// index.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

constexpr std::string_view kRebalanceOn[] = {"load", "cost"};

// window_s 180: Preble's load window H of 3 minutes of (simulated) time. Seed mode has no
// time (now_s is always 0): the window is then the last window_requests routing decisions,
// 100 by default like the seed's own last-100-requests load signal. decode_s_per_token 0:
// kvbench's nodes are a disaggregated prefill pool and run no decode (the same reason
// dynamo's decode term is 0); set it (e.g. 0.02) to charge Preble's decode time.
// rebalance_on: Preble's load adjustment compares the nodes' loads; "load" (default) compares
// the windowed history alone, "cost" the full load cost including the new request's own
// prefill, which, whenever one node holds a long prefix, differs across nodes by the whole
// prefill and would trigger the rebalance on almost every request.
constexpr ParamSpec kParams[] = {
    {"window_s", 180, 1e-3, 1e9, "load window in simulated seconds (realistic mode)"},
    {"window_requests", 100, 1, 1e9, "load window in routing decisions (seed mode)", true},
    {"decode_s_per_token", 0, 0, 10, "decode seconds charged per output token"},
    {"rebalance_ratio", 1.5, 1, 1e9, "rebalance when max >= this x min"},
    {"rebalance_on", 0, 0, 1, "what the rebalance compares: load (history) or cost", true,
     kRebalanceOn},
};

// Costs are kept in integer nanoseconds so that the windowed sums stay exact however many
// entries come and go.
int64_t Nanos(double s) { return std::llround(s * 1e9); }

class PrebleE2Router final : public Router {
 public:
  PrebleE2Router(double window_s, uint64_t window_requests, double decode_s_per_token,
                 double rebalance_ratio, bool rebalance_on_cost)
      : window_s_(window_s),
        window_requests_(window_requests),
        decode_s_per_token_(decode_s_per_token),
        rebalance_ratio_(rebalance_ratio),
        rebalance_on_cost_(rebalance_on_cost) {}

  // Bytes of one node's history header and of one windowed entry (the estimate's units).
  static constexpr size_t node_history_bytes() { return sizeof(NodeHistory); }
  static constexpr size_t entry_bytes() { return sizeof(Entry); }

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (history_.size() != n) history_.assign(n, NodeHistory());
    // "Now" and the entries that left the window: those with t <= cutoff. Realistic: the
    // window is (now - window_s, now]. Seed: the last window_requests decisions.
    const double now = view.seed_mode() ? static_cast<double>(decisions_) : view.now_s();
    const double cutoff =
        view.seed_mode() ? now - static_cast<double>(window_requests_) - 1 : now - window_s_;
    ++decisions_;
    cost_.resize(n);
    int64_t min_load = INT64_MAX, max_load = INT64_MIN, min_cost = INT64_MAX, max_cost = INT64_MIN;
    uint32_t longest = 0;
    for (uint32_t i = 0; i < n; ++i) {
      NodeHistory& h = history_[i];
      while (!h.entries.empty() && h.entries.front().t <= cutoff) {
        h.sum_ns -= h.entries.front().cost_ns;
        h.entries.pop_front();
      }
      cost_[i] = h.sum_ns + Nanos(view.predicted_prefill_s(i, view.prefix_blocks(i)));
      min_load = std::min(min_load, h.sum_ns);
      max_load = std::max(max_load, h.sum_ns);
      min_cost = std::min(min_cost, cost_[i]);
      max_cost = std::max(max_cost, cost_[i]);
      longest = std::max(longest, view.prefix_blocks(i));
    }
    const int64_t lo = rebalance_on_cost_ ? min_cost : min_load;
    const int64_t hi = rebalance_on_cost_ ? max_cost : max_load;
    // All idle (hi == 0) is no imbalance.
    const bool rebalance =
        hi > 0 && static_cast<double>(hi) >= rebalance_ratio_ * static_cast<double>(lo);
    const uint64_t request_blocks = view.request().blocks.size();
    const bool exploit = !rebalance && longest > request_blocks - longest;
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < n; ++i) {
      if (exploit && view.prefix_blocks(i) != longest) continue;
      if (best == UINT32_MAX || cost_[i] < cost_[best]) best = i;
    }
    // Record the request's work on its node: its prefill there with the prefix it had
    // (the miss-rate-weighted prefill) plus its decode.
    const int64_t work =
        Nanos(view.predicted_prefill_s(best, view.prefix_blocks(best)) +
              decode_s_per_token_ * static_cast<double>(view.request().output_tokens));
    history_[best].entries.push_back({now, work});
    history_[best].sum_ns += work;
    return best;
  }

 private:
  struct Entry {
    double t;  // seconds (realistic) or decision number (seed)
    int64_t cost_ns;
  };
  struct NodeHistory {
    std::deque<Entry> entries;  // oldest first
    int64_t sum_ns = 0;         // sum of entries' cost_ns
  };

  double window_s_;
  uint64_t window_requests_;
  double decode_s_per_token_;
  double rebalance_ratio_;
  bool rebalance_on_cost_;
  uint64_t decisions_ = 0;
  std::vector<NodeHistory> history_;
  std::vector<int64_t> cost_;  // per node: windowed load + the request's own prefill there
};

// Per node a history (a deque: a map of 8 pointers and a 512-byte chunk at least) and a
// cost; the entries within the window over all nodes. Seed-compat: the last
// window_requests decisions. Realistic: the arrivals of window_s seconds; a guess of twice
// the trace's average rate, as bursts exceed it.
uint64_t PrebleE2StateBytes(const Params& params, const PolicySizing& cell) {
  const TraceShape& t = cell.trace;
  double entries = 0;
  if (cell.seed_compat) {
    entries = static_cast<double>(params.GetInt("window_requests")) + 1;
  } else {
    const double span_s = t.arrival_span_s / cell.rate_scale;
    entries = span_s > 0 ? 2.0 * static_cast<double>(t.requests) * params.Get("window_s") / span_s
                         : static_cast<double>(t.requests);
  }
  const auto windowed = static_cast<uint64_t>(std::min(entries, static_cast<double>(t.requests)));
  constexpr uint64_t kDequeFloorBytes = 64 + 512;
  return cell.nodes * (PrebleE2Router::node_history_bytes() + kDequeFloorBytes + sizeof(int64_t)) +
         2 * windowed * PrebleE2Router::entry_bytes();
}

}  // namespace

RouterInfo PrebleE2RouterInfo() {
  return {"preble_e2",
          "exploit the longest cached prefix when it outweighs the new part, else explore; "
          "lowest windowed load cost, rebalancing at max >= ratio x min",
          "Srivatsa et al., Preble: Efficient Distributed Prompt Scheduling for LLM Serving "
          "(ICLR 2025), E2 global scheduler",
          kParams,
          [](const Params& params, uint64_t) {
            return std::make_unique<PrebleE2Router>(
                params.Get("window_s"), static_cast<uint64_t>(params.GetInt("window_requests")),
                params.Get("decode_s_per_token"), params.Get("rebalance_ratio"),
                params.GetChoice("rebalance_on") == "cost");
          },
          PrebleE2StateBytes};
}

}  // namespace kvb
