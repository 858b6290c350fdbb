#include "core/trace/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {
namespace {

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  size_t Read(char* dst, size_t capacity) override {
    const size_t n = std::min(capacity, data_.size());
    std::memcpy(dst, data_.data(), n);
    data_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view data_;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path) : path_(path) {
    if (path == "-") {
      fd_ = STDIN_FILENO;
      owned_ = false;
      return;
    }
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw InputError(absl::StrCat(path, ": is a directory, not a trace file"));
    }
    if (S_ISREG(st.st_mode)) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileSource() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  size_t Read(char* dst, size_t capacity) override {
    size_t total = 0;
    while (total < capacity) {
      const ssize_t n = ::read(fd_, dst + total, capacity - total);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw InputError(absl::StrCat(path_, ": read failed: ", std::strerror(errno)));
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
    }
    return total;
  }

  // Size in bytes of a regular file, 0 otherwise.
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool owned_ = true;
  uint64_t size_ = 0;
};

// Decompresses a zstd stream (one or more frames) from another source.
class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<ByteSource> compressed, std::string name)
      : compressed_(std::move(compressed)),
        name_(std::move(name)),
        stream_(ZSTD_createDStream()),
        in_buffer_(ZSTD_DStreamInSize()) {
    if (stream_ == nullptr) throw InputError(name_ + ": zstd: cannot create a stream");
    ZSTD_initDStream(stream_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(stream_); }

  size_t Read(char* dst, size_t capacity) override {
    ZSTD_outBuffer out{dst, capacity, 0};
    while (out.pos < out.size) {
      if (in_.pos == in_.size) {
        if (input_done_) break;
        const size_t n = compressed_->Read(in_buffer_.data(), in_buffer_.size());
        if (n == 0) {
          input_done_ = true;
          if (!frame_complete_) throw InputError(name_ + ": zstd: truncated compressed stream");
          break;
        }
        in_ = ZSTD_inBuffer{in_buffer_.data(), n, 0};
      }
      const size_t ret = ZSTD_decompressStream(stream_, &out, &in_);
      if (ZSTD_isError(ret)) {
        throw InputError(absl::StrCat(name_, ": zstd: ", ZSTD_getErrorName(ret)));
      }
      frame_complete_ = (ret == 0);
    }
    return out.pos;
  }

 private:
  std::unique_ptr<ByteSource> compressed_;
  std::string name_;
  ZSTD_DStream* stream_;
  std::vector<char> in_buffer_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool input_done_ = false;
  bool frame_complete_ = true;
};

// Decompresses gzip (RFC 1952; concatenated members too, as gzip writes them) with zlib.
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> compressed, std::string name)
      : compressed_(std::move(compressed)), name_(std::move(name)), in_buffer_(size_t{1} << 16) {
    // 15 + 16: a gzip header and trailer, the largest window.
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
      throw InputError(name_ + ": gzip: cannot create a stream");
    }
  }
  ~GzipSource() override { inflateEnd(&stream_); }

  size_t Read(char* dst, size_t capacity) override {
    stream_.next_out = reinterpret_cast<Bytef*>(dst);
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, UINT32_MAX));
    const uInt wanted = stream_.avail_out;
    while (stream_.avail_out > 0) {
      if (stream_.avail_in == 0) {
        if (input_done_) break;
        const size_t n = compressed_->Read(in_buffer_.data(), in_buffer_.size());
        if (n == 0) {
          input_done_ = true;
          if (in_member_) throw InputError(name_ + ": gzip: truncated compressed stream");
          break;
        }
        stream_.next_in = reinterpret_cast<Bytef*>(in_buffer_.data());
        stream_.avail_in = static_cast<uInt>(n);
      }
      in_member_ = true;
      const int ret = inflate(&stream_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        in_member_ = false;
        if (inflateReset(&stream_) != Z_OK) throw InputError(name_ + ": gzip: cannot reset");
      } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
        throw InputError(
            absl::StrCat(name_, ": gzip: ", stream_.msg != nullptr ? stream_.msg : "corrupt data"));
      }
    }
    return wanted - stream_.avail_out;
  }

 private:
  std::unique_ptr<ByteSource> compressed_;
  std::string name_;
  std::vector<char> in_buffer_;
  z_stream stream_{};
  bool input_done_ = false;
  bool in_member_ = false;  // inside a gzip member: its end not reached yet
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::unique_ptr<ByteSource> OpenByteSource(const std::string& path, uint64_t* plain_size) {
  auto file = std::make_unique<FileSource>(path);
  *plain_size = 0;
  if (EndsWith(path, ".zst")) return std::make_unique<ZstdSource>(std::move(file), path);
  if (EndsWith(path, ".gz")) return std::make_unique<GzipSource>(std::move(file), path);
  *plain_size = file->size();
  return file;
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string_view data) {
  return std::make_unique<MemorySource>(data);
}

}  // namespace kvb
