#ifndef KVB_CORE_TRACE_BYTE_SOURCE_H_
#define KVB_CORE_TRACE_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kvb {

// Bytes a trace reader pulls in chunks: it never holds the whole file.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to `capacity` bytes; returns 0 only at the end of the input. Throws
  // InputError naming the file on a read or decompression error.
  virtual size_t Read(char* dst, size_t capacity) = 0;
};

// Opens `path`: "-" is standard input, a name ending in ".zst" or ".gz" is decompressed on
// the fly. `*plain_size` gets a regular uncompressed file's size, else 0. Throws InputError
// for a missing file or a directory.
std::unique_ptr<ByteSource> OpenByteSource(const std::string& path, uint64_t* plain_size);

// Reads `data`, which must outlive the source.
std::unique_ptr<ByteSource> MemoryByteSource(std::string_view data);

}  // namespace kvb

#endif  // KVB_CORE_TRACE_BYTE_SOURCE_H_
