#include "bench/matrix_json.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/capacity.h"
#include "bench/profile_json.h"
#include "bench/strict_json.h"
#include "bench/workload_json.h"
#include "core/cache/eviction_policy.h"
#include "core/decode/decode_selector.h"
#include "core/model/cost_model.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/simulator.h"
#include "core/strategy/strategy.h"
#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace_file.h"
#include "core/trace/trace_jitter.h"
#include "core/util/input_error.h"
#include "core/util/names.h"

namespace kvb {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxNodes = 1024;  // the prefix index's holder sets

[[noreturn]] void Fail(const std::string& source, const std::string& path,
                       const std::string& problem) {
  throw InputError(absl::StrCat(source, ": ", path, ": ", problem));
}

std::string Indexed(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

// Labels name cells in keys and benchmark names: letters, digits, '_', '-', '.'.
void CheckLabel(const std::string& source, const std::string& path, const std::string& label) {
  if (label.empty()) Fail(source, path, "must not be empty");
  for (const char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      Fail(source, path, absl::StrCat("'", label, "': use letters, digits, '_', '-' and '.' only"));
    }
  }
}

class Parser {
 public:
  Parser(const nlohmann::json& json, std::string source)
      : json_(json), source_(std::move(source)), root_(json_, source_, "") {
    base_dir_ = fs::path(source_).parent_path();
  }

  MatrixConfig Parse() {
    MatrixConfig c;
    c.source = source_;
    c.name = root_.String("name");
    CheckLabel(source_, "name", c.name);
    if (root_.Has("description")) c.description = root_.String("description");
    ParseStrategies(c);
    ParseClusters(c);
    ParseTraces(c);
    ParsePrices(c);
    if (root_.Has("rate_scales")) {
      c.rate_scales.clear();
      const nlohmann::json& list = Array("rate_scales");
      if (list.empty()) Fail(source_, "rate_scales", "must not be empty");
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string path = Indexed("rate_scales", i);
        const double v = NumberAt(list[i], path);
        if (!(v > 0) || !std::isfinite(v)) Fail(source_, path, "must be a finite number > 0");
        c.rate_scales.push_back(v);
      }
    }
    if (root_.Has("seeds")) c.seeds = SeedList("seeds", "must not be empty");
    if (root_.Has("jitter_seeds")) {
      c.jitter_seeds = SeedList("jitter_seeds", "must not be empty when given");
    }
    // Jitter needs both halves: seeds to draw with, and a span per trace to draw in.
    const bool jittered_trace =
        std::any_of(c.traces.begin(), c.traces.end(),
                    [](const TraceConfig& t) { return t.arrival_jitter_ms > 0; });
    if (!c.jitter_seeds.empty() && !jittered_trace) {
      Fail(source_, "jitter_seeds", "no trace sets arrival_jitter_ms > 0 to jitter");
    }
    for (size_t i = 0; i < c.traces.size(); ++i) {
      if (c.traces[i].arrival_jitter_ms > 0 && c.jitter_seeds.empty()) {
        Fail(source_, Indexed("traces", i) + ".arrival_jitter_ms",
             "needs the matrix's jitter_seeds (e.g. [1, 2, 3, 4, 5])");
      }
    }
    ParseExclusions(c);
    ParseCells(c);
    if (root_.Has("cell_time_limit_s")) {
      c.cell_time_limit_s = root_.Number("cell_time_limit_s");
      if (!(c.cell_time_limit_s >= 0) || !std::isfinite(c.cell_time_limit_s)) {
        Fail(source_, "cell_time_limit_s", "must be a finite number >= 0");
      }
    }
    if (root_.Has("cell_memory_limit")) {
      c.cell_memory_limit = root_.String("cell_memory_limit");
      c.cell_memory_limit_bytes =
          ParseMemoryLimit(c.cell_memory_limit, absl::StrCat(source_, ": cell_memory_limit"));
    }
    root_.Finish();
    return c;
  }

 private:
  const nlohmann::json& Array(std::string_view key) { return ArrayIn(root_, key); }

  const nlohmann::json& ArrayIn(StrictObject& object, std::string_view key) {
    const nlohmann::json& j = object.Raw(key);
    if (!j.is_array()) object.Fail(key, absl::StrCat("expected an array, got ", j.type_name()));
    return j;
  }

  double NumberAt(const nlohmann::json& j, const std::string& path) {
    if (!j.is_number())
      Fail(source_, path, absl::StrCat("expected a number, got ", DescribeJson(j)));
    return j.get<double>();
  }

  std::string StringAt(const nlohmann::json& j, const std::string& path) {
    if (!j.is_string())
      Fail(source_, path, absl::StrCat("expected a string, got ", DescribeJson(j)));
    return j.get<std::string>();
  }

  // A path in the config, relative to the config file's folder.
  std::string Resolve(const std::string& path) const {
    const fs::path p(path);
    return p.is_absolute() || base_dir_.empty() ? p.string() : (base_dir_ / p).string();
  }

  // "*" is every registered router; "*+R" every router with replication R.
  void ParseStrategies(MatrixConfig& c) {
    const nlohmann::json& list = Array("strategies");
    if (list.empty()) Fail(source_, "strategies", "must not be empty");
    std::map<std::string, size_t> first;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = Indexed("strategies", i);
      const std::string text = StringAt(list[i], path);
      std::vector<std::string> specs;
      if (text == "*" || text.starts_with("*+")) {
        for (const RouterInfo& r : Routers()) {
          specs.push_back(absl::StrCat(std::string(r.name), text.substr(1)));
        }
      } else {
        specs.push_back(text);
      }
      for (const std::string& spec : specs) {
        std::string canonical;
        try {
          canonical = MakeStrategy(spec, 0).spec;
        } catch (const InputError& e) {
          Fail(source_, path, e.what());
        }
        const auto [it, added] = first.emplace(canonical, i);
        if (!added) {
          Fail(source_, path,
               absl::StrCat("'", spec, "' is strategy '", canonical,
                            "' again (first in strategies[", it->second, "])"));
        }
        c.strategies.push_back(canonical);
      }
    }
  }

  void ParseClusters(MatrixConfig& c) {
    const nlohmann::json& list = Array("clusters");
    if (list.empty()) Fail(source_, "clusters", "must not be empty");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = Indexed("clusters", i);
      StrictObject o(list[i], source_, path);
      ClusterConfig k;
      k.name = o.String("name");
      CheckLabel(source_, o.PathOf("name"), k.name);
      if (!names.insert(k.name).second) {
        o.Fail("name", absl::StrCat("'", k.name, "' appears twice"));
      }
      k.mode = o.String("mode");
      if (k.mode != "seed" && k.mode != "realistic") {
        o.Fail("mode", absl::StrCat("expected \"seed\" or \"realistic\", got \"", k.mode, "\""));
      }
      const bool seed = k.mode == "seed";
      k.nodes = o.Has("nodes") ? o.Unsigned("nodes", kMaxNodes) : (seed ? 4 : 16);
      if (k.nodes == 0) o.Fail("nodes", "must be >= 1");
      if (o.Has("profile")) {
        k.profile = o.String("profile");
        k.profile_path = FindProfile(k.profile, o.PathOf("profile"));
      }
      const CostModel cost =
          k.profile_path.empty() ? CostModel() : CostModel(ReadProfileFile(k.profile_path));
      if (k.profile.empty()) k.profile = DefaultProfile().name;
      k.capacity = o.Has("capacity") ? o.String("capacity") : "";
      if (k.capacity.empty()) {
        k.capacity_blocks = seed ? 512 : cost.DramBlocks();
        k.capacity = absl::StrCat(k.capacity_blocks, "blocks");
      } else {
        const Capacity cap =
            ParseCapacity(k.capacity, absl::StrCat(source_, ": ", o.PathOf("capacity")));
        k.capacity_blocks = cost.CapacityBlocks(cap.value, cap.unit);
        if (k.capacity_blocks == 0) o.Fail("capacity", "is less than one block");
      }
      k.eviction = o.Has("eviction") ? o.String("eviction") : (seed ? "lfu" : "lru");
      if (FindEvictionPolicy(k.eviction) == nullptr) {
        o.Fail("eviction", absl::StrCat("unknown policy '", k.eviction, "'",
                                        DidYouMeanName(k.eviction, EvictionPolicies()),
                                        " (known: ", JoinNames(EvictionPolicies()), ")"));
      }
      if (o.Has("scope")) k.scope = o.String("scope");
      if (k.scope != "local" && k.scope != "global" && k.scope != "pool") {
        o.Fail("scope",
               absl::StrCat("expected \"local\", \"global\" or \"pool\", got \"", k.scope, "\""));
      }
      if (k.scope == "pool" && seed) o.Fail("scope", "\"pool\" needs mode \"realistic\"");
      if (o.Has("pool_placement")) {
        k.pool_placement = o.String("pool_placement");
        if (k.scope != "pool") o.Fail("pool_placement", "needs scope \"pool\"");
        if (k.pool_placement != "local" && k.pool_placement != "hashed" &&
            k.pool_placement != "balanced") {
          o.Fail("pool_placement", absl::StrCat("expected \"local\", \"hashed\" or "
                                                "\"balanced\", got \"",
                                                k.pool_placement, "\""));
        }
      }
      if (o.Has("shape")) k.shape = o.String("shape");
      const std::optional<ClusterShape> shape = ClusterShapeFromName(k.shape);
      if (!shape) {
        o.Fail("shape", absl::StrCat("expected \"prefill_only\", \"aggregated\" or "
                                     "\"disaggregated\", got \"",
                                     k.shape, "\""));
      }
      if (*shape != ClusterShape::kPrefillOnly) {
        if (seed) o.Fail("shape", absl::StrCat("'", k.shape, "' needs mode \"realistic\""));
        if (!cost.serving()) {
          o.Fail("shape", absl::StrCat("'", k.shape,
                                       "' needs a profile with a \"serving\" "
                                       "section; profile '",
                                       k.profile, "' has none"));
        }
      }
      const bool disaggregated = *shape == ClusterShape::kDisaggregated;
      if (o.Has("decode_nodes")) {
        k.decode_nodes = o.Unsigned("decode_nodes", kMaxNodes);
        if (!disaggregated) o.Fail("decode_nodes", "needs shape \"disaggregated\"");
        if (k.decode_nodes == 0) o.Fail("decode_nodes", "must be >= 1");
      } else if (disaggregated) {
        o.Fail("decode_nodes", "missing: a disaggregated cluster needs its decode pool's size");
      }
      if (o.Has("decode_selector")) {
        k.decode_selector = o.String("decode_selector");
        if (!disaggregated) o.Fail("decode_selector", "needs shape \"disaggregated\"");
        if (FindDecodeSelector(k.decode_selector) == nullptr) {
          o.Fail("decode_selector",
                 absl::StrCat("unknown policy '", k.decode_selector, "'",
                              DidYouMeanName(k.decode_selector, DecodeSelectors()),
                              " (known: ", JoinNames(DecodeSelectors()), ")"));
        }
      }
      if (o.Has("early_rejection")) {
        k.early_rejection = o.String("early_rejection");
        if (!EarlyRejectionFromName(k.early_rejection)) {
          o.Fail("early_rejection", absl::StrCat("expected \"none\", \"current_load\" or "
                                                 "\"predicted_load\", got \"",
                                                 k.early_rejection, "\""));
        }
        if (k.early_rejection != "none" && !disaggregated) {
          o.Fail("early_rejection", "needs shape \"disaggregated\"");
        }
      }
      for (const char* field : {"tbt_slo_s", "signal_refresh_s"}) {
        if (!o.Has(field)) continue;
        const double value = o.Number(field);
        if (!(value >= 0) || !std::isfinite(value)) o.Fail(field, "must be a finite number >= 0");
        if (value > 0 && *shape == ClusterShape::kPrefillOnly) {
          o.Fail(field, "needs a serving shape (a prefill_only cluster does not decode)");
        }
        (std::string_view(field) == "tbt_slo_s" ? k.tbt_slo_s : k.signal_refresh_s) = value;
      }
      if (o.Has("overlap_load")) {
        k.overlap_load = o.Bool("overlap_load");
        if (k.overlap_load && *shape == ClusterShape::kPrefillOnly) {
          o.Fail("overlap_load", "needs a serving shape");
        }
      }
      if (o.Has("stream_kv")) {
        k.stream_kv = o.Bool("stream_kv");
        if (k.stream_kv && !disaggregated) o.Fail("stream_kv", "needs shape \"disaggregated\"");
      }
      if (o.Has("hbm_cache")) {
        StrictObject h = o.Object("hbm_cache");
        if (*shape == ClusterShape::kPrefillOnly) {
          o.Fail("hbm_cache", "needs a serving shape (HBM is the serving engine's memory)");
        }
        k.hbm_cache_eviction = h.Has("eviction") ? h.String("eviction") : "lru";
        if (FindEvictionPolicy(k.hbm_cache_eviction) == nullptr) {
          h.Fail("eviction", absl::StrCat("unknown policy '", k.hbm_cache_eviction, "'",
                                          DidYouMeanName(k.hbm_cache_eviction, EvictionPolicies()),
                                          " (known: ", JoinNames(EvictionPolicies()), ")"));
        }
        h.Finish();
      }
      if (o.Has("ssd")) {
        StrictObject d = o.Object("ssd");
        if (seed) o.Fail("ssd", "needs mode \"realistic\"");
        if (!(cost.hardware().ssd_read_bytes_per_s > 0)) {
          o.Fail("ssd", absl::StrCat("profile '", k.profile,
                                     "' has no hardware.ssd_read_bytes_per_s to read it with"));
        }
        if (d.Has("capacity")) {
          k.ssd_capacity = d.String("capacity");
          const Capacity cap =
              ParseCapacity(k.ssd_capacity, absl::StrCat(source_, ": ", d.PathOf("capacity")));
          k.ssd_capacity_blocks = cost.CapacityBlocks(cap.value, cap.unit);
          if (k.ssd_capacity_blocks == 0) d.Fail("capacity", "is less than one block");
        } else {
          k.ssd_capacity_blocks = cost.SsdBlocks();
          if (k.ssd_capacity_blocks == 0) {
            d.Fail("capacity", absl::StrCat("missing, and profile '", k.profile,
                                            "' has no hardware.ssd_bytes"));
          }
          k.ssd_capacity = absl::StrCat(k.ssd_capacity_blocks, "blocks");
        }
        k.ssd_eviction = d.Has("eviction") ? d.String("eviction") : "lru";
        if (FindEvictionPolicy(k.ssd_eviction) == nullptr) {
          d.Fail("eviction", absl::StrCat("unknown policy '", k.ssd_eviction, "'",
                                          DidYouMeanName(k.ssd_eviction, EvictionPolicies()),
                                          " (known: ", JoinNames(EvictionPolicies()), ")"));
        }
        if (d.Has("pooled")) {
          k.ssd_pooled = d.Bool("pooled");
          if (k.ssd_pooled && k.scope != "pool") d.Fail("pooled", "needs scope \"pool\"");
        }
        d.Finish();
      }
      if (o.Has("dram_write")) {
        k.dram_write = o.String("dram_write");
        if (k.dram_write != "through" && k.dram_write != "back") {
          o.Fail("dram_write",
                 absl::StrCat("expected \"through\" or \"back\", got \"", k.dram_write, "\""));
        }
        if (k.dram_write == "back" && k.hbm_cache_eviction.empty()) {
          o.Fail("dram_write", "\"back\" needs hbm_cache (DRAM then receives what HBM evicts)");
        }
      }
      if (o.Has("predictor")) {
        StrictObject p = o.Object("predictor");
        if (p.Has("bias")) {
          k.predictor_bias = p.Number("bias");
          if (!(k.predictor_bias > 0) || !std::isfinite(k.predictor_bias)) {
            p.Fail("bias", "must be a finite number > 0");
          }
        }
        if (p.Has("noise_sigma")) {
          k.predictor_noise_sigma = p.Number("noise_sigma");
          if (!(k.predictor_noise_sigma >= 0) || !(k.predictor_noise_sigma <= 5)) {
            p.Fail("noise_sigma", "must be in [0, 5]");
          }
        }
        if (p.Has("profile")) {
          k.predictor_profile = p.String("profile");
          k.predictor_profile_path = FindProfile(k.predictor_profile, p.PathOf("profile"));
          const CostProfile other = k.predictor_profile_path.empty()
                                        ? DefaultProfile()
                                        : ReadProfileFile(k.predictor_profile_path);
          if (*shape != ClusterShape::kPrefillOnly && !other.serving) {
            p.Fail("profile", absl::StrCat("profile '", k.predictor_profile,
                                           "' has no \"serving\" section to predict with"));
          }
        }
        p.Finish();
      }
      if (k.early_rejection != "none" && k.tbt_slo_s <= 0) {
        o.Fail("early_rejection", "needs tbt_slo_s > 0 (it rejects on the decode pool's TBT)");
      }
      if (o.Has("ttft_slo_s")) {
        k.ttft_slo_s = o.Number("ttft_slo_s");
        if (!(k.ttft_slo_s >= 0) || !std::isfinite(k.ttft_slo_s)) {
          o.Fail("ttft_slo_s", "must be a finite number >= 0");
        }
      }
      if (o.Has("reject_over_slo")) k.reject_over_slo = o.Bool("reject_over_slo");
      if (k.reject_over_slo && k.ttft_slo_s <= 0) {
        o.Fail("reject_over_slo", "needs ttft_slo_s > 0");
      }
      if (o.Has("track_hotspots")) k.track_hotspots = o.Bool("track_hotspots");
      o.Finish();
      c.clusters.push_back(std::move(k));
    }
  }

  // A profile name is looked up as profiles/<name>.json in the config's folder and the
  // folders above it, then among the shipped profiles (configs/profiles); a value ending
  // in .json is a path relative to the config.
  std::string FindProfile(const std::string& profile, const std::string& path) const {
    if (profile.ends_with(".json")) {
      const std::string file = Resolve(profile);
      if (!fs::is_regular_file(file)) Fail(source_, path, absl::StrCat("no file ", file));
      return file;
    }
    CheckLabel(source_, path, profile);
    std::vector<fs::path> dirs;
    for (fs::path dir = fs::absolute(base_dir_.empty() ? fs::path(".") : base_dir_);;
         dir = dir.parent_path()) {
      if (fs::is_directory(dir / "profiles")) dirs.push_back(dir / "profiles");
      if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    }
    dirs.emplace_back(KVB_SHIPPED_PROFILES_DIR);
    std::set<std::string> available;
    for (const fs::path& dir : dirs) {
      const fs::path candidate = dir / (profile + ".json");
      if (fs::is_regular_file(candidate)) return candidate.string();
      std::error_code error;
      for (const auto& entry : fs::directory_iterator(dir, error)) {
        if (entry.path().extension() == ".json") available.insert(entry.path().stem().string());
      }
    }
    if (profile == DefaultProfile().name) return "";  // the built-in twin of its file
    const std::vector<std::string_view> names(available.begin(), available.end());
    Fail(source_, path,
         absl::StrCat("no profile '", profile, "'", DidYouMean(profile, names),
                      " in profiles/ beside the config or above it, or among the shipped ones "
                      "(available: ",
                      absl::StrJoin(available, ", "), ")"));
  }

  void ParseTraces(MatrixConfig& c) {
    const nlohmann::json& list = Array("traces");
    if (list.empty()) Fail(source_, "traces", "must not be empty");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      TraceConfig t = ParseTrace(list[i], Indexed("traces", i));
      if (!names.insert(t.name).second) {
        Fail(source_, Indexed("traces", i) + ".name", absl::StrCat("'", t.name, "' appears twice"));
      }
      c.traces.push_back(std::move(t));
    }
  }

  // A workload named in `field`: a preset (returns "") or a .json file (returns its path,
  // resolved against the config). Fails naming the field for an unknown preset.
  std::string ResolveWorkload(const StrictObject& o, const char* field,
                              const std::string& name) const {
    if (name.ends_with(".json")) return Resolve(name);
    if (FindWorkloadPreset(name) == nullptr) {
      o.Fail(field,
             absl::StrCat("unknown preset '", name, "'", DidYouMeanName(name, WorkloadPresets()),
                          " (known: ", JoinNames(WorkloadPresets()),
                          "; or a workload file ending in .json)"));
    }
    return "";
  }

 public:
  TraceConfig ParseTrace(const nlohmann::json& json, const std::string& path) {
    StrictObject o(json, source_, path);
    TraceConfig t;
    t.name = o.String("name");
    CheckLabel(source_, o.PathOf("name"), t.name);
    if (o.Has("file") == o.Has("preset")) {
      o.Fail(o.Has("file") ? "preset" : "file", "give exactly one of \"file\" and \"preset\"");
    }
    if (o.Has("file")) {
      t.file = o.String("file");
      t.resolved_path = Resolve(t.file);
      if (o.Has("format")) {
        t.format = o.String("format");
        if (FindTraceFormat(t.format) == nullptr) {
          o.Fail("format", absl::StrCat("unknown format '", t.format, "'",
                                        DidYouMeanName(t.format, TraceFormats()),
                                        " (known: ", JoinNames(TraceFormats()), ")"));
        }
      }
      const TraceFormat& format = *FindTraceFormat(t.format);
      t.block_tokens = format.block_tokens;
      t.timestamp_unit = std::string(TimestampUnitName(format.timestamp_unit));
      if (o.Has("block_tokens")) {
        t.block_tokens = static_cast<uint32_t>(o.Unsigned("block_tokens", 1u << 20));
        if (t.block_tokens == 0) o.Fail("block_tokens", "must be >= 1");
      }
      if (o.Has("timestamp_unit")) {
        t.timestamp_unit = o.String("timestamp_unit");
        if (!TimestampUnitFromName(t.timestamp_unit)) {
          o.Fail("timestamp_unit", absl::StrCat("'", t.timestamp_unit, "': expected ms, s or us"));
        }
      }
      if (o.Has("reblock_tokens")) {
        t.reblock_tokens = static_cast<uint32_t>(o.Unsigned("reblock_tokens", 1u << 20));
        if (t.reblock_tokens == 0 || t.reblock_tokens % t.block_tokens != 0) {
          o.Fail("reblock_tokens",
                 absl::StrCat("must be a multiple of block_tokens (", t.block_tokens, ")"));
        }
      }
      if (!format.hashed()) {
        for (const char* field : {"timestamp_unit", "reblock_tokens"}) {
          if (o.Has(field)) {
            o.Fail(field, absl::StrCat("not for format '", t.format, "' (a CSV without hashes)"));
          }
        }
        if (o.Has("prefixes")) t.prefixes = o.String("prefixes");
        t.prefixes_path = ResolveWorkload(o, "prefixes", t.prefixes);
        if (o.Has("seed")) t.seed = o.Unsigned("seed", UINT64_MAX);
      }
      if (o.Has("skip_invalid")) t.skip_invalid = o.Bool("skip_invalid");
    } else {
      t.preset = o.String("preset");
      t.resolved_path = ResolveWorkload(o, "preset", t.preset);
      if (o.Has("requests")) {
        t.requests = o.Unsigned("requests", uint64_t{1} << 32);
        if (t.requests == 0) o.Fail("requests", "must be >= 1");
      } else if (t.resolved_path.empty()) {
        t.requests = FindWorkloadPreset(t.preset)->default_requests;
      } else {
        t.requests = ReadWorkloadFile(t.resolved_path).requests;
      }
      if (o.Has("seed")) t.seed = o.Unsigned("seed", UINT64_MAX);
    }
    // A tick of the trace's timestamps (the conversation trace's 3,000 ms), at most 1 h.
    if (o.Has("arrival_jitter_ms")) {
      t.arrival_jitter_ms = static_cast<uint32_t>(o.Unsigned("arrival_jitter_ms", 3'600'000));
    }
    if (o.Has("arrival_jitter_order")) {
      t.arrival_jitter_order = o.String("arrival_jitter_order");
      if (t.arrival_jitter_order != "keep" && t.arrival_jitter_order != "shuffle") {
        o.Fail("arrival_jitter_order", absl::StrCat("expected \"keep\" or \"shuffle\", got \"",
                                                    t.arrival_jitter_order, "\""));
      }
      if (t.arrival_jitter_ms == 0) o.Fail("arrival_jitter_order", "needs arrival_jitter_ms > 0");
    }
    o.Finish();
    return t;
  }

 private:
  void ParsePrices(MatrixConfig& c) {
    if (!root_.Has("prices")) {
      PricesConfig defaults;
      defaults.name = "profile";
      c.prices = {defaults};
      return;
    }
    const nlohmann::json& list = Array("prices");
    if (list.empty()) Fail(source_, "prices", "must not be empty");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      StrictObject o(list[i], source_, Indexed("prices", i));
      PricesConfig p;
      p.name = o.String("name");
      CheckLabel(source_, o.PathOf("name"), p.name);
      if (!names.insert(p.name).second) {
        o.Fail("name", absl::StrCat("'", p.name, "' appears twice"));
      }
      auto price = [&](std::string_view key, double& out) {
        out = o.Number(key);
        if (!(out >= 0) || !std::isfinite(out)) o.Fail(key, "must be a finite number >= 0");
      };
      // A number, or "profile" (the default): the cluster's hardware profile's price.
      auto profile_or_price = [&](std::string_view key, std::optional<double>& out) {
        if (!o.Has(key)) return;
        if (o.Raw(key) == "profile") {
          o.String(key);
          return;
        }
        double v = 0;
        price(key, v);
        out = v;
      };
      profile_or_price("gpu_dollars_per_node_hour", p.gpu_dollars_per_node_hour);
      profile_or_price("storage_dollars_per_gb_hour", p.storage_dollars_per_gb_hour);
      if (o.Has("network_dollars_per_gb")) {
        price("network_dollars_per_gb", p.network_dollars_per_gb);
      }
      if (o.Has("gpu_billing")) {
        p.gpu_billing = o.String("gpu_billing");
        if (p.gpu_billing != "busy" && p.gpu_billing != "provisioned") {
          o.Fail("gpu_billing",
                 absl::StrCat("expected \"busy\" or \"provisioned\", got \"", p.gpu_billing, "\""));
        }
      }
      if (o.Has("storage_billing")) {
        p.storage_billing = o.String("storage_billing");
        if (p.storage_billing != "provisioned" && p.storage_billing != "occupied") {
          o.Fail("storage_billing", absl::StrCat("expected \"provisioned\" or \"occupied\", got \"",
                                                 p.storage_billing, "\""));
        }
      }
      o.Finish();
      c.prices.push_back(std::move(p));
    }
  }

  template <typename Entries>
  void CheckNamed(StrictObject& o, std::string_view key, const std::string& value,
                  const Entries& entries) {
    for (const auto& e : entries) {
      if (e.name == value) return;
    }
    std::vector<std::string> known;
    for (const auto& e : entries) known.push_back(e.name);
    o.Fail(key, absl::StrCat("no ", std::string(key), " named '", value,
                             "' (known: ", absl::StrJoin(known, ", "), ")"));
  }

  std::string CanonicalStrategy(StrictObject& o, const MatrixConfig& c) {
    const std::string spec = o.String("strategy");
    std::string canonical;
    try {
      canonical = MakeStrategy(spec, 0).spec;
    } catch (const InputError& e) {
      o.Fail("strategy", e.what());
    }
    if (std::find(c.strategies.begin(), c.strategies.end(), canonical) == c.strategies.end()) {
      o.Fail("strategy", absl::StrCat("'", spec, "' is not in strategies"));
    }
    return canonical;
  }

  void ParseExclusions(MatrixConfig& c) {
    if (!root_.Has("exclude")) return;
    const nlohmann::json& list = Array("exclude");
    for (size_t i = 0; i < list.size(); ++i) {
      StrictObject o(list[i], source_, Indexed("exclude", i));
      ExclusionConfig x;
      if (o.Has("strategy")) x.strategy = CanonicalStrategy(o, c);
      if (o.Has("cluster")) {
        x.cluster = o.String("cluster");
        CheckNamed(o, "cluster", x.cluster, c.clusters);
      }
      if (o.Has("trace")) {
        x.trace = o.String("trace");
        CheckNamed(o, "trace", x.trace, c.traces);
      }
      o.Finish();
      if (x.strategy.empty() && x.cluster.empty() && x.trace.empty()) {
        Fail(source_, Indexed("exclude", i),
             "give at least one of \"strategy\", \"cluster\", \"trace\" (an empty filter "
             "would exclude every cell)");
      }
      c.exclude.push_back(std::move(x));
    }
  }

  void ParseCells(MatrixConfig& c) {
    if (!root_.Has("cells")) return;
    const nlohmann::json& list = Array("cells");
    if (list.empty()) Fail(source_, "cells", "must not be empty when given");
    for (size_t i = 0; i < list.size(); ++i) {
      StrictObject o(list[i], source_, Indexed("cells", i));
      CellConfigEntry e;
      e.strategy = CanonicalStrategy(o, c);
      e.cluster = o.String("cluster");
      CheckNamed(o, "cluster", e.cluster, c.clusters);
      e.trace = o.String("trace");
      CheckNamed(o, "trace", e.trace, c.traces);
      e.prices = o.Has("prices") ? o.String("prices") : c.prices.front().name;
      CheckNamed(o, "prices", e.prices, c.prices);
      e.rate_scale = o.Has("rate_scale") ? o.Number("rate_scale") : c.rate_scales.front();
      if (std::find(c.rate_scales.begin(), c.rate_scales.end(), e.rate_scale) ==
          c.rate_scales.end()) {
        o.Fail("rate_scale", absl::StrCat(e.rate_scale, " is not in rate_scales"));
      }
      e.seed = o.Has("seed") ? o.Unsigned("seed", UINT64_MAX) : c.seeds.front();
      if (std::find(c.seeds.begin(), c.seeds.end(), e.seed) == c.seeds.end()) {
        o.Fail("seed", absl::StrCat(e.seed, " is not in seeds"));
      }
      if (o.Has("jitter_seed")) {
        e.jitter_seed = o.Unsigned("jitter_seed", UINT64_MAX);
        if (std::find(c.jitter_seeds.begin(), c.jitter_seeds.end(), e.jitter_seed) ==
            c.jitter_seeds.end()) {
          o.Fail("jitter_seed", absl::StrCat(e.jitter_seed, " is not in jitter_seeds"));
        }
      } else if (!c.jitter_seeds.empty()) {
        e.jitter_seed = c.jitter_seeds.front();
      }
      o.Finish();
      c.cells.push_back(std::move(e));
    }
  }

  // The non-empty array `field` of non-negative integers (seeds); `empty` says why not empty.
  std::vector<uint64_t> SeedList(const char* field, const char* empty) {
    const nlohmann::json& list = Array(field);
    if (list.empty()) Fail(source_, field, empty);
    std::vector<uint64_t> out;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_number_integer() ||
          (!list[i].is_number_unsigned() && list[i].get<int64_t>() < 0)) {
        Fail(source_, Indexed(field, i),
             absl::StrCat("expected a non-negative integer, got ", DescribeJson(list[i])));
      }
      out.push_back(list[i].get<uint64_t>());
    }
    return out;
  }

  const nlohmann::json& json_;
  std::string source_;
  StrictObject root_;
  fs::path base_dir_;
};

size_t IndexOf(const std::vector<std::string>& list, const std::string& value) {
  return static_cast<size_t>(std::find(list.begin(), list.end(), value) - list.begin());
}

template <typename Entries>
size_t IndexOfName(const Entries& entries, const std::string& name) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name == name) return i;
  }
  return entries.size();
}

}  // namespace

MatrixConfig ParseMatrixConfig(const nlohmann::json& json, const std::string& source) {
  return Parser(json, source).Parse();
}

TraceConfig ParseTraceConfig(const nlohmann::json& json, const std::string& source) {
  static const nlohmann::json kNoMatrix = nlohmann::json::object();
  return Parser(kNoMatrix, source).ParseTrace(json, "trace");
}

MatrixConfig ReadMatrixConfig(const std::string& path) {
  return ParseMatrixConfig(ReadJsonFile(path), path);
}

nlohmann::ordered_json MatrixConfigToJson(const MatrixConfig& c) {
  nlohmann::ordered_json clusters = nlohmann::ordered_json::array();
  for (const ClusterConfig& k : c.clusters) {
    nlohmann::ordered_json j = {
        {"name", k.name},         {"mode", k.mode},   {"nodes", k.nodes}, {"capacity", k.capacity},
        {"eviction", k.eviction}, {"scope", k.scope}, {"shape", k.shape}};
    if (k.scope == "pool") j["pool_placement"] = k.pool_placement;  // only the pool has it
    if (k.shape == "disaggregated") {  // the decode pool's fields exist only there
      j["decode_nodes"] = k.decode_nodes;
      j["decode_selector"] = k.decode_selector;
      j["early_rejection"] = k.early_rejection;
      j["stream_kv"] = k.stream_kv;
    }
    if (k.shape != "prefill_only") j["overlap_load"] = k.overlap_load;
    if (!k.hbm_cache_eviction.empty()) {  // tier G1's fields exist only with it
      j["hbm_cache"] = {{"eviction", k.hbm_cache_eviction}};
      j["dram_write"] = k.dram_write;
    }
    if (k.ssd_capacity_blocks > 0) {  // tier G3's, likewise
      j["ssd"] = {{"capacity", k.ssd_capacity}, {"eviction", k.ssd_eviction}};
      if (k.ssd_pooled) j["ssd"]["pooled"] = true;  // shown when set: older cells keep their JSON
    }
    j["profile"] = k.profile;
    j["ttft_slo_s"] = k.ttft_slo_s;
    j["reject_over_slo"] = k.reject_over_slo;
    j["tbt_slo_s"] = k.tbt_slo_s;
    j["signal_refresh_s"] = k.signal_refresh_s;
    if (k.predictor_bias != 1 || k.predictor_noise_sigma != 0 || !k.predictor_profile.empty()) {
      nlohmann::ordered_json p = {{"bias", k.predictor_bias},
                                  {"noise_sigma", k.predictor_noise_sigma}};
      if (!k.predictor_profile.empty()) p["profile"] = k.predictor_profile;
      j["predictor"] = std::move(p);
    }
    j["track_hotspots"] = k.track_hotspots;
    clusters.push_back(std::move(j));
  }
  nlohmann::ordered_json traces = nlohmann::ordered_json::array();
  for (const TraceConfig& t : c.traces) {
    nlohmann::ordered_json j = {{"name", t.name}};
    if (!t.file.empty()) {
      j["file"] = t.file;
      // Defaults are left out, so configs written before these fields keep their hash.
      if (t.format != "mooncake") j["format"] = t.format;
      j["block_tokens"] = t.block_tokens;
      if (t.timestamp_unit != TimestampUnitName(FindTraceFormat(t.format)->timestamp_unit)) {
        j["timestamp_unit"] = t.timestamp_unit;
      }
      if (t.reblock_tokens != 0) j["reblock_tokens"] = t.reblock_tokens;
      if (!FindTraceFormat(t.format)->hashed()) {
        j["prefixes"] = t.prefixes;
        j["seed"] = t.seed;
      }
      j["skip_invalid"] = t.skip_invalid;
    } else {
      j["preset"] = t.preset;
      j["requests"] = t.requests;
      j["seed"] = t.seed;
    }
    if (t.arrival_jitter_ms > 0) j["arrival_jitter_ms"] = t.arrival_jitter_ms;
    if (t.arrival_jitter_order != "keep") j["arrival_jitter_order"] = t.arrival_jitter_order;
    traces.push_back(std::move(j));
  }
  nlohmann::ordered_json prices = nlohmann::ordered_json::array();
  for (const PricesConfig& p : c.prices) {
    prices.push_back(
        {{"name", p.name},
         {"gpu_dollars_per_node_hour", p.gpu_dollars_per_node_hour
                                           ? nlohmann::ordered_json(*p.gpu_dollars_per_node_hour)
                                           : nlohmann::ordered_json("profile")},
         {"storage_dollars_per_gb_hour",
          p.storage_dollars_per_gb_hour ? nlohmann::ordered_json(*p.storage_dollars_per_gb_hour)
                                        : nlohmann::ordered_json("profile")},
         {"network_dollars_per_gb", p.network_dollars_per_gb},
         {"gpu_billing", p.gpu_billing},
         {"storage_billing", p.storage_billing}});
  }
  nlohmann::ordered_json exclude = nlohmann::ordered_json::array();
  for (const ExclusionConfig& x : c.exclude) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!x.strategy.empty()) j["strategy"] = x.strategy;
    if (!x.cluster.empty()) j["cluster"] = x.cluster;
    if (!x.trace.empty()) j["trace"] = x.trace;
    exclude.push_back(std::move(j));
  }
  nlohmann::ordered_json out = {{"name", c.name},
                                {"description", c.description},
                                {"strategies", c.strategies},
                                {"clusters", clusters},
                                {"traces", traces},
                                {"prices", prices},
                                {"rate_scales", c.rate_scales},
                                {"seeds", c.seeds},
                                {"exclude", exclude}};
  // Shown only when set, so configs written before it keep their hash.
  if (!c.jitter_seeds.empty()) out["jitter_seeds"] = c.jitter_seeds;
  if (!c.cells.empty()) {
    nlohmann::ordered_json cells = nlohmann::ordered_json::array();
    for (const CellConfigEntry& e : c.cells) {
      cells.push_back({{"strategy", e.strategy},
                       {"cluster", e.cluster},
                       {"trace", e.trace},
                       {"prices", e.prices},
                       {"rate_scale", e.rate_scale},
                       {"seed", e.seed}});
      if (!c.jitter_seeds.empty()) cells.back()["jitter_seed"] = e.jitter_seed;
    }
    out["cells"] = std::move(cells);
  }
  out["cell_time_limit_s"] = c.cell_time_limit_s;
  out["cell_memory_limit"] = c.cell_memory_limit;
  return out;
}

nlohmann::ordered_json MatrixConfigTemplate() {
  const nlohmann::json example = {
      {"name", "example"},
      {"description", "every optional field at its default"},
      {"strategies", {"random", "kvcache_centric+none"}},
      {"clusters",
       {{{"name", "seed4"}, {"mode", "seed"}}, {{"name", "realistic16"}, {"mode", "realistic"}}}},
      {"traces", {{{"name", "conversation"}, {"preset", "conversation"}}}}};
  return MatrixConfigToJson(ParseMatrixConfig(example, "(template)"));
}

void OverrideTraces(MatrixConfig& config, const TraceConfig& trace) {
  TraceConfig replacing = trace;
  // The config's arrival jitter carries over to the trace that replaces its own.
  for (const TraceConfig& t : config.traces) {
    if (t.arrival_jitter_ms > replacing.arrival_jitter_ms) {
      replacing.arrival_jitter_ms = t.arrival_jitter_ms;
      replacing.arrival_jitter_order = t.arrival_jitter_order;
    }
  }
  config.traces = {replacing};
  for (ExclusionConfig& x : config.exclude) {
    if (!x.trace.empty()) x.trace = trace.name;
  }
  for (CellConfigEntry& e : config.cells) e.trace = trace.name;
}

namespace {

// A workload preset by name, or the workload file at `resolved_path` when there is one.
WorkloadFile LoadWorkload(const std::string& preset, const std::string& resolved_path) {
  if (!resolved_path.empty()) return ReadWorkloadFile(resolved_path);
  const WorkloadPreset* found = FindWorkloadPreset(preset);
  return WorkloadFile{std::string(found->description), found->default_requests, found->spec};
}

}  // namespace

std::shared_ptr<const Trace> TraceCache::Get(const TraceConfig& t, const std::string& where) {
  const std::string key =
      t.file.empty()
          ? absl::StrCat("preset\n", t.resolved_path.empty() ? t.preset : t.resolved_path, "\n",
                         t.requests, "\n", t.seed)
          : absl::StrCat("file\n", fs::absolute(t.resolved_path).lexically_normal().string(), "\n",
                         t.block_tokens, "\n", t.skip_invalid, "\n", t.timestamp_unit, "\n",
                         t.reblock_tokens, "\n", t.format, "\n",
                         t.prefixes_path.empty() ? t.prefixes : t.prefixes_path, "\n", t.seed);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) {
    std::shared_ptr<const Trace> trace;
    const auto start = std::chrono::steady_clock::now();
    if (progress_) {
      std::fprintf(stderr, "kvbench: %s trace '%s' (%s)...\n",
                   t.file.empty() ? "generating" : "reading", t.name.c_str(),
                   t.file.empty() ? t.preset.c_str() : t.file.c_str());
    }
    try {
      if (!t.file.empty()) {
        TraceFileOptions options;
        options.format = t.format;
        options.read.block_tokens = t.block_tokens;
        options.read.reblock_tokens = t.reblock_tokens;
        options.read.timestamp_unit = *TimestampUnitFromName(t.timestamp_unit);
        options.read.skip_invalid = t.skip_invalid;
        if (!FindTraceFormat(t.format)->hashed()) {
          options.prefix_spec = LoadWorkload(t.prefixes, t.prefixes_path).spec;
          options.prefix_name = t.prefixes;
          options.prefix_seed = t.seed;
        }
        LoadedTrace loaded = ReadTraceFile(t.resolved_path, options);
        for (std::string& line :
             DescribeReadWarnings(absl::StrCat(where, " (", t.file, ")"), loaded.report)) {
          warnings_.push_back(std::move(line));
        }
        trace = std::move(loaded.trace);
      } else {
        const WorkloadFile workload = LoadWorkload(t.preset, t.resolved_path);
        trace = GenerateWorkload(workload.spec, t.requests, t.seed);
      }
    } catch (const InputError& e) {
      throw InputError(absl::StrCat(where, ": ", e.what()));
    }
    if (trace->empty()) throw InputError(absl::StrCat(where, ": the trace has no requests"));
    if (progress_) {
      std::fprintf(stderr, "kvbench: trace '%s': %zu requests, %zu blocks in %.1f s\n",
                   t.name.c_str(), trace->size(), trace->block_count(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    it = loaded_.emplace(key, std::move(trace)).first;
  }
  const std::string digest = absl::StrFormat("%016x", TraceDigest(*it->second));
  if (std::find(digests_.begin(), digests_.end(), std::make_pair(t.name, digest)) ==
      digests_.end()) {
    digests_.emplace_back(t.name, digest);
  }
  return it->second;
}

MatrixSpec BuildMatrixSpec(const MatrixConfig& c, TraceCache& traces) {
  MatrixSpec spec;
  spec.name = c.name;
  spec.strategies = c.strategies;
  for (size_t i = 0; i < c.traces.size(); ++i) {
    spec.traces.push_back(
        MatrixTrace{c.traces[i].name,
                    traces.Get(c.traces[i], absl::StrCat(c.source, ": traces[", i, "]")),
                    {}});
  }
  for (size_t i = 0; i < c.clusters.size(); ++i) {
    const ClusterConfig& k = c.clusters[i];
    SimConfig config;
    config.mode = k.mode == "seed" ? SimMode::kSeedCompat : SimMode::kRealistic;
    if (!k.profile_path.empty()) config.cost = CostModel(ReadProfileFile(k.profile_path));
    config.cluster.nodes.assign(k.nodes,
                                NodeSpec{k.capacity_blocks, k.eviction, 1.0, k.ssd_capacity_blocks,
                                         k.ssd_capacity_blocks > 0 ? k.ssd_eviction : "lru"});
    config.cluster.scope = k.scope == "global" ? CacheScope::kGlobal
                           : k.scope == "pool" ? CacheScope::kPool
                                               : CacheScope::kLocal;
    config.cluster.pool_ssd = k.ssd_pooled;
    config.cluster.pool_placement = k.pool_placement == "hashed"     ? PoolPlacement::kHashed
                                    : k.pool_placement == "balanced" ? PoolPlacement::kBalanced
                                                                     : PoolPlacement::kLocal;
    config.shape = *ClusterShapeFromName(k.shape);
    config.decode_nodes = k.decode_nodes;
    config.decode_selector = k.decode_selector;
    config.early_rejection = *EarlyRejectionFromName(k.early_rejection);
    config.overlap_load = k.overlap_load;
    config.stream_kv = k.stream_kv;
    config.cluster.hbm_prefix_cache = !k.hbm_cache_eviction.empty();
    if (config.cluster.hbm_prefix_cache) config.cluster.hbm_eviction = k.hbm_cache_eviction;
    config.cluster.dram_write = k.dram_write == "back" ? DramWrite::kBack : DramWrite::kThrough;
    config.ttft_slo_s = k.ttft_slo_s;
    config.tbt_slo_s = k.tbt_slo_s;
    config.signal_refresh_s = k.signal_refresh_s;
    config.predictor.bias = k.predictor_bias;
    config.predictor.noise_sigma = k.predictor_noise_sigma;
    if (!k.predictor_profile.empty()) {
      config.predictor.model = k.predictor_profile_path.empty()
                                   ? CostModel()
                                   : CostModel(ReadProfileFile(k.predictor_profile_path));
    }
    config.reject_over_slo = k.reject_over_slo;
    config.track_hotspots = k.track_hotspots;
    if (config.mode == SimMode::kRealistic) {
      for (const MatrixTrace& t : spec.traces) {
        if (t.trace->block_tokens() != config.cost.block_tokens()) {
          const uint32_t want = config.cost.block_tokens();
          const uint32_t have = t.trace->block_tokens();
          throw InputError(absl::StrCat(
              c.source, ": clusters[", i, "].profile: ", want, " tokens per block, but trace '",
              t.name, "' has ", have,
              want % have == 0
                  ? absl::StrCat(" (give the trace reblock_tokens: ", want,
                                 " to re-block it; --reblock-tokens on the command line)")
                  : std::string()));
        }
      }
    }
    spec.clusters.push_back(MatrixCluster{k.name, std::move(config)});
  }
  spec.prices.clear();
  for (const PricesConfig& p : c.prices) {
    MatrixPrices m;
    m.name = p.name;
    m.prices.network_dollars_per_gb = p.network_dollars_per_gb;
    m.prices.gpu_billing =
        p.gpu_billing == "provisioned" ? GpuBilling::kProvisioned : GpuBilling::kBusy;
    m.prices.storage_billing =
        p.storage_billing == "occupied" ? StorageBilling::kOccupied : StorageBilling::kProvisioned;
    m.storage_price_from_profile = !p.storage_dollars_per_gb_hour.has_value();
    if (p.storage_dollars_per_gb_hour) {
      m.prices.storage_dollars_per_gb_hour = *p.storage_dollars_per_gb_hour;
    }
    m.gpu_price_from_profile = !p.gpu_dollars_per_node_hour.has_value();
    if (p.gpu_dollars_per_node_hour)
      m.prices.gpu_dollars_per_node_hour = *p.gpu_dollars_per_node_hour;
    spec.prices.push_back(m);
  }
  spec.rate_scales = c.rate_scales;
  spec.seeds = c.seeds;
  spec.jitter_seeds = c.jitter_seeds;
  for (size_t i = 0; i < c.traces.size(); ++i) {
    if (c.traces[i].arrival_jitter_ms == 0) continue;
    for (const uint64_t seed : c.jitter_seeds) {
      // Jitter seed 0: the trace as recorded.
      const JitterOrder order = c.traces[i].arrival_jitter_order == "shuffle"
                                    ? JitterOrder::kShuffle
                                    : JitterOrder::kKeep;
      spec.traces[i].jittered.push_back(
          seed == 0
              ? spec.traces[i].trace
              : JitterArrivals(*spec.traces[i].trace, c.traces[i].arrival_jitter_ms, seed, order));
    }
  }
  for (const ExclusionConfig& x : c.exclude) {
    spec.exclude.push_back(MatrixExclusion{x.strategy, x.cluster, x.trace});
  }
  for (const CellConfigEntry& e : c.cells) {
    spec.cells.push_back(CellChoice{
        IndexOf(c.strategies, e.strategy), IndexOfName(c.clusters, e.cluster),
        IndexOfName(c.traces, e.trace), IndexOfName(c.prices, e.prices),
        static_cast<size_t>(std::find(c.rate_scales.begin(), c.rate_scales.end(), e.rate_scale) -
                            c.rate_scales.begin()),
        static_cast<size_t>(std::find(c.seeds.begin(), c.seeds.end(), e.seed) - c.seeds.begin()),
        c.jitter_seeds.empty()
            ? size_t{0}
            : static_cast<size_t>(
                  std::find(c.jitter_seeds.begin(), c.jitter_seeds.end(), e.jitter_seed) -
                  c.jitter_seeds.begin())});
  }
  return spec;
}

}  // namespace kvb
