#include "core/trace/generator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <queue>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/util/mix.h"

namespace kvb {

namespace {

// ---------------------------------------------------------------------------------------
// Portable math. std::exp/std::log may differ in the last bit between C libraries, so the
// generator uses these, built only from IEEE-exact operations (+ - * / floor ldexp frexp).
// generator.cc is compiled with -ffp-contract=off so no platform fuses them differently.

constexpr double kLn2 = 0.6931471805599453094;
constexpr double kLn2Hi = 6.93147180369123816490e-01;  // kLn2 rounded to 32 bits
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // kLn2 - kLn2Hi

// e^x, relative error below 1e-15.
double PortableExp(double x) {
  if (x > 709.0) return std::numeric_limits<double>::infinity();
  if (x < -745.0) return 0.0;
  const double n = std::floor(x / kLn2 + 0.5);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;  // |r| <= 0.35
  double term = 1.0;
  double sum = 1.0;
  for (int k = 1; k <= 16; ++k) {
    term = term * r / k;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(n));
}

// ln(x) for finite x > 0, relative error below 1e-15.
double PortableLog(double x) {
  int exponent = 0;
  double mantissa = std::frexp(x, &exponent);  // in [0.5, 1)
  if (mantissa < 0.70710678118654752) {
    mantissa *= 2.0;
    --exponent;
  }
  // ln(m) = 2 atanh(t) with t = (m - 1) / (m + 1), |t| <= 0.172.
  const double t = (mantissa - 1.0) / (mantissa + 1.0);
  const double t2 = t * t;
  double power = t;
  double sum = 0.0;
  for (int k = 1; k <= 27; k += 2) {
    sum += power / k;
    power *= t2;
  }
  const double e = exponent;
  return (e * kLn2Hi + 2.0 * sum) + e * kLn2Lo;
}

// Raw bits from std::mt19937_64 (fully specified by the standard) and hand-written
// transforms, so a seed gives the same draws everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Exponential(double mean) { return -mean * PortableLog(1.0 - Uniform()); }

  // Standard normal (Marsaglia's polar method).
  double Normal() {
    while (true) {
      const double u = 2.0 * Uniform() - 1.0;
      const double v = 2.0 * Uniform() - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * PortableLog(s) / s);
    }
  }

  uint32_t Length(const LengthDistribution& d) {
    double tokens = d.median_tokens;
    if (d.sigma > 0) tokens = PortableExp(PortableLog(d.median_tokens) + d.sigma * Normal());
    tokens = std::clamp(std::floor(tokens + 0.5), static_cast<double>(d.min_tokens),
                        static_cast<double>(d.max_tokens));
    return static_cast<uint32_t>(tokens);
  }

 private:
  std::mt19937_64 engine_;
};

// Draws item k of n with probability proportional to (k+1)^-exponent.
class ZipfSampler {
 public:
  ZipfSampler(uint32_t n, double exponent) : cdf_(n) {
    double sum = 0;
    for (uint32_t k = 0; k < n; ++k) {
      sum += exponent == 0 ? 1.0 : PortableExp(-exponent * PortableLog(k + 1.0));
      cdf_[k] = sum;
    }
  }
  uint32_t Sample(Random& rng) const {
    const double u = rng.Uniform() * cdf_.back();
    const size_t k = std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
    return static_cast<uint32_t>(std::min(k, cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

// ---------------------------------------------------------------------------------------
// Block identity.

// A 128-bit fingerprint of a sequence of 64-bit words (two independently keyed chains).
class Fingerprint {
 public:
  void Add(uint64_t word) {
    lo_ = Mix64(lo_ ^ Mix64(word ^ 0x243f6a8885a308d3ULL));
    hi_ = Mix64((hi_ + 0x9e3779b97f4a7c15ULL) ^ Mix64(word + 0x13198a2e03707344ULL));
  }
  uint64_t lo() const { return lo_; }
  uint64_t hi() const { return hi_; }

 private:
  uint64_t lo_ = 0xa4093822299f31d0ULL;
  uint64_t hi_ = 0x082efa98ec4e6c89ULL;
};

// A block made only of shared content: its parent and a fingerprint of the slices it covers.
struct SharedBlockKey {
  uint64_t parent;
  uint64_t fingerprint_lo;
  uint64_t fingerprint_hi;

  bool operator==(const SharedBlockKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SharedBlockKey& k) {
    return H::combine(std::move(h), k.parent, k.fingerprint_lo, k.fingerprint_hi);
  }
};

constexpr uint64_t kNoParentRaw = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kUniqueContent = 0;  // text of one session only (messages, outputs)
constexpr uint64_t kSystemPromptContent = uint64_t{1} << 56;
constexpr uint64_t kDocumentContent = uint64_t{2} << 56;

// A stretch of a session's prompt: tokens [end - tokens, end) hold `content` from its start.
struct Segment {
  uint64_t end;
  uint32_t tokens;
  uint64_t content;  // kUniqueContent or a shared content identity
};

// Names a prompt's blocks: a block of shared content only (system prompts, documents) gets
// the id that content has after the same parent; a block with any unique text, a fresh id.
class BlockNamer {
 public:
  explicit BlockNamer(uint64_t block_tokens) : block_(block_tokens) {}

  // Recomputes ids[keep_blocks, ceil(prompt_tokens / B)) of the prompt `segments` make up;
  // the first keep_blocks ids are full blocks already named by an earlier turn.
  void Name(const std::vector<Segment>& segments, uint64_t prompt_tokens, size_t keep_blocks,
            std::vector<uint64_t>& ids) {
    const size_t block_count = (prompt_tokens + block_ - 1) / block_;
    ids.resize(keep_blocks);
    size_t cursor =
        std::partition_point(segments.begin(), segments.end(),
                             [&](const Segment& s) { return s.end <= keep_blocks * block_; }) -
        segments.begin();
    for (size_t i = keep_blocks; i < block_count; ++i) {
      const uint64_t begin = i * block_;
      const uint64_t end = std::min(begin + block_, prompt_tokens);
      while (segments[cursor].end <= begin) ++cursor;
      bool unique = false;
      Fingerprint fingerprint;
      for (size_t j = cursor; j < segments.size(); ++j) {
        const Segment& s = segments[j];
        const uint64_t s_begin = s.end - s.tokens;
        if (s_begin >= end) break;
        if (s.content == kUniqueContent) {
          unique = true;
          break;
        }
        const uint64_t from = std::max(begin, s_begin);
        const uint64_t to = std::min(end, s.end);
        fingerprint.Add(s.content);
        fingerprint.Add(((from - s_begin) << 32) | (to - from));
      }
      const uint64_t parent = i == 0 ? kNoParentRaw : ids[i - 1];
      if (unique) {
        ids.push_back(next_id_++);
      } else {
        auto [it, inserted] = shared_blocks_.try_emplace(
            SharedBlockKey{parent, fingerprint.lo(), fingerprint.hi()}, next_id_);
        if (inserted) ++next_id_;
        ids.push_back(it->second);
      }
    }
  }

  // Ids handed out so far (they are 0 .. next_id() - 1).
  uint64_t next_id() const { return next_id_; }
  // Frees the shared blocks' table: no block is named after this.
  void Release() { shared_blocks_ = {}; }

 private:
  uint64_t block_;
  absl::flat_hash_map<SharedBlockKey, uint64_t> shared_blocks_;
  uint64_t next_id_ = 0;
};

// ---------------------------------------------------------------------------------------
// Validation.

std::string Str(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
std::string Str(int64_t v) { return std::to_string(v); }
std::string Str(uint64_t v) { return std::to_string(v); }
std::string Str(uint32_t v) { return std::to_string(v); }

[[noreturn]] void Fail(const std::string& field, const std::string& problem) {
  throw InputError(field + ": " + problem);
}

void RequireAtLeast(const std::string& field, double value, double min) {
  if (!(value >= min) || !std::isfinite(value)) {
    Fail(field, "must be a finite number >= " + Str(min) + ", got " + Str(value));
  }
}

void RequirePositive(const std::string& field, double value) {
  if (!(value > 0) || !std::isfinite(value)) {
    Fail(field, "must be a finite number > 0, got " + Str(value));
  }
}

void RequireProbability(const std::string& field, double value) {
  if (!(value >= 0 && value <= 1)) Fail(field, "must be in [0, 1], got " + Str(value));
}

void ValidateLength(const std::string& field, const LengthDistribution& d) {
  RequirePositive(field + ".median_tokens", d.median_tokens);
  RequireAtLeast(field + ".sigma", d.sigma, 0);
  if (d.min_tokens < 1) Fail(field + ".min_tokens", "must be >= 1, got 0");
  if (d.max_tokens < d.min_tokens) {
    Fail(field + ".max_tokens",
         "must be >= min_tokens (" + Str(d.min_tokens) + "), got " + Str(d.max_tokens));
  }
}

constexpr uint32_t kMaxContentItems = 10'000'000;

// What every session draws from: the random stream, the block namer, and the spec's system
// prompts and documents (each document's length drawn once, first, from the stream).
struct ContentModel {
  ContentModel(const WorkloadSpec& spec, uint64_t seed)
      : rng(seed),
        namer(spec.block_tokens),
        system_prompts(spec.system_prompts.count, spec.system_prompts.zipf_exponent),
        documents(spec.documents.use_probability > 0 ? spec.documents.count : 1,
                  spec.documents.zipf_exponent) {
    if (spec.documents.use_probability > 0) {
      document_tokens.resize(spec.documents.count);
      for (uint32_t& tokens : document_tokens) tokens = rng.Length(spec.documents.tokens);
    }
  }

  Random rng;
  BlockNamer namer;
  ZipfSampler system_prompts;
  ZipfSampler documents;
  std::vector<uint32_t> document_tokens;  // length of each document
};

// ---------------------------------------------------------------------------------------
// The generator.

class WorkloadGenerator {
 public:
  WorkloadGenerator(const WorkloadSpec& spec, uint64_t seed) : spec_(spec), c_(spec, seed) {}

  std::shared_ptr<const Trace> Generate(size_t requests) {
    TraceBuilder builder(spec_.block_tokens);
    if (requests == 0) return builder.Finish();
    // Sessions start in time order and their requests arrive no earlier than their start
    // (later sessions sort after equal times), so once a session starts at or after the
    // `requests`-th earliest arrival seen so far, no later session can change that set.
    double start_s = 0;
    while (earliest_.size() < requests || QuantizedMs(start_s) < earliest_.top()) {
      GenerateSession(start_s, requests);
      start_s += NextSessionGap();
    }
    return Emit(builder, requests);
  }

 private:
  // A generated request. Its ids: the first Keep() ids of the request before it in pending_
  // (the session's previous turn) when it continues a session, then its own new ids,
  // stored from ids_begin in pending_ids_: a session's shared history is stored once.
  struct PendingRequest {
    int64_t arrival_ms;
    uint32_t input_tokens;
    uint32_t output_tokens;
    uint64_t ids_begin : 63;  // into pending_ids_
    uint64_t continues : 1;
  };
  static_assert(sizeof(PendingRequest) == 24);

  int64_t QuantizedMs(double t_s) const {
    auto ms = static_cast<int64_t>(std::floor(t_s * 1000.0));
    const int64_t quantum = spec_.arrivals.timestamp_quantum_ms;
    if (quantum > 1) ms -= ms % quantum;
    return ms;
  }

  double NextSessionGap() {
    const double mean_s = 1.0 / spec_.arrivals.sessions_per_s;
    if (spec_.arrivals.process == ArrivalSpec::Process::kPoisson) {
      return c_.rng.Exponential(mean_s);
    }
    // Two exponential phases with balanced means: overall mean mean_s, CV burstiness_cv.
    const double cv2 = spec_.arrivals.burstiness_cv * spec_.arrivals.burstiness_cv;
    const double p = 0.5 * (1.0 + std::sqrt((cv2 - 1.0) / (cv2 + 1.0)));
    return c_.rng.Uniform() < p ? c_.rng.Exponential(mean_s / (2.0 * p))
                                : c_.rng.Exponential(mean_s / (2.0 * (1.0 - p)));
  }

  void Append(uint64_t content, uint32_t tokens) {
    const uint64_t start = segments_.empty() ? 0 : segments_.back().end;
    segments_.push_back(Segment{start + tokens, tokens, content});
  }

  void ComputeBlocks(uint64_t prompt_tokens, size_t keep_blocks) {
    c_.namer.Name(segments_, prompt_tokens, keep_blocks, ids_);
  }

  // Records a request whose ids are ids_; with keep > 0 it continues the session of the
  // request recorded just before, whose first `keep` ids it shares.
  void Record(double t_s, uint64_t prompt_tokens, uint32_t output_tokens, size_t requests,
              size_t keep) {
    const int64_t arrival_ms = QuantizedMs(t_s);
    if (c_.namer.next_id() > std::numeric_limits<uint32_t>::max()) {
      throw InputError("workload: more than 2^32 distinct blocks; generate fewer requests");
    }
    if (pending_.size() >= std::numeric_limits<uint32_t>::max()) {
      throw InputError("workload: more than 2^32 generated requests; generate fewer requests");
    }
    const size_t begin = pending_ids_.size();
    pending_ids_.insert(pending_ids_.end(), ids_.begin() + static_cast<ptrdiff_t>(keep),
                        ids_.end());
    pending_.push_back(PendingRequest{arrival_ms, static_cast<uint32_t>(prompt_tokens),
                                      output_tokens, begin, keep > 0});
    if (earliest_.size() < requests) {
      earliest_.push(arrival_ms);
    } else if (arrival_ms < earliest_.top()) {
      earliest_.pop();
      earliest_.push(arrival_ms);
    }
  }

  void GenerateSession(double start_s, size_t requests) {
    const SessionSpec& sessions = spec_.sessions;
    const uint64_t limit = sessions.context_limit_tokens;
    segments_.clear();
    ids_.clear();
    if (c_.rng.Bernoulli(spec_.system_prompts.use_probability)) {
      Append(kSystemPromptContent | c_.system_prompts.Sample(c_.rng), spec_.system_prompts.tokens);
    }
    bool has_document = false;
    if (spec_.documents.use_probability > 0 && c_.rng.Bernoulli(spec_.documents.use_probability)) {
      has_document = true;
      const uint32_t document = c_.documents.Sample(c_.rng);
      Append(kDocumentContent | document, c_.document_tokens[document]);
    }
    uint64_t prompt = segments_.empty() ? 0 : segments_.back().end;
    // Validation guarantees prompt + first_message.min_tokens <= limit.
    const uint32_t message = static_cast<uint32_t>(
        std::min<uint64_t>(c_.rng.Length(sessions.first_message_tokens), limit - prompt));
    Append(kUniqueContent, message);
    prompt += message;

    const double turns_mean = has_document && spec_.documents.session_turns_mean > 0
                                  ? spec_.documents.session_turns_mean
                                  : sessions.turns_mean;
    const double continue_probability = 1.0 - 1.0 / turns_mean;
    double t_s = start_s;
    size_t keep_blocks = 0;
    while (true) {
      ComputeBlocks(prompt, keep_blocks);
      const uint32_t output = c_.rng.Length(sessions.output_tokens);
      Record(t_s, prompt, output, requests, keep_blocks);
      if (!c_.rng.Bernoulli(continue_probability)) break;
      const uint32_t followup = c_.rng.Length(sessions.followup_message_tokens);
      const uint64_t next_prompt = prompt + output + followup;
      if (next_prompt > limit) break;
      // Output and new message are both unique text: one segment.
      Append(kUniqueContent, output + followup);
      keep_blocks = prompt / spec_.block_tokens;
      prompt = next_prompt;
      t_s += c_.rng.Exponential(sessions.think_time_mean_s);
    }
  }

  // Adds the `requests` earliest pending requests to `builder`, renumbering ids densely in
  // order of first appearance.
  std::shared_ptr<const Trace> Emit(TraceBuilder& builder, size_t requests) {
    std::vector<uint32_t> order(pending_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return pending_[a].arrival_ms < pending_[b].arrival_ms;
    });
    order.resize(std::min(order.size(), requests));
    c_.namer.Release();  // no longer needed: its memory goes to the trace
    earliest_ = {};
    size_t block_refs = 0;
    for (uint32_t index : order) block_refs += BlockCount(pending_[index]);
    builder.Reserve(order.size(), block_refs, c_.namer.next_id());
    constexpr uint32_t kUnassigned = std::numeric_limits<uint32_t>::max();
    std::vector<uint32_t> dense_id(c_.namer.next_id(), kUnassigned);
    uint32_t next_dense = 0;
    std::vector<RawBlockId> raw;
    std::vector<uint32_t> turns;  // a request and its earlier turns, newest first
    for (uint32_t index : order) {
      const PendingRequest& r = pending_[index];
      // Position p of the request's ids is stored by the oldest turn whose keep is <= p:
      // each turn contributes [its keep, the next newer turn's keep) of its own ids.
      turns.assign(1, index);
      while (pending_[turns.back()].continues) turns.push_back(turns.back() - 1);
      raw.clear();
      for (size_t j = turns.size(); j-- > 0;) {
        const uint32_t turn = turns[j];
        const size_t keep = Keep(turn);
        const size_t end = j == 0 ? BlockCount(r) : Keep(turns[j - 1]);
        for (size_t p = keep; p < end; ++p) {
          uint32_t& id = dense_id[pending_ids_[pending_[turn].ids_begin + (p - keep)]];
          if (id == kUnassigned) id = next_dense++;
          raw.push_back(id);
        }
      }
      if (auto conflict = builder.Add(r.arrival_ms, r.input_tokens, r.output_tokens, raw)) {
        throw std::logic_error("GenerateWorkload: generated ids break prefix semantics at id " +
                               std::to_string(conflict->id));
      }
    }
    return builder.Finish();
  }

  // Blocks of a request's prompt: its last block may be partial.
  size_t BlockCount(const PendingRequest& r) const {
    return (size_t{r.input_tokens} + spec_.block_tokens - 1) / spec_.block_tokens;
  }
  // Leading ids pending_[index] shares with the request before it: the full blocks of the
  // previous turn's prompt (GenerateSession's keep_blocks), 0 for a session's first turn.
  size_t Keep(uint32_t index) const {
    return pending_[index].continues ? pending_[index - 1].input_tokens / spec_.block_tokens : 0;
  }

  const WorkloadSpec& spec_;
  ContentModel c_;

  std::vector<Segment> segments_;  // the current session's prompt
  std::vector<uint64_t> ids_;      // the current session's block ids

  std::vector<PendingRequest> pending_;    // every generated request, in generation order
  std::vector<uint32_t> pending_ids_;      // their new ids, below 2^32 (checked in Record)
  std::priority_queue<int64_t> earliest_;  // the smallest arrivals seen (max on top)
};

// Gives observed requests (arrival, lengths, maybe a session) the generator's prefixes:
// AssignSyntheticPrefixes' contract.
class SyntheticPrefixAssigner {
 public:
  SyntheticPrefixAssigner(const WorkloadSpec& spec, uint64_t seed)
      : spec_(spec),
        c_(spec, seed),
        window_ms_(static_cast<int64_t>(kOpenThinkTimes * spec.sessions.think_time_mean_s * 1000)) {
  }

  std::shared_ptr<const Trace> Assign(std::span<const ObservedRequest> requests) {
    std::vector<uint32_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return requests[a].arrival_ms < requests[b].arrival_ms;
    });
    TraceBuilder builder(spec_.block_tokens);
    const double continue_probability = 1.0 - 1.0 / spec_.sessions.turns_mean;
    for (uint32_t index : order) {
      const ObservedRequest& r = requests[index];
      Expire(r.arrival_ms);
      uint32_t session = kNone;
      if (r.session != kNoSession) {
        const auto it = by_key_.find(r.session);
        if (it != by_key_.end() && Fits(it->second, r.input_tokens)) session = it->second;
      } else if (c_.rng.Bernoulli(continue_probability)) {
        session = PickOpen(r.arrival_ms, r.input_tokens);
      }
      if (session == kNone) {
        session = Start(r.input_tokens);
        if (r.session != kNoSession) by_key_[r.session] = session;
      } else {
        Continue(session, r.input_tokens);
      }
      Session& x = sessions_[session];
      x.output = r.output_tokens;
      x.stamp = ++stamp_;
      x.keyed = r.session != kNoSession;
      recent_.push_back({session, x.stamp, r.arrival_ms});
      if (c_.namer.next_id() > std::numeric_limits<uint32_t>::max()) {
        throw InputError("synthetic prefixes: more than 2^32 distinct blocks");
      }
      if (auto conflict = builder.Add(r.arrival_ms, r.input_tokens, r.output_tokens, x.ids)) {
        throw std::logic_error("AssignSyntheticPrefixes: ids break prefix semantics at id " +
                               std::to_string(conflict->id));
      }
    }
    return builder.Finish();
  }

 private:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  // A session stays open this many mean think times after its last request (e^-10 of
  // follow-ups come later): a guess, as a trace without sessions cannot say.
  static constexpr double kOpenThinkTimes = 10;
  // A follow-up is drawn among at most this many of the most recently active open sessions
  // that fit it, found among at most kScanned of them: bounded work per request.
  static constexpr size_t kCandidates = 32;
  static constexpr size_t kScanned = 256;

  struct Session {
    std::vector<Segment> segments;
    std::vector<uint64_t> ids;
    uint64_t prompt = 0;
    uint32_t output = 0;
    uint64_t stamp = 0;  // the request that used it last
    bool keyed = false;  // named by the trace: never reused for another session
  };
  struct Recent {
    uint32_t session;
    uint64_t stamp;
    int64_t arrival_ms;
  };

  // A follow-up extends the previous prompt and its output: it cannot be shorter.
  bool Fits(uint32_t session, uint32_t input) const {
    const Session& x = sessions_[session];
    return x.prompt + x.output <= input;
  }

  void Append(Session& x, uint64_t content, uint64_t tokens) {
    if (tokens == 0) return;
    const uint64_t start = x.segments.empty() ? 0 : x.segments.back().end;
    x.segments.push_back(Segment{start + tokens, static_cast<uint32_t>(tokens), content});
  }

  // A new session: a system prompt and a document as the spec draws them, cut to the
  // request's length, then its own text.
  uint32_t Start(uint32_t input) {
    uint32_t session = 0;
    if (!free_.empty()) {
      session = free_.back();
      free_.pop_back();
    } else {
      session = static_cast<uint32_t>(sessions_.size());
      sessions_.emplace_back();
    }
    Session& x = sessions_[session];
    x.segments.clear();
    uint64_t used = 0;
    if (c_.rng.Bernoulli(spec_.system_prompts.use_probability)) {
      const uint64_t tokens = std::min<uint64_t>(spec_.system_prompts.tokens, input);
      Append(x, kSystemPromptContent | c_.system_prompts.Sample(c_.rng), tokens);
      used += tokens;
    }
    if (spec_.documents.use_probability > 0 && c_.rng.Bernoulli(spec_.documents.use_probability)) {
      const uint32_t document = c_.documents.Sample(c_.rng);
      const uint64_t tokens = std::min<uint64_t>(c_.document_tokens[document], input - used);
      Append(x, kDocumentContent | document, tokens);
      used += tokens;
    }
    Append(x, kUniqueContent, input - used);
    x.prompt = input;
    c_.namer.Name(x.segments, input, 0, x.ids);
    return session;
  }

  // The next turn: the previous prompt, then its output and a new message (unique text).
  void Continue(uint32_t session, uint32_t input) {
    Session& x = sessions_[session];
    const size_t keep = x.prompt / spec_.block_tokens;
    Append(x, kUniqueContent, input - x.prompt);
    x.prompt = input;
    c_.namer.Name(x.segments, input, keep, x.ids);
  }

  // One of the most recently active open sessions the request fits, or kNone.
  uint32_t PickOpen(int64_t now_ms, uint32_t input) {
    uint32_t candidates[kCandidates];
    size_t found = 0;
    size_t scanned = 0;
    for (size_t i = recent_.size(); i-- > 0 && found < kCandidates && scanned < kScanned;) {
      const Recent& e = recent_[i];
      if (e.arrival_ms < now_ms - window_ms_) break;
      const Session& x = sessions_[e.session];
      if (x.stamp != e.stamp || x.keyed) continue;  // used again later, or the trace's own
      ++scanned;
      if (Fits(e.session, input)) candidates[found++] = e.session;
    }
    if (found == 0) return kNone;
    return candidates[std::min<size_t>(static_cast<size_t>(c_.rng.Uniform() * found), found - 1)];
  }

  // Closes sessions idle for longer than the window: their slots and memory are reused.
  void Expire(int64_t now_ms) {
    while (!recent_.empty() && recent_.front().arrival_ms < now_ms - window_ms_) {
      const Recent e = recent_.front();
      recent_.pop_front();
      Session& x = sessions_[e.session];
      if (x.stamp != e.stamp || x.keyed) continue;
      x.segments = {};
      x.ids = {};
      x.stamp = 0;
      free_.push_back(e.session);
    }
  }

  const WorkloadSpec& spec_;
  ContentModel c_;
  const int64_t window_ms_;
  std::vector<Session> sessions_;
  std::vector<uint32_t> free_;                      // closed sessions' slots
  std::deque<Recent> recent_;                       // requests by arrival, oldest first
  absl::flat_hash_map<uint64_t, uint32_t> by_key_;  // the trace's session ids
  uint64_t stamp_ = 0;
};

std::vector<WorkloadPreset> MakePresets() {
  std::vector<WorkloadPreset> presets;
  {
    // Chat: one 512-token system prompt in every request; ~39% of requests are later
    // turns that extend their session's previous prompt.
    WorkloadPreset p{"conversation",
                     "Chat sessions shaped like Mooncake's conversation_trace (12,031 requests, "
                     "~59 min): one shared system block, multi-turn reuse, 3 s timestamp ticks",
                     12031,
                     {}};
    WorkloadSpec& s = p.spec;
    s.arrivals.process = ArrivalSpec::Process::kPoisson;
    s.arrivals.sessions_per_s = 2.1;
    s.arrivals.timestamp_quantum_ms = 3000;
    s.system_prompts = {1, 512, 1.0, 1.0};
    s.documents.use_probability = 0;
    s.sessions.turns_mean = 1.63;
    s.sessions.think_time_mean_s = 200;
    s.sessions.first_message_tokens = {5300, 1.2, 16, 126000};
    s.sessions.followup_message_tokens = {60, 2.5, 1, 32000};
    s.sessions.output_tokens = {310, 0.45, 1, 2000};
    presets.push_back(p);
  }
  {
    // Agents: a few long tool-use system prompts, the hottest in about half the requests.
    WorkloadPreset p{"toolagent",
                     "Tool-using agents shaped like Mooncake's toolagent_trace (23,608 "
                     "requests): a few hot multi-block system prompts, short tool turns",
                     23608,
                     {}};
    WorkloadSpec& s = p.spec;
    s.arrivals.process = ArrivalSpec::Process::kBursty;
    s.arrivals.sessions_per_s = 3.0;
    s.arrivals.burstiness_cv = 2.0;
    s.system_prompts = {6, 2048, 1.5, 0.92};
    s.documents.use_probability = 0;
    s.sessions.turns_mean = 2.0;
    s.sessions.think_time_mean_s = 10;
    s.sessions.first_message_tokens = {3500, 0.9, 16, 64000};
    s.sessions.followup_message_tokens = {500, 1.2, 1, 16000};
    s.sessions.output_tokens = {120, 0.9, 1, 2000};
    presets.push_back(p);
  }
  {
    // Mostly one-shot prompts; a sixth of sessions carry a long document and ask about it
    // many times in a row (the longest such session is the hottest prefix).
    WorkloadPreset p{"synthetic",
                     "Long-document Q&A shaped like Mooncake's synthetic_trace (3,993 requests, "
                     "~17 min, Poisson): documents asked several questions, no system prompt",
                     3993,
                     {}};
    WorkloadSpec& s = p.spec;
    s.arrivals.process = ArrivalSpec::Process::kPoisson;
    s.arrivals.sessions_per_s = 2.35;
    s.system_prompts.use_probability = 0;
    s.documents = {50000, 0.3, {16000, 0.9, 1024, 100000}, 0.17, 5.0};
    s.sessions.turns_mean = 1.0;
    s.sessions.think_time_mean_s = 30;
    s.sessions.first_message_tokens = {1100, 2.2, 1, 16000};
    s.sessions.followup_message_tokens = {40, 1.0, 1, 2000};
    s.sessions.output_tokens = {69, 1.35, 1, 900};
    presets.push_back(p);
  }
  return presets;
}

}  // namespace

void ValidateWorkloadSpec(const WorkloadSpec& spec) {
  if (spec.block_tokens < 1) Fail("block_tokens", "must be >= 1, got 0");

  const ArrivalSpec& a = spec.arrivals;
  if (a.process != ArrivalSpec::Process::kPoisson && a.process != ArrivalSpec::Process::kBursty) {
    Fail("arrivals.process", "unknown process " + Str(static_cast<int64_t>(a.process)));
  }
  RequirePositive("arrivals.sessions_per_s", a.sessions_per_s);
  RequireAtLeast("arrivals.burstiness_cv", a.burstiness_cv, 1);
  if (a.timestamp_quantum_ms < 0) {
    Fail("arrivals.timestamp_quantum_ms", "must be >= 0, got " + Str(a.timestamp_quantum_ms));
  }

  const SystemPromptSpec& sp = spec.system_prompts;
  if (sp.count < 1 || sp.count > kMaxContentItems) {
    Fail("system_prompts.count",
         "must be in [1, " + Str(kMaxContentItems) + "], got " + Str(sp.count));
  }
  if (sp.tokens < 1) Fail("system_prompts.tokens", "must be >= 1, got 0");
  RequireAtLeast("system_prompts.zipf_exponent", sp.zipf_exponent, 0);
  RequireProbability("system_prompts.use_probability", sp.use_probability);

  const DocumentSpec& d = spec.documents;
  if (d.count < 1 || d.count > kMaxContentItems) {
    Fail("documents.count", "must be in [1, " + Str(kMaxContentItems) + "], got " + Str(d.count));
  }
  RequireAtLeast("documents.zipf_exponent", d.zipf_exponent, 0);
  ValidateLength("documents.tokens", d.tokens);
  RequireProbability("documents.use_probability", d.use_probability);
  if (d.session_turns_mean != 0) {
    RequireAtLeast("documents.session_turns_mean", d.session_turns_mean, 1);
  }

  const SessionSpec& s = spec.sessions;
  RequireAtLeast("sessions.turns_mean", s.turns_mean, 1);
  RequireAtLeast("sessions.think_time_mean_s", s.think_time_mean_s, 0);
  ValidateLength("sessions.first_message_tokens", s.first_message_tokens);
  ValidateLength("sessions.followup_message_tokens", s.followup_message_tokens);
  ValidateLength("sessions.output_tokens", s.output_tokens);
  uint64_t longest_first_prompt = s.first_message_tokens.min_tokens;
  if (sp.use_probability > 0) longest_first_prompt += sp.tokens;
  if (d.use_probability > 0) longest_first_prompt += d.tokens.max_tokens;
  if (s.context_limit_tokens < longest_first_prompt) {
    Fail("sessions.context_limit_tokens",
         "must be >= system prompt + longest document + shortest first message (" +
             Str(longest_first_prompt) + " tokens), got " + Str(s.context_limit_tokens));
  }
}

std::shared_ptr<const Trace> GenerateWorkload(const WorkloadSpec& spec, size_t requests,
                                              uint64_t seed) {
  ValidateWorkloadSpec(spec);
  return WorkloadGenerator(spec, seed).Generate(requests);
}

std::span<const WorkloadPreset> WorkloadPresets() {
  static const std::vector<WorkloadPreset> presets = MakePresets();
  return presets;
}

std::shared_ptr<const Trace> AssignSyntheticPrefixes(const WorkloadSpec& spec,
                                                     std::span<const ObservedRequest> requests,
                                                     uint64_t seed) {
  ValidateWorkloadSpec(spec);
  if (requests.size() >= std::numeric_limits<uint32_t>::max()) {
    throw InputError("synthetic prefixes: more than 2^32 - 1 requests");
  }
  return SyntheticPrefixAssigner(spec, seed).Assign(requests);
}

const WorkloadPreset* FindWorkloadPreset(std::string_view name) {
  for (const WorkloadPreset& preset : WorkloadPresets()) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

}  // namespace kvb
