#ifndef KVB_BENCH_JOURNAL_H_
#define KVB_BENCH_JOURNAL_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace kvb {

// Whose cells a journal holds: a journal is only resumed by the same config and version.
struct JournalOwner {
  std::string config_hash;
  std::string kvbench_version;
};

// A crash-safe log of finished cells, kept next to a result file: a header line, then one
// JSON object per finished cell, {"cell": hash, "payload": text, "fnv1a": checksum of
// hash and text}, each written and fsync'd before Append returns, so a crash loses at most
// the cells in flight and a torn last line is detected and dropped.
class Journal {
 public:
  // Starts a new journal at `path` (replacing any).
  static std::unique_ptr<Journal> Create(const std::string& path, const JournalOwner& owner);

  // Reads the journal at `path` (if any) into `done` (cell hash -> payload) and reopens it
  // for appending. Throws InputError if it belongs to another config or version; lines that
  // fail their checksum are dropped with a line in `warnings`.
  static std::unique_ptr<Journal> Resume(const std::string& path, const JournalOwner& owner,
                                         std::map<std::string, std::string>* done,
                                         std::vector<std::string>* warnings);

  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Thread-safe. Throws std::runtime_error naming the file if it cannot be written.
  void Append(const std::string& cell_hash, const std::string& payload);

  // Deletes the file (after the final result is safely written).
  void Remove();

  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void WriteLine(const std::string& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string path_;
  std::mutex mutex_;
  int fd_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace kvb

#endif  // KVB_BENCH_JOURNAL_H_
