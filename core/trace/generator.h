#ifndef KVB_CORE_TRACE_GENERATOR_H_
#define KVB_CORE_TRACE_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/trace/trace.h"
#include "core/util/input_error.h"

namespace kvb {

// A token count drawn from a lognormal distribution, rounded and clamped to [min, max].
struct LengthDistribution {
  double median_tokens = 512;   // median of the unclamped lognormal
  double sigma = 1.0;           // standard deviation of ln(tokens); 0 = always the median
  uint32_t min_tokens = 1;      // lower clamp (>= 1)
  uint32_t max_tokens = 32768;  // upper clamp (>= min_tokens)
};

// When sessions start.
struct ArrivalSpec {
  enum class Process {
    kPoisson,  // exponential gaps between session starts
    kBursty,   // hyperexponential gaps (balanced means) with coefficient of variation burstiness_cv
  };
  Process process = Process::kPoisson;  // the arrival process of sessions
  double sessions_per_s = 1.0;          // mean session start rate (> 0)
  double burstiness_cv = 3.0;           // kBursty only: CV of the gaps (>= 1; 1 = Poisson)
  int64_t timestamp_quantum_ms = 0;     // timestamps rounded down to a multiple (0 = 1 ms)
};

// A few very hot system prompts that sessions start with.
struct SystemPromptSpec {
  uint32_t count = 1;            // distinct system prompts (>= 1)
  uint32_t tokens = 512;         // length of each system prompt
  double zipf_exponent = 1.0;    // popularity of prompt k is proportional to (k+1)^-exponent
  double use_probability = 1.0;  // probability that a session starts with a system prompt
};

// Documents (files, web pages, code) that first turns of sessions carry and reuse.
struct DocumentSpec {
  uint32_t count = 1000;       // distinct documents (>= 1)
  double zipf_exponent = 1.0;  // popularity of document k is proportional to (k+1)^-exponent
  LengthDistribution tokens{4096, 1.0, 256, 65536};  // length of each document (drawn once)
  double use_probability = 0.0;   // probability that a session's first turn carries a document
  double session_turns_mean = 0;  // mean turns of sessions with a document (0 = sessions')
};

// Multi-turn sessions: turn k's prompt = turn k-1's prompt + its output + a new message.
struct SessionSpec {
  double turns_mean = 1.0;          // mean of the geometric number of turns (>= 1)
  double think_time_mean_s = 60.0;  // exponential gap from a turn's arrival to the next one's
  LengthDistribution first_message_tokens{2048, 1.0, 1, 32768};   // user text of turn 1
  LengthDistribution followup_message_tokens{256, 1.0, 1, 8192};  // user text of later turns
  LengthDistribution output_tokens{256, 0.5, 1, 2048};            // generated tokens per request
  uint32_t context_limit_tokens = 131072;  // a session ends before a prompt would exceed this
};

// A synthetic workload. Every field has a usable default.
struct WorkloadSpec {
  uint32_t block_tokens = 512;      // tokens per hash block (>= 1)
  ArrivalSpec arrivals;             // when sessions start
  SystemPromptSpec system_prompts;  // shared prefixes that open sessions
  DocumentSpec documents;           // shared content carried by first turns
  SessionSpec sessions;             // turns, message and output lengths
};

// Throws InputError naming the first invalid field, e.g.
// "sessions.turns_mean: must be a finite number >= 1, got 0".
void ValidateWorkloadSpec(const WorkloadSpec& spec);

// Generates exactly `requests` requests (the earliest arrivals of the session process),
// ordered by arrival. Raw block ids are dense, numbered in order of first appearance, and
// follow prefix semantics: equal ids <=> equal prefixes. Same spec and seed give a
// bit-identical trace on every platform. Throws InputError on an invalid spec.
std::shared_ptr<const Trace> GenerateWorkload(const WorkloadSpec& spec, size_t requests,
                                              uint64_t seed);

// A request of a trace without block hashes (Azure LLM inference, BurstGPT): when it
// arrived, its lengths and, when the trace has one, its session.
inline constexpr uint64_t kNoSession = ~uint64_t{0};
struct ObservedRequest {
  int64_t arrival_ms = 0;
  uint32_t input_tokens = 0;
  uint32_t output_tokens = 0;
  uint64_t session = kNoSession;
};

// Synthetic prefixes for observed requests, drawn from `spec`'s system prompts, documents
// and sessions (its arrivals and lengths are the trace's, not drawn). In arrival order, a
// request with a session continues it when it is at least that session's previous prompt
// plus output; one without continues, with probability 1 - 1/turns_mean, an open session
// it fits (one of the 32 most recently active, idle under 10 mean think times; a guess);
// otherwise it opens a session: a system prompt and a document as the spec draws them,
// cut to its length, then unique text. A follow-up keeps the full blocks of its session's
// previous prompt. Deterministic for a seed. Throws InputError on an invalid spec.
std::shared_ptr<const Trace> AssignSyntheticPrefixes(const WorkloadSpec& spec,
                                                     std::span<const ObservedRequest> requests,
                                                     uint64_t seed);

// A named spec shaped like one of the public traces.
struct WorkloadPreset {
  std::string_view name;
  std::string_view description;
  size_t default_requests = 0;  // the request count of the trace it imitates
  WorkloadSpec spec;
};

// The built-in presets: "conversation", "toolagent", "synthetic".
std::span<const WorkloadPreset> WorkloadPresets();
// The preset called `name`, or nullptr.
const WorkloadPreset* FindWorkloadPreset(std::string_view name);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_GENERATOR_H_
