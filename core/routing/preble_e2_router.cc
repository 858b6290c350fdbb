// preble_e2: Preble's E2 global scheduler (GlobalSchedulerWithTime). The router's tree of
// the prompts it routed (requests in flight included) gives the request's shared prefix:
// if the new part is shorter than the shared part (exploit), the candidates are the nodes
// the deepest shared prefix was last sent to within the window, else (explore) every node.
// The candidate of least load cost wins (lowest index on ties). Load cost of a node: the
// prefill seconds of the requests routed to it within the window (each with the prefix it
// had there) + its requests in flight x the mean output length seen x its median time per
// output token (aggregated nodes only: a prefill pool decodes nothing).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"

namespace kvb {
namespace {

// window_s 180: the histogram's 3-minute window. Seed mode has no time: the window is the
// last window_requests decisions. tpot_s 0.15: the scheduler's initial time per output
// token until requests finish (then the median of a node's last 200).
constexpr ParamSpec kParams[] = {
    {"window_s", 180, 1e-3, 1e9, "load window in simulated seconds (realistic mode)"},
    {"window_requests", 100, 1, 1e9, "load window in routing decisions (seed mode)", true},
    {"tpot_s", 0.15, 0, 10, "time per output token assumed before any is measured"},
};

constexpr size_t kTpotSamples = 200;  // avg_topt_per_gpu: a deque of 200 per node

// Costs in integer nanoseconds so that the windowed sums stay exact.
int64_t Nanos(double s) { return std::llround(s * 1e9); }

class PrebleE2Router final : public Router {
 public:
  explicit PrebleE2Router(const Params& p)
      : window_s_(p.Get("window_s")),
        window_requests_(static_cast<uint64_t>(p.GetInt("window_requests"))),
        default_tpot_s_(p.Get("tpot_s")) {}

  RouteDecision Route(const ClusterView& view) override {
    const size_t n = view.nodes();
    if (node_.size() != n) {
      node_.assign(n, NodeState{});
      words_ = (n + 63) / 64;
    }
    const double now = view.seed_mode() ? static_cast<double>(decisions_) : view.now_s();
    // Seed mode: decisions now - window_requests .. now - 1 stay (t > now - window).
    const double window = view.seed_mode() ? static_cast<double>(window_requests_) + 1 : window_s_;
    ++decisions_;
    for (NodeState& s : node_) Expire(s, now - window);
    const Request& r = view.request();
    // The shared prefix: the request's leading ids the tree has seen. An id names its
    // prefix, so the tree holds a prefix of the ids: binary search for its end.
    uint32_t shared = 0;
    for (uint32_t hi = static_cast<uint32_t>(r.blocks.size()); shared < hi;) {
      const uint32_t mid = shared + (hi - shared) / 2;
      if (InTree(r.blocks[mid])) {
        shared = mid + 1;
      } else {
        hi = mid;
      }
    }
    const double shared_tokens =
        std::min<double>(static_cast<double>(shared) * view.block_tokens(), r.input_tokens);
    const bool exploit = static_cast<double>(r.input_tokens) - shared_tokens < shared_tokens;
    // Exploit: the nodes the deepest shared prefix with a live allocation went to.
    const uint64_t* allowed = nullptr;
    if (exploit) {
      for (uint32_t k = shared; k-- > 0;) {
        const BlockId id = r.blocks[k];
        if (now - ids_[id].last_s < window) {
          allowed = NodeWords(id);
          break;
        }
      }
    }
    uint32_t best = 0;
    int64_t best_cost = INT64_MAX;
    for (uint32_t i = 0; i < n; ++i) {
      if (allowed != nullptr && ((allowed[i / 64] >> (i % 64)) & 1) == 0) continue;
      const int64_t cost = LoadCost(view, i);
      if (cost < best_cost) {
        best = i;
        best_cost = cost;
      }
    }
    Record(view, best, now, window);
    return best;
  }

  void OnFirstToken(const RoutedRequest& r) override {
    auto it = in_flight_.find(r.request);
    if (it != in_flight_.end()) it->second.first_token_s = r.t_s;
  }
  // A finished request's time per output token joins its node's samples; its output
  // length the mean.
  void OnFinished(const RoutedRequest& r) override {
    auto it = in_flight_.find(r.request);
    if (it == in_flight_.end()) return;
    const InFlight f = it->second;
    in_flight_.erase(it);
    if (f.first_token_s < 0) return;  // refused before its first token
    finished_output_ += f.output_tokens;
    ++finished_;
    if (f.output_tokens > 1 && r.t_s > f.first_token_s) {
      AddTpot(node_[r.node], (r.t_s - f.first_token_s) / (f.output_tokens - 1));
    }
  }

  // Bytes of one node's state, one windowed entry, one tree id (the estimate's units).
  static constexpr size_t node_bytes() { return sizeof(NodeState); }
  static constexpr size_t entry_bytes() { return sizeof(Entry); }
  // A hash map slot (key, value and its control byte) of the tree and of the in-flight map.
  static constexpr size_t id_state_bytes() { return sizeof(IdState); }
  static constexpr size_t in_flight_slot_bytes() {
    return sizeof(std::pair<uint32_t, InFlight>) + 1;
  }

 private:
  struct Entry {
    double t;
    int64_t cost_ns;
  };
  struct NodeState {
    std::deque<Entry> entries;  // oldest first
    int64_t sum_ns = 0;
    std::deque<double> tpot;     // the last kTpotSamples measured, oldest first
    std::vector<double> sorted;  // the same, sorted
    double median_tpot_s = -1;
  };
  // One id of the tree, indexed by the id itself (ids are interned 0..distinct-1).
  struct IdState {
    double last_s = kAbsent;  // when last routed; kAbsent: never (not in the tree)
    uint64_t nodes = 0;       // where it went (one word: clusters of up to 64 nodes)
  };
  static constexpr double kAbsent = -std::numeric_limits<double>::infinity();

  bool InTree(BlockId id) const { return id < ids_.size() && ids_[id].last_s != kAbsent; }
  // The node bit set of `id`: inline up to 64 nodes, else words_ words in wide_.
  uint64_t* NodeWords(BlockId id) {
    return words_ == 1 ? &ids_[id].nodes : &wide_[size_t{id} * words_];
  }
  struct InFlight {
    uint32_t output_tokens;
    double first_token_s;
  };

  // A measured time per output token joins the node's last kTpotSamples; their median (the
  // mean of the middle two of an even count, as numpy's) is kept up to date.
  static void AddTpot(NodeState& s, double tpot) {
    s.tpot.push_back(tpot);
    s.sorted.insert(std::upper_bound(s.sorted.begin(), s.sorted.end(), tpot), tpot);
    if (s.tpot.size() > kTpotSamples) {
      s.sorted.erase(std::lower_bound(s.sorted.begin(), s.sorted.end(), s.tpot.front()));
      s.tpot.pop_front();
    }
    const size_t k = s.sorted.size();
    s.median_tpot_s = k % 2 == 1 ? s.sorted[k / 2] : (s.sorted[k / 2 - 1] + s.sorted[k / 2]) / 2;
  }

  static void Expire(NodeState& s, double cutoff) {
    while (!s.entries.empty() && s.entries.front().t <= cutoff) {
      s.sum_ns -= s.entries.front().cost_ns;
      s.entries.pop_front();
    }
  }

  int64_t LoadCost(const ClusterView& view, uint32_t i) const {
    int64_t cost = node_[i].sum_ns;
    if (view.nodes_decode() && routed_ > 0) {
      const double tpot = node_[i].median_tpot_s < 0 ? default_tpot_s_ : node_[i].median_tpot_s;
      // Measured output lengths once requests finish; before, the requested ones (Preble's
      // max_new_tokens).
      const double mean_output =
          finished_ > 0 ? static_cast<double>(finished_output_) / static_cast<double>(finished_)
                        : static_cast<double>(routed_output_) / static_cast<double>(routed_);
      cost += Nanos(view.in_flight(i) * mean_output * tpot);
    }
    return cost;
  }

  // The request's prefill on its node joins the window; every id of its prompt records
  // the node (Preble adds the GPU to every ancestor's allocation).
  void Record(const ClusterView& view, uint32_t node, double now, double window) {
    const Request& r = view.request();
    const int64_t work = Nanos(view.predicted_prefill_s(node, view.prefix_blocks(node)));
    node_[node].entries.push_back({now, work});
    node_[node].sum_ns += work;
    for (const BlockId id : r.blocks) {
      if (id >= ids_.size()) {
        ids_.resize(size_t{id} + 1);
        if (words_ > 1) wide_.resize(ids_.size() * words_, 0);
      }
      IdState& state = ids_[id];
      uint64_t* words = NodeWords(id);
      if (now - state.last_s >= window) std::fill_n(words, words_, 0);  // absent or expired
      state.last_s = now;
      words[node / 64] |= uint64_t{1} << (node % 64);
    }
    if (!view.seed_mode()) {
      in_flight_[view.request_index()] = InFlight{r.output_tokens, -1};
      routed_output_ += r.output_tokens;
      ++routed_;
    }
  }

  double window_s_;
  uint64_t window_requests_;
  double default_tpot_s_;
  uint64_t decisions_ = 0;
  size_t words_ = 1;
  std::vector<NodeState> node_;
  std::vector<IdState> ids_;    // the tree: every id routed, when and where
  std::vector<uint64_t> wide_;  // clusters over 64 nodes: words_ per id
  absl::flat_hash_map<uint32_t, InFlight> in_flight_;
  uint64_t finished_output_ = 0;
  uint64_t finished_ = 0;
  uint64_t routed_output_ = 0;
  uint64_t routed_ = 0;
};

// Per node its state and two deque floors; per distinct id of the trace an allocation
// (map slot and node words); the windowed entries (realistic: twice the trace's average
// rate over the window); the requests in flight (at most the trace's).
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
  const uint64_t words = (cell.nodes + 63) / 64;
  const uint64_t ids = t.distinct_blocks;
  return cell.nodes * (PrebleE2Router::node_bytes() + 2 * kDequeFloorBytes +
                       2 * kTpotSamples * sizeof(double)) +
         2 * windowed * PrebleE2Router::entry_bytes() + 2 * ids * PrebleE2Router::id_state_bytes() +
         (words > 1 ? 2 * ids * words * 8 : 0) +
         (cell.seed_compat ? 0 : 2 * t.requests * PrebleE2Router::in_flight_slot_bytes());
}

}  // namespace

RouterInfo PrebleE2RouterInfo() {
  return {"preble_e2",
          "exploit the nodes of a shared prefix longer than the new part, else explore; "
          "least windowed prefill + live decode load",
          "Srivatsa et al., Preble (ICLR 2025), E2 global scheduler",
          kParams,
          [](const Params& params, uint64_t) { return std::make_unique<PrebleE2Router>(params); },
          PrebleE2StateBytes,
          "WukLab/preble@0c962c4c multi_node/global_scheduler_with_time.py"};
}

}  // namespace kvb
