#include "core/engine/node_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace kvb {

namespace {

// The time of decode-only step j of a run whose batch reads S0 + j x B context tokens:
// max over pieces of (intercept + slope x (S0 + j x B)), as pieces in j.
struct LinePiece {
  double at0;    // value at j = 0
  double per_j;  // increase per step
};

double ValueAt(const std::vector<LinePiece>& pieces, uint64_t j) {
  double best = -std::numeric_limits<double>::infinity();
  for (const LinePiece& p : pieces) best = std::max(best, p.at0 + p.per_j * static_cast<double>(j));
  return best;
}

// Calls fn(piece, j0, j1) for each stretch [j0, j1) of [begin, end) over which one piece
// leads: the max of affine functions is convex and piecewise affine.
template <typename Fn>
void ForEachStretch(const std::vector<LinePiece>& pieces, uint64_t begin, uint64_t end, Fn fn) {
  uint64_t j = begin;
  while (j < end) {
    size_t lead = 0;
    for (size_t p = 1; p < pieces.size(); ++p) {
      const double vp = pieces[p].at0 + pieces[p].per_j * static_cast<double>(j);
      const double vl = pieces[lead].at0 + pieces[lead].per_j * static_cast<double>(j);
      if (vp > vl || (vp == vl && pieces[p].per_j > pieces[lead].per_j)) lead = p;
    }
    // The first j' > j where a steeper piece overtakes the leader.
    uint64_t stop = end;
    const LinePiece& l = pieces[lead];
    for (const LinePiece& q : pieces) {
      if (q.per_j <= l.per_j) continue;
      const double cross = (l.at0 - q.at0) / (q.per_j - l.per_j);  // q > l for j > cross
      const double next = std::floor(cross) + 1;
      if (next <= static_cast<double>(j)) continue;
      if (next < static_cast<double>(stop)) stop = static_cast<uint64_t>(next);
    }
    fn(l, j, stop);
    j = stop;
  }
}

// Sum of the first k values (j = 0 .. k-1): an arithmetic series per stretch.
double PrefixSum(const std::vector<LinePiece>& pieces, uint64_t k) {
  double sum = 0;
  ForEachStretch(pieces, 0, k, [&](const LinePiece& l, uint64_t j0, uint64_t j1) {
    const auto n = static_cast<double>(j1 - j0);
    const double first = static_cast<double>(j0);
    sum += n * l.at0 + l.per_j * (n * first + n * (n - 1) / 2);
  });
  return sum;
}

}  // namespace

NodeEngine::NodeEngine(const EngineLimits& limits, const StepModel& model, bool step_by_step)
    : limits_(limits), model_(model), step_by_step_(step_by_step) {
  if (limits.max_num_batched_tokens == 0 || limits.max_num_seqs == 0 ||
      limits.kv_block_tokens == 0 || limits.kv_capacity_blocks == 0) {
    throw std::invalid_argument("engine limits: every limit must be >= 1");
  }
  free_blocks_ = limits.kv_capacity_blocks;
}

uint32_t NodeEngine::Add(const EngineRequest& r) {
  if (r.prompt_tokens == 0 || r.output_tokens == 0) {
    throw std::invalid_argument("engine request: prompt and output tokens must be >= 1");
  }
  if (r.arrival_s < horizon_s_) {
    throw std::invalid_argument("engine request: arrives before the engine's last RunUntil");
  }
  const auto index = static_cast<uint32_t>(requests_.size());
  requests_.push_back(r);
  State s;
  s.prompt = r.prompt_tokens;
  s.output = r.output_tokens;
  s.target = r.prompt_tokens;
  // At least the last prompt token is computed: it yields the first output token.
  s.kv = std::min<uint64_t>(r.cached_tokens, r.prompt_tokens - 1);
  if (r.prior_token_s >= 0) {
    s.prior_token = true;
    s.last_token_s = r.prior_token_s;
  }
  s.slowest_k = (s.output - 1 + (s.prior_token ? 1 : 0) + 9) / 10;
  states_.push_back(s);
  results_.emplace_back();
  // The KV of every token but the last output must fit (recomputed whole after preemption).
  if (BlocksFor(s.prompt + s.output - 1) > limits_.kv_capacity_blocks) {
    results_.back().rejected = true;
    return index;
  }
  // By arrival, after those arriving at the same time: mostly an append.
  auto at = pending_.end();
  while (at != pending_.begin() && requests_[*(at - 1)].arrival_s > r.arrival_s) --at;
  pending_.insert(at, index);
  prefill_backlog_tokens_ += s.target - s.kv;
  return index;
}

uint64_t NodeEngine::BlocksFor(uint64_t tokens) const {
  return (tokens + limits_.kv_block_tokens - 1) / limits_.kv_block_tokens;
}

bool NodeEngine::Reserve(uint32_t i, uint64_t kv) {
  State& s = states_[i];
  const uint64_t need = BlocksFor(kv);
  if (need <= s.held) return true;
  if (need - s.held > free_blocks_) return false;
  free_blocks_ -= need - s.held;
  s.held = need;
  return true;
}

void NodeEngine::Release(uint32_t i) {
  free_blocks_ += states_[i].held;
  states_[i].held = 0;
}

void NodeEngine::PreemptNewest() {
  const uint32_t i = running_.back();
  running_.pop_back();
  Release(i);
  State& s = states_[i];
  // Recompute: its prompt and every token generated so far are prefilled again.
  prefill_backlog_tokens_ -= s.target - std::min(s.kv, s.target);  // 0 once decoding
  s.kv = 0;
  s.target = s.prompt + s.generated;
  prefill_backlog_tokens_ += s.target;
  waiting_.push_front(i);
  ++results_[i].preemptions;
  ++preemptions_;
}

void NodeEngine::Emit(uint32_t i, double t) {
  State& s = states_[i];
  EngineRequestResult& r = results_[i];
  if (s.generated == 0) {
    r.first_token_s = t;
    if (log_events_) events_.push_back({t, i, EngineEventKind::kFirstToken});
  }
  if (s.generated > 0 || s.prior_token) {
    const double gap = t - s.last_token_s;
    r.gap_sum_s += gap;
    r.max_gap_s = std::max(r.max_gap_s, gap);
    ++r.gaps;
    if (itl_ != nullptr) {
      itl_->Add(gap);
      KeepGap(s, {gap, 0, 1});
    }
  }
  s.last_token_s = t;
  ++s.generated;
}

void NodeEngine::KeepGap(State& s, const ArithmeticRun& gap) {
  if (!s.gaps.empty() && gap.step == 0 && s.gaps.back().step == 0 &&
      s.gaps.back().first == gap.first) {
    s.gaps.back().count += gap.count;  // equal gaps in a row: one run
  } else {
    s.gaps.push_back(gap);
  }
  if (s.gaps.size() > 2 * s.slowest_k + 16) KeepLargest(s.gaps, s.slowest_k);
}

void NodeEngine::Finish(uint32_t i, double t) {
  EngineRequestResult& r = results_[i];
  r.finish_s = t;
  Release(i);
  std::vector<ArithmeticRun>& gaps = states_[i].gaps;
  if (!gaps.empty()) {
    const uint64_t k = states_[i].slowest_k;  // ceil(10%) of r.gaps
    r.slowest_decile_gap_s = SumOfLargest(gaps, k) / static_cast<double>(k);
    std::vector<ArithmeticRun>().swap(gaps);
  }
  if (log_events_) events_.push_back({t, i, EngineEventKind::kFinished});
}

void NodeEngine::Step() {
  const double start = now_s_;
  uint64_t budget = limits_.max_num_batched_tokens;
  decodes_.clear();
  chunks_.clear();
  // Running requests first, oldest first: a decode token each, or their next prefill chunk.
  for (size_t r = 0; r < running_.size() && budget > 0; ++r) {
    const uint32_t i = running_[r];
    State& s = states_[i];
    const bool decode = s.kv >= s.target;
    const uint64_t tokens = decode ? 1 : std::min(s.target - s.kv, budget);
    bool preempted_self = false;
    while (!Reserve(i, s.kv + tokens)) {
      preempted_self = running_.back() == i;
      PreemptNewest();
      if (preempted_self) break;
    }
    if (preempted_self) break;
    if (decode) {
      decodes_.push_back(i);
    } else {
      chunks_.push_back({i, tokens});
    }
    budget -= tokens;
  }
  // Then waiting requests, first in line first, while they fit.
  while (!waiting_.empty() && budget > 0 && running_.size() < limits_.max_num_seqs) {
    const uint32_t i = waiting_.front();
    const State& s = states_[i];
    const uint64_t remaining = s.target - s.kv;
    uint64_t tokens = std::min(remaining, budget);
    if (!limits_.chunked_prefill) {
      // Whole prompts only; one longer than the budget runs alone among the prefills.
      if (remaining > budget && !chunks_.empty()) break;
      tokens = remaining;
    }
    if (!Reserve(i, s.kv + tokens)) break;
    if (results_[i].scheduled_s < 0) results_[i].scheduled_s = start;
    waiting_.pop_front();
    running_.push_back(i);
    chunks_.push_back({i, tokens});
    budget -= std::min(tokens, budget);
  }
  if (decodes_.empty() && chunks_.empty()) {
    throw std::logic_error("engine step: nothing could be scheduled");
  }

  StepWork work;
  work.decodes = decodes_.size();
  for (const uint32_t i : decodes_) work.decode_kv_read_tokens += states_[i].kv;
  for (const Chunk& c : chunks_) {
    const uint64_t before = states_[c.request].kv;
    work.prefill_tokens += c.tokens;
    work.prefill_kv_read_tokens += before;
    work.prefill_attention_pairs += ChunkAttentionPairs(before, c.tokens, true);
    work.prefill_attention_pairs_full += ChunkAttentionPairs(before, c.tokens, false);
  }
  const double dt = model_.Seconds(work);
  const double end = start + dt;
  used_block_seconds_ += static_cast<double>(used_blocks()) * dt;
  batch_seconds_ += static_cast<double>(decodes_.size() + chunks_.size()) * dt;
  last_decodes_ = decodes_.size();
  for (const uint32_t i : decodes_) {
    ++states_[i].kv;
    Emit(i, end);
  }
  for (const Chunk& c : chunks_) {
    State& s = states_[c.request];
    s.kv += c.tokens;
    prefill_backlog_tokens_ -= c.tokens;
    if (s.kv == s.target) Emit(c.request, end);
  }
  size_t kept = 0;
  for (const uint32_t i : running_) {
    if (states_[i].generated >= states_[i].output) {
      Finish(i, end);
    } else {
      running_[kept++] = i;
    }
  }
  running_.resize(kept);
  now_s_ = end;
  ++steps_;
  busy_s_ += dt;
}

bool NodeEngine::SkipDecodeRun(double stop_s) {
  const uint64_t batch = running_.size();
  if (batch < 1 || batch > limits_.max_num_batched_tokens) return false;
  uint64_t context = 0;
  uint64_t first_need = 0;  // blocks the first step's decodes must add
  uint64_t steps_to_finish = std::numeric_limits<uint64_t>::max();
  for (const uint32_t i : running_) {
    const State& s = states_[i];
    if (s.kv < s.target) return false;  // a prefill in flight
    context += s.kv;
    first_need += BlocksFor(s.kv + 1) - std::min(BlocksFor(s.kv + 1), s.held);
    steps_to_finish = std::min(steps_to_finish, s.output - s.generated);
  }
  if (first_need > free_blocks_) return false;  // the first step preempts
  // A waiting request admissible now changes the batch at once; one that is not stays out
  // while the run lasts (no slot frees, free blocks only fall).
  if (!waiting_.empty() && running_.size() < limits_.max_num_seqs &&
      batch < limits_.max_num_batched_tokens) {
    const State& s = states_[waiting_.front()];
    const uint64_t budget = limits_.max_num_batched_tokens - batch;
    const uint64_t remaining = s.target - s.kv;
    const uint64_t tokens = limits_.chunked_prefill ? std::min(remaining, budget) : remaining;
    if (BlocksFor(s.kv + tokens) - std::min(BlocksFor(s.kv + tokens), s.held) <=
        free_blocks_ - first_need) {
      return false;
    }
  }
  // Steps 0..k-1 all find their blocks: the largest such k up to the first finish.
  auto blocks_through = [&](uint64_t k) {  // blocks added by steps 0..k-1
    uint64_t need = 0;
    for (const uint32_t i : running_) {
      const State& s = states_[i];
      need += BlocksFor(s.kv + k) - std::min(BlocksFor(s.kv + k), s.held);
    }
    return need;
  };
  uint64_t lo = 1, hi = steps_to_finish;  // steps 0..lo-1 fit
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (blocks_through(mid) <= free_blocks_) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  uint64_t steps = lo;
  // The steps' times: pieces in j, the step's index in the run.
  std::vector<LinePiece> pieces;
  for (const AffinePiece& p : model_.DecodeStepPieces(batch)) {
    pieces.push_back({p.intercept + p.slope * static_cast<double>(context),
                      p.slope * static_cast<double>(batch)});
  }
  // Only steps starting before stop_s: step j starts at now + PrefixSum(j).
  if (now_s_ + PrefixSum(pieces, steps - 1) >= stop_s) {
    uint64_t a = 0, b = steps - 1;  // the last step starting before stop_s (step 0 does)
    while (a < b) {
      const uint64_t mid = a + (b - a + 1) / 2;
      if (now_s_ + PrefixSum(pieces, mid) < stop_s) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    steps = a + 1;
  }
  if (steps < 2) return false;

  const double first_s = ValueAt(pieces, 0);
  const double last_s = ValueAt(pieces, steps - 1);
  const double run_s = PrefixSum(pieces, steps);
  const double end = now_s_ + run_s;
  const double used_first = static_cast<double>(used_blocks() + first_need);
  const double used_last = static_cast<double>(used_blocks() + blocks_through(steps));
  used_block_seconds_ += (used_first + used_last) / 2 * run_s;
  batch_seconds_ += static_cast<double>(batch) * run_s;
  last_decodes_ = batch;
  if (itl_ != nullptr) {
    // Every request's gaps but the first are the step times of steps 1 .. steps-1.
    run_gaps_.clear();
    ForEachStretch(pieces, 1, steps, [&](const LinePiece& l, uint64_t j0, uint64_t j1) {
      const double first = l.at0 + l.per_j * static_cast<double>(j0);
      itl_->AddArithmeticRun(first, l.per_j, j1 - j0, batch);
      run_gaps_.push_back({first, l.per_j, j1 - j0});
    });
  }
  size_t kept = 0;
  for (const uint32_t i : running_) {
    State& s = states_[i];
    EngineRequestResult& r = results_[i];
    if (itl_ != nullptr) {
      itl_->Add(now_s_ + first_s - s.last_token_s);
      KeepGap(s, {now_s_ + first_s - s.last_token_s, 0, 1});
      for (const ArithmeticRun& gap : run_gaps_) KeepGap(s, gap);
    }
    r.gaps += steps;
    r.gap_sum_s += end - s.last_token_s;
    r.max_gap_s = std::max({r.max_gap_s, now_s_ + first_s - s.last_token_s, last_s});
    s.last_token_s = end;
    s.generated += steps;
    s.kv += steps;
    if (!Reserve(i, s.kv)) throw std::logic_error("engine: a skipped run ran out of blocks");
    if (s.generated >= s.output) {
      Finish(i, end);
    } else {
      running_[kept++] = i;
    }
  }
  running_.resize(kept);
  now_s_ = end;
  steps_ += steps;
  skipped_steps_ += steps;
  busy_s_ += run_s;
  return true;
}

void NodeEngine::RunUntil(double t_s) {
  horizon_s_ = std::max(horizon_s_, t_s);
  for (;;) {
    while (!pending_.empty() && requests_[pending_.front()].arrival_s <= now_s_) {
      waiting_.push_back(pending_.front());
      pending_.pop_front();
    }
    const double next_arrival = pending_.empty() ? std::numeric_limits<double>::infinity()
                                                 : requests_[pending_.front()].arrival_s;
    if (running_.empty() && waiting_.empty()) {
      last_decodes_ = 0;
      if (next_arrival >= t_s || std::isinf(next_arrival)) return;
      now_s_ = next_arrival;  // idle until the next arrival
      continue;
    }
    if (now_s_ >= t_s) return;
    if (!step_by_step_ && SkipDecodeRun(std::min(t_s, next_arrival))) continue;
    Step();
  }
}

void NodeEngine::Drain() { RunUntil(std::numeric_limits<double>::infinity()); }

uint64_t NodeEngine::BytesPerRequest() {
  // Its records, and a slot in pending_, waiting_ or running_ at a time.
  return sizeof(State) + sizeof(EngineRequestResult) + sizeof(EngineRequest) + sizeof(uint32_t);
}

}  // namespace kvb
