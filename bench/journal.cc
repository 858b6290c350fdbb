#include "bench/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/util/fnv.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

constexpr int kJournalFormat = 1;

std::string Checksum(const std::string& cell_hash, const std::string& payload) {
  Fnv1a h;
  h.Add(cell_hash);
  h.Add("\n");
  h.Add(payload);
  return absl::StrFormat("%016x", h.value());
}

std::string HeaderLine(const JournalOwner& owner) {
  return nlohmann::json{{"kvbench_journal", kJournalFormat},
                        {"config_hash", owner.config_hash},
                        {"kvbench_version", owner.kvbench_version}}
             .dump() +
         "\n";
}

int OpenForAppend(const std::string& path, bool truncate) {
  const int fd = ::open(path.c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd < 0) {
    throw InputError(absl::StrCat(path, ": cannot open the journal: ", std::strerror(errno)));
  }
  return fd;
}

// Writes all of `text` to `fd` and fsyncs it; an error message naming `path`, or "".
std::string WriteAndSync(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::StrCat(path, ": cannot write the journal: ", std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    return absl::StrCat(path, ": cannot sync the journal: ", std::strerror(errno));
  }
  return "";
}

}  // namespace

Journal::Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
  writer_ = std::thread([this] { WriterLoop(); });
}

void Journal::WriterLoop() {
  mutex_.Lock();
  while (true) {
    while (pending_.empty() && !closing_) changed_.Wait(&mutex_);
    if (pending_.empty()) break;  // closing, and everything is written
    std::vector<std::string> batch;
    batch.swap(pending_);
    mutex_.Unlock();
    std::string text;
    for (const std::string& line : batch) text += line;
    const std::string error = WriteAndSync(fd_, text, path_);
    mutex_.Lock();
    if (!error.empty() && error_.empty()) error_ = error;
    synced_ += batch.size();
    changed_.NotifyAll();
  }
  mutex_.Unlock();
}

std::unique_ptr<Journal> Journal::Create(const std::string& path, const JournalOwner& owner) {
  const int fd = OpenForAppend(path, /*truncate=*/true);
  const std::string error = WriteAndSync(fd, HeaderLine(owner), path);
  if (!error.empty()) {
    ::close(fd);
    throw InputError(error);
  }
  return std::unique_ptr<Journal>(new Journal(path, fd));
}

std::unique_ptr<Journal> Journal::Resume(const std::string& path, const JournalOwner& owner,
                                         std::map<std::string, std::string>* done,
                                         std::vector<std::string>* warnings) {
  std::ifstream in(path);
  if (!in) return Create(path, owner);  // nothing to resume: a fresh start
  std::string line;
  if (!std::getline(in, line)) return Create(path, owner);
  nlohmann::json header = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || header.value("kvbench_journal", 0) != kJournalFormat) {
    throw InputError(absl::StrCat(path, ": line 1: not a kvbench journal"));
  }
  const std::string hash = header.value("config_hash", "");
  const std::string version = header.value("kvbench_version", "");
  if (hash != owner.config_hash || version != owner.kvbench_version) {
    throw InputError(absl::StrCat(path, ": written for config hash ", hash, " by kvbench ", version,
                                  ", this run is config ", owner.config_hash, " on kvbench ",
                                  owner.kvbench_version,
                                  ": not mixing them (remove the journal, or --out another file)"));
  }
  size_t number = 1;
  bool torn = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    const bool ok =
        entry.is_object() && entry.contains("cell") && entry["cell"].is_string() &&
        entry.contains("payload") && entry["payload"].is_string() && entry.contains("fnv1a") &&
        entry["fnv1a"].is_string() &&
        entry["fnv1a"].get<std::string>() ==
            Checksum(entry["cell"].get<std::string>(), entry["payload"].get<std::string>());
    if (!ok) {
      if (warnings != nullptr) {
        warnings->push_back(absl::StrCat(path, ": line ", number,
                                         ": damaged (checksum or syntax); its cell runs again"));
      }
      torn = true;
      continue;
    }
    (*done)[entry["cell"].get<std::string>()] = entry["payload"].get<std::string>();
  }
  in.close();
  const int fd = OpenForAppend(path, /*truncate=*/false);
  // A torn line has no newline: the next entry starts on a line of its own.
  const std::string error = torn ? WriteAndSync(fd, "\n", path) : "";
  if (!error.empty()) {
    ::close(fd);
    throw InputError(error);
  }
  return std::unique_ptr<Journal>(new Journal(path, fd));
}

Journal::~Journal() { Close(); }

void Journal::Close() {
  {
    MutexLock lock(&mutex_);
    closing_ = true;
  }
  changed_.NotifyAll();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Journal::Append(const std::string& cell_hash, const std::string& payload) {
  std::string line =
      nlohmann::json{
          {"cell", cell_hash}, {"fnv1a", Checksum(cell_hash, payload)}, {"payload", payload}}
          .dump() +
      "\n";
  {
    MutexLock lock(&mutex_);
    if (!error_.empty()) throw std::runtime_error(error_);
    if (closing_) throw std::runtime_error(absl::StrCat(path_, ": the journal is closed"));
    pending_.push_back(std::move(line));
    ++appended_;
  }
  changed_.NotifyAll();
}

void Journal::Sync() {
  MutexLock lock(&mutex_);
  while (synced_ != appended_ && error_.empty()) changed_.Wait(&mutex_);
  if (!error_.empty()) throw std::runtime_error(error_);
}

void Journal::Remove() {
  Close();
  ::unlink(path_.c_str());
}

}  // namespace kvb
