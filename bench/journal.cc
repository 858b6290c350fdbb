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
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                        0644);
  if (fd < 0) {
    throw InputError(absl::StrCat(path, ": cannot open the journal: ", std::strerror(errno)));
  }
  return fd;
}

}  // namespace

std::unique_ptr<Journal> Journal::Create(const std::string& path, const JournalOwner& owner) {
  std::unique_ptr<Journal> journal(new Journal(path, OpenForAppend(path, /*truncate=*/true)));
  std::lock_guard<std::mutex> lock(journal->mutex_);
  journal->WriteLine(HeaderLine(owner));
  return journal;
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
    throw InputError(absl::StrCat(
        path, ": written for config hash ", hash, " by kvbench ", version, ", this run is config ",
        owner.config_hash, " on kvbench ", owner.kvbench_version,
        ": not mixing them (remove the journal, or --out another file)"));
  }
  size_t number = 1;
  bool torn = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    const bool ok = entry.is_object() && entry.contains("cell") && entry["cell"].is_string() &&
                    entry.contains("payload") && entry["payload"].is_string() &&
                    entry.contains("fnv1a") && entry["fnv1a"].is_string() &&
                    entry["fnv1a"].get<std::string>() ==
                        Checksum(entry["cell"].get<std::string>(),
                                 entry["payload"].get<std::string>());
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
  std::unique_ptr<Journal> journal(new Journal(path, OpenForAppend(path, /*truncate=*/false)));
  if (torn) {
    // A torn line has no newline: start the next entry on a line of its own.
    std::lock_guard<std::mutex> lock(journal->mutex_);
    journal->WriteLine("\n");
  }
  return journal;
}

Journal::~Journal() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
}

void Journal::Append(const std::string& cell_hash, const std::string& payload) {
  const std::string line = nlohmann::json{{"cell", cell_hash},
                                          {"fnv1a", Checksum(cell_hash, payload)},
                                          {"payload", payload}}
                               .dump() +
                           "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  WriteLine(line);
}

void Journal::WriteLine(const std::string& line) {
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw std::runtime_error(absl::StrCat(path_, ": cannot write the journal: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) {
    throw std::runtime_error(absl::StrCat(path_, ": cannot sync the journal: ", std::strerror(errno)));
  }
}

void Journal::Remove() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

}  // namespace kvb
