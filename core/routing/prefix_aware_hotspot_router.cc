// prefix_aware_hotspot: the seed's PrefixAwareHotspot(alpha, beta, gamma, theta). Per
// request: replicate the hot prefixes among its first max_prefix ids (seed_rules.h), then
// take the node maximising alpha * hits / len + gamma * prefix / max_prefix +
// beta / (1 + load); ties: lowest index. Also registered as the seed's two presets.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/cache/id_index.h"
#include "core/hotspot/hotspot_tracker.h"
#include "core/hotspot/seed_rules.h"
#include "core/policy/placement.h"
#include "core/routing/router.h"
#include "core/routing/router_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

constexpr std::array<ParamSpec, 8> MakeParams(double alpha, double beta, double gamma,
                                              double theta) {
  return {{
      {"alpha", alpha, 0, 1000, "weight of the share of the request's blocks held"},
      {"beta", beta, 0, 1000, "weight of 1 / (1 + load)"},
      {"gamma", gamma, 0, 1000, "weight of the leading run held (of max_prefix ids) / max_prefix"},
      {"theta", theta, 1e-6, 1000, "current hot spot: intensity > theta (seed_rules.h)"},
      {"window_requests", 1000, 1, 1e12, "seed mode: intensity window W, in requests", true},
      {"max_prefix", 8, 1, 4096, "prefix lengths considered: 2 .. max_prefix", true},
      {"history", static_cast<double>(kSeedHistoryLength), 1, 100000,
       "seed mode: hit-count history points kept per pattern record", true},
      {"load_scale_s", 1, 1e-6, 1e6,
       "realistic mode: seconds of queued work that count as the seed's full queue (q/100 = 1)"},
  }};
}

// The generic entry defaults to the "paper" preset.
constexpr auto kParams = MakeParams(0.6, 0.8, 0.4, kSeedPaperTheta);
constexpr auto kPaperParams = MakeParams(0.6, 0.8, 0.4, kSeedPaperTheta);
constexpr auto kOptimisedParams = MakeParams(0.5, 0.6, 0.8, kSeedOptimisedTheta);

struct Options {
  double alpha = 0;
  double beta = 0;
  double gamma = 0;
  double theta = 0;
  int64_t window_requests = 0;
  size_t max_prefix = 0;
  size_t history = 0;
  double load_scale_s = 0;
};

class PrefixAwareHotspotRouter final : public Router {
 public:
  explicit PrefixAwareHotspotRouter(const Options& options) : o_(options) {
    rules_.theta = o_.theta;
  }

  bool needs_hotspots() const override { return true; }
  bool copies_prefixes() const override { return true; }

  RouteDecision Route(const ClusterView& view) override {
    ++t_;  // the seed's global request counter: 1 for the first request
    if (view.seed_mode()) {
      if (records_.size() != view.nodes()) records_.resize(view.nodes());
      ReplicateSeed(view);
    } else {
      ReplicateRealistic(view);
    }
    const uint32_t node = Choose(view);
    if (view.seed_mode()) RecordSeed(view, node);
    return node;
  }

  // Bytes of one pattern record's map slot (the memory estimate's unit), and its alignment.
  static constexpr size_t record_slot_bytes() { return sizeof(std::pair<BlockId, Pattern>); }
  static constexpr size_t record_slot_align() { return alignof(std::pair<BlockId, Pattern>); }

 private:
  // The seed's pattern record of one prefix on one node.
  struct Pattern {
    int64_t hits = 0;
    int64_t last_hit = 0;
    double intensity = 0;
    std::vector<int64_t> history;  // hit counts seen by detection, oldest first
  };

  size_t Top(const ClusterView& view) const {
    return std::min(o_.max_prefix, view.request().blocks.size());
  }

  // Seed: q / 100 of the last-100-requests list. Realistic: queued seconds in units of
  // load_scale_s, not saturating (the seed's signal stops at 1 once a node got 100).
  double Load(const ClusterView& view, size_t n) const {
    return view.seed_mode() ? static_cast<double>(view.queue_length(n)) / 100.0
                            : view.queued_work_s(n) / o_.load_scale_s;
  }

  // Step 2: alpha * hits / len + gamma * prefix_score + beta / (1 + load), maximised.
  // Seed: hits per block; realistic: the contiguous prefix held (what is reused).
  uint32_t Choose(const ClusterView& view) const {
    const size_t len = view.request().blocks.size();
    const size_t top = Top(view);
    uint32_t best = 0;
    double best_score = 0;
    for (uint32_t n = 0; n < view.nodes(); ++n) {
      const double hits = view.seed_mode() ? view.resident_blocks(n) : view.prefix_blocks(n);
      const double hit_share = len > 0 ? o_.alpha * hits / static_cast<double>(len) : 0;
      const size_t run = std::min<size_t>(view.prefix_blocks(n), top);
      const double prefix_score =
          len > 1 ? static_cast<double>(run) / static_cast<double>(o_.max_prefix) : 0;
      const double score = hit_share + o_.gamma * prefix_score + o_.beta / (1 + Load(view, n));
      if (n == 0 || score > best_score) {
        best = n;
        best_score = score;
      }
    }
    return best;
  }

  // Other nodes than `source` ordered by `key` (stable: ties keep index order).
  template <typename Key>
  std::vector<uint32_t> OthersByKey(const ClusterView& view, uint32_t source, Key key) const {
    std::vector<std::pair<double, uint32_t>> keyed;
    for (uint32_t n = 0; n < view.nodes(); ++n) {
      if (n != source) keyed.emplace_back(key(n), n);
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<uint32_t> order;
    for (const auto& [k, n] : keyed) order.push_back(n);
    return order;
  }

  // Step 1, seed mode: for L = min(max_prefix, n) .. 2, the node holding most of the
  // prefix's ids (per id, first node on ties) evaluates its record of the prefix and, if
  // hot, copies the prefix to the r - 1 other nodes of lowest queue + resident / 500.
  void ReplicateSeed(const ClusterView& view) {
    const auto blocks = view.request().blocks;
    const int nodes = static_cast<int>(view.nodes());
    sources_.Recount(view, static_cast<uint32_t>(Top(view)));
    for (size_t len = Top(view); len >= 2; --len) {
      const std::optional<uint32_t> source = sources_.For(static_cast<uint32_t>(len));
      if (!source) continue;
      const auto it = records_[*source].find(blocks[len - 1]);
      if (it == records_[*source].end()) continue;
      Pattern& p = it->second;
      p.history.push_back(p.hits);
      if (p.history.size() > o_.history) p.history.erase(p.history.begin());
      const PrefixVerdict v = EvaluatePrefix(p.history, p.hits, p.intensity, nodes, rules_);
      if (v.replication_factor <= 1) continue;
      const std::vector<uint32_t> targets = SeedCopyTargets(view, *source);
      const size_t copies = std::min<size_t>(v.replication_factor - 1, targets.size());
      for (size_t k = 0; k < copies; ++k) {
        view.replicas().CopyPrefix(*source, targets[k], static_cast<uint32_t>(len));
      }
      if (copies > 0) sources_.Recount(view, static_cast<uint32_t>(len - 1));
    }
  }

  // Step 3, seed mode: the chosen node's records of the request's prefixes.
  void RecordSeed(const ClusterView& view, uint32_t node) {
    const auto blocks = view.request().blocks;
    const int64_t window_start = std::max<int64_t>(0, t_ - o_.window_requests);
    for (size_t len = Top(view); len >= 2; --len) {
      Pattern& p = records_[node][blocks[len - 1]];
      ++p.hits;
      p.last_hit = t_;
      if (p.last_hit >= t_ - o_.window_requests) {  // always true, as in the seed
        p.intensity = static_cast<double>(p.hits) / static_cast<double>(t_ - window_start + 1);
      }
    }
  }

  // Step 1, realistic mode: hotness from the engine's HotspotTracker (intensity and slope
  // over its windows, re-judged with this router's theta). A hot prefix of length L with
  // replication factor r is copied from the first node holding all of it to the
  // least-loaded nodes lacking it (queued_work_s / load_scale_s + resident / capacity),
  // until r nodes hold it or are being sent it: existing holders count as replicas. No
  // per-prefix records: memory stays bounded.
  void ReplicateRealistic(const ClusterView& view) {
    const HotspotTracker* tracker = view.hotspots();
    if (tracker == nullptr || view.nodes() < 2) return;
    PrunePending(view.now_s());
    const auto blocks = view.request().blocks;
    const int nodes = static_cast<int>(view.nodes());
    for (size_t len = Top(view); len >= 2; --len) {
      const BlockId id = blocks[len - 1];
      double intensity = 0;
      if (!tracker->ReadHistory(id, &intensity, &history_)) continue;
      const int64_t last = history_.empty() ? 0 : history_.back();
      const PrefixVerdict v = EvaluatePrefix(history_, last, intensity, nodes, rules_);
      if (v.replication_factor <= 1) continue;
      std::optional<uint32_t> source;
      size_t holders = 0;
      for (uint32_t n = 0; n < view.nodes(); ++n) {
        if (!Covered(view, n, len)) continue;
        ++holders;
        if (!source && view.prefix_blocks(n) >= len) source = n;
      }
      if (!source || holders >= static_cast<size_t>(v.replication_factor)) continue;
      const std::vector<uint32_t> order = OthersByKey(view, *source, [&](uint32_t n) {
        const double fill = view.capacity(n) > 0 ? static_cast<double>(view.resident(n)) /
                                                       static_cast<double>(view.capacity(n))
                                                 : 0;
        return Load(view, n) + fill;
      });
      size_t wanted = static_cast<size_t>(v.replication_factor) - holders;
      for (const uint32_t target : order) {
        if (wanted == 0) break;
        if (Covered(view, target, len)) continue;
        const uint32_t sent =
            view.replicas().CopyPrefix(*source, target, static_cast<uint32_t>(len));
        if (sent > 0) pending_[PendingKey(target, id)] = view.now_s() + view.transfer_s(sent);
        --wanted;  // a refused copy is not retried for this prefix in this request
      }
    }
  }

  static uint64_t PendingKey(uint32_t node, BlockId id) { return (uint64_t{node} << 32) | id; }

  // Whether `node` holds the request's first `len` blocks or is being sent (by a copy this
  // router asked for, until transfer_s after asking) a prefix of the request that long.
  bool Covered(const ClusterView& view, uint32_t node, size_t len) const {
    if (view.prefix_blocks(node) >= len) return true;
    const auto blocks = view.request().blocks;
    for (size_t j = len - 1; j < Top(view); ++j) {
      const auto it = pending_.find(PendingKey(node, blocks[j]));
      if (it != pending_.end() && it->second > view.now_s()) return true;
    }
    return false;
  }

  // Forgets the copies that should have landed, when the map doubled since last time.
  void PrunePending(double now_s) {
    if (pending_.size() < 2 * prune_at_) return;
    absl::erase_if(pending_, [now_s](const auto& entry) { return entry.second <= now_s; });
    prune_at_ = std::max<size_t>(pending_.size(), 64);
  }

  const Options o_;
  SeedRules rules_;
  int64_t t_ = 0;
  // Seed mode: per node, pattern records keyed by the prefix's last id (which names it).
  // Kept forever, as the seed does (bounded by the trace's distinct ids).
  SeedCopySources sources_;
  std::vector<absl::flat_hash_map<BlockId, Pattern>> records_;
  // Realistic mode: copies asked for, (target, id) -> when they should have landed.
  absl::flat_hash_map<uint64_t, double> pending_;
  size_t prune_at_ = 64;
  std::vector<int64_t> history_;  // scratch: a prefix's window counts (at most K)
};

// Seed mode: per node, a record per prefix of length 2..max_prefix (keyed by its last id, at
// depth 1..max_prefix-1) of the requests routed there, kept forever: at most every such
// reference, and every node x such id, spread evenly over the nodes. Realistic mode keeps
// only the copies in flight (a guess: at most max_prefix per node, twice before pruning).
uint64_t PrefixAwareHotspotStateBytes(const Params& p, const PolicySizing& cell) {
  const uint64_t nodes = cell.nodes;
  const auto max_prefix = static_cast<uint64_t>(p.GetInt("max_prefix"));
  if (!cell.seed_compat) {
    const uint64_t pending = 2 * nodes * max_prefix;
    // ...and a scratch history of at most the tracker's longest (4096 windows).
    return IdIndex::HashTableBytes(IdIndex::HashCapacityGrown(pending),
                                   sizeof(std::pair<uint64_t, double>), alignof(double)) +
           4096 * sizeof(int64_t);
  }
  const auto history = static_cast<uint64_t>(p.GetInt("history"));
  const TraceShape& t = cell.trace;
  const uint64_t ids = t.IdsWithin(max_prefix) - t.IdsWithin(1);
  const uint64_t refs = t.RefsWithin(max_prefix) - t.RefsWithin(1);
  const uint64_t records = std::min(refs, nodes * ids);
  const uint64_t per_node = CeilDiv(records, nodes);
  uint64_t bytes = nodes * (sizeof(absl::flat_hash_map<BlockId, int>) +
                            IdIndex::HashTableBytes(IdIndex::HashCapacityGrown(per_node),
                                                    PrefixAwareHotspotRouter::record_slot_bytes(),
                                                    PrefixAwareHotspotRouter::record_slot_align()));
  // Histories: a record gets a hit count when its prefix comes back (at most once per such
  // reference that is not the id's first), up to `history` + 1 of them; vectors grow by
  // doubling, so a record's history takes at most 16 B per count (and 8 x the power of two
  // above history + 1), plus a malloc header.
  const uint64_t returns = refs > ids ? refs - ids : 0;
  const uint64_t with_history = std::min(records, returns);
  const uint64_t per_record_max = Pow2Ceil(history + 1) * sizeof(int64_t);
  bytes += std::min(returns * 2 * sizeof(int64_t), with_history * per_record_max) +
           with_history * kMallocOverhead;
  bytes += (max_prefix + 1) * nodes * sizeof(uint32_t);  // the copy-source counts
  return bytes;
}

std::unique_ptr<Router> MakePrefixAwareHotspot(const Params& p, uint64_t) {
  Options o;
  o.alpha = p.Get("alpha");
  o.beta = p.Get("beta");
  o.gamma = p.Get("gamma");
  o.theta = p.Get("theta");
  o.window_requests = p.GetInt("window_requests");
  o.max_prefix = static_cast<size_t>(p.GetInt("max_prefix"));
  o.history = static_cast<size_t>(p.GetInt("history"));
  o.load_scale_s = p.Get("load_scale_s");
  return std::make_unique<PrefixAwareHotspotRouter>(o);
}

}  // namespace

RouterInfo PrefixAwareHotspotRouterInfo() {
  return {"prefix_aware_hotspot",
          "replicate hot prefixes, then blocks held + leading run + 1 / (1 + load)",
          "the earlier Go simulator (docs/SEED_MODEL.md)",
          kParams,
          MakePrefixAwareHotspot,
          PrefixAwareHotspotStateBytes};
}

RouterInfo SeedPaperRouterInfo() {
  return {"seed_paper",
          "prefix_aware_hotspot with the seed's \"paper\" preset (0.6, 0.8, 0.4, 0.1)",
          "the earlier Go simulator (docs/SEED_MODEL.md)",
          kPaperParams,
          MakePrefixAwareHotspot,
          PrefixAwareHotspotStateBytes};
}

RouterInfo SeedOptimisedRouterInfo() {
  return {"seed_optimised",
          "prefix_aware_hotspot with the seed's \"optimised\" preset (0.5, 0.6, 0.8, 0.15)",
          "the earlier Go simulator (docs/SEED_MODEL.md)",
          kOptimisedParams,
          MakePrefixAwareHotspot,
          PrefixAwareHotspotStateBytes};
}

}  // namespace kvb
