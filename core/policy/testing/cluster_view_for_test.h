#ifndef KVB_CORE_POLICY_TESTING_CLUSTER_VIEW_FOR_TEST_H_
#define KVB_CORE_POLICY_TESTING_CLUSTER_VIEW_FOR_TEST_H_

// A ClusterView set by hand, for router tests that need signals the engine would take many
// requests to reach (e.g. 64 queued requests). Tests only.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/index/sim_prefix_index.h"
#include "core/policy/cluster_view.h"
#include "core/policy/replica_sink.h"

namespace kvb {

// Copies recorded instead of executed.
class RecordingReplicaSink final : public ReplicaSink {
 public:
  struct Copy {
    uint32_t source, target, blocks;
  };
  uint32_t CopyPrefix(uint32_t source, uint32_t target, uint32_t blocks) override {
    copies.push_back({source, target, blocks});
    return blocks;
  }
  std::vector<Copy> copies;
};

// Owns the arrays a ClusterView points to. Defaults: realistic mode, local scope, empty
// queues, nothing resident, capacity 1000 blocks per node, a prefill of (input tokens -
// reused tokens) ms with 4-token blocks, transfers of 1 ms per block.
class ClusterViewForTest {
 public:
  explicit ClusterViewForTest(size_t nodes)
      : queue_length(nodes, 0),
        queued_work_s(nodes, 0.0),
        pending_prefill_blocks(nodes, 0),
        resident(nodes, 0),
        capacity(nodes, 1000),
        holders_(nodes),
        prefix_(nodes, 0) {}

  // The request being placed: `blocks` ids (interned, < universe) and its input tokens.
  void SetRequest(std::vector<BlockId> blocks, uint32_t input_tokens, uint32_t output_tokens = 0) {
    blocks_ = std::move(blocks);
    request_.blocks = blocks_;
    request_.input_tokens = input_tokens;
    request_.output_tokens = output_tokens;
  }
  // Makes `node` hold `ids` (the view's prefix and per-block counts follow).
  void Hold(uint32_t node, const std::vector<BlockId>& ids) { holders_.Add(node, ids); }

  // Builds the view from the fields below and the held blocks.
  const ClusterView& view() {
    // Work queued and nothing in service: queued_work_s(n) = queued_work_s[n].
    idle_.assign(queued_work_s.size(), -std::numeric_limits<double>::infinity());
    ClusterViewSources& s = builder_.sources();
    s.seed_mode = seed_mode;
    s.global_cache = global_cache;
    s.uniform_speed = uniform_speed;
    s.prefill_pool = prefill_pool;
    s.nodes_decode = nodes_decode;
    s.prefix_blocks = prefix_;
    s.queue_length = queue_length;
    s.queued_predicted_s = queued_work_s;
    s.busy_until_s = idle_;
    s.pending_prefill_blocks = pending_prefill_blocks;
    s.in_flight = in_flight;
    s.signals_as_of_s = signals_as_of_s < 0 ? nullptr : &signals_as_of_s;
    s.running_requests = running_requests;
    s.waiting_requests = waiting_requests;
    s.active_kv_blocks = active_kv_blocks;
    s.kv_capacity_blocks = kv_capacity_blocks;
    s.decode_batch = decode_batch;
    s.queued_prefill_tokens = queued_prefill_tokens;
    s.block_tokens = 4;
    s.max_batched_tokens = max_batched_tokens;
    s.holders = &holders_;
    s.hotspots = hotspots;
    s.predict_prefill_s = [this](size_t, uint32_t reused) {
      const double reused_tokens = std::min<double>(reused * 4.0, request_.input_tokens);
      return (request_.input_tokens - reused_tokens) / 1000.0;
    };
    s.resident = [this](size_t n) { return resident[n]; };
    s.capacity = [this](size_t n) { return capacity[n]; };
    s.transfer_s = [](uint32_t blocks) { return blocks / 1000.0; };
    s.replicas = &sink;
    builder_.BeginRequest(request_index, request_, now_s, holders_.LongestPrefix(blocks_, prefix_));
    return builder_.view();
  }

  bool seed_mode = false;
  bool global_cache = false;
  // The predictor above ignores the node; false makes routers take their any-speed path.
  bool uniform_speed = true;
  bool prefill_pool = false;
  bool nodes_decode = false;
  double now_s = 0;
  uint32_t max_batched_tokens = 0;  // the engine's tokens per step; 0: none configured
  double signals_as_of_s = -1;      // when the engine signals were polled; < 0: fresh
  uint32_t request_index = 0;
  std::vector<size_t> queue_length;
  std::vector<double> queued_work_s;
  std::vector<uint64_t> pending_prefill_blocks;
  std::vector<size_t> resident;
  std::vector<size_t> capacity;
  // The gateway's in-flight counts; empty: queue_length.
  std::vector<uint32_t> in_flight;
  // Serving signals (engine-reported); empty: the view derives them from the queues.
  std::vector<uint32_t> running_requests;
  std::vector<uint32_t> waiting_requests;
  std::vector<uint64_t> active_kv_blocks;  // set kv_capacity_blocks with it
  std::vector<uint64_t> kv_capacity_blocks;
  std::vector<uint32_t> decode_batch;
  std::vector<uint64_t> queued_prefill_tokens;
  const HotspotTracker* hotspots = nullptr;
  RecordingReplicaSink sink;

 private:
  SimPrefixIndex holders_;
  std::vector<BlockId> blocks_;
  Request request_;
  std::vector<uint32_t> prefix_;
  std::vector<double> idle_;
  ClusterViewBuilder builder_;
};

}  // namespace kvb

#endif  // KVB_CORE_POLICY_TESTING_CLUSTER_VIEW_FOR_TEST_H_
