#include "core/trace/mooncake_reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/trace/byte_source.h"
#include "simdjson.h"

namespace kvb {

namespace {

namespace od = simdjson::ondemand;

// ---------------------------------------------------------------------------------------
// One line -> one request.

// A problem with one line. `field` is empty when it concerns the whole line; `syntax`
// marks malformed JSON (as opposed to well-formed JSON with a bad value), and then
// `problem` says what is malformed.
struct LineError {
  std::string field;
  std::string problem;
  bool syntax = false;

  std::string Describe(bool final_unterminated) const {
    if (!syntax) return problem;
    if (final_unterminated) {
      return absl::StrCat("truncated last line: no newline at the end and invalid JSON (", problem,
                          ")");
    }
    return absl::StrCat("invalid JSON (", problem, ")");
  }
};

[[noreturn]] void ThrowSyntax(simdjson::error_code error) {
  throw LineError{"", simdjson::error_message(error), true};
}

std::string_view TrimToken(std::string_view token) {
  while (!token.empty() && std::strchr(" \t\r\n", token.back()) != nullptr) token.remove_suffix(1);
  return token;
}

std::string Abbreviate(std::string_view token) {
  return token.size() > 40 ? absl::StrCat(std::string(token.substr(0, 40)), "...")
                           : std::string(token);
}

bool IsLiteral(std::string_view token, std::string_view literal) { return token == literal; }

// Names what a raw JSON token is, for "expected X, got Y" messages. A token that cannot
// start any JSON value is a syntax error.
std::string DescribeToken(std::string_view raw) {
  const std::string_view token = TrimToken(raw);
  const char first = token.empty() ? '\0' : token.front();
  if (first == '"') return "a string";
  if (first == '[') return "an array";
  if (first == '{') return "an object";
  if (IsLiteral(token, "true") || IsLiteral(token, "false")) return "a boolean";
  if (IsLiteral(token, "null")) return "null";
  if (first == '-' || std::isdigit(static_cast<unsigned char>(first))) return Abbreviate(token);
  throw LineError{"", absl::StrCat("unexpected \"", Abbreviate(token), "\""), true};
}

// Parses a JSON number that must be a non-negative integer no larger than `max`.
uint64_t ParseUnsigned(od::value value, std::string_view field, uint64_t max) {
  uint64_t x = 0;
  const simdjson::error_code error = value.get_uint64().get(x);
  if (error == simdjson::SUCCESS) {
    if (x > max) {
      throw LineError{std::string(field), absl::StrCat(x, " is out of range (max ", max, ")")};
    }
    return x;
  }
  // A failed get_uint64() does not advance: the token is still there to describe.
  const std::string_view token = TrimToken(value.raw_json_token());
  if (error == simdjson::NUMBER_ERROR) ThrowSyntax(error);  // e.g. "01", "1x"
  const std::string got = DescribeToken(token);
  const char first = token.empty() ? '\0' : token.front();
  if (first == '-' && token.size() > 1 && std::isdigit(static_cast<unsigned char>(token[1]))) {
    throw LineError{std::string(field), absl::StrCat("expected a non-negative integer, got ", got)};
  }
  if (std::isdigit(static_cast<unsigned char>(first))) {
    if (token.find_first_of(".eE") != std::string_view::npos) {
      throw LineError{std::string(field), absl::StrCat("expected an integer, got ", got)};
    }
    if (token.find_first_not_of("0123456789") == std::string_view::npos) {
      throw LineError{std::string(field), absl::StrCat(got, " is out of range (max ", max, ")")};
    }
  }
  if (error == simdjson::INCORRECT_TYPE || error == simdjson::NUMBER_OUT_OF_RANGE) {
    throw LineError{std::string(field), absl::StrCat("expected a non-negative integer, got ", got)};
  }
  ThrowSyntax(error);
}

// Parses a timestamp in `unit` into milliseconds: an integer in ms (as Mooncake writes
// them); a non-negative number in s or us, rounded to the nearest millisecond.
int64_t ParseTimestampMs(od::value value, TimestampUnit unit) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (unit == TimestampUnit::kMilliseconds) {
    return static_cast<int64_t>(ParseUnsigned(value, "timestamp", kMax));
  }
  double x = 0;
  const simdjson::error_code error = value.get_double().get(x);
  if (error == simdjson::NUMBER_ERROR) ThrowSyntax(error);
  if (error != simdjson::SUCCESS || !(x >= 0) || !std::isfinite(x)) {
    const std::string_view token = value.raw_json_token();
    throw LineError{"timestamp", absl::StrCat("expected a non-negative number of ",
                                              std::string(TimestampUnitName(unit)), ", got ",
                                              DescribeToken(token))};
  }
  const double ms = unit == TimestampUnit::kSeconds ? x * 1000 : x / 1000;
  if (ms >= 9.2e18) {
    throw LineError{"timestamp", absl::StrCat(x, " ", std::string(TimestampUnitName(unit)),
                                              " is out of range (max 9.2e18 ms)")};
  }
  return std::llround(ms);
}

// Above this many requests per second a trace's timestamps are likely not milliseconds.
constexpr double kMaxPlausibleRatePerS = 1000;
// A trace spanning more than this is likely in a finer unit than it was read in.
constexpr double kMaxPlausibleSpanS = 30 * 86400.0;

class LineParser {
 public:
  LineParser(std::string name, const MooncakeReadOptions& options)
      : name_(std::move(name)),
        options_(Checked(options)),
        reblock_(options.reblock_tokens == 0 ? 1 : options.reblock_tokens / options.block_tokens),
        builder_(options.reblock_tokens == 0 ? options.block_tokens : options.reblock_tokens) {}

  // Handles one line (without its '\n'); `capacity` bytes are readable from `data`.
  void HandleLine(const char* data, size_t length, size_t capacity, bool final_unterminated) {
    ++line_;
    ++report_.lines;
    if (length > 0 && data[length - 1] == '\r') {
      --length;
      ++report_.crlf_lines;
    }
    if (IsBlank(std::string_view(data, length))) {
      ++report_.blank_lines;
      return;
    }
    try {
      ParseLine(data, length, capacity);
    } catch (const LineError& e) {
      const std::string problem = e.Describe(final_unterminated);
      std::string message = e.field.empty()
                                ? absl::StrCat(name_, ":", line_, ": ", problem)
                                : absl::StrCat(name_, ":", line_, ": ", e.field, ": ", problem);
      if (!options_.skip_invalid) throw InputError(message);
      ++report_.skipped_invalid;
      Note(std::move(message));
    }
  }

  // A line longer than any trace writes: refused whatever skip_invalid says, before the
  // buffer holding it grows without bound.
  [[noreturn]] void LineTooLong(size_t limit) const {
    throw InputError(absl::StrCat(name_, ":", line_ + 1, ": line longer than ", limit >> 20,
                                  " MiB without a newline: not Mooncake JSONL"));
  }

  void SkipBom() { report_.had_bom = true; }
  // Sizes the trace's arrays for an input of about `bytes` bytes.
  void ExpectBytes(uint64_t bytes) { builder_.Reserve(bytes / 200, bytes / 9, bytes / 16); }
  void AddBytes(size_t n) { report_.bytes += n; }
  void MarkMissingFinalNewline() { report_.missing_final_newline = true; }

  LoadedTrace Finish() {
    if (builder_.size() == 0) {
      if (report_.skipped_invalid > 0) {
        throw InputError(absl::StrCat(name_, ": no valid requests (", report_.skipped_invalid,
                                      " invalid lines skipped)"));
      }
      throw InputError(absl::StrCat(name_, ": empty trace: no requests"));
    }
    BuildReport build;
    LoadedTrace loaded;
    loaded.trace = builder_.Finish(&build);
    report_.timestamps_backwards = build.timestamps_backwards;
    report_.requests = loaded.trace->size();
    CheckArrivalRate(*loaded.trace);
    loaded.report = std::move(report_);
    return loaded;
  }

 private:
  static const MooncakeReadOptions& Checked(const MooncakeReadOptions& o) {
    if (o.block_tokens == 0) throw InputError("block_tokens: must be > 0");
    if (o.reblock_tokens % o.block_tokens != 0) {
      throw InputError(absl::StrCat("reblock_tokens: ", o.reblock_tokens,
                                    " is not a multiple of block_tokens ", o.block_tokens));
    }
    return o;
  }

  // Flags a rate or span no serving trace has: the timestamps' unit is likely wrong.
  void CheckArrivalRate(const Trace& trace) {
    if (trace.size() < 100) return;
    const double span_s =
        static_cast<double>(trace.last_arrival_ms() - trace.first_arrival_ms()) / 1000.0;
    if (span_s <= 0) return;  // all at once: a batch, not a unit problem
    const double rate = static_cast<double>(trace.size() - 1) / span_s;
    const std::string_view unit = TimestampUnitName(options_.timestamp_unit);
    if (rate > kMaxPlausibleRatePerS) {
      report_.implausible_rate = absl::StrFormat(
          "%d requests in %.3f s (%.0f per second, read as %s): if the timestamps are in a "
          "coarser unit, give it (timestamp unit s or ms)",
          trace.size(), span_s, rate, unit);
    } else if (span_s > kMaxPlausibleSpanS) {
      report_.implausible_rate = absl::StrFormat(
          "%d requests over %.0f days (read as %s): if the timestamps are in a finer unit, give "
          "it (timestamp unit ms or us)",
          trace.size(), span_s / 86400, unit);
    }
  }

  static bool IsBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r") == std::string_view::npos;
  }

  void Note(std::string message) {
    if (report_.messages.size() < options_.max_messages) {
      report_.messages.push_back(std::move(message));
    }
  }

  // Parses one non-blank line and adds its request.
  void ParseLine(const char* data, size_t length, size_t capacity) {
    od::document doc;
    if (auto e = parser_.iterate(data, length, capacity).get(doc); e) ThrowSyntax(e);
    od::object object;
    if (auto e = doc.get_object().get(object); e) {
      if (e != simdjson::INCORRECT_TYPE) ThrowSyntax(e);
      std::string_view token;
      if (doc.raw_json_token().get(token)) token = {};
      throw LineError{"", absl::StrCat("expected a JSON object, got ", DescribeToken(token))};
    }
    enum : unsigned { kTimestamp = 1, kInput = 2, kOutput = 4, kIds = 8 };
    unsigned seen = 0;
    int64_t timestamp = 0;
    uint64_t input = 0, output = 0;
    ids_.clear();
    auto mark = [&seen](unsigned bit, std::string_view name) {
      if (seen & bit) throw LineError{std::string(name), "duplicate field"};
      seen |= bit;
    };
    for (auto field_result : object) {
      od::field field;
      if (auto e = std::move(field_result).get(field); e) ThrowSyntax(e);
      // Raw comparison: a key spelled with escapes counts as an unknown field.
      const simdjson::ondemand::raw_json_string key = field.key();
      od::value value = field.value();
      if (key == "hash_ids") {
        mark(kIds, "hash_ids");
        ParseIds(value);
      } else if (key == "timestamp") {
        mark(kTimestamp, "timestamp");
        timestamp = ParseTimestampMs(value, options_.timestamp_unit);
      } else if (key == "input_length") {
        mark(kInput, "input_length");
        input = ParseUnsigned(value, "input_length", std::numeric_limits<uint32_t>::max());
      } else if (key == "output_length") {
        mark(kOutput, "output_length");
        output = ParseUnsigned(value, "output_length", std::numeric_limits<uint32_t>::max());
      }
      // Other fields are ignored.
    }
    // current_location() fails only at the end of the document.
    if (!doc.current_location().error()) {
      throw LineError{"", "trailing content after the object", true};
    }
    if (!(seen & kTimestamp)) throw LineError{"timestamp", "missing required field"};
    if (!(seen & kInput)) throw LineError{"input_length", "missing required field"};
    if (!(seen & kOutput)) throw LineError{"output_length", "missing required field"};
    if (!(seen & kIds)) throw LineError{"hash_ids", "missing required field"};
    if (ids_.empty() && input > 0) {
      throw LineError{"hash_ids", absl::StrCat("empty, but input_length is ", input)};
    }
    const uint64_t expected = (input + options_.block_tokens - 1) / options_.block_tokens;
    const bool mismatch = ids_.size() != expected;
    const size_t ids_in_file = ids_.size();
    if (reblock_ > 1) Reblock();

    std::optional<PrefixConflict> conflict =
        builder_.Add(timestamp, static_cast<uint32_t>(input), static_cast<uint32_t>(output), ids_);
    if (conflict) throw DescribeConflict(*conflict);
    request_lines_.push_back(line_);
    if (mismatch) {
      ++report_.block_count_mismatches;
      Note(absl::StrCat(name_, ":", line_, ": hash_ids: ", ids_in_file, " ids for input_length ",
                        input, " (expected ", expected, " blocks of ", options_.block_tokens,
                        " tokens)"));
    }
  }

  // Keeps the ids naming whole blocks of reblock_ file blocks, and the request's last id
  // (its partial last block): each id names its whole prefix.
  void Reblock() {
    size_t kept = 0;
    for (size_t i = 0; i < ids_.size(); ++i) {
      if ((i + 1) % reblock_ == 0 || i + 1 == ids_.size()) ids_[kept++] = ids_[i];
    }
    ids_.resize(kept);
  }

  void ParseIds(od::value value) {
    od::array array;
    if (auto e = value.get_array().get(array); e) {
      if (e != simdjson::INCORRECT_TYPE) ThrowSyntax(e);
      const std::string_view token = value.raw_json_token();
      throw LineError{"hash_ids", absl::StrCat("expected an array, got ", DescribeToken(token))};
    }
    for (auto element : array) {
      od::value v;
      if (auto e = element.get(v); e) ThrowSyntax(e);
      uint64_t id = 0;
      if (v.get_uint64().get(id) != simdjson::SUCCESS) {
        // Re-reading the token for the message is only done on this error path.
        ParseUnsigned(v, absl::StrCat("hash_ids[", ids_.size(), "]"),
                      std::numeric_limits<uint64_t>::max());
      }
      ids_.push_back(id);
    }
  }

  LineError DescribeConflict(const PrefixConflict& c) const {
    auto after = [](const std::optional<RawBlockId>& parent) {
      return parent ? absl::StrCat("after id ", *parent) : std::string("as the first id");
    };
    return LineError{
        absl::StrCat("hash_ids[", c.position, "]"),
        absl::StrCat(
            "id ", c.id, " breaks the prefix tree: first seen at position ", c.earlier_depth, " ",
            after(c.earlier_parent), " (line ",
            c.earlier_request < request_lines_.size() ? request_lines_[c.earlier_request] : line_,
            "), here at position ", c.position, " ", after(c.parent))};
  }

  std::string name_;
  MooncakeReadOptions options_;
  size_t reblock_;  // file blocks per trace block
  TraceBuilder builder_;
  od::parser parser_;
  std::vector<RawBlockId> ids_;
  std::vector<uint64_t> request_lines_;  // line of each accepted request, in input order
  uint64_t line_ = 0;
  MooncakeReadReport report_;
};

// The longest line accepted: a request of 10^6 blocks takes about 8 MB.
constexpr size_t kMaxLineBytes = size_t{64} << 20;

// Splits the source into lines and feeds them to the parser, keeping SIMDJSON_PADDING
// readable bytes after every line.
LoadedTrace ReadLines(ByteSource& source, LineParser& parser) {
  size_t capacity = size_t{1} << 20;
  std::unique_ptr<char[]> buffer(new char[capacity + simdjson::SIMDJSON_PADDING]());
  size_t have = 0;
  bool at_start = true;
  bool eof = false;
  while (!eof) {
    const size_t n = source.Read(buffer.get() + have, capacity - have);
    parser.AddBytes(n);
    eof = (n == 0);
    have += n;
    size_t start = 0;
    if (at_start && (have >= 3 || eof)) {
      at_start = false;
      if (have >= 3 && std::memcmp(buffer.get(), "\xEF\xBB\xBF", 3) == 0) {
        parser.SkipBom();
        start = 3;
      }
    }
    if (at_start) continue;
    const size_t total = capacity + simdjson::SIMDJSON_PADDING;
    while (start < have) {
      const char* line = buffer.get() + start;
      const char* newline = static_cast<const char*>(std::memchr(line, '\n', have - start));
      if (newline == nullptr) break;
      parser.HandleLine(line, static_cast<size_t>(newline - line), total - start, false);
      start = static_cast<size_t>(newline - buffer.get()) + 1;
    }
    if (eof) {
      if (start < have) {
        parser.MarkMissingFinalNewline();
        parser.HandleLine(buffer.get() + start, have - start, total - start, true);
      }
      break;
    }
    std::memmove(buffer.get(), buffer.get() + start, have - start);
    have -= start;
    if (have == capacity) {  // one line longer than the buffer: grow it
      if (capacity >= kMaxLineBytes) parser.LineTooLong(kMaxLineBytes);
      const size_t bigger = capacity * 2;
      std::unique_ptr<char[]> grown(new char[bigger + simdjson::SIMDJSON_PADDING]());
      std::memcpy(grown.get(), buffer.get(), have);
      buffer = std::move(grown);
      capacity = bigger;
    }
  }
  return parser.Finish();
}

}  // namespace

LoadedTrace ReadMooncakeTrace(const std::string& path, const MooncakeReadOptions& options) {
  uint64_t plain_size = 0;
  const std::unique_ptr<ByteSource> source = OpenByteSource(path, &plain_size);
  LineParser parser(path == "-" ? std::string("<stdin>") : path, options);
  parser.ExpectBytes(plain_size);
  return ReadLines(*source, parser);
}

LoadedTrace ReadMooncakeTraceFromMemory(std::string_view data, std::string_view name,
                                        const MooncakeReadOptions& options) {
  const std::unique_ptr<ByteSource> source = MemoryByteSource(data);
  LineParser parser(std::string(name), options);
  parser.ExpectBytes(data.size());
  return ReadLines(*source, parser);
}

std::optional<TimestampUnit> TimestampUnitFromName(std::string_view name) {
  if (name == "ms") return TimestampUnit::kMilliseconds;
  if (name == "s") return TimestampUnit::kSeconds;
  if (name == "us") return TimestampUnit::kMicroseconds;
  return std::nullopt;
}

std::string_view TimestampUnitName(TimestampUnit unit) {
  switch (unit) {
    case TimestampUnit::kSeconds:
      return "s";
    case TimestampUnit::kMicroseconds:
      return "us";
    case TimestampUnit::kMilliseconds:
      break;
  }
  return "ms";
}

std::vector<std::string> DescribeReadWarnings(std::string_view name_view,
                                              const MooncakeReadReport& r) {
  const std::string name(name_view);
  std::vector<std::string> lines;
  auto count = [&](uint64_t n, const char* what) {
    if (n > 0) lines.push_back(absl::StrCat(name, ": ", n, " ", what));
  };
  count(r.skipped_invalid, "invalid lines skipped (skip_invalid)");
  count(r.block_count_mismatches,
        "requests whose hash_ids count is not ceil(input_length / block)");
  count(r.timestamps_backwards,
        "requests with a timestamp earlier than the previous line's (stable-sorted by timestamp)");
  if (!r.implausible_rate.empty()) lines.push_back(absl::StrCat(name, ": ", r.implausible_rate));
  if (!r.synthetic_prefixes.empty()) {
    lines.push_back(absl::StrCat(name, ": ", r.synthetic_prefixes));
  }
  for (const std::string& m : r.messages) lines.push_back(absl::StrCat("  ", m));
  return lines;
}

}  // namespace kvb
