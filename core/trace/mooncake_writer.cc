#include "core/trace/mooncake_writer.h"

#include <charconv>
#include <cstdint>
#include <string_view>

#include "core/util/atomic_file.h"

namespace kvb {

namespace {

// Hand the text to the (itself buffered) writer in chunks of about this size.
constexpr size_t kFlushBytes = size_t{64} << 10;

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

// Appends request `index` of `trace` as one JSONL line.
void AppendRequestLine(const Trace& trace, size_t index, std::string& out) {
  const Request r = trace[index];
  out.append("{\"timestamp\": ");
  AppendInteger(out, r.arrival_ms);
  out.append(", \"input_length\": ");
  AppendInteger(out, r.input_tokens);
  out.append(", \"output_length\": ");
  AppendInteger(out, r.output_tokens);
  out.append(", \"hash_ids\": [");
  for (size_t k = 0; k < r.blocks.size(); ++k) {
    if (k > 0) out.append(", ");
    AppendInteger(out, trace.raw_id(r.blocks[k]));
  }
  out.append("]}\n");
}

}  // namespace

void WriteMooncakeTrace(const Trace& trace, const std::string& path) {
  AtomicFileWriter writer(path);
  std::string buffer;
  buffer.reserve(kFlushBytes + 4096);
  for (size_t i = 0; i < trace.size(); ++i) {
    AppendRequestLine(trace, i, buffer);
    if (buffer.size() >= kFlushBytes) {
      writer.Write(buffer);
      buffer.clear();
    }
  }
  writer.Write(buffer);
  writer.Commit();
}

std::string MooncakeTraceToString(const Trace& trace) {
  std::string out;
  for (size_t i = 0; i < trace.size(); ++i) AppendRequestLine(trace, i, out);
  return out;
}

}  // namespace kvb
