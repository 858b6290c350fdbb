#ifndef KVB_BENCH_RESULT_MERGE_H_
#define KVB_BENCH_RESULT_MERGE_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kvb {

// One kvbench result file, read whole.
struct ResultFile {
  std::string path;
  nlohmann::ordered_json json;
};

// Joins the shards of one matrix run (kvbench --shard k/N) into one result. Refuses, with
// InputError naming the file, results of different configs, traces or modes, and a cell
// present in two files. The context's cells_run / cells_failed are summed and its shard
// lists the shards joined; `warnings` receives a line when cells of the matrix are missing.
nlohmann::ordered_json MergeResults(const std::vector<ResultFile>& files,
                                    std::vector<std::string>* warnings);

}  // namespace kvb

#endif  // KVB_BENCH_RESULT_MERGE_H_
