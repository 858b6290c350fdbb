#include "core/trace/csv_trace_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/util/fnv.h"
#include "core/util/input_error.h"

namespace kvb {
namespace {

// A bad row: the column it concerns (empty: the whole row) and what is wrong.
struct RowError {
  std::string column;
  std::string problem;
};

// Splits one CSV record (RFC 4180 quoting: "a, b" and "" inside quotes).
std::vector<std::string> SplitRecord(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  if (quoted) throw RowError{"", "a quoted field is not closed"};
  return fields;
}

std::string Shown(const std::string& field) {
  return field.size() > 40 ? absl::StrCat("'", field.substr(0, 40), "...'")
                           : absl::StrCat("'", field, "'");
}

uint32_t ParseTokens(const std::string& field, const std::string& column) {
  uint64_t x = 0;
  if (!absl::SimpleAtoi(field, &x) || field.empty() || field[0] == '+' || field[0] == '-') {
    throw RowError{column, absl::StrCat("expected a non-negative integer, got ", Shown(field))};
  }
  if (x > std::numeric_limits<uint32_t>::max()) {
    throw RowError{column, absl::StrCat(x, " is out of range (max 4294967295)")};
  }
  return static_cast<uint32_t>(x);
}

// Nanoseconds since the Unix epoch of an Azure TIMESTAMP, read as UTC.
int64_t ParseDateNs(const std::string& field, const std::string& column) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", field, absl::UTCTimeZone(), &t, &error)) {
    throw RowError{column, absl::StrCat("expected a date 'YYYY-MM-DD HH:MM:SS[.fraction]', got ",
                                        Shown(field))};
  }
  return absl::ToUnixNanos(t);
}

// Nanoseconds of a BurstGPT Timestamp (seconds, maybe with a fraction).
int64_t ParseSecondsNs(const std::string& field, const std::string& column) {
  double x = 0;
  if (!absl::SimpleAtod(field, &x) || !std::isfinite(x) || x < 0) {
    throw RowError{column,
                   absl::StrCat("expected a non-negative number of seconds, got ", Shown(field))};
  }
  if (x > 9e9) throw RowError{column, absl::StrCat(field, " s is out of range (max 9e9 s)")};
  return std::llround(x * 1e9);
}

struct Columns {
  const char* time;
  const char* input;
  const char* output;
  const char* session;  // optional
  const char* layout;   // for the missing-column message
};

Columns ColumnsOf(CsvDialect dialect) {
  if (dialect == CsvDialect::kAzure) {
    return {"TIMESTAMP", "ContextTokens", "GeneratedTokens", nullptr,
            "Azure LLM inference: TIMESTAMP,ContextTokens,GeneratedTokens"};
  }
  return {"Timestamp", "Request tokens", "Response tokens", "Session ID",
          "BurstGPT: Timestamp,[Session ID,Elapsed time,]Model,Request tokens,Response tokens,"
          "Total tokens,Log Type"};
}

class CsvParser {
 public:
  CsvParser(std::string name, CsvDialect dialect, const MooncakeReadOptions& options)
      : name_(std::move(name)),
        dialect_(dialect),
        columns_(ColumnsOf(dialect)),
        options_(options) {}

  void HandleLine(std::string_view line) {
    ++line_;
    ++result_.report.lines;
    if (line_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      result_.report.had_bom = true;
      line.remove_prefix(3);
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      ++result_.report.crlf_lines;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      ++result_.report.blank_lines;
      return;
    }
    try {
      if (header_.empty()) {
        Header(line);
      } else {
        Row(line);
      }
    } catch (const RowError& e) {
      std::string message = e.column.empty()
                                ? absl::StrCat(name_, ":", line_, ": ", e.problem)
                                : absl::StrCat(name_, ":", line_, ": ", e.column, ": ", e.problem);
      if (header_.empty() || !options_.skip_invalid) throw InputError(message);
      ++result_.report.skipped_invalid;
      if (result_.report.messages.size() < options_.max_messages) {
        result_.report.messages.push_back(std::move(message));
      }
    }
  }

  void AddBytes(size_t n) { result_.report.bytes += n; }
  void MarkMissingFinalNewline() { result_.report.missing_final_newline = true; }
  [[noreturn]] void LineTooLong(size_t limit) const {
    throw InputError(absl::StrCat(name_, ":", line_ + 1, ": line longer than ", limit >> 10,
                                  " KiB without a newline: not a CSV trace"));
  }

  CsvReadResult Finish() {
    if (result_.requests.empty()) {
      throw InputError(absl::StrCat(
          name_, ": no requests",
          result_.report.skipped_invalid > 0
              ? absl::StrCat(" (", result_.report.skipped_invalid, " invalid rows skipped)")
              : std::string()));
    }
    const int64_t first = *std::min_element(times_ns_.begin(), times_ns_.end());
    for (size_t i = 0; i < times_ns_.size(); ++i) {
      // Rounded to the nearest millisecond, as the JSONL readers do.
      result_.requests[i].arrival_ms = (times_ns_[i] - first + 500000) / 1000000;
      if (i > 0 && times_ns_[i] < times_ns_[i - 1]) ++result_.report.timestamps_backwards;
    }
    result_.report.requests = result_.requests.size();
    return std::move(result_);
  }

 private:
  void Header(std::string_view line) {
    header_ = SplitRecord(line);
    auto find = [&](const char* column) -> std::optional<size_t> {
      const auto it = std::find(header_.begin(), header_.end(), column);
      if (it == header_.end()) return std::nullopt;
      return static_cast<size_t>(it - header_.begin());
    };
    for (const char* column : {columns_.time, columns_.input, columns_.output}) {
      if (!find(column)) {
        throw RowError{"header", absl::StrCat("no column '", column, "' (", columns_.layout, ")")};
      }
    }
    time_ = *find(columns_.time);
    input_ = *find(columns_.input);
    output_ = *find(columns_.output);
    if (columns_.session != nullptr) session_ = find(columns_.session);
  }

  void Row(std::string_view line) {
    const std::vector<std::string> fields = SplitRecord(line);
    if (fields.size() != header_.size()) {
      throw RowError{"", absl::StrCat("expected ", header_.size(), " fields as in the header, got ",
                                      fields.size())};
    }
    const int64_t ns = dialect_ == CsvDialect::kAzure
                           ? ParseDateNs(fields[time_], header_[time_])
                           : ParseSecondsNs(fields[time_], header_[time_]);
    ObservedRequest r;
    r.input_tokens = ParseTokens(fields[input_], header_[input_]);
    r.output_tokens = ParseTokens(fields[output_], header_[output_]);
    if (session_ && !fields[*session_].empty()) {
      r.session = Fnv1a64(fields[*session_]);
      if (r.session == kNoSession) r.session = 0;
    }
    if (!times_ns_.empty() &&
        std::abs(static_cast<double>(ns) - static_cast<double>(times_ns_.front())) > 9e18) {
      throw RowError{header_[time_], "more than 290 years from the first row"};
    }
    times_ns_.push_back(ns);
    result_.requests.push_back(r);
  }

  std::string name_;
  CsvDialect dialect_;
  Columns columns_;
  MooncakeReadOptions options_;
  uint64_t line_ = 0;
  std::vector<std::string> header_;
  size_t time_ = 0, input_ = 0, output_ = 0;
  std::optional<size_t> session_;
  std::vector<int64_t> times_ns_;
  CsvReadResult result_;
};

// The longest CSV row accepted: real rows are under 200 bytes.
constexpr size_t kMaxRowBytes = size_t{64} << 10;

}  // namespace

CsvReadResult ReadCsvRequests(ByteSource& source, std::string_view name, CsvDialect dialect,
                              const MooncakeReadOptions& options) {
  CsvParser parser(std::string(name), dialect, options);
  std::string pending;  // the start of a line that continues in the next chunk
  std::vector<char> chunk(size_t{1} << 20);
  while (true) {
    const size_t n = source.Read(chunk.data(), chunk.size());
    parser.AddBytes(n);
    if (n == 0) break;
    std::string_view data(chunk.data(), n);
    for (size_t newline; (newline = data.find('\n')) != std::string_view::npos;) {
      if (pending.empty()) {
        parser.HandleLine(data.substr(0, newline));
      } else {
        pending.append(data.substr(0, newline));
        parser.HandleLine(pending);
        pending.clear();
      }
      data.remove_prefix(newline + 1);
    }
    pending.append(data);
    if (pending.size() > kMaxRowBytes) parser.LineTooLong(kMaxRowBytes);
  }
  if (!pending.empty()) {
    parser.MarkMissingFinalNewline();
    parser.HandleLine(pending);
  }
  return parser.Finish();
}

}  // namespace kvb
