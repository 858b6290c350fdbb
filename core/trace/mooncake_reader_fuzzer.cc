// libFuzzer target for the Mooncake JSONL reader. The first two bytes pick the options
// (skip, block size, messages; timestamp unit, re-blocking); the rest is the file's text. Any
// exception other than InputError, any sanitizer report and any broken invariant of an accepted
// trace is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"
#include "core/util/fuzz_require.h"
#include "core/util/input_error.h"

namespace kvb {
namespace {

void CheckInvariants(const LoadedTrace& loaded, const MooncakeReadOptions& options) {
  const Trace& trace = *loaded.trace;
  const MooncakeReadReport& report = loaded.report;
  FuzzRequire(!trace.empty(), "an accepted trace has requests");
  FuzzRequire(report.requests == trace.size(), "report.requests == trace size");
  FuzzRequire(report.messages.size() <= options.max_messages, "messages capped");
  FuzzRequire(report.lines >= report.requests + report.blank_lines + report.skipped_invalid,
              "every request, blank and skipped line is a line");
  FuzzRequire(options.skip_invalid || report.skipped_invalid == 0, "no skips without the option");
  FuzzRequire(trace.block_tokens() ==
                  (options.reblock_tokens == 0 ? options.block_tokens : options.reblock_tokens),
              "block tokens kept or re-blocked");
  size_t refs = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    const Request r = trace[i];
    if (i > 0) FuzzRequire(trace[i - 1].arrival_ms <= r.arrival_ms, "sorted by arrival");
    FuzzRequire(r.arrival_ms >= 0, "non-negative arrival");
    for (size_t pos = 0; pos < r.blocks.size(); ++pos) {
      const BlockId id = r.blocks[pos];
      FuzzRequire(id < trace.distinct_blocks(), "interned id in range");
      FuzzRequire(trace.depth(id) == pos, "depth == position");
      FuzzRequire(trace.parent(id) == (pos == 0 ? kNoParent : r.blocks[pos - 1]),
                  "parent == previous block");
    }
    refs += r.blocks.size();
  }
  FuzzRequire(refs == trace.block_count(), "block refs add up");
}

}  // namespace
}  // namespace kvb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t selector = data[0];
  const uint8_t dialect = data[1];
  kvb::MooncakeReadOptions options;
  options.skip_invalid = (selector & 1) != 0;
  // Small blocks make block count warnings likely; 512 is the real traces' size.
  constexpr uint32_t kBlockTokens[] = {512, 1, 16, 512};
  options.block_tokens = kBlockTokens[(selector >> 1) & 3];
  options.max_messages = (selector >> 3) & 7;
  // The second byte: the timestamp unit and a re-blocking factor (1: none, up to 4).
  constexpr kvb::TimestampUnit kUnits[] = {
      kvb::TimestampUnit::kMilliseconds, kvb::TimestampUnit::kSeconds,
      kvb::TimestampUnit::kMicroseconds, kvb::TimestampUnit::kMilliseconds};
  options.timestamp_unit = kUnits[dialect & 3];
  const uint32_t factor = 1 + ((dialect >> 2) & 3);
  options.reblock_tokens = factor == 1 ? 0 : factor * options.block_tokens;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    const kvb::LoadedTrace loaded = kvb::ReadMooncakeTraceFromMemory(text, "fuzz", options);
    kvb::CheckInvariants(loaded, options);
  } catch (const kvb::InputError&) {
    // Rejected input: fine.
  }
  return 0;
}
