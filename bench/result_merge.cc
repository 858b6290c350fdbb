#include "bench/result_merge.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/util/input_error.h"

namespace kvb {

namespace {

const nlohmann::ordered_json& Need(const ResultFile& file, const nlohmann::ordered_json& object,
                                   const char* key, const char* where) {
  if (!object.is_object() || !object.contains(key)) {
    throw InputError(
        absl::StrCat(file.path, ": ", where, ": missing \"", key, "\" (not a kvbench result?)"));
  }
  return object.at(key);
}

std::string ContextString(const ResultFile& file, const char* key) {
  const nlohmann::ordered_json& v =
      Need(file, Need(file, file.json, "context", "(top level)"), key, "context");
  if (!v.is_string())
    throw InputError(absl::StrCat(file.path, ": context.", key, ": not a string"));
  return v.get<std::string>();
}

uint64_t ContextCount(const ResultFile& file, const char* key) {
  const std::string text = ContextString(file, key);
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw InputError(
      absl::StrCat(file.path, ": context.", key, ": expected a count, got '", text, "'"));
}

}  // namespace

nlohmann::ordered_json MergeResults(const std::vector<ResultFile>& files,
                                    std::vector<std::string>* warnings) {
  if (files.empty()) throw InputError("merge: no result files given");
  const ResultFile& first = files.front();
  nlohmann::ordered_json out = first.json;
  nlohmann::ordered_json& benchmarks = out["benchmarks"] = nlohmann::ordered_json::array();
  nlohmann::ordered_json& cells = out["kvbench"]["cells"] = nlohmann::ordered_json::object();
  std::map<std::string, std::string> cell_file;  // entry name -> file that had it
  std::vector<std::string> shards;
  uint64_t run = 0, failed = 0;
  for (const ResultFile& f : files) {
    for (const char* key : {"config_hash", "trace_digests", "mode", "matrices", "cells_total"}) {
      if (ContextString(f, key) != ContextString(first, key)) {
        throw InputError(absl::StrCat(
            f.path, ": context.", key, " '", ContextString(f, key), "' differs from ", first.path,
            "'s '", ContextString(first, key), "': not shards of one matrix run"));
      }
    }
    shards.push_back(ContextString(f, "shard"));
    run += ContextCount(f, "cells_run");
    failed += ContextCount(f, "cells_failed");
    const nlohmann::ordered_json& entries = Need(f, f.json, "benchmarks", "(top level)");
    if (!entries.is_array()) throw InputError(absl::StrCat(f.path, ": benchmarks: not an array"));
    for (const nlohmann::ordered_json& e : entries) {
      const std::string name = Need(f, e, "name", "benchmarks[]").get<std::string>();
      const auto [it, added] = cell_file.emplace(name, f.path);
      // Timing mode repeats a name once per repetition and aggregate; one file owns it.
      if (!added && it->second != f.path) {
        throw InputError(
            absl::StrCat(f.path, ": '", name, "' is also in ", it->second, ": shards overlap"));
      }
      benchmarks.push_back(e);
    }
    const nlohmann::ordered_json& kv = Need(f, f.json, "kvbench", "(top level)");
    for (const auto& [hash, cell] : Need(f, kv, "cells", "kvbench").items()) {
      if (cells.contains(hash)) {
        throw InputError(
            absl::StrCat(f.path, ": kvbench.cells.", hash, " is in two files: shards overlap"));
      }
      cells[hash] = cell;
    }
  }
  std::string shard_list;
  for (const std::string& s : shards)
    absl::StrAppend(&shard_list, shard_list.empty() ? "" : ",", s);
  out["context"]["shard"] = shard_list;
  out["context"]["cells_run"] = std::to_string(run);
  out["context"]["cells_failed"] = std::to_string(failed);
  const uint64_t total = ContextCount(first, "cells_total");
  if (warnings != nullptr && run < total) {
    warnings->push_back(absl::StrCat("merged ", run, " of the matrix's ", total,
                                     " cells: some shards are missing"));
  }
  return out;
}

}  // namespace kvb
