#ifndef KVB_CORE_UTIL_ATOMIC_FILE_H_
#define KVB_CORE_UTIL_ATOMIC_FILE_H_

#include <string>
#include <string_view>

namespace kvb {

// Writes a file so that readers see either the old file or the whole new one: data goes
// to a temporary file in the same directory, which Commit() fsyncs and renames over
// `path`. Destroying an uncommitted writer removes the temporary file.
// Errors throw std::runtime_error naming the path.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Buffered append.
  void Write(std::string_view data);
  void Commit();

  const std::string& path() const { return path_; }

 private:
  void Flush();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  bool committed_ = false;
};

// Writes `contents` to `path` atomically.
void WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace kvb

#endif  // KVB_CORE_UTIL_ATOMIC_FILE_H_
