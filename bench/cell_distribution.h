#ifndef KVB_BENCH_CELL_DISTRIBUTION_H_
#define KVB_BENCH_CELL_DISTRIBUTION_H_

#include <cstddef>
#include <string>
#include <vector>

namespace kvb {

// The processes sharing one kvbench run. Built with KVB_WITH_MPI and started by mpirun,
// it is the MPI world (rank 0 reports); otherwise one process of rank 0.
class CellDistribution {
 public:
  // Call first in main (MPI_Init when started by mpirun) and last (MPI_Finalize).
  static void Init(int* argc, char*** argv);
  static void Finalize();
  // Ends every process of the run with `code` (a failure on one rank must not hang the rest).
  [[noreturn]] static void Abort(int code);
  static CellDistribution& Get();

  size_t rank() const { return rank_; }
  size_t size() const { return size_; }

  // Every process's strings, concatenated in rank order, on rank 0; empty elsewhere.
  // Collective: every process calls it.
  std::vector<std::string> GatherToRoot(const std::vector<std::string>& mine) const;

 private:
  size_t rank_ = 0;
  size_t size_ = 1;
  bool mpi_ = false;
};

}  // namespace kvb

#endif  // KVB_BENCH_CELL_DISTRIBUTION_H_
