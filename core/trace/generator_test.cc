#include "core/trace/generator.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/trace/trace.h"
#include "core/trace/trace_stats.h"
#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::StartsWith;

// Raw ids of request `i`.
std::vector<RawBlockId> RawIds(const Trace& trace, size_t i) {
  std::vector<RawBlockId> ids;
  for (BlockId id : trace[i].blocks) ids.push_back(trace.raw_id(id));
  return ids;
}

// A length that is always `tokens`.
LengthDistribution Fixed(uint32_t tokens) {
  return LengthDistribution{double(tokens), 0, tokens, tokens};
}

// Small blocks, one 12-token system prompt, no documents, single-turn sessions with fixed
// lengths, sessions far apart: easy to work out by hand.
WorkloadSpec HandSpec() {
  WorkloadSpec spec;
  spec.block_tokens = 8;
  spec.arrivals.sessions_per_s = 0.001;
  spec.system_prompts = {1, 12, 1.0, 1.0};
  spec.documents.use_probability = 0;
  spec.sessions.turns_mean = 1;
  spec.sessions.think_time_mean_s = 0;
  spec.sessions.first_message_tokens = Fixed(10);
  spec.sessions.followup_message_tokens = Fixed(7);
  spec.sessions.output_tokens = Fixed(5);
  spec.sessions.context_limit_tokens = 1000;
  return spec;
}

// Every request field and id of two traces, ids included.
void ExpectSameTrace(const Trace& a, const Trace& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.distinct_blocks(), b.distinct_blocks());
  EXPECT_EQ(a.block_tokens(), b.block_tokens());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival_ms, b[i].arrival_ms) << i;
    EXPECT_EQ(a[i].input_tokens, b[i].input_tokens) << i;
    EXPECT_EQ(a[i].output_tokens, b[i].output_tokens) << i;
    ASSERT_EQ(RawIds(a, i), RawIds(b, i)) << i;
  }
  for (BlockId id = 0; id < a.distinct_blocks(); ++id) {
    EXPECT_EQ(a.raw_id(id), b.raw_id(id));
    EXPECT_EQ(a.parent(id), b.parent(id));
    EXPECT_EQ(a.depth(id), b.depth(id));
  }
}

// Preset calibration against the real Mooncake traces (toolagent: the paper's figures).
struct PresetTarget {
  const char* name;
  double avg_input;
  double avg_output;
  double reusable_share;
  double hottest_share;
};

class PresetTest : public ::testing::TestWithParam<PresetTarget> {};

TEST_P(PresetTest, MatchesRealTraceWithin15Percent) {
  const PresetTarget& target = GetParam();
  const WorkloadPreset* preset = FindWorkloadPreset(target.name);
  ASSERT_NE(preset, nullptr);
  auto trace = GenerateWorkload(preset->spec, preset->default_requests, /*seed=*/42);
  ASSERT_EQ(trace->size(), preset->default_requests);
  const TraceStats stats = ComputeTraceStats(*trace, 1);
  ASSERT_FALSE(stats.hottest.empty());
  EXPECT_NEAR(stats.avg_input_tokens, target.avg_input, 0.15 * target.avg_input);
  EXPECT_NEAR(stats.avg_output_tokens, target.avg_output, 0.15 * target.avg_output);
  EXPECT_NEAR(stats.reusable_share, target.reusable_share, 0.15 * target.reusable_share);
  EXPECT_NEAR(stats.hottest[0].share, target.hottest_share, 0.15 * target.hottest_share);
  for (size_t i = 1; i < trace->size(); ++i) {
    ASSERT_LE((*trace)[i - 1].arrival_ms, (*trace)[i].arrival_ms) << i;
  }
  for (size_t i = 0; i < trace->size(); ++i) {
    const Request r = (*trace)[i];
    ASSERT_EQ(r.blocks.size(), (r.input_tokens + 511) / 512) << i;
    ASSERT_LE(r.input_tokens, preset->spec.sessions.context_limit_tokens) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetTest,
                         ::testing::Values(PresetTarget{"conversation", 12035, 343, 0.366, 1.0},
                                           PresetTarget{"toolagent", 8596, 182, 0.59, 0.5},
                                           PresetTarget{"synthetic", 15325, 149, 0.640, 0.006}),
                         [](const ::testing::TestParamInfo<PresetTarget>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(GeneratorPresetsTest, RegistryFindsEachPresetAndEachIsValid) {
  ASSERT_EQ(WorkloadPresets().size(), 3u);
  for (const WorkloadPreset& preset : WorkloadPresets()) {
    EXPECT_EQ(FindWorkloadPreset(preset.name), &preset);
    EXPECT_FALSE(preset.description.empty());
    EXPECT_GT(preset.default_requests, 0u);
    EXPECT_NO_THROW(ValidateWorkloadSpec(preset.spec)) << preset.name;
  }
  EXPECT_EQ(FindWorkloadPreset("conversation")->default_requests, 12031u);
  EXPECT_EQ(FindWorkloadPreset("synthetic")->default_requests, 3993u);
  EXPECT_EQ(FindWorkloadPreset("toolagent")->default_requests, 23608u);
  EXPECT_EQ(FindWorkloadPreset("no-such-preset"), nullptr);
}

TEST(GeneratorTest, SameSeedGivesIdenticalTraceOtherSeedDiffers) {
  for (const WorkloadPreset& preset : WorkloadPresets()) {
    SCOPED_TRACE(std::string(preset.name));
    auto a = GenerateWorkload(preset.spec, 2000, 7);
    auto b = GenerateWorkload(preset.spec, 2000, 7);
    ExpectSameTrace(*a, *b);
    auto c = GenerateWorkload(preset.spec, 2000, 8);
    ASSERT_EQ(c->size(), a->size());
    size_t differing = 0;
    for (size_t i = 0; i < a->size(); ++i) {
      if ((*a)[i].input_tokens != (*c)[i].input_tokens ||
          (*a)[i].arrival_ms != (*c)[i].arrival_ms) {
        ++differing;
      }
    }
    EXPECT_GT(differing, a->size() / 2);
  }
}

TEST(GeneratorTest, ProducesExactlyTheEarliestRequests) {
  // The first 300 requests of a longer run are exactly the 300-request run.
  const WorkloadSpec& spec = FindWorkloadPreset("conversation")->spec;
  auto small = GenerateWorkload(spec, 300, 3);
  auto large = GenerateWorkload(spec, 900, 3);
  ASSERT_EQ(small->size(), 300u);
  ASSERT_EQ(large->size(), 900u);
  for (size_t i = 0; i < small->size(); ++i) {
    EXPECT_EQ((*small)[i].arrival_ms, (*large)[i].arrival_ms) << i;
    EXPECT_EQ((*small)[i].input_tokens, (*large)[i].input_tokens) << i;
    EXPECT_EQ((*small)[i].output_tokens, (*large)[i].output_tokens) << i;
    ASSERT_EQ(RawIds(*small, i), RawIds(*large, i)) << i;
  }
  EXPECT_EQ(GenerateWorkload(spec, 0, 3)->size(), 0u);
}

TEST(GeneratorTest, RawIdsAreDenseInOrderOfFirstAppearance) {
  auto trace = GenerateWorkload(FindWorkloadPreset("toolagent")->spec, 3000, 5);
  RawBlockId next = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    for (RawBlockId raw : RawIds(*trace, i)) {
      ASSERT_LE(raw, next);
      if (raw == next) ++next;
    }
  }
  EXPECT_EQ(next, trace->distinct_blocks());
}

TEST(GeneratorPrefixTest, SessionsShareOnlyTheFullSystemPromptBlock) {
  // Prompt = 12 system tokens + 10 message tokens = 22 tokens: blocks [0,8) system only,
  // [8,16) system tail + message, [16,22) message.
  auto trace = GenerateWorkload(HandSpec(), 3, 1);
  ASSERT_EQ(trace->size(), 3u);
  EXPECT_EQ(RawIds(*trace, 0), (std::vector<RawBlockId>{0, 1, 2}));
  EXPECT_EQ(RawIds(*trace, 1), (std::vector<RawBlockId>{0, 3, 4}));
  EXPECT_EQ(RawIds(*trace, 2), (std::vector<RawBlockId>{0, 5, 6}));
  EXPECT_EQ((*trace)[0].input_tokens, 22u);
  EXPECT_EQ((*trace)[0].output_tokens, 5u);
}

TEST(GeneratorPrefixTest, BlockAlignedSystemPromptSharesAllItsBlocks) {
  WorkloadSpec spec = HandSpec();
  spec.system_prompts.tokens = 16;  // exactly two blocks; 26-token prompts
  auto trace = GenerateWorkload(spec, 2, 1);
  EXPECT_EQ(RawIds(*trace, 0), (std::vector<RawBlockId>{0, 1, 2, 3}));
  EXPECT_EQ(RawIds(*trace, 1), (std::vector<RawBlockId>{0, 1, 4, 5}));
}

TEST(GeneratorPrefixTest, LaterTurnsReuseThePreviousTurnsFullBlocksOnly) {
  WorkloadSpec spec = HandSpec();
  spec.sessions.turns_mean = 1e12;  // sessions practically never end on their own
  spec.sessions.context_limit_tokens = 60;
  // Turn 1: 12 + 10 = 22 tokens (3 blocks). Turn 2: 22 + 5 + 7 = 34 (5 blocks), reusing
  // floor(22/8) = 2 blocks. Turn 3: 46 (6 blocks), reusing floor(34/8) = 4 blocks.
  // Turn 4 would be 58 and turn 5 70 > 60: the session ends after turn 4.
  auto trace = GenerateWorkload(spec, 5, 1);
  ASSERT_EQ(trace->size(), 5u);
  EXPECT_EQ((*trace)[0].input_tokens, 22u);
  EXPECT_EQ((*trace)[1].input_tokens, 34u);
  EXPECT_EQ((*trace)[2].input_tokens, 46u);
  EXPECT_EQ((*trace)[3].input_tokens, 58u);
  EXPECT_EQ(RawIds(*trace, 0), (std::vector<RawBlockId>{0, 1, 2}));
  EXPECT_EQ(RawIds(*trace, 1), (std::vector<RawBlockId>{0, 1, 3, 4, 5}));
  EXPECT_EQ(RawIds(*trace, 2), (std::vector<RawBlockId>{0, 1, 3, 4, 6, 7}));
  EXPECT_EQ(RawIds(*trace, 3), (std::vector<RawBlockId>{0, 1, 3, 4, 6, 8, 9, 10}));
  // The next session starts over from the system block.
  EXPECT_EQ((*trace)[4].input_tokens, 22u);
  EXPECT_EQ(RawIds(*trace, 4), (std::vector<RawBlockId>{0, 11, 12}));
  EXPECT_GT((*trace)[4].arrival_ms, (*trace)[3].arrival_ms);
}

TEST(GeneratorPrefixTest, SharedDocumentAfterSameSystemPromptGetsEqualIds) {
  WorkloadSpec spec = HandSpec();
  spec.documents = {1, 0.0, Fixed(20), 1.0, 0};
  // Prompt: system [0,12), document [12,32), message [32,42): blocks 0-3 are shared
  // content only, blocks 4 and 5 hold the message.
  auto trace = GenerateWorkload(spec, 2, 1);
  EXPECT_EQ(RawIds(*trace, 0), (std::vector<RawBlockId>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(RawIds(*trace, 1), (std::vector<RawBlockId>{0, 1, 2, 3, 6, 7}));
}

TEST(GeneratorPrefixTest, DocumentIdsDependOnTheSystemPromptAndUniqueIdsNeverRepeat) {
  WorkloadSpec spec = HandSpec();
  spec.system_prompts = {2, 12, 0.0, 1.0};
  spec.documents = {1, 0.0, Fixed(20), 1.0, 0};
  auto trace = GenerateWorkload(spec, 200, 9);
  std::map<RawBlockId, std::vector<RawBlockId>> document_ids_after;  // by system block id
  std::set<RawBlockId> unique_ids;
  for (size_t i = 0; i < trace->size(); ++i) {
    const std::vector<RawBlockId> ids = RawIds(*trace, i);
    ASSERT_EQ(ids.size(), 6u);
    const std::vector<RawBlockId> shared(ids.begin() + 1, ids.begin() + 4);
    auto [it, inserted] = document_ids_after.emplace(ids[0], shared);
    if (!inserted) {
      EXPECT_EQ(it->second, shared) << i;
    }
    EXPECT_TRUE(unique_ids.insert(ids[4]).second) << i;
    EXPECT_TRUE(unique_ids.insert(ids[5]).second) << i;
  }
  ASSERT_EQ(document_ids_after.size(), 2u);  // both system prompts were drawn
  std::set<RawBlockId> all_shared;
  for (const auto& [system_id, shared] : document_ids_after) {
    all_shared.insert(system_id);
    all_shared.insert(shared.begin(), shared.end());
  }
  EXPECT_EQ(all_shared.size(), 8u);  // different parents: no document id in common
  EXPECT_EQ(trace->distinct_blocks(), 8u + 2 * trace->size());
}

TEST(GeneratorPrefixTest, SessionsOfTheSameShapeShareTheirWholeSharedPrefix) {
  // Half the sessions start with a 20-token system prompt; all carry the same document.
  // Blocks made only of prompt and document text are the same ids within each kind.
  WorkloadSpec spec = HandSpec();
  spec.system_prompts = {1, 20, 1.0, 0.5};
  spec.documents = {1, 0.0, Fixed(20), 1.0, 0};
  auto trace = GenerateWorkload(spec, 100, 4);
  std::set<std::vector<RawBlockId>> shared_prefixes;
  for (size_t i = 0; i < trace->size(); ++i) {
    const std::vector<RawBlockId> ids = RawIds(*trace, i);
    const bool with_system = (*trace)[i].input_tokens == 50;  // 20 + 20 + 10
    ASSERT_EQ((*trace)[i].input_tokens, with_system ? 50u : 30u) << i;
    // With system: blocks 0-4 cover [0,40) shared. Without: blocks 0-1 cover [0,16).
    shared_prefixes.emplace(ids.begin(), ids.begin() + (with_system ? 5 : 2));
  }
  EXPECT_EQ(shared_prefixes.size(), 2u);  // one shared prefix per kind of session
}

// Gaps between consecutive session starts (single-turn sessions: one request each).
std::vector<double> StartGapsMs(const WorkloadSpec& spec, size_t requests, uint64_t seed) {
  auto trace = GenerateWorkload(spec, requests, seed);
  std::vector<double> gaps;
  for (size_t i = 1; i < trace->size(); ++i) {
    gaps.push_back(static_cast<double>((*trace)[i].arrival_ms - (*trace)[i - 1].arrival_ms));
  }
  return gaps;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double CoefficientOfVariation(const std::vector<double>& v) {
  const double mean = Mean(v);
  double sum = 0;
  for (double x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size())) / mean;
}

TEST(GeneratorArrivalTest, PoissonGapsHaveMeanOneOverRateAndCvOne) {
  WorkloadSpec spec = HandSpec();
  spec.arrivals.sessions_per_s = 2.0;
  const std::vector<double> gaps = StartGapsMs(spec, 40000, 11);
  EXPECT_NEAR(Mean(gaps), 500.0, 10.0);
  EXPECT_NEAR(CoefficientOfVariation(gaps), 1.0, 0.03);
}

TEST(GeneratorArrivalTest, BurstyGapsKeepTheMeanAndRaiseTheCv) {
  WorkloadSpec spec = HandSpec();
  spec.arrivals.sessions_per_s = 2.0;
  spec.arrivals.process = ArrivalSpec::Process::kBursty;
  spec.arrivals.burstiness_cv = 3.0;
  const std::vector<double> gaps = StartGapsMs(spec, 40000, 11);
  EXPECT_NEAR(Mean(gaps), 500.0, 25.0);
  EXPECT_NEAR(CoefficientOfVariation(gaps), 3.0, 0.3);
}

TEST(GeneratorArrivalTest, TimestampsAreNonDecreasingMultiplesOfTheQuantum) {
  WorkloadSpec spec = FindWorkloadPreset("conversation")->spec;
  spec.arrivals.timestamp_quantum_ms = 3000;
  auto trace = GenerateWorkload(spec, 5000, 2);
  std::set<int64_t> ticks;
  for (size_t i = 0; i < trace->size(); ++i) {
    const int64_t t = (*trace)[i].arrival_ms;
    ASSERT_EQ(t % 3000, 0) << i;
    if (i > 0) {
      ASSERT_LE((*trace)[i - 1].arrival_ms, t) << i;
    }
    ticks.insert(t);
  }
  // About 3.4 requests/s: ~10 requests per 3 s tick.
  const double per_tick = static_cast<double>(trace->size()) / static_cast<double>(ticks.size());
  EXPECT_GT(per_tick, 7.0);
  EXPECT_LT(per_tick, 14.0);
}

TEST(GeneratorArrivalTest, FollowUpTurnsArriveAfterThinkTime) {
  WorkloadSpec spec = HandSpec();
  spec.arrivals.sessions_per_s = 1e-6;
  spec.sessions.turns_mean = 1e12;
  spec.sessions.think_time_mean_s = 30;
  spec.sessions.context_limit_tokens = 10000;
  auto trace = GenerateWorkload(spec, 400, 6);
  // One long session (the next starts ~10^6 s later on average); its gaps are turns'.
  std::vector<double> gaps;
  for (size_t i = 1; i < 100; ++i) {
    ASSERT_EQ((*trace)[i].input_tokens, (*trace)[i - 1].input_tokens + 12) << i;
    gaps.push_back(static_cast<double>((*trace)[i].arrival_ms - (*trace)[i - 1].arrival_ms));
  }
  EXPECT_NEAR(Mean(gaps), 30000.0, 9000.0);
}

struct InvalidCase {
  const char* field;
  std::function<void(WorkloadSpec&)> break_it;
};

TEST(GeneratorValidationTest, ErrorsNameTheField) {
  const std::vector<InvalidCase> cases = {
      {"block_tokens", [](WorkloadSpec& s) { s.block_tokens = 0; }},
      {"arrivals.sessions_per_s", [](WorkloadSpec& s) { s.arrivals.sessions_per_s = -1; }},
      {"arrivals.sessions_per_s", [](WorkloadSpec& s) { s.arrivals.sessions_per_s = NAN; }},
      {"arrivals.burstiness_cv", [](WorkloadSpec& s) { s.arrivals.burstiness_cv = 0.5; }},
      {"arrivals.timestamp_quantum_ms",
       [](WorkloadSpec& s) { s.arrivals.timestamp_quantum_ms = -3; }},
      {"system_prompts.count", [](WorkloadSpec& s) { s.system_prompts.count = 0; }},
      {"system_prompts.tokens", [](WorkloadSpec& s) { s.system_prompts.tokens = 0; }},
      {"system_prompts.zipf_exponent",
       [](WorkloadSpec& s) { s.system_prompts.zipf_exponent = -1; }},
      {"system_prompts.use_probability",
       [](WorkloadSpec& s) { s.system_prompts.use_probability = 1.5; }},
      {"documents.count", [](WorkloadSpec& s) { s.documents.count = 0; }},
      {"documents.tokens.max_tokens",
       [](WorkloadSpec& s) { s.documents.tokens.max_tokens = s.documents.tokens.min_tokens - 1; }},
      {"documents.use_probability", [](WorkloadSpec& s) { s.documents.use_probability = -0.1; }},
      {"documents.session_turns_mean",
       [](WorkloadSpec& s) { s.documents.session_turns_mean = 0.5; }},
      {"sessions.turns_mean", [](WorkloadSpec& s) { s.sessions.turns_mean = 0; }},
      {"sessions.think_time_mean_s", [](WorkloadSpec& s) { s.sessions.think_time_mean_s = -1; }},
      {"sessions.first_message_tokens.median_tokens",
       [](WorkloadSpec& s) { s.sessions.first_message_tokens.median_tokens = 0; }},
      {"sessions.followup_message_tokens.sigma",
       [](WorkloadSpec& s) { s.sessions.followup_message_tokens.sigma = -0.5; }},
      {"sessions.output_tokens.min_tokens",
       [](WorkloadSpec& s) { s.sessions.output_tokens.min_tokens = 0; }},
      {"sessions.context_limit_tokens",
       [](WorkloadSpec& s) { s.sessions.context_limit_tokens = 100; }},
  };
  for (const InvalidCase& c : cases) {
    WorkloadSpec spec;
    spec.documents.use_probability = 0.5;
    ASSERT_NO_THROW(ValidateWorkloadSpec(spec));
    c.break_it(spec);
    try {
      GenerateWorkload(spec, 10, 1);
      ADD_FAILURE() << c.field << ": no error";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), StartsWith(std::string(c.field) + ": ")) << e.what();
    }
  }
}

TEST(GeneratorValidationTest, MessageNamesTheBadValue) {
  WorkloadSpec spec;
  spec.sessions.turns_mean = 0;
  try {
    ValidateWorkloadSpec(spec);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr(">= 1, got 0"));
  }
}

// ---------------------------------------------------------------------------------------
// Synthetic prefixes for traces without hashes.

// One 512-token system prompt in every session, no documents; sessions average 2 turns.
WorkloadSpec ChatSpec() {
  WorkloadSpec spec;
  spec.system_prompts = {1, 512, 1.0, 1.0};
  spec.sessions.turns_mean = 2;
  return spec;
}

TEST(SyntheticPrefixesTest, ATraceSessionContinuesWhenItFitsElseStartsAgain) {
  // Session 7: 1024 tokens + 100 output, then 2048 (fits: it keeps both full blocks), then
  // 1500 (< 2048 + 50: the context was cut, so a new session). Session 9: its own text
  // after the shared system block.
  const std::vector<ObservedRequest> requests = {
      {0, 1024, 100, 7}, {1000, 2048, 50, 7}, {2000, 1024, 5, 9}, {3000, 1500, 5, 7}};
  const auto trace = AssignSyntheticPrefixes(ChatSpec(), requests, 1);
  ASSERT_EQ(trace->size(), 4u);
  const std::vector<RawBlockId> first = RawIds(*trace, 0);
  const std::vector<RawBlockId> second = RawIds(*trace, 1);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 4u);
  EXPECT_EQ(second[0], first[0]);  // the system prompt
  EXPECT_EQ(second[1], first[1]);  // the first turn's own text
  const std::vector<RawBlockId> other = RawIds(*trace, 2);
  EXPECT_EQ(other[0], first[0]);
  EXPECT_NE(other[1], first[1]);
  const std::vector<RawBlockId> restarted = RawIds(*trace, 3);
  ASSERT_EQ(restarted.size(), 3u);
  EXPECT_EQ(restarted[0], first[0]);
  EXPECT_NE(restarted[1], first[1]);
  EXPECT_EQ((*trace)[0].arrival_ms, 0);
  EXPECT_EQ((*trace)[3].input_tokens, 1500u);
  EXPECT_EQ((*trace)[3].output_tokens, 5u);
}

TEST(SyntheticPrefixesTest, OneTurnSessionsNeverContinue) {
  WorkloadSpec spec = ChatSpec();
  spec.sessions.turns_mean = 1;
  std::vector<ObservedRequest> requests;
  for (int i = 0; i < 200; ++i) requests.push_back({i * 100, 4096, 10});
  const auto trace = AssignSyntheticPrefixes(spec, requests, 3);
  // Every request: the shared system block, then 7 blocks of its own.
  EXPECT_EQ(trace->distinct_blocks(), 1u + 200u * 7u);
}

TEST(SyntheticPrefixesTest, FollowUpsWithoutSessionIdsKeepTheirSessionsFullBlocks) {
  // Turns grow by 1,000 tokens every second: with turns_mean 2 about half the requests
  // continue an open session, keeping its previous prompt's full blocks.
  std::vector<ObservedRequest> requests;
  for (int i = 0; i < 400; ++i) requests.push_back({i * 1000, 1000u + 1000u * (i % 8), 20});
  const auto trace = AssignSyntheticPrefixes(ChatSpec(), requests, 5);
  size_t continued = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    const auto ids = RawIds(*trace, i);
    // A request longer than one block whose second block is an earlier request's.
    for (size_t j = 0; j < i && ids.size() > 1; ++j) {
      const auto earlier = RawIds(*trace, j);
      if (earlier.size() > 1 && earlier[1] == ids[1]) {
        ++continued;
        break;
      }
    }
  }
  EXPECT_GT(continued, 100u);
  EXPECT_LT(continued, 300u);
}

TEST(SyntheticPrefixesTest, DocumentsAreCutToTheRequestAndSharedWhereTheyMatch) {
  WorkloadSpec spec;
  spec.system_prompts.use_probability = 0;
  spec.documents = {1, 1.0, {1024, 0, 1024, 1024}, 1.0, 0};
  spec.sessions.turns_mean = 1;
  const std::vector<ObservedRequest> requests = {{0, 600, 1}, {1, 600, 1}, {2, 2000, 1}};
  const auto trace = AssignSyntheticPrefixes(spec, requests, 1);
  const auto a = RawIds(*trace, 0), b = RawIds(*trace, 1), c = RawIds(*trace, 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);        // the document's first 600 tokens, twice
  EXPECT_EQ(c[0], a[0]);  // its first full block
  EXPECT_NE(c[1], a[1]);  // a whole second block of it, not the 88-token tail
  EXPECT_NE(c[2], c[1]);
}

TEST(SyntheticPrefixesTest, SameSeedSameTraceOtherSeedDiffers) {
  std::vector<ObservedRequest> requests;
  for (int i = 0; i < 300; ++i) requests.push_back({(i * 7919) % 5000, 600u + 300u * (i % 11), 9});
  const auto a = AssignSyntheticPrefixes(ChatSpec(), requests, 11);
  const auto b = AssignSyntheticPrefixes(ChatSpec(), requests, 11);
  const auto c = AssignSyntheticPrefixes(ChatSpec(), requests, 12);
  EXPECT_EQ(TraceDigest(*a), TraceDigest(*b));
  EXPECT_NE(TraceDigest(*a), TraceDigest(*c));
  for (size_t i = 1; i < a->size(); ++i) EXPECT_LE((*a)[i - 1].arrival_ms, (*a)[i].arrival_ms);
}

}  // namespace
}  // namespace kvb
