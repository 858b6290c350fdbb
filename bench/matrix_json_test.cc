#include "bench/matrix_json.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench/profile_json.h"
#include "bench/strict_json.h"
#include "core/cache/eviction_policy.h"
#include "core/matrix/matrix.h"
#include "core/model/cost_model.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/trace/generator.h"
#include "core/trace/trace.h"
#include "core/trace/trace_jitter.h"
#include "core/util/input_error.h"
#include "core/util/names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kProfileDir = fs::path(KVB_SOURCE_DIR) / "configs/profiles";

// A valid config: one seed cluster, two realistic ones, one small generated trace.
json BaseConfig() {
  return json::parse(R"({
    "name": "m",
    "strategies": ["random", "kvcache_centric"],
    "clusters": [
      {"name": "s", "mode": "seed"},
      {"name": "r", "mode": "realistic", "nodes": 4, "capacity": "1000blocks"},
      {"name": "g", "mode": "realistic", "nodes": 2, "capacity": "64GiB", "scope": "global"}
    ],
    "traces": [{"name": "c", "preset": "conversation", "requests": 300, "seed": 3}],
    "rate_scales": [1, 2],
    "seeds": [1, 2]
  })");
}

// The message of the InputError that parsing `config` as "m.json" throws, or "" if it parses.
std::string ErrorOf(const json& config) {
  try {
    ParseMatrixConfig(config, "m.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A fresh directory under the test temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "matrix_json_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

struct BadConfig {
  std::string what;  // what the row breaks
  std::function<void(json&)> edit;
  std::string expected;
};

std::vector<BadConfig> BadConfigs() {
  const std::string routers = JoinNames(Routers());
  return {
      // Top level.
      {"unknown top-level field", [](json& c) { c["colour"] = "red"; },
       "m.json: colour: unknown field"},
      {"top level not an object", [](json& c) { c = json::array(); },
       "m.json: (top level): expected an object, got array"},
      {"missing name", [](json& c) { c.erase("name"); }, "m.json: name: missing required field"},
      {"empty name", [](json& c) { c["name"] = ""; }, "m.json: name: must not be empty"},
      {"name with a slash", [](json& c) { c["name"] = "a/b"; },
       "m.json: name: 'a/b': use letters, digits, '_', '-' and '.' only"},
      {"description not a string", [](json& c) { c["description"] = 7; },
       "m.json: description: expected a string, got the integer 7"},
      // Clusters.
      {"missing mode", [](json& c) { c["clusters"][0].erase("mode"); },
       "m.json: clusters[0].mode: missing required field"},
      {"bad mode", [](json& c) { c["clusters"][0]["mode"] = "fast"; },
       "m.json: clusters[0].mode: expected \"seed\" or \"realistic\", got \"fast\""},
      {"bad capacity", [](json& c) { c["clusters"][2]["capacity"] = "64 parsecs"; },
       "m.json: clusters[2].capacity: expected \"<number><unit>\" with unit blocks, tokens or B "
       "(optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"64 parsecs\""},
      {"capacity without unit", [](json& c) { c["clusters"][1]["capacity"] = "1000"; },
       "m.json: clusters[1].capacity: expected \"<number><unit>\" with unit blocks, tokens or B "
       "(optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"1000\""},
      {"capacity as a number", [](json& c) { c["clusters"][1]["capacity"] = 1000; },
       "m.json: clusters[1].capacity: expected a string, got the integer 1000"},
      {"capacity under a block", [](json& c) { c["clusters"][1]["capacity"] = "100tokens"; },
       "m.json: clusters[1].capacity: is less than one block"},
      {"bad scope", [](json& c) { c["clusters"][2]["scope"] = "cluster"; },
       "m.json: clusters[2].scope: expected \"local\", \"global\" or \"pool\", got "
       "\"cluster\""},
      {"pool scope on a seed cluster", [](json& c) { c["clusters"][0]["scope"] = "pool"; },
       "m.json: clusters[0].scope: \"pool\" needs mode \"realistic\""},
      {"pool_placement without scope pool",
       [](json& c) { c["clusters"][2]["pool_placement"] = "hashed"; },
       "m.json: clusters[2].pool_placement: needs scope \"pool\""},
      {"pool_placement on a local cluster",
       [](json& c) { c["clusters"][1]["pool_placement"] = "local"; },
       "m.json: clusters[1].pool_placement: needs scope \"pool\""},
      {"unknown pool_placement",
       [](json& c) {
         c["clusters"][2]["scope"] = "pool";
         c["clusters"][2]["pool_placement"] = "random";
       },
       "m.json: clusters[2].pool_placement: expected \"local\", \"hashed\" or \"balanced\", "
       "got \"random\""},
      {"pool_placement not a string",
       [](json& c) {
         c["clusters"][2]["scope"] = "pool";
         c["clusters"][2]["pool_placement"] = 1;
       },
       "m.json: clusters[2].pool_placement: expected a string, got the integer 1"},
      {"unknown eviction", [](json& c) { c["clusters"][0]["eviction"] = "mru"; },
       "m.json: clusters[0].eviction: unknown policy 'mru' (did you mean 'lru'?) (known: " +
           JoinNames(EvictionPolicies()) + ")"},
      {"zero nodes", [](json& c) { c["clusters"][0]["nodes"] = 0; },
       "m.json: clusters[0].nodes: must be >= 1"},
      {"too many nodes", [](json& c) { c["clusters"][1]["nodes"] = 1025; },
       "m.json: clusters[1].nodes: 1025 is out of range (max 1024)"},
      {"negative nodes", [](json& c) { c["clusters"][1]["nodes"] = -4; },
       "m.json: clusters[1].nodes: expected a non-negative integer, got -4"},
      {"nodes as a string", [](json& c) { c["clusters"][1]["nodes"] = "4"; },
       "m.json: clusters[1].nodes: expected an integer, got string"},
      {"fractional nodes", [](json& c) { c["clusters"][1]["nodes"] = 4.5; },
       "m.json: clusters[1].nodes: expected an integer, got the number 4.5"},
      {"duplicate cluster name", [](json& c) { c["clusters"][2]["name"] = "s"; },
       "m.json: clusters[2].name: 's' appears twice"},
      {"cluster name with a space", [](json& c) { c["clusters"][0]["name"] = "seed 4"; },
       "m.json: clusters[0].name: 'seed 4': use letters, digits, '_', '-' and '.' only"},
      {"cluster name with '='", [](json& c) { c["clusters"][0]["name"] = "a=b"; },
       "m.json: clusters[0].name: 'a=b': use letters, digits, '_', '-' and '.' only"},
      {"bad shape", [](json& c) { c["clusters"][1]["shape"] = "colocated"; },
       "m.json: clusters[1].shape: expected \"prefill_only\", \"aggregated\" or "
       "\"disaggregated\", got \"colocated\""},
      {"serving shape in seed mode", [](json& c) { c["clusters"][0]["shape"] = "aggregated"; },
       "m.json: clusters[0].shape: 'aggregated' needs mode \"realistic\""},
      {"disaggregated without decode nodes",
       [](json& c) { c["clusters"][1]["shape"] = "disaggregated"; },
       "m.json: clusters[1].decode_nodes: missing: a disaggregated cluster needs its decode "
       "pool's size"},
      {"decode nodes when aggregated",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["decode_nodes"] = 4;
       },
       "m.json: clusters[1].decode_nodes: needs shape \"disaggregated\""},
      {"zero decode nodes",
       [](json& c) {
         c["clusters"][1]["shape"] = "disaggregated";
         c["clusters"][1]["decode_nodes"] = 0;
       },
       "m.json: clusters[1].decode_nodes: must be >= 1"},
      {"unknown decode selector",
       [](json& c) {
         c["clusters"][1]["shape"] = "disaggregated";
         c["clusters"][1]["decode_nodes"] = 2;
         c["clusters"][1]["decode_selector"] = "fastest";
       },
       "m.json: clusters[1].decode_selector: unknown policy 'fastest' (known: least_loaded, "
       "least_kv, mooncake_tbt, dynamo)"},
      {"bad early rejection",
       [](json& c) {
         c["clusters"][1]["shape"] = "disaggregated";
         c["clusters"][1]["decode_nodes"] = 2;
         c["clusters"][1]["early_rejection"] = "always";
       },
       "m.json: clusters[1].early_rejection: expected \"none\", \"current_load\" or "
       "\"predicted_load\", got \"always\""},
      {"early rejection without a TBT SLO",
       [](json& c) {
         c["clusters"][1]["shape"] = "disaggregated";
         c["clusters"][1]["decode_nodes"] = 2;
         c["clusters"][1]["early_rejection"] = "current_load";
       },
       "m.json: clusters[1].early_rejection: needs tbt_slo_s > 0 (it rejects on the decode "
       "pool's TBT)"},
      {"TBT SLO on a prefill-only cluster", [](json& c) { c["clusters"][1]["tbt_slo_s"] = 0.1; },
       "m.json: clusters[1].tbt_slo_s: needs a serving shape (a prefill_only cluster does not "
       "decode)"},
      {"negative signal refresh",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["signal_refresh_s"] = -1;
       },
       "m.json: clusters[1].signal_refresh_s: must be a finite number >= 0"},
      {"KV streaming when aggregated",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["stream_kv"] = true;
       },
       "m.json: clusters[1].stream_kv: needs shape \"disaggregated\""},
      {"overlapped load on a prefill-only cluster",
       [](json& c) { c["clusters"][1]["overlap_load"] = true; },
       "m.json: clusters[1].overlap_load: needs a serving shape"},
      // Tier G1: the HBM prefix cache and when DRAM receives blocks.
      {"HBM cache on a prefill-only cluster",
       [](json& c) { c["clusters"][1]["hbm_cache"] = json::object(); },
       "m.json: clusters[1].hbm_cache: needs a serving shape (HBM is the serving engine's "
       "memory)"},
      {"HBM cache on a seed cluster",
       [](json& c) {
         c["clusters"][0]["hbm_cache"] = {{"eviction", "lru"}};
       },
       "m.json: clusters[0].hbm_cache: needs a serving shape (HBM is the serving engine's "
       "memory)"},
      {"unknown HBM cache eviction",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["hbm_cache"] = {{"eviction", "mru"}};
       },
       "m.json: clusters[1].hbm_cache.eviction: unknown policy 'mru' (did you mean 'lru'?) "
       "(known: " +
           JoinNames(EvictionPolicies()) + ")"},
      {"HBM cache eviction not a string",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["hbm_cache"] = {{"eviction", 3}};
       },
       "m.json: clusters[1].hbm_cache.eviction: expected a string, got the integer 3"},
      {"unknown HBM cache field",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["hbm_cache"] = {{"eviction", "lru"}, {"size", "80GB"}};
       },
       "m.json: clusters[1].hbm_cache.size: unknown field"},
      {"HBM cache not an object",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["hbm_cache"] = true;
       },
       "m.json: clusters[1].hbm_cache: expected an object, got boolean"},
      {"unknown DRAM write",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["hbm_cache"] = json::object();
         c["clusters"][1]["dram_write"] = "sideways";
       },
       "m.json: clusters[1].dram_write: expected \"through\" or \"back\", got \"sideways\""},
      {"DRAM write not a string", [](json& c) { c["clusters"][1]["dram_write"] = 1; },
       "m.json: clusters[1].dram_write: expected a string, got the integer 1"},
      {"DRAM write-back without an HBM cache",
       [](json& c) {
         c["clusters"][1]["shape"] = "aggregated";
         c["clusters"][1]["dram_write"] = "back";
       },
       "m.json: clusters[1].dram_write: \"back\" needs hbm_cache (DRAM then receives what HBM "
       "evicts)"},
      // Tier G3: a node's local SSD.
      {"SSD on a seed cluster", [](json& c) { c["clusters"][0]["ssd"] = json::object(); },
       "m.json: clusters[0].ssd: needs mode \"realistic\""},
      {"SSD with capacity on a seed cluster",
       [](json& c) {
         c["clusters"][0]["ssd"] = {{"capacity", "15TB"}, {"eviction", "lru"}};
       },
       "m.json: clusters[0].ssd: needs mode \"realistic\""},
      {"SSD with a profile without an SSD bandwidth",
       [](json& c) {
         c["clusters"][1]["profile"] = "llama3-8b_1xh100";
         c["clusters"][1]["ssd"] = json::object();
       },
       "m.json: clusters[1].ssd: profile 'llama3-8b_1xh100' has no "
       "hardware.ssd_read_bytes_per_s to read it with"},
      {"SSD with a capacity and a profile without an SSD bandwidth",
       [](json& c) {
         c["clusters"][1]["profile"] = "llama3-8b_1xh100";
         c["clusters"][1]["ssd"] = {{"capacity", "1Mtokens"}};
       },
       "m.json: clusters[1].ssd: profile 'llama3-8b_1xh100' has no "
       "hardware.ssd_read_bytes_per_s to read it with"},
      {"pooled SSD on a local cluster",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"pooled", true}};
       },
       "m.json: clusters[1].ssd.pooled: needs scope \"pool\""},
      {"pooled SSD not a boolean",
       [](json& c) {
         c["clusters"][2]["scope"] = "pool";
         c["clusters"][2]["ssd"] = {{"pooled", "yes"}};
       },
       "m.json: clusters[2].ssd.pooled: expected true or false, got string"},
      {"SSD capacity under a block",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", "511tokens"}};
       },
       "m.json: clusters[1].ssd.capacity: is less than one block"},
      {"SSD capacity of zero blocks",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", "0blocks"}};
       },
       "m.json: clusters[1].ssd.capacity: is less than one block"},
      {"SSD capacity under a block in bytes",
       [](json& c) {
         c["clusters"][2]["ssd"] = {{"capacity", "160MB"}};  // a block is 167,772,160 B
       },
       "m.json: clusters[2].ssd.capacity: is less than one block"},
      {"bad SSD capacity",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", "15 parsecs"}};
       },
       "m.json: clusters[1].ssd.capacity: expected \"<number><unit>\" with unit blocks, tokens "
       "or B (optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"15 parsecs\""},
      {"negative SSD capacity",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", "-1TB"}};
       },
       "m.json: clusters[1].ssd.capacity: expected \"<number><unit>\" with unit blocks, tokens "
       "or B (optionally k/M/G/T or Ki/Mi/Gi/Ti before it), got \"-1TB\""},
      {"SSD capacity as a number",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", 15000000000000}};
       },
       "m.json: clusters[1].ssd.capacity: expected a string, got the integer 15000000000000"},
      {"unknown SSD eviction",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"eviction", "mru"}};
       },
       "m.json: clusters[1].ssd.eviction: unknown policy 'mru' (did you mean 'lru'?) (known: " +
           JoinNames(EvictionPolicies()) + ")"},
      {"SSD eviction not a string",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"eviction", 3}};
       },
       "m.json: clusters[1].ssd.eviction: expected a string, got the integer 3"},
      {"unknown SSD field",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacity", "15TB"}, {"read_bytes_per_s", 25e9}};
       },
       "m.json: clusters[1].ssd.read_bytes_per_s: unknown field"},
      {"misspelt SSD field",
       [](json& c) {
         c["clusters"][1]["ssd"] = {{"capacty", "15TB"}};
       },
       "m.json: clusters[1].ssd.capacty: unknown field (did you mean 'capacity'?)"},
      {"SSD not an object", [](json& c) { c["clusters"][1]["ssd"] = "15TB"; },
       "m.json: clusters[1].ssd: expected an object, got string"},
      {"SSD as true", [](json& c) { c["clusters"][1]["ssd"] = true; },
       "m.json: clusters[1].ssd: expected an object, got boolean"},
      {"predictor bias 0",
       [](json& c) {
         c["clusters"][1]["predictor"] = {{"bias", 0}};
       },
       "m.json: clusters[1].predictor.bias: must be a finite number > 0"},
      {"predictor noise too wide",
       [](json& c) {
         c["clusters"][1]["predictor"] = {{"noise_sigma", 9}};
       },
       "m.json: clusters[1].predictor.noise_sigma: must be in [0, 5]"},
      {"unknown predictor field",
       [](json& c) {
         c["clusters"][1]["predictor"] = {{"sigma", 0.5}};
       },
       "m.json: clusters[1].predictor.sigma: unknown field"},
      {"predictor not an object", [](json& c) { c["clusters"][1]["predictor"] = "exact"; },
       "m.json: clusters[1].predictor: expected an object, got string"},
      {"unknown cluster field", [](json& c) { c["clusters"][1]["gpus"] = 8; },
       "m.json: clusters[1].gpus: unknown field"},
      {"cluster not an object", [](json& c) { c["clusters"][1] = "r"; },
       "m.json: clusters[1]: expected an object, got string"},
      {"empty clusters", [](json& c) { c["clusters"] = json::array(); },
       "m.json: clusters: must not be empty"},
      {"negative ttft_slo_s", [](json& c) { c["clusters"][1]["ttft_slo_s"] = -1; },
       "m.json: clusters[1].ttft_slo_s: must be a finite number >= 0"},
      {"reject_over_slo without an SLO",
       [](json& c) { c["clusters"][1]["reject_over_slo"] = true; },
       "m.json: clusters[1].reject_over_slo: needs ttft_slo_s > 0"},
      {"track_hotspots as a string", [](json& c) { c["clusters"][1]["track_hotspots"] = "yes"; },
       "m.json: clusters[1].track_hotspots: expected true or false, got string"},
      {"missing profile file",
       [](json& c) { c["clusters"][1]["profile"] = "no_such_profile.json"; },
       "m.json: clusters[1].profile: no file no_such_profile.json"},
      {"profile name with a slash", [](json& c) { c["clusters"][1]["profile"] = "../x"; },
       "m.json: clusters[1].profile: '../x': use letters, digits, '_', '-' and '.' only"},
      // Strategies: messages from core/replication/strategy.cc, prefixed with the entry.
      {"unknown router", [](json& c) { c["strategies"][1] = "nosuch"; },
       "m.json: strategies[1]: strategy 'nosuch': unknown router 'nosuch' (known: " + routers +
           ")"},
      {"unknown replication", [](json& c) { c["strategies"][1] = "random+nosuch"; },
       "m.json: strategies[1]: strategy 'random+nosuch': unknown replication policy 'nosuch' "
       "(known: " +
           JoinNames(ReplicationPolicies()) + ")"},
      {"unknown strategy parameter",
       [](json& c) { c["strategies"][1] = "kvcache_centric:alpha=1"; },
       "m.json: strategies[1]: router 'kvcache_centric': unknown key 'alpha' (known: "
       "kvcache_balancing_threshold, slo_s)"},
      {"strategy parameter out of range",
       [](json& c) { c["strategies"][1] = "kvcache_centric:slo_s=-1"; },
       "m.json: strategies[1]: router 'kvcache_centric': key 'slo_s': expected a number in [0, "
       "1000000000], got '-1'"},
      {"strategy parameter without value",
       [](json& c) { c["strategies"][1] = "kvcache_centric:slo_s"; },
       "m.json: strategies[1]: router spec 'kvcache_centric:slo_s': expected key=value, got "
       "'slo_s'"},
      {"two replications", [](json& c) { c["strategies"][1] = "random+none+none"; },
       "m.json: strategies[1]: strategy 'random+none+none': at most one '+' "
       "(router+replication)"},
      {"duplicate strategy after canonicalisation",
       [](json& c) {
         c["strategies"] = {"kvcache_centric", "random", "kvcache_centric:slo_s=0"};
       },
       "m.json: strategies[2]: 'kvcache_centric:slo_s=0' is strategy 'kvcache_centric' again "
       "(first in strategies[0])"},
      {"default replication named", [](json& c) { c["strategies"][1] = "random+mooncake"; },
       "m.json: strategies[1]: 'random+mooncake' is strategy 'random' again (first in "
       "strategies[0])"},
      {"wildcard repeating a listed router",
       [](json& c) {
         c["strategies"] = {"random", "*"};
       },
       "m.json: strategies[1]: 'random' is strategy 'random' again (first in strategies[0])"},
      {"empty strategies", [](json& c) { c["strategies"] = json::array(); },
       "m.json: strategies: must not be empty"},
      {"strategies not an array", [](json& c) { c["strategies"] = "random"; },
       "m.json: strategies: expected an array, got string"},
      {"strategy not a string", [](json& c) { c["strategies"][0] = 3; },
       "m.json: strategies[0]: expected a string, got the integer 3"},
      // Traces.
      {"trace with file and preset", [](json& c) { c["traces"][0]["file"] = "t.jsonl"; },
       "m.json: traces[0].preset: give exactly one of \"file\" and \"preset\""},
      {"trace with neither file nor preset", [](json& c) { c["traces"][0].erase("preset"); },
       "m.json: traces[0].file: give exactly one of \"file\" and \"preset\""},
      {"unknown preset", [](json& c) { c["traces"][0]["preset"] = "chat"; },
       "m.json: traces[0].preset: unknown preset 'chat' (known: " + JoinNames(WorkloadPresets()) +
           "; or a workload file ending in .json)"},
      {"zero requests", [](json& c) { c["traces"][0]["requests"] = 0; },
       "m.json: traces[0].requests: must be >= 1"},
      {"requests on a file trace",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"requests", 5}};
       },
       "m.json: traces[0].requests: unknown field"},
      {"zero block_tokens",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"block_tokens", 0}};
       },
       "m.json: traces[0].block_tokens: must be >= 1"},
      {"unknown trace format",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"format", "sharegpt"}};
       },
       "m.json: traces[0].format: unknown format 'sharegpt' (known: mooncake, bailian, azure, "
       "burstgpt)"},
      {"timestamp unit on a CSV without hashes",
       [](json& c) {
         c["traces"][0] = {
             {"name", "f"}, {"file", "t.csv"}, {"format", "azure"}, {"timestamp_unit", "s"}};
       },
       "m.json: traces[0].timestamp_unit: not for format 'azure' (a CSV without hashes)"},
      {"unknown prefixes workload",
       [](json& c) {
         c["traces"][0] = {
             {"name", "f"}, {"file", "t.csv"}, {"format", "burstgpt"}, {"prefixes", "chat"}};
       },
       "m.json: traces[0].prefixes: unknown preset 'chat' (known: conversation, toolagent, "
       "synthetic; or a workload file ending in .json)"},
      {"prefixes on a hashed trace",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"prefixes", "conversation"}};
       },
       "m.json: traces[0].prefixes: unknown field"},
      {"unknown timestamp unit",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"timestamp_unit", "sec"}};
       },
       "m.json: traces[0].timestamp_unit: 'sec': expected ms, s or us"},
      {"reblock_tokens not a multiple of the format's blocks",
       [](json& c) {
         c["traces"][0] = {
             {"name", "f"}, {"file", "t.jsonl"}, {"format", "bailian"}, {"reblock_tokens", 40}};
       },
       "m.json: traces[0].reblock_tokens: must be a multiple of block_tokens (16)"},
      {"zero reblock_tokens",
       [](json& c) {
         c["traces"][0] = {{"name", "f"}, {"file", "t.jsonl"}, {"reblock_tokens", 0}};
       },
       "m.json: traces[0].reblock_tokens: must be a multiple of block_tokens (512)"},
      {"timestamp_unit on a preset", [](json& c) { c["traces"][0]["timestamp_unit"] = "s"; },
       "m.json: traces[0].timestamp_unit: unknown field"},
      {"duplicate trace name",
       [](json& c) {
         c["traces"].push_back({{"name", "c"}, {"preset", "toolagent"}});
       },
       "m.json: traces[1].name: 'c' appears twice"},
      {"trace name with a slash", [](json& c) { c["traces"][0]["name"] = "conv/1"; },
       "m.json: traces[0].name: 'conv/1': use letters, digits, '_', '-' and '.' only"},
      {"negative trace seed", [](json& c) { c["traces"][0]["seed"] = -3; },
       "m.json: traces[0].seed: expected a non-negative integer, got -3"},
      // Prices.
      {"negative gpu price",
       [](json& c) {
         c["prices"] = {{{"name", "p"}, {"gpu_dollars_per_node_hour", -1}}};
       },
       "m.json: prices[0].gpu_dollars_per_node_hour: must be a finite number >= 0"},
      {"gpu price as another string",
       [](json& c) {
         c["prices"] = {{{"name", "p"}, {"gpu_dollars_per_node_hour", "free"}}};
       },
       "m.json: prices[0].gpu_dollars_per_node_hour: expected a number, got string"},
      {"negative storage price",
       [](json& c) {
         c["prices"] = {{{"name", "p"}, {"storage_dollars_per_gb_hour", -0.5}}};
       },
       "m.json: prices[0].storage_dollars_per_gb_hour: must be a finite number >= 0"},
      {"a huge, deep value is described, not printed",
       [](json& c) {
         json deep = json::array();
         for (int i = 0; i < 100000; ++i) deep = json::array({std::move(deep)});
         c["strategies"] = json::array({std::move(deep)});
         c["rate_scales"] = json::array({std::string(100000, 'x')});
       },
       "m.json: strategies[0]: expected a string, got an array"},
      {"a long string is cut",
       [](json& c) { c["rate_scales"] = json::array({std::string(1000, 'x')}); },
       "m.json: rate_scales[0]: expected a number, got the string "
       "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..."},
      {"unknown GPU billing",
       [](json& c) {
         c["prices"] = {{{"name", "p"}, {"gpu_billing", "hourly"}}};
       },
       "m.json: prices[0].gpu_billing: expected \"busy\" or \"provisioned\", got \"hourly\""},
      {"duplicate prices name",
       [](json& c) {
         c["prices"] = {{{"name", "p"}}, {{"name", "p"}}};
       },
       "m.json: prices[1].name: 'p' appears twice"},
      {"empty prices", [](json& c) { c["prices"] = json::array(); },
       "m.json: prices: must not be empty"},
      // Rate scales and seeds.
      {"zero rate scale",
       [](json& c) {
         c["rate_scales"] = {1, 0};
       },
       "m.json: rate_scales[1]: must be a finite number > 0"},
      {"negative rate scale", [](json& c) { c["rate_scales"] = {-2}; },
       "m.json: rate_scales[0]: must be a finite number > 0"},
      {"rate scale as a string", [](json& c) { c["rate_scales"] = {"1"}; },
       "m.json: rate_scales[0]: expected a number, got the string \"1\""},
      {"rate_scales not an array", [](json& c) { c["rate_scales"] = 1; },
       "m.json: rate_scales: expected an array, got number"},
      {"negative seed", [](json& c) { c["seeds"] = json::parse("[1, -1]"); },
       "m.json: seeds[1]: expected a non-negative integer, got the integer -1"},
      {"fractional seed", [](json& c) { c["seeds"] = {1.5}; },
       "m.json: seeds[0]: expected a non-negative integer, got the number 1.5"},
      // Arrival jitter.
      {"jitter seeds without a jittered trace",
       [](json& c) {
         c["jitter_seeds"] = {1, 2};
       },
       "m.json: jitter_seeds: no trace sets arrival_jitter_ms > 0 to jitter"},
      {"a jittered trace without jitter seeds",
       [](json& c) { c["traces"][0]["arrival_jitter_ms"] = 3000; },
       "m.json: traces[0].arrival_jitter_ms: needs the matrix's jitter_seeds (e.g. [1, 2, 3, 4, "
       "5])"},
      {"empty jitter seeds",
       [](json& c) {
         c["traces"][0]["arrival_jitter_ms"] = 3000;
         c["jitter_seeds"] = json::array();
       },
       "m.json: jitter_seeds: must not be empty when given"},
      {"negative jitter seed",
       [](json& c) {
         c["traces"][0]["arrival_jitter_ms"] = 3000;
         c["jitter_seeds"] = json::parse("[1, -1]");
       },
       "m.json: jitter_seeds[1]: expected a non-negative integer, got the integer -1"},
      {"jitter over an hour", [](json& c) { c["traces"][0]["arrival_jitter_ms"] = 3600001; },
       "m.json: traces[0].arrival_jitter_ms: 3600001 is out of range (max 3600000)"},
      {"jitter as a string", [](json& c) { c["traces"][0]["arrival_jitter_ms"] = "3s"; },
       "m.json: traces[0].arrival_jitter_ms: expected an integer, got string"},
      {"unknown jitter order",
       [](json& c) {
         c["traces"][0]["arrival_jitter_ms"] = 3000;
         c["traces"][0]["arrival_jitter_order"] = "random";
         c["jitter_seeds"] = {1};
       },
       "m.json: traces[0].arrival_jitter_order: expected \"keep\" or \"shuffle\", got \"random\""},
      {"jitter order without jitter",
       [](json& c) { c["traces"][0]["arrival_jitter_order"] = "shuffle"; },
       "m.json: traces[0].arrival_jitter_order: needs arrival_jitter_ms > 0"},
      {"a cell's jitter seed not in the list",
       [](json& c) {
         c["traces"][0]["arrival_jitter_ms"] = 3000;
         c["jitter_seeds"] = {0, 1};
         c["cells"] = {
             {{"strategy", "random"}, {"cluster", "r"}, {"trace", "c"}, {"jitter_seed", 7}}};
       },
       "m.json: cells[0].jitter_seed: 7 is not in jitter_seeds"},
      // Exclusions.
      {"exclude naming an unknown cluster",
       [](json& c) {
         c["exclude"] = {{{"cluster", "x"}}};
       },
       "m.json: exclude[0].cluster: no cluster named 'x' (known: s, r, g)"},
      {"exclude naming an unknown trace",
       [](json& c) {
         c["exclude"] = {{{"trace", "x"}}};
       },
       "m.json: exclude[0].trace: no trace named 'x' (known: c)"},
      {"exclude naming a strategy not listed",
       [](json& c) {
         c["exclude"] = {{{"strategy", "least_loaded"}}};
       },
       "m.json: exclude[0].strategy: 'least_loaded' is not in strategies"},
      {"empty exclude object", [](json& c) { c["exclude"] = {json::object()}; },
       "m.json: exclude[0]: give at least one of \"strategy\", \"cluster\", \"trace\" (an empty "
       "filter would exclude every cell)"},
      {"unknown exclude field",
       [](json& c) {
         c["exclude"] = {{{"cluster", "s"}, {"seed", 1}}};
       },
       "m.json: exclude[0].seed: unknown field"},
      // Explicit cells.
      {"cell naming an unknown cluster",
       [](json& c) {
         c["cells"] = {{{"strategy", "random"}, {"cluster", "x"}, {"trace", "c"}}};
       },
       "m.json: cells[0].cluster: no cluster named 'x' (known: s, r, g)"},
      {"cell with a rate scale not in rate_scales",
       [](json& c) {
         c["cells"] = {
             {{"strategy", "random"}, {"cluster", "r"}, {"trace", "c"}, {"rate_scale", 3}}};
       },
       "m.json: cells[0].rate_scale: 3 is not in rate_scales"},
      {"cell with a seed not in seeds",
       [](json& c) {
         c["cells"] = {{{"strategy", "random"}, {"cluster", "r"}, {"trace", "c"}, {"seed", 9}}};
       },
       "m.json: cells[0].seed: 9 is not in seeds"},
      {"cell with an unknown prices",
       [](json& c) {
         c["cells"] = {{{"strategy", "random"}, {"cluster", "r"}, {"trace", "c"}, {"prices", "x"}}};
       },
       "m.json: cells[0].prices: no prices named 'x' (known: profile)"},
      {"cell missing its trace",
       [](json& c) {
         c["cells"] = {{{"strategy", "random"}, {"cluster", "r"}}};
       },
       "m.json: cells[0].trace: missing required field"},
      {"cell with a strategy not listed",
       [](json& c) {
         c["cells"] = {{{"strategy", "least_loaded"}, {"cluster", "r"}, {"trace", "c"}}};
       },
       "m.json: cells[0].strategy: 'least_loaded' is not in strategies"},
      {"empty cells", [](json& c) { c["cells"] = json::array(); },
       "m.json: cells: must not be empty when given"},
      // Time limit.
      {"negative cell_time_limit_s", [](json& c) { c["cell_time_limit_s"] = -1; },
       "m.json: cell_time_limit_s: must be a finite number >= 0"},
      {"cell_time_limit_s as a string", [](json& c) { c["cell_time_limit_s"] = "10"; },
       "m.json: cell_time_limit_s: expected a number, got string"},
      // Memory limit.
      {"cell_memory_limit with a bad unit", [](json& c) { c["cell_memory_limit"] = "16 parsecs"; },
       "m.json: cell_memory_limit: expected \"auto\" or a size \"<number><unit>\" with unit B, "
       "KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"16 parsecs\""},
      {"cell_memory_limit in blocks", [](json& c) { c["cell_memory_limit"] = "512blocks"; },
       "m.json: cell_memory_limit: expected \"auto\" or a size \"<number><unit>\" with unit B, "
       "KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"512blocks\""},
      {"negative cell_memory_limit", [](json& c) { c["cell_memory_limit"] = "-1GB"; },
       "m.json: cell_memory_limit: expected \"auto\" or a size \"<number><unit>\" with unit B, "
       "KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. \"16GB\", \"512MiB\"), got \"-1GB\""},
      {"zero cell_memory_limit", [](json& c) { c["cell_memory_limit"] = "0.1B"; },
       "m.json: cell_memory_limit: must be at least 1 byte, got \"0.1B\""},
      {"cell_memory_limit as a number", [](json& c) { c["cell_memory_limit"] = 16000000000; },
       "m.json: cell_memory_limit: expected a string, got the integer 16000000000"},
  };
}

// `config` parsed; a parse error fails the test (and gives an empty config).
MatrixConfig ParseOk(const json& config) {
  try {
    return ParseMatrixConfig(config, "m.json");
  } catch (const InputError& e) {
    ADD_FAILURE() << e.what();
    return MatrixConfig{};
  }
}

TEST(MatrixJsonTest, BaseConfigParses) { EXPECT_EQ(ErrorOf(BaseConfig()), ""); }

TEST(MatrixJsonTest, EveryBadConfigFailsWithItsExactMessage) {
  const std::vector<BadConfig> rows = BadConfigs();
  EXPECT_GE(rows.size(), 20u);
  for (const BadConfig& row : rows) {
    SCOPED_TRACE(row.what);
    json config = BaseConfig();
    row.edit(config);
    EXPECT_EQ(ErrorOf(config), row.expected);
  }
}

// Empty rate_scales / seeds lists leave nothing to run and no default for explicit cells
// (ParseCells takes their front()); they should be refused like empty strategies.
TEST(MatrixJsonTest, EmptyRateScalesAndSeedsAreRefused) {
  json no_rates = BaseConfig();
  no_rates["rate_scales"] = json::array();
  json no_seeds = BaseConfig();
  no_seeds["seeds"] = json::array();
  const std::string rates_error = ErrorOf(no_rates), seeds_error = ErrorOf(no_seeds);
  EXPECT_EQ(rates_error, "m.json: rate_scales: must not be empty");
  EXPECT_EQ(seeds_error, "m.json: seeds: must not be empty");
}

// A misspelt exclusion field is named as such, not reported as an empty filter.
TEST(MatrixJsonTest, MisspeltExcludeFieldIsReportedAsUnknown) {
  json config = BaseConfig();
  config["exclude"] = {{{"stratgy", "random"}}};
  const std::string error = ErrorOf(config);
  EXPECT_EQ(error, "m.json: exclude[0].stratgy: unknown field (did you mean 'strategy'?)");
}

// A config built in code holds small integers as signed JSON numbers; seeds given that way
// are as valid as the same seeds read from a file.
TEST(MatrixJsonTest, SeedsBuiltInCodeAsSignedIntegersAreAccepted) {
  json config = BaseConfig();
  config["seeds"] = {1, 2};
  ASSERT_TRUE(config["seeds"][0].is_number_integer() && !config["seeds"][0].is_number_unsigned());
  const std::string error = ErrorOf(config);
  EXPECT_EQ(ParseMatrixConfig(config, "m.json").seeds, (std::vector<uint64_t>{1, 2}));
}

TEST(MatrixJsonTest, WildcardExpandsToEveryRouter) {
  json config = BaseConfig();
  config["strategies"] = {"*"};
  const MatrixConfig all = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(all.strategies.size(), Routers().size());
  for (size_t i = 0; i < Routers().size(); ++i) {
    EXPECT_EQ(all.strategies[i], std::string(Routers()[i].name));
  }
  // "*+none": every router, without replication; together with "*" no spec repeats.
  config["strategies"] = {"*", "*+none"};
  const MatrixConfig both = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(both.strategies.size(), 2 * Routers().size());
  for (size_t i = 0; i < Routers().size(); ++i) {
    EXPECT_EQ(both.strategies[Routers().size() + i], std::string(Routers()[i].name) + "+none");
  }
}

TEST(MatrixJsonTest, StrategiesAreStoredCanonical) {
  json config = BaseConfig();
  config["strategies"] = {"kvcache_centric:slo_s=0", "random+mooncake", "random+none"};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  EXPECT_EQ(c.strategies, (std::vector<std::string>{"kvcache_centric", "random", "random+none"}));
}

TEST(MatrixJsonTest, ClusterDefaultsAreFilledPerMode) {
  const json config = json::parse(R"({
    "name": "d", "strategies": ["random"],
    "clusters": [{"name": "s", "mode": "seed"}, {"name": "r", "mode": "realistic"}],
    "traces": [{"name": "c", "preset": "conversation"}]
  })");
  const MatrixConfig c = ParseMatrixConfig(config, "d.json");
  const ClusterConfig& seed = c.clusters[0];
  EXPECT_EQ(seed.nodes, 4u);
  EXPECT_EQ(seed.capacity, "512blocks");
  EXPECT_EQ(seed.capacity_blocks, 512u);
  EXPECT_EQ(seed.eviction, "lfu");
  EXPECT_EQ(seed.scope, "local");
  EXPECT_EQ(seed.ttft_slo_s, 0);
  EXPECT_FALSE(seed.reject_over_slo);
  EXPECT_FALSE(seed.track_hotspots);
  // Realistic: 16 nodes, each with the default profile's DRAM (256 GB / 160 MiB blocks).
  const ClusterConfig& real = c.clusters[1];
  EXPECT_EQ(real.nodes, 16u);
  EXPECT_EQ(real.capacity_blocks, CostModel().DramBlocks());
  EXPECT_EQ(real.capacity_blocks, 5859u);
  EXPECT_EQ(real.capacity, "5859blocks");
  EXPECT_EQ(real.eviction, "lru");
  EXPECT_EQ(real.scope, "local");
  EXPECT_EQ(real.profile, "llama3-70b_8xa800");
  EXPECT_EQ(real.profile_path, "");
  // The rest of the file.
  EXPECT_EQ(c.source, "d.json");
  EXPECT_EQ(c.description, "");
  EXPECT_EQ(c.traces[0].requests, FindWorkloadPreset("conversation")->default_requests);
  EXPECT_EQ(c.traces[0].seed, 1u);
  ASSERT_EQ(c.prices.size(), 1u);
  EXPECT_EQ(c.prices[0].name, "profile");
  EXPECT_FALSE(c.prices[0].gpu_dollars_per_node_hour.has_value());
  EXPECT_EQ(c.rate_scales, std::vector<double>{1.0});
  EXPECT_EQ(c.seeds, std::vector<uint64_t>{1});
  EXPECT_TRUE(c.exclude.empty());
  EXPECT_TRUE(c.cells.empty());
  EXPECT_EQ(c.cell_time_limit_s, 0);
  EXPECT_EQ(c.cell_memory_limit, "auto");
  EXPECT_FALSE(c.cell_memory_limit_bytes.has_value());
}

TEST(MatrixJsonTest, CellMemoryLimitTakesSizesOrAuto) {
  const std::vector<std::pair<std::string, uint64_t>> rows = {
      {"16GB", 16000000000},
      {"512MiB", uint64_t{512} << 20},
      {"1.5KB", 1500},
      {"2kB", 2000},
      {"3KiB", 3072},
      {"4096B", 4096},
      {"1TiB", uint64_t{1} << 40},
      {"0.5 GB", 500000000},
  };
  for (const auto& [text, bytes] : rows) {
    SCOPED_TRACE(text);
    json config = BaseConfig();
    config["cell_memory_limit"] = text;
    const MatrixConfig c = ParseMatrixConfig(config, "m.json");
    EXPECT_EQ(c.cell_memory_limit, text);
    EXPECT_EQ(c.cell_memory_limit_bytes, bytes);
    EXPECT_EQ(MatrixConfigToJson(c)["cell_memory_limit"], text);
  }
  json config = BaseConfig();
  config["cell_memory_limit"] = "auto";
  EXPECT_FALSE(ParseMatrixConfig(config, "m.json").cell_memory_limit_bytes.has_value());
}

TEST(MatrixJsonTest, CapacityUnitsResolveThroughTheProfile) {
  const MatrixConfig c = ParseMatrixConfig(BaseConfig(), "m.json");
  EXPECT_EQ(c.clusters[1].capacity_blocks, 1000u);
  // 64 GiB / (512 tokens * 327,680 B per token) = 409.6 blocks.
  EXPECT_EQ(c.clusters[2].capacity, "64GiB");
  EXPECT_EQ(c.clusters[2].capacity_blocks, 409u);
}

TEST(MatrixJsonTest, GpuPriceProfileIsAcceptedAndNumbersAreKept) {
  json config = BaseConfig();
  config["prices"] = {{{"name", "hw"}, {"gpu_dollars_per_node_hour", "profile"}},
                      {{"name", "cheap"},
                       {"gpu_dollars_per_node_hour", 1.5},
                       {"storage_dollars_per_gb_hour", 0},
                       {"network_dollars_per_gb", 0.5},
                       {"gpu_billing", "provisioned"},
                       {"storage_billing", "occupied"}},
                      {{"name", "dram"}, {"storage_dollars_per_gb_hour", "profile"}}};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(c.prices.size(), 3u);
  EXPECT_FALSE(c.prices[0].gpu_dollars_per_node_hour.has_value());
  EXPECT_FALSE(c.prices[0].storage_dollars_per_gb_hour.has_value());  // the profile's DRAM
  EXPECT_EQ(c.prices[0].network_dollars_per_gb, 0);
  EXPECT_EQ(c.prices[1].gpu_dollars_per_node_hour, 1.5);
  EXPECT_EQ(c.prices[1].storage_dollars_per_gb_hour, 0);
  EXPECT_EQ(c.prices[1].network_dollars_per_gb, 0.5);
  EXPECT_EQ(c.prices[0].gpu_billing, "busy");
  EXPECT_EQ(c.prices[1].gpu_billing, "provisioned");
  EXPECT_EQ(c.prices[0].storage_billing, "provisioned");
  EXPECT_EQ(c.prices[1].storage_billing, "occupied");
  EXPECT_FALSE(c.prices[2].storage_dollars_per_gb_hour.has_value());

  json bad = BaseConfig();
  bad["prices"] = {{{"name", "x"}, {"storage_billing", "used"}}};
  EXPECT_EQ(ErrorOf(bad),
            "m.json: prices[0].storage_billing: expected \"provisioned\" or \"occupied\", got "
            "\"used\"");
}

// --print-config shows MatrixConfigToJson; feeding that back must give the same config.
TEST(MatrixJsonTest, ConfigToJsonRoundTripsThroughParse) {
  json config = BaseConfig();
  config["description"] = "round trip";
  config["prices"] = {{{"name", "hw"}}, {{"name", "cheap"}, {"gpu_dollars_per_node_hour", 1.5}}};
  config["exclude"] = {{{"strategy", "random"}, {"cluster", "g"}}};
  config["cell_time_limit_s"] = 30;
  config["cell_memory_limit"] = "12GiB";
  config["clusters"][1]["ttft_slo_s"] = 5;
  config["clusters"][1]["reject_over_slo"] = true;
  config["clusters"][1]["track_hotspots"] = true;
  config["traces"].push_back(
      {{"name", "f"}, {"file", "t.jsonl"}, {"block_tokens", 256}, {"skip_invalid", true}});
  config["traces"].push_back({{"name", "q"},
                              {"file", "q.jsonl.gz"},
                              {"format", "bailian"},
                              {"timestamp_unit", "us"},
                              {"reblock_tokens", 512}});
  config["cells"] = {{{"strategy", "random"}, {"cluster", "s"}, {"trace", "f"}},
                     {{"strategy", "kvcache_centric"},
                      {"cluster", "r"},
                      {"trace", "c"},
                      {"prices", "cheap"},
                      {"rate_scale", 2},
                      {"seed", 2}}};
  const MatrixConfig parsed = ParseMatrixConfig(config, "m.json");
  const json once = json::parse(MatrixConfigToJson(parsed).dump());
  std::string error;
  json twice;
  try {
    twice = json::parse(MatrixConfigToJson(ParseMatrixConfig(once, "m.json")).dump());
  } catch (const InputError& e) {
    error = e.what();
  }
  EXPECT_EQ(once["cell_memory_limit"], "12GiB");
  // A Mooncake file at its defaults writes no format, unit or re-blocking (older configs
  // keep their hash); a Bailian one writes what differs from its format's defaults.
  EXPECT_FALSE(once["traces"][1].contains("format"));
  EXPECT_FALSE(once["traces"][1].contains("timestamp_unit"));
  EXPECT_FALSE(once["traces"][1].contains("reblock_tokens"));
  EXPECT_EQ(once["traces"][2]["format"], "bailian");
  EXPECT_EQ(once["traces"][2]["block_tokens"], 16);
  EXPECT_EQ(once["traces"][2]["timestamp_unit"], "us");
  EXPECT_EQ(once["traces"][2]["reblock_tokens"], 512);
  EXPECT_EQ(twice, once);
}

// Tier G1's fields are printed only when the HBM cache is on, and read back the same.
TEST(MatrixJsonTest, HbmCacheRoundTripsThroughConfigToJson) {
  json config = BaseConfig();
  config["clusters"][1]["shape"] = "aggregated";
  config["clusters"][1]["hbm_cache"] = {{"eviction", "s3fifo"}};
  config["clusters"][1]["dram_write"] = "back";
  config["clusters"][2]["shape"] = "aggregated";
  config["clusters"][2]["hbm_cache"] = json::object();
  config["clusters"][2]["dram_write"] = "through";
  const MatrixConfig parsed = ParseMatrixConfig(config, "m.json");
  const json once = json::parse(MatrixConfigToJson(parsed).dump());
  EXPECT_EQ(once["clusters"][1]["hbm_cache"], json({{"eviction", "s3fifo"}}));
  EXPECT_EQ(once["clusters"][1]["dram_write"], "back");
  EXPECT_EQ(once["clusters"][2]["hbm_cache"], json({{"eviction", "lru"}}));
  EXPECT_EQ(once["clusters"][2]["dram_write"], "through");
  const MatrixConfig again = ParseOk(once);
  ASSERT_EQ(again.clusters.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(again.clusters[i].hbm_cache_eviction, parsed.clusters[i].hbm_cache_eviction);
    EXPECT_EQ(again.clusters[i].dram_write, parsed.clusters[i].dram_write);
    EXPECT_EQ(again.clusters[i].shape, parsed.clusters[i].shape);
  }
  EXPECT_EQ(json::parse(MatrixConfigToJson(again).dump()), once);

  // Without an HBM cache neither field is written, so older configs keep their hash; an
  // explicit write-through is the default and is left out as well.
  json plain = BaseConfig();
  plain["clusters"][1]["shape"] = "aggregated";
  plain["clusters"][1]["dram_write"] = "through";
  const json printed = json::parse(MatrixConfigToJson(ParseMatrixConfig(plain, "m.json")).dump());
  for (size_t i = 0; i < printed["clusters"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(printed["clusters"][i].contains("hbm_cache"));
    EXPECT_FALSE(printed["clusters"][i].contains("dram_write"));
  }
}

// Tier G3's "ssd": its capacity defaults to the profile's hardware.ssd_bytes in whole blocks
// and its eviction to "lru"; both reach every node of the cluster's SimConfig, in every
// realistic shape.
TEST(MatrixJsonTest, SsdReachesTheSimConfig) {
  json config = BaseConfig();
  config["clusters"][1]["ssd"] = json::object();
  config["clusters"][2]["ssd"] = {{"capacity", "3Mtokens"}, {"eviction", "fifo"}};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(c.clusters.size(), 3u);
  EXPECT_EQ(c.clusters[0].ssd_capacity_blocks, 0u);  // no "ssd": no tier G3
  EXPECT_EQ(c.clusters[0].ssd_capacity, "");
  // 15e12 B / (512 tokens * 327,680 B) = 89,406.96: floored to 89,406 blocks.
  EXPECT_EQ(CostModel().SsdBlocks(), 89'406u);
  EXPECT_EQ(c.clusters[1].ssd_capacity_blocks, 89'406u);
  EXPECT_EQ(c.clusters[1].ssd_capacity, "89406blocks");
  EXPECT_EQ(c.clusters[1].ssd_eviction, "lru");
  // 3e6 tokens / 512 = 5,859.4: 5,859 blocks, as much as the node's DRAM.
  EXPECT_EQ(c.clusters[2].ssd_capacity_blocks, 5'859u);
  EXPECT_EQ(c.clusters[2].ssd_capacity, "3Mtokens");
  EXPECT_EQ(c.clusters[2].ssd_eviction, "fifo");

  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  ASSERT_EQ(spec.clusters.size(), 3u);
  const std::vector<std::pair<uint64_t, std::string>> want = {
      {0, "lru"}, {89'406, "lru"}, {5'859, "fifo"}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(spec.clusters[i].config.cluster.nodes.size(), c.clusters[i].nodes);
    for (const NodeSpec& node : spec.clusters[i].config.cluster.nodes) {
      EXPECT_EQ(node.ssd_capacity_blocks, want[i].first);
      EXPECT_EQ(node.ssd_eviction, want[i].second);
      EXPECT_EQ(node.capacity_blocks, c.clusters[i].capacity_blocks);  // DRAM unchanged
    }
  }
  size_t cells = 0;
  for (const Cell& cell : ExpandMatrix(spec)) {
    SCOPED_TRACE(cell.key);
    const SimConfig sim = CellConfig(spec, cell);
    for (const NodeSpec& node : sim.cluster.nodes) {
      EXPECT_EQ(node.ssd_capacity_blocks, want[cell.choice.cluster].first);
      EXPECT_EQ(node.ssd_eviction, want[cell.choice.cluster].second);
    }
    ++cells;
  }
  EXPECT_GT(cells, 0u);

  // Other units and the serving shapes: "15TB" is the profile's own SSD; an SSD on an
  // aggregated or a disaggregated cluster is accepted as on a prefill-only one.
  for (const char* shape : {"prefill_only", "aggregated", "disaggregated"}) {
    SCOPED_TRACE(shape);
    json served = BaseConfig();
    served["clusters"][1]["shape"] = shape;
    if (std::string(shape) == "disaggregated") served["clusters"][1]["decode_nodes"] = 2;
    served["clusters"][1]["ssd"] = {{"capacity", "15TB"}, {"eviction", "s3fifo"}};
    const MatrixConfig s = ParseMatrixConfig(served, "m.json");
    EXPECT_EQ(s.clusters[1].ssd_capacity_blocks, 89'406u);
    EXPECT_EQ(s.clusters[1].ssd_eviction, "s3fifo");
    TraceCache more;
    const MatrixSpec built = BuildMatrixSpec(s, more);
    EXPECT_EQ(built.clusters[1].config.cluster.nodes[0].ssd_capacity_blocks, 89'406u);
    EXPECT_EQ(built.clusters[1].config.cluster.nodes[0].ssd_eviction, "s3fifo");
  }
  json blocks = BaseConfig();
  blocks["clusters"][1]["ssd"] = {{"capacity", "100blocks"}};
  EXPECT_EQ(ParseMatrixConfig(blocks, "m.json").clusters[1].ssd_capacity_blocks, 100u);
  blocks["clusters"][1]["ssd"] = {{"capacity", "1blocks"}};  // the smallest SSD
  EXPECT_EQ(ParseMatrixConfig(blocks, "m.json").clusters[1].ssd_capacity_blocks, 1u);
}

// A profile with an SSD bandwidth but no hardware.ssd_bytes: "ssd" must then give its capacity.
TEST(MatrixJsonTest, SsdWithoutProfileSsdBytesNeedsACapacity) {
  const TempDir dir;
  CostProfile profile = DefaultProfile();
  profile.name = "nossd";
  profile.hardware.ssd_bytes = 0;
  WriteFile(dir.path() / "nossd.json", CostProfileToJson(profile).dump(2));
  json config = BaseConfig();
  config["clusters"][1]["profile"] = "nossd.json";
  config["clusters"][1]["ssd"] = json::object();
  const fs::path file = dir.path() / "m.json";
  WriteFile(file, config.dump(2));
  try {
    ReadMatrixConfig(file.string());
    ADD_FAILURE() << "an SSD without a capacity was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), file.string() +
                                         ": clusters[1].ssd.capacity: missing, and profile "
                                         "'nossd.json' has no hardware.ssd_bytes");
  }
  config["clusters"][1]["ssd"] = {{"capacity", "1Mtokens"}};
  WriteFile(file, config.dump(2));
  const MatrixConfig c = ReadMatrixConfig(file.string());
  EXPECT_EQ(c.clusters[1].ssd_capacity_blocks, 1'953u);  // 1e6 / 512 = 1,953.1
  EXPECT_EQ(c.clusters[1].ssd_eviction, "lru");
}

// Tier G3's field is printed only when the SSD is on, and read back the same.
TEST(MatrixJsonTest, SsdRoundTripsThroughConfigToJson) {
  json config = BaseConfig();
  config["clusters"][1]["ssd"] = {{"capacity", "3Mtokens"}, {"eviction", "fifo"}};
  config["clusters"][2]["shape"] = "aggregated";
  config["clusters"][2]["ssd"] = json::object();
  const MatrixConfig parsed = ParseMatrixConfig(config, "m.json");
  const json once = json::parse(MatrixConfigToJson(parsed).dump());
  EXPECT_FALSE(once["clusters"][0].contains("ssd"));
  EXPECT_EQ(once["clusters"][1]["ssd"], json({{"capacity", "3Mtokens"}, {"eviction", "fifo"}}));
  // The default capacity is written out in blocks, so the config no longer needs the profile's.
  EXPECT_EQ(once["clusters"][2]["ssd"], json({{"capacity", "89406blocks"}, {"eviction", "lru"}}));
  const MatrixConfig again = ParseOk(once);
  ASSERT_EQ(again.clusters.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(again.clusters[i].ssd_capacity, parsed.clusters[i].ssd_capacity);
    EXPECT_EQ(again.clusters[i].ssd_capacity_blocks, parsed.clusters[i].ssd_capacity_blocks);
    EXPECT_EQ(again.clusters[i].ssd_eviction, parsed.clusters[i].ssd_eviction);
  }
  EXPECT_EQ(json::parse(MatrixConfigToJson(again).dump()), once);

  // Without an SSD nothing is written, so older configs keep their hash.
  const json printed =
      json::parse(MatrixConfigToJson(ParseMatrixConfig(BaseConfig(), "m.json")).dump());
  for (size_t i = 0; i < printed["clusters"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(printed["clusters"][i].contains("ssd"));
  }
  EXPECT_EQ(json::parse(MatrixConfigToJson(ParseMatrixConfig(printed, "m.json")).dump()), printed);
}

TEST(MatrixJsonTest, OverrideTracesRepointsExclusionsAndCells) {
  json config = BaseConfig();
  config["traces"].push_back({{"name", "t"}, {"preset", "toolagent"}, {"requests", 100}});
  config["exclude"] = {{{"trace", "t"}}, {{"cluster", "g"}}};
  config["cells"] = {{{"strategy", "random"}, {"cluster", "r"}, {"trace", "c"}},
                     {{"strategy", "random"}, {"cluster", "g"}, {"trace", "t"}}};
  MatrixConfig c = ParseMatrixConfig(config, "m.json");
  TraceConfig override;
  override.name = "synthetic";
  override.preset = "synthetic";
  override.requests = 50;
  OverrideTraces(c, override);
  ASSERT_EQ(c.traces.size(), 1u);
  EXPECT_EQ(c.traces[0].name, "synthetic");
  EXPECT_EQ(c.traces[0].requests, 50u);
  ASSERT_EQ(c.exclude.size(), 2u);
  EXPECT_EQ(c.exclude[0].trace, "synthetic");
  EXPECT_EQ(c.exclude[1].trace, "");  // an exclusion without a trace keeps matching any
  EXPECT_EQ(c.exclude[1].cluster, "g");
  ASSERT_EQ(c.cells.size(), 2u);
  EXPECT_EQ(c.cells[0].trace, "synthetic");
  EXPECT_EQ(c.cells[1].trace, "synthetic");
}

// Jitter seeds: one cell per seed, keys ending /jitter=J; seed 0 runs the trace as
// recorded, the others JitterArrivals of it; the JSON shows the fields only when set.
TEST(MatrixJsonTest, JitterSeedsMakeAnAxisOfJitteredTraces) {
  json config = BaseConfig();
  config["traces"][0]["arrival_jitter_ms"] = 3000;
  config["jitter_seeds"] = {0, 4};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  EXPECT_EQ(c.jitter_seeds, (std::vector<uint64_t>{0, 4}));
  EXPECT_EQ(c.traces[0].arrival_jitter_ms, 3000u);
  const nlohmann::ordered_json shown = MatrixConfigToJson(c);
  EXPECT_EQ(shown["jitter_seeds"], json({0, 4}));
  EXPECT_EQ(shown["traces"][0]["arrival_jitter_ms"], 3000);
  EXPECT_FALSE(
      MatrixConfigToJson(ParseMatrixConfig(BaseConfig(), "m.json")).contains("jitter_seeds"));
  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  ASSERT_EQ(spec.traces[0].jittered.size(), 2u);
  EXPECT_EQ(spec.traces[0].jittered[0], spec.traces[0].trace);
  EXPECT_EQ(TraceDigest(*spec.traces[0].jittered[1]),
            TraceDigest(*JitterArrivals(*spec.traces[0].trace, 3000, 4, JitterOrder::kKeep)));
  json shuffled = config;
  shuffled["traces"][0]["arrival_jitter_order"] = "shuffle";
  const MatrixSpec shuffled_spec = BuildMatrixSpec(ParseMatrixConfig(shuffled, "m.json"), traces);
  EXPECT_EQ(TraceDigest(*shuffled_spec.traces[0].jittered[1]),
            TraceDigest(*JitterArrivals(*spec.traces[0].trace, 3000, 4, JitterOrder::kShuffle)));
  EXPECT_EQ(MatrixConfigToJson(
                ParseMatrixConfig(shuffled, "m.json"))["traces"][0]["arrival_jitter_order"],
            "shuffle");
  EXPECT_FALSE(shown["traces"][0].contains("arrival_jitter_order"));
  const std::vector<Cell> cells = ExpandMatrix(spec);
  const std::vector<Cell> plain =
      ExpandMatrix(BuildMatrixSpec(ParseMatrixConfig(BaseConfig(), "m.json"), traces));
  EXPECT_EQ(cells.size(), 2 * plain.size());
  EXPECT_TRUE(cells[0].key.ends_with("/seed=1/jitter=0")) << cells[0].key;
  EXPECT_TRUE(cells[1].key.ends_with("/seed=1/jitter=4")) << cells[1].key;
  EXPECT_EQ(&CellTrace(spec, cells[1].choice), spec.traces[0].jittered[1].get());
  EXPECT_TRUE(plain[0].key.ends_with("/seed=1")) << plain[0].key;
  // kvbench --trace keeps the config's jitter.
  MatrixConfig overridden = c;
  TraceConfig file;
  file.name = "conversation";
  file.preset = "conversation";
  file.requests = 50;
  OverrideTraces(overridden, file);
  EXPECT_EQ(overridden.traces[0].arrival_jitter_ms, 3000u);
}

TEST(MatrixJsonTest, ExpandedCellsAndTheirSimConfigsFollowTheConfig) {
  json config = BaseConfig();
  config["exclude"] = {{{"strategy", "random"}, {"cluster", "g"}}};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  size_t skipped = 0;
  const std::vector<Cell> cells = ExpandMatrix(spec, &skipped);
  // Seed cluster s: 2 strategies x 2 seeds (its second rate scale is dropped: 4 skipped).
  // r: 2 strategies x 2 rates x 2 seeds = 8. g: only kvcache_centric, 2 x 2 = 4.
  EXPECT_EQ(cells.size(), 16u);
  EXPECT_EQ(skipped, 4u);
  EXPECT_EQ(cells[0].key, "strategy=random/cluster=s/trace=c/prices=profile/rate_scale=1/seed=1");
  ASSERT_EQ(traces.digests().size(), 1u);
  EXPECT_EQ(traces.digests()[0].first, "c");
  for (const Cell& cell : cells) {
    SCOPED_TRACE(cell.key);
    const SimConfig sim = CellConfig(spec, cell);
    const std::string& cluster = spec.clusters[cell.choice.cluster].name;
    EXPECT_EQ(sim.rate_scale, c.rate_scales[cell.choice.rate_scale]);
    EXPECT_EQ(sim.seed, c.seeds[cell.choice.seed]);
    if (cluster == "s") {
      EXPECT_EQ(sim.mode, SimMode::kSeedCompat);
      ASSERT_EQ(sim.cluster.nodes.size(), 4u);
      EXPECT_EQ(sim.cluster.nodes[0].capacity_blocks, 512u);
      EXPECT_EQ(sim.cluster.nodes[0].eviction, "lfu");
      EXPECT_EQ(sim.cluster.scope, CacheScope::kLocal);
      EXPECT_EQ(cell.choice.rate_scale, 0u);
    } else if (cluster == "r") {
      EXPECT_EQ(sim.mode, SimMode::kRealistic);
      ASSERT_EQ(sim.cluster.nodes.size(), 4u);
      EXPECT_EQ(sim.cluster.nodes[3].capacity_blocks, 1000u);
      EXPECT_EQ(sim.cluster.nodes[3].eviction, "lru");
      EXPECT_EQ(sim.cluster.scope, CacheScope::kLocal);
    } else {
      EXPECT_EQ(cluster, "g");
      EXPECT_EQ(cell.strategy_spec, "kvcache_centric");
      EXPECT_EQ(sim.mode, SimMode::kRealistic);
      ASSERT_EQ(sim.cluster.nodes.size(), 2u);
      EXPECT_EQ(sim.cluster.nodes[0].capacity_blocks, 409u);
      EXPECT_EQ(sim.cluster.scope, CacheScope::kGlobal);
    }
  }
}

// "ssd": {"pooled": true} puts a pool cluster's SSDs in the pool (ClusterSpec::pool_ssd),
// shown in the config's JSON only when set; "pooled": false is the default.
TEST(MatrixJsonTest, PooledSsdReachesTheSimConfig) {
  json config = BaseConfig();
  config["clusters"][1]["scope"] = "pool";
  config["clusters"][1]["ssd"] = {{"capacity", "1Mtokens"}, {"pooled", true}};
  config["clusters"][2]["scope"] = "pool";
  config["clusters"][2]["ssd"] = {{"capacity", "1Mtokens"}, {"pooled", false}};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  EXPECT_TRUE(c.clusters[1].ssd_pooled);
  EXPECT_FALSE(c.clusters[2].ssd_pooled);
  const nlohmann::ordered_json shown = MatrixConfigToJson(c);
  EXPECT_EQ(shown["clusters"][1]["ssd"]["pooled"], true);
  EXPECT_FALSE(shown["clusters"][2]["ssd"].contains("pooled"));
  EXPECT_TRUE(ParseOk(json::parse(shown.dump())).clusters[1].ssd_pooled);
  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  EXPECT_FALSE(spec.clusters[0].config.cluster.pool_ssd);
  EXPECT_TRUE(spec.clusters[1].config.cluster.pool_ssd);
  EXPECT_FALSE(spec.clusters[2].config.cluster.pool_ssd);
}

// Mooncake Store's pool: "scope": "pool" and its "pool_placement" ("local" when left out)
// reach the SimConfig of every cell of the cluster; other clusters keep the local placement.
TEST(MatrixJsonTest, PoolScopeAndPlacementReachTheSimConfig) {
  json config = BaseConfig();
  config["clusters"][1]["scope"] = "pool";
  config["clusters"][1]["pool_placement"] = "hashed";
  config["clusters"][2]["scope"] = "pool";  // no pool_placement: "local"
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(c.clusters.size(), 3u);
  EXPECT_EQ(c.clusters[0].scope, "local");
  EXPECT_EQ(c.clusters[0].pool_placement, "local");
  EXPECT_EQ(c.clusters[1].scope, "pool");
  EXPECT_EQ(c.clusters[1].pool_placement, "hashed");
  EXPECT_EQ(c.clusters[2].scope, "pool");
  EXPECT_EQ(c.clusters[2].pool_placement, "local");

  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  ASSERT_EQ(spec.clusters.size(), 3u);
  const std::vector<std::pair<CacheScope, PoolPlacement>> want = {
      {CacheScope::kLocal, PoolPlacement::kLocal},
      {CacheScope::kPool, PoolPlacement::kHashed},
      {CacheScope::kPool, PoolPlacement::kLocal}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(spec.clusters[i].config.cluster.scope, want[i].first);
    EXPECT_EQ(spec.clusters[i].config.cluster.pool_placement, want[i].second);
  }
  size_t cells = 0;
  for (const Cell& cell : ExpandMatrix(spec)) {
    SCOPED_TRACE(cell.key);
    const SimConfig sim = CellConfig(spec, cell);
    EXPECT_EQ(sim.cluster.scope, want[cell.choice.cluster].first);
    EXPECT_EQ(sim.cluster.pool_placement, want[cell.choice.cluster].second);
    ++cells;
  }
  EXPECT_GT(cells, 0u);

  // Every placement, spelt out, on a prefill_only and on an aggregated cluster.
  for (const char* shape : {"prefill_only", "aggregated"}) {
    for (const auto& [name, placement] : std::vector<std::pair<std::string, PoolPlacement>>{
             {"local", PoolPlacement::kLocal},
             {"hashed", PoolPlacement::kHashed},
             {"balanced", PoolPlacement::kBalanced}}) {
      SCOPED_TRACE(std::string(shape) + " " + name);
      json pool = BaseConfig();
      pool["clusters"][2]["shape"] = shape;
      pool["clusters"][2]["scope"] = "pool";
      pool["clusters"][2]["pool_placement"] = name;
      const MatrixConfig p = ParseMatrixConfig(pool, "m.json");
      EXPECT_EQ(p.clusters[2].pool_placement, name);
      TraceCache more;
      const MatrixSpec built = BuildMatrixSpec(p, more);
      EXPECT_EQ(built.clusters[2].config.cluster.scope, CacheScope::kPool);
      EXPECT_EQ(built.clusters[2].config.cluster.pool_placement, placement);
    }
  }
}

// "pool_placement" is printed only for a pool cluster (its default too), and read back the
// same; configs without a pool print none, so they keep their hash.
TEST(MatrixJsonTest, PoolPlacementRoundTripsThroughConfigToJson) {
  json config = BaseConfig();
  config["clusters"][1]["scope"] = "pool";
  config["clusters"][1]["pool_placement"] = "balanced";
  config["clusters"][2]["scope"] = "pool";
  const MatrixConfig parsed = ParseMatrixConfig(config, "m.json");
  const json once = json::parse(MatrixConfigToJson(parsed).dump());
  EXPECT_EQ(once["clusters"][0]["scope"], "local");
  EXPECT_FALSE(once["clusters"][0].contains("pool_placement"));
  EXPECT_EQ(once["clusters"][1]["scope"], "pool");
  EXPECT_EQ(once["clusters"][1]["pool_placement"], "balanced");
  EXPECT_EQ(once["clusters"][2]["scope"], "pool");
  EXPECT_EQ(once["clusters"][2]["pool_placement"], "local");
  const MatrixConfig again = ParseOk(once);
  ASSERT_EQ(again.clusters.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(again.clusters[i].scope, parsed.clusters[i].scope);
    EXPECT_EQ(again.clusters[i].pool_placement, parsed.clusters[i].pool_placement);
  }
  EXPECT_EQ(json::parse(MatrixConfigToJson(again).dump()), once);

  // Local and global clusters print no pool_placement.
  const json printed =
      json::parse(MatrixConfigToJson(ParseMatrixConfig(BaseConfig(), "m.json")).dump());
  ASSERT_EQ(printed["clusters"].size(), 3u);
  EXPECT_EQ(printed["clusters"][2]["scope"], "global");
  for (size_t i = 0; i < printed["clusters"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(printed["clusters"][i].contains("pool_placement"));
  }
}

// "hbm_cache" turns on an aggregated cluster's HBM prefix cache (tier G1) with its eviction
// policy, "lru" when the object is empty; "dram_write" picks when DRAM receives blocks.
// Both reach the SimConfig of the cluster's cells.
TEST(MatrixJsonTest, HbmCacheAndDramWriteReachTheSimConfig) {
  json config = BaseConfig();
  config["clusters"][1]["shape"] = "aggregated";
  config["clusters"][1]["hbm_cache"] = {{"eviction", "s3fifo"}};
  config["clusters"][1]["dram_write"] = "back";
  config["clusters"][2]["shape"] = "aggregated";
  config["clusters"][2]["hbm_cache"] = json::object();
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  ASSERT_EQ(c.clusters.size(), 3u);
  EXPECT_EQ(c.clusters[0].hbm_cache_eviction, "");  // no hbm_cache: no tier G1
  EXPECT_EQ(c.clusters[0].dram_write, "through");
  EXPECT_EQ(c.clusters[1].hbm_cache_eviction, "s3fifo");
  EXPECT_EQ(c.clusters[1].dram_write, "back");
  EXPECT_EQ(c.clusters[2].hbm_cache_eviction, "lru");
  EXPECT_EQ(c.clusters[2].dram_write, "through");

  TraceCache traces;
  const MatrixSpec spec = BuildMatrixSpec(c, traces);
  ASSERT_EQ(spec.clusters.size(), 3u);
  const ClusterSpec& off = spec.clusters[0].config.cluster;
  EXPECT_FALSE(off.hbm_prefix_cache);
  EXPECT_EQ(off.dram_write, DramWrite::kThrough);
  const ClusterSpec& back = spec.clusters[1].config.cluster;
  EXPECT_EQ(spec.clusters[1].config.shape, ClusterShape::kAggregated);
  EXPECT_TRUE(back.hbm_prefix_cache);
  EXPECT_EQ(back.hbm_eviction, "s3fifo");
  EXPECT_EQ(back.dram_write, DramWrite::kBack);
  const ClusterSpec& through = spec.clusters[2].config.cluster;
  EXPECT_TRUE(through.hbm_prefix_cache);
  EXPECT_EQ(through.hbm_eviction, "lru");
  EXPECT_EQ(through.dram_write, DramWrite::kThrough);
  // Every cell of a cluster carries its settings.
  for (const Cell& cell : ExpandMatrix(spec)) {
    SCOPED_TRACE(cell.key);
    const SimConfig sim = CellConfig(spec, cell);
    EXPECT_EQ(sim.cluster.hbm_prefix_cache, cell.choice.cluster != 0);
    EXPECT_EQ(sim.cluster.dram_write,
              cell.choice.cluster == 1 ? DramWrite::kBack : DramWrite::kThrough);
    if (cell.choice.cluster == 1) {
      EXPECT_EQ(sim.cluster.hbm_eviction, "s3fifo");
    }
  }
}

TEST(MatrixJsonTest, ExplicitCellsAreTheOnlyCells) {
  json config = BaseConfig();
  config["cells"] = {{{"strategy", "random"}, {"cluster", "s"}, {"trace", "c"}},
                     {{"strategy", "kvcache_centric"},
                      {"cluster", "g"},
                      {"trace", "c"},
                      {"rate_scale", 2},
                      {"seed", 2}}};
  const MatrixConfig c = ParseMatrixConfig(config, "m.json");
  TraceCache traces;
  const std::vector<Cell> cells = ExpandMatrix(BuildMatrixSpec(c, traces));
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0].key, "strategy=random/cluster=s/trace=c/prices=profile/rate_scale=1/seed=1");
  EXPECT_EQ(cells[1].key,
            "strategy=kvcache_centric/cluster=g/trace=c/prices=profile/rate_scale=2/seed=2");
}

TEST(MatrixJsonTest, RealisticProfileWithOtherBlockSizeIsRefusedAtBuild) {
  const TempDir dir;
  CostProfile profile = ReadProfileFile((kProfileDir / "llama3-8b_1xh100.json").string());
  profile.block_tokens = 256;
  WriteFile(dir.path() / "small.json", CostProfileToJson(profile).dump(2));
  json config = BaseConfig();
  config["clusters"][1]["profile"] = "small.json";  // beside the config file
  const fs::path file = dir.path() / "m.json";
  WriteFile(file, config.dump(2));
  const MatrixConfig c = ReadMatrixConfig(file.string());
  EXPECT_EQ(c.clusters[1].profile_path, (dir.path() / "small.json").string());
  TraceCache traces;
  try {
    BuildMatrixSpec(c, traces);
    ADD_FAILURE() << "BuildMatrixSpec accepted a 256-token profile on a 512-token trace";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              file.string() + ": clusters[1].profile: 256 tokens per block, but trace 'c' has 512");
  }
  // The same profile on a seed cluster is fine: seed mode has no cost model.
  config["clusters"][1]["mode"] = "seed";
  WriteFile(file, config.dump(2));
  TraceCache more;
  EXPECT_NO_THROW(BuildMatrixSpec(ReadMatrixConfig(file.string()), more));
}

TEST(MatrixJsonTest, ProfileNameIsFoundInAProfilesFolderAbove) {
  const TempDir dir;
  fs::create_directories(dir.path() / "profiles");
  fs::copy_file(kProfileDir / "llama3-8b_1xh100.json",
                dir.path() / "profiles" / "llama3-8b_1xh100.json");
  json config = BaseConfig();
  config["clusters"][1] = {{"name", "r"}, {"mode", "realistic"}, {"profile", "llama3-8b_1xh100"}};
  const fs::path file = dir.path() / "a" / "b" / "m.json";
  WriteFile(file, config.dump(2));
  const MatrixConfig c = ReadMatrixConfig(file.string());
  EXPECT_EQ(fs::canonical(c.clusters[1].profile_path),
            fs::canonical(dir.path() / "profiles" / "llama3-8b_1xh100.json"));
  EXPECT_EQ(c.clusters[1].profile, "llama3-8b_1xh100");
  EXPECT_EQ(c.clusters[1].capacity_blocks, 3814u);  // the profile's DRAM: 1,953,125 / 512 tokens

  config["clusters"][1]["profile"] = "llama3-9b_nowhere";
  WriteFile(file, config.dump(2));
  try {
    ReadMatrixConfig(file.string());
    ADD_FAILURE() << "a missing profile was accepted";
  } catch (const InputError& e) {
    // The nearest name among those beside the config and the shipped ones is suggested.
    EXPECT_EQ(std::string(e.what()),
              file.string() +
                  ": clusters[1].profile: no profile 'llama3-9b_nowhere' in profiles/ beside "
                  "the config or above it, or among the shipped ones (available: "
                  "llama3-70b_8xa800, llama3-70b_8xa800_paper, llama3-70b_8xh800, "
                  "llama3-70b_8xh800_paper, llama3-8b_1xh100)");
  }
  config["clusters"][1]["profile"] = "llama3-8b_1xh10";
  WriteFile(file, config.dump(2));
  try {
    ReadMatrixConfig(file.string());
    ADD_FAILURE() << "a misspelt profile was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("(did you mean 'llama3-8b_1xh100'?)"));
  }
}

// A config anywhere (here a temporary folder with no profiles/) finds the shipped profiles.
TEST(MatrixJsonTest, ShippedProfilesAreFoundFromAConfigAnywhere) {
  const TempDir dir;
  json config = BaseConfig();
  config["clusters"][1] = {{"name", "r"}, {"mode", "realistic"}, {"profile", "llama3-70b_8xh800"}};
  const fs::path file = dir.path() / "m.json";
  WriteFile(file, config.dump(2));
  const MatrixConfig c = ReadMatrixConfig(file.string());
  EXPECT_EQ(fs::canonical(c.clusters[1].profile_path),
            fs::canonical(kProfileDir / "llama3-70b_8xh800.json"));
}

TEST(MatrixJsonTest, ReadMatrixConfigReportsSyntaxErrorsAndMissingFiles) {
  const TempDir dir;
  const fs::path file = dir.path() / "bad.json";
  WriteFile(file, "{\"name\": \"m\",\n \"strategies\": [}\n");
  try {
    ReadMatrixConfig(file.string());
    ADD_FAILURE() << "invalid JSON was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith(file.string() +
                                                ": invalid JSON: parse error at line 2, column"));
  }
  const std::string missing = (dir.path() / "missing.json").string();
  try {
    ReadMatrixConfig(missing);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace kvb
