#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace kvb {

namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

[[noreturn]] void Fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  std::string pattern = path_ + ".tmp.XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) Fail("cannot create temporary file", path_);
  temp_path_ = name.data();
  // mkstemp creates 0600; give the result the usual permissions.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  buffer_.reserve(kBufferBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::Write(std::string_view data) {
  if (buffer_.size() + data.size() > kBufferBytes) Flush();
  if (data.size() >= kBufferBytes) {
    buffer_.assign(data);
    Flush();
  } else {
    buffer_.append(data);
  }
}

void AtomicFileWriter::Flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("write failed", temp_path_);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

void AtomicFileWriter::Commit() {
  Flush();
  if (::fsync(fd_) != 0) Fail("fsync failed", temp_path_);
  if (::close(fd_) != 0) {
    fd_ = -1;
    Fail("close failed", temp_path_);
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) Fail("cannot rename temporary file", path_);
  committed_ = true;
}

void WriteFileAtomically(const std::string& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.Write(contents);
  writer.Commit();
}

}  // namespace kvb
