// libFuzzer target for the CSV trace reader and the synthetic prefixes given to its
// requests. The first byte picks the dialect, skip_invalid and the prefix workload; the rest
// is the file's text. Any exception other than InputError, any sanitizer report and any
// broken invariant is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>

#include "core/trace/byte_source.h"
#include "core/trace/csv_trace_reader.h"
#include "core/trace/generator.h"
#include "core/util/fuzz_require.h"
#include "core/util/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const kvb::CsvDialect dialect =
      (selector & 1) != 0 ? kvb::CsvDialect::kBurstGpt : kvb::CsvDialect::kAzure;
  kvb::MooncakeReadOptions options;
  options.skip_invalid = (selector & 2) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const std::unique_ptr<kvb::ByteSource> source = kvb::MemoryByteSource(text);
    const kvb::CsvReadResult r = kvb::ReadCsvRequests(*source, "fuzz", dialect, options);
    kvb::FuzzRequire(!r.requests.empty(), "an accepted file has requests");
    kvb::FuzzRequire(r.report.requests == r.requests.size(), "report.requests == requests");
    int64_t earliest = INT64_MAX;
    for (const kvb::ObservedRequest& q : r.requests) {
      kvb::FuzzRequire(q.arrival_ms >= 0, "arrivals from the earliest row");
      earliest = std::min(earliest, q.arrival_ms);
    }
    kvb::FuzzRequire(earliest == 0, "the earliest row arrives at 0");
    // Synthetic prefixes for a bounded prefix of the requests (lengths up to 2^32 tokens).
    const auto presets = kvb::WorkloadPresets();
    const kvb::WorkloadPreset& preset = presets[(selector >> 2) % presets.size()];
    const size_t n = std::min<size_t>(r.requests.size(), 64);
    std::vector<kvb::ObservedRequest> some(r.requests.begin(), r.requests.begin() + n);
    for (kvb::ObservedRequest& q : some) q.input_tokens %= 1u << 16;
    const auto trace = kvb::AssignSyntheticPrefixes(preset.spec, some, selector);
    kvb::FuzzRequire(trace->size() == n, "one request per row");
    for (size_t i = 0; i < trace->size(); ++i) {
      const kvb::Request q = (*trace)[i];
      kvb::FuzzRequire(q.blocks.size() == (q.input_tokens + 511) / 512, "one id per 512 tokens");
    }
  } catch (const kvb::InputError&) {
    // Rejected input: fine.
  }
  return 0;
}
