#include "bench/cell_distribution.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(KVB_WITH_MPI)
#include <mpi.h>
#endif

namespace kvb {

namespace {

CellDistribution& Instance() {
  static CellDistribution distribution;
  return distribution;
}

#if defined(KVB_WITH_MPI)
// mpirun (Open MPI, or a PMI launcher) sets these; a plain start stays a single process
// and never pays for MPI's start-up.
bool StartedByMpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}
#endif

}  // namespace

void CellDistribution::Init(int* argc, char*** argv) {
#if defined(KVB_WITH_MPI)
  if (!StartedByMpirun()) return;
  MPI_Init(argc, argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  CellDistribution& d = Instance();
  d.mpi_ = true;
  d.rank_ = static_cast<size_t>(rank);
  d.size_ = static_cast<size_t>(size);
#else
  (void)argc;
  (void)argv;
#endif
}

void CellDistribution::Finalize() {
#if defined(KVB_WITH_MPI)
  if (Instance().mpi_) MPI_Finalize();
#endif
}

void CellDistribution::Abort(int code) {
#if defined(KVB_WITH_MPI)
  if (Instance().mpi_ && Instance().size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

CellDistribution& CellDistribution::Get() { return Instance(); }

std::vector<std::string> CellDistribution::GatherToRoot(
    const std::vector<std::string>& mine) const {
  if (!mpi_ || size_ == 1) return mine;
#if defined(KVB_WITH_MPI)
  // Each process sends its strings as one buffer: lengths (uint64) then the bytes.
  std::string buffer;
  auto put = [&buffer](uint64_t v) { buffer.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(mine.size());
  for (const std::string& s : mine) put(s.size());
  for (const std::string& s : mine) buffer += s;
  const int my_bytes = static_cast<int>(buffer.size());
  std::vector<int> bytes(size_), offsets(size_);
  MPI_Gather(&my_bytes, 1, MPI_INT, bytes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (rank_ == 0) {
    size_t total = 0;
    for (size_t r = 0; r < size_; ++r) {
      offsets[r] = static_cast<int>(total);
      total += static_cast<size_t>(bytes[r]);
    }
    all.resize(total);
  }
  MPI_Gatherv(buffer.data(), my_bytes, MPI_CHAR, all.data(), bytes.data(), offsets.data(), MPI_CHAR,
              0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (rank_ != 0) return out;
  for (size_t r = 0; r < size_; ++r) {
    const char* p = all.data() + offsets[r];
    auto get = [&p] {
      uint64_t v;
      std::memcpy(&v, p, sizeof v);
      p += sizeof v;
      return v;
    };
    const uint64_t n = get();
    std::vector<uint64_t> lengths(n);
    for (uint64_t& len : lengths) len = get();
    for (const uint64_t len : lengths) {
      out.emplace_back(p, len);
      p += len;
    }
  }
  return out;
#else
  return mine;
#endif
}

}  // namespace kvb
