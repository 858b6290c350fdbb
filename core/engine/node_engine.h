#ifndef KVB_CORE_ENGINE_NODE_ENGINE_H_
#define KVB_CORE_ENGINE_NODE_ENGINE_H_

// One model replica's iteration-level scheduler (vLLM v1 / SGLang style): each step runs
// one decode token for every running request that has finished its prefill, then prefill
// chunks from the leftover token budget, oldest first; requests are admitted first come
// first served while their KV blocks fit in HBM; a decode that finds no free block preempts
// the newest running request, which later recomputes its tokens. Step times come from a
// StepModel. docs/ENGINE.md states each rule and its source.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "core/engine/step_model.h"
#include "core/metrics/arithmetic_runs.h"
#include "core/metrics/log_histogram.h"

namespace kvb {

// The scheduler's limits (vLLM's names).
struct EngineLimits {
  uint32_t max_num_batched_tokens = 8192;  // tokens of one step: decodes + prefill chunks
  uint32_t max_num_seqs = 256;             // running requests at most
  bool chunked_prefill = true;             // off: a prompt is prefilled whole, in one step
  uint64_t kv_capacity_blocks = 0;         // HBM blocks for KV
  uint32_t kv_block_tokens = 16;           // tokens per HBM block
};

struct EngineRequest {
  double arrival_s = 0;        // the request may join a step starting at or after this
  uint32_t prompt_tokens = 0;  // >= 1
  uint32_t cached_tokens = 0;  // leading prompt tokens whose KV is already in HBM
  uint32_t output_tokens = 1;  // >= 1, the first token included
  // >= 0: a token of this request came out at this time elsewhere (its prefill on another
  // node): the first token here is a gap after it.
  double prior_token_s = -1;
};

// What happened to one request (times in seconds).
struct EngineRequestResult {
  bool rejected = false;     // its prompt + output can never fit the node's KV
  double scheduled_s = -1;   // start of the first step computing part of its prompt
  double first_token_s = 0;  // end of the step that finished its prompt
  double finish_s = 0;       // end of the step that produced its last token
  double gap_sum_s = 0;      // sum of gaps between consecutive output tokens
  double max_gap_s = 0;
  uint64_t gaps = 0;
  // With RecordGaps: the mean of the slowest ceil(10%) of its gaps (the Mooncake paper's
  // TBT of a request); 0 without a gap.
  double slowest_decile_gap_s = 0;
  uint32_t preemptions = 0;
};

// A request's first token or last token, logged when NodeEngine's event log is on.
enum class EngineEventKind : uint8_t { kFirstToken, kFinished };
struct EngineEvent {
  double t_s = 0;
  uint32_t request = 0;
  EngineEventKind kind = EngineEventKind::kFirstToken;
};

class NodeEngine {
 public:
  // `step_by_step`: schedule every step one at a time (the reference); otherwise runs of
  // decode-only steps with a fixed batch are advanced in closed form. `model` must
  // outlive the engine.
  NodeEngine(const EngineLimits& limits, const StepModel& model, bool step_by_step = false);

  // Adds a request arriving at or after the time of the last RunUntil (arrivals may come
  // in any order otherwise); returns its index. Throws std::invalid_argument if it arrives
  // before that time or a count is 0.
  uint32_t Add(const EngineRequest& request);
  // Runs every step that starts before `t_s` (a step may end after it).
  void RunUntil(double t_s);
  // Runs until every added request has finished.
  void Drain();

  const EngineRequestResult& result(uint32_t index) const { return results_[index]; }
  // Logs first and last tokens into events() from now on.
  void LogEvents() { log_events_ = true; }
  std::vector<EngineEvent>& events() { return events_; }
  // Adds every inter-token gap from now on to `itl` (nullptr: none) and keeps each
  // request's gaps (as runs) until it finishes, for its slowest decile; `itl` must outlive
  // the engine's use of it.
  void RecordGaps(LogHistogram* itl) { itl_ = itl; }
  // When the last step ended.
  double now_s() const { return now_s_; }
  // When the next step starts if nothing is added: now_s() with requests arrived, else the
  // next arrival (not before now_s()), +inf with none. RunUntil(just past it) runs that step.
  double next_step_s() const {
    if (!running_.empty() || !waiting_.empty()) return now_s_;
    if (pending_.empty()) return std::numeric_limits<double>::infinity();
    return std::max(now_s_, requests_[pending_.front()].arrival_s);
  }
  uint64_t steps() const { return steps_; }
  // Of those, steps advanced in closed form (decode-only runs).
  uint64_t skipped_steps() const { return skipped_steps_; }
  double busy_s() const { return busy_s_; }
  uint64_t preemptions() const { return preemptions_; }
  size_t running() const { return running_.size(); }
  // Arrived and not running (preempted ones included).
  size_t waiting() const { return waiting_.size(); }
  // Added but not yet arrived (e.g. still loading their prefix).
  size_t pending() const { return pending_.size(); }
  uint64_t free_blocks() const { return free_blocks_; }
  uint64_t used_blocks() const { return limits_.kv_capacity_blocks - free_blocks_; }
  // KV tokens of the running requests (what their decodes read), in O(running).
  uint64_t running_context_tokens() const {
    uint64_t tokens = 0;
    for (const uint32_t i : running_) tokens += states_[i].kv;
    return tokens;
  }
  // fn(output tokens generated here, KV tokens) for each running request.
  template <typename Fn>
  void ForEachRunning(Fn fn) const {
    for (const uint32_t i : running_) fn(states_[i].generated, states_[i].kv);
  }
  const EngineLimits& limits() const { return limits_; }
  // Prompt tokens still to compute over the requests added and not finished (recomputes of
  // preempted ones included).
  uint64_t prefill_backlog_tokens() const { return prefill_backlog_tokens_; }
  // Decodes of the last step (0 once idle).
  uint64_t decode_batch() const { return last_decodes_; }
  // Integrals over the steps run: HBM blocks in use x seconds (decode runs advanced in
  // closed form count the mean of their first and last step's blocks), and requests in the
  // batch x seconds.
  double used_block_seconds() const { return used_block_seconds_; }
  double batch_seconds() const { return batch_seconds_; }
  // Heap bytes per request added (its records), for memory estimates.
  static uint64_t BytesPerRequest();

 private:
  struct State {
    uint64_t prompt = 0;
    uint64_t output = 0;
    uint64_t target = 0;     // tokens to prefill: prompt + tokens generated before it
    uint64_t kv = 0;         // tokens whose KV is in HBM
    uint64_t held = 0;       // HBM blocks held
    uint64_t generated = 0;  // output tokens produced
    double last_token_s = 0;
    bool prior_token = false;  // a token came out before this engine's first
    uint64_t slowest_k = 0;    // ceil(10%) of the gaps it will have
    // With RecordGaps, until it finishes: its gaps, pruned to those that may be among its
    // slowest_k largest once they outgrow 2 x slowest_k + 16 runs.
    std::vector<ArithmeticRun> gaps;
  };
  struct Chunk {
    uint32_t request;
    uint64_t tokens;
  };

  uint64_t BlocksFor(uint64_t tokens) const;
  // Grows request i's blocks to hold `kv` tokens; false if not enough are free.
  bool Reserve(uint32_t i, uint64_t kv);
  void Release(uint32_t i);
  // Preempts the newest running request: its blocks are freed and it waits first in line.
  void PreemptNewest();
  // One step scheduled by the rules, starting at now_s_.
  void Step();
  // Decode-only steps in closed form while the batch stays the same, up to before `stop_s`;
  // returns false (nothing done) when the next step is not such a step.
  bool SkipDecodeRun(double stop_s);
  void Emit(uint32_t i, double t);
  void KeepGap(State& s, const ArithmeticRun& gap);
  void Finish(uint32_t i, double t);

  EngineLimits limits_;
  const StepModel& model_;
  bool step_by_step_;
  std::vector<State> states_;
  std::vector<EngineRequestResult> results_;
  std::vector<EngineRequest> requests_;
  std::deque<uint32_t> pending_;   // added, not yet arrived (by arrival, then index)
  std::deque<uint32_t> waiting_;   // arrived, not running (first in line first)
  std::vector<uint32_t> running_;  // oldest admission first
  uint64_t free_blocks_ = 0;
  double now_s_ = 0;
  uint64_t steps_ = 0;
  uint64_t skipped_steps_ = 0;
  double busy_s_ = 0;
  uint64_t preemptions_ = 0;
  std::vector<Chunk> chunks_;  // scratch of one step
  std::vector<uint32_t> decodes_;
  double horizon_s_ = 0;  // the last RunUntil's time
  uint64_t prefill_backlog_tokens_ = 0;
  uint64_t last_decodes_ = 0;
  double used_block_seconds_ = 0;
  double batch_seconds_ = 0;
  bool log_events_ = false;
  std::vector<EngineEvent> events_;
  LogHistogram* itl_ = nullptr;
  std::vector<ArithmeticRun> run_gaps_;  // scratch: one skipped run's gaps after its first
};

}  // namespace kvb

#endif  // KVB_CORE_ENGINE_NODE_ENGINE_H_
