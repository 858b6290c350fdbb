#ifndef KVB_BENCH_JOURNAL_H_
#define KVB_BENCH_JOURNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/util/mutex.h"

namespace kvb {

// Whose cells a journal holds: a journal is only resumed by the same config and version.
struct JournalOwner {
  std::string config_hash;
  std::string kvbench_version;
};

// A crash-safe log of finished cells, kept next to a result file: a header line, then one
// JSON object per finished cell, {"cell": hash, "payload": text, "fnv1a": checksum of
// hash and text}. A writer thread appends and fsyncs what workers hand it, many lines per
// fsync, so workers never wait on the disk; a crash loses only the cells not yet synced,
// and a torn last line is detected and dropped.
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

  // Thread-safe; returns before the line is on disk. Throws std::runtime_error naming the
  // file if an earlier write failed.
  void Append(const std::string& cell_hash, const std::string& payload);

  // Returns once every appended line is written and synced; throws on a write error.
  void Sync();

  // Deletes the file (after the final result is safely written).
  void Remove();

  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, int fd);
  void WriterLoop();
  void Close();

  const std::string path_;
  int fd_;  // written by the writer thread only, closed after it ends
  Mutex mutex_;
  CondVar changed_;
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mutex_);
  uint64_t appended_ ABSL_GUARDED_BY(mutex_) = 0;  // lines handed in
  uint64_t synced_ ABSL_GUARDED_BY(mutex_) = 0;    // lines on disk
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  std::string error_ ABSL_GUARDED_BY(mutex_);
  std::thread writer_;
};

}  // namespace kvb

#endif  // KVB_BENCH_JOURNAL_H_
