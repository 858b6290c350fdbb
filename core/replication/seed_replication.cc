// seed_dynamic and seed_predictive: the seed's hot-spot replication (docs/SEED_MODEL.md, step 1)
// as a policy for any router, fed by the cell's HotspotTracker. Before a request is routed,
// for each of its prefixes from the longest (max_prefix) down to min_prefix: a current hot
// spot (intensity > theta) — and for seed_predictive also a predicted one (composite score
// > 0.6 and slope > 0.1) — gets the seed's replication factor r; copies go from the node
// holding most of the prefix to the r - 1 least loaded other nodes.
// Seed mode copies as the seed does (to the r - 1 lowest queue + blocks/500, every time);
// realistic mode tops the prefix up to r holders and sends each target one copy per request.

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/hotspot/seed_rules.h"
#include "core/policy/placement.h"
#include "core/replication/replication_registry.h"
#include "core/util/memory_arithmetic.h"

namespace kvb {
namespace {

constexpr ParamSpec kParams[] = {
    {"theta", kSeedPaperTheta, 1e-9, 1.0, "current hot spot: intensity > theta"},
    {"min_prefix", 2, 1, 1024, "shortest prefix examined (blocks)", true},
    {"max_prefix", 8, 1, 1024, "longest prefix examined (blocks)", true},
};

class SeedReplication final : public ReplicationPolicy {
 public:
  SeedReplication(const Params& p, bool predictive)
      : predictive_(predictive),
        min_prefix_(static_cast<uint32_t>(p.GetInt("min_prefix"))),
        max_prefix_(static_cast<uint32_t>(p.GetInt("max_prefix"))) {
    rules_.theta = p.Get("theta");
  }

  bool keeps_fetched() const override { return true; }
  bool needs_hotspots() const override { return true; }
  bool copies_prefixes() const override { return true; }

  void BeforeRoute(const ClusterView& view) override {
    const HotspotTracker* tracker = view.hotspots();
    const auto& blocks = view.request().blocks;
    const auto nodes = static_cast<uint32_t>(view.nodes());
    if (tracker == nullptr || nodes < 2) return;
    covered_.assign(nodes, false);
    const uint32_t longest = std::min<uint32_t>(max_prefix_, static_cast<uint32_t>(blocks.size()));
    for (uint32_t length = longest; length >= min_prefix_ && length >= 1; --length) {
      const int r = Factor(*tracker, blocks[length - 1], nodes);
      if (r > 1) Replicate(view, length, r);
    }
  }

 private:
  // The prefix's replication factor under this policy's rules (1: not hot).
  int Factor(const HotspotTracker& tracker, BlockId id, uint32_t nodes) {
    double intensity = 0;
    if (!tracker.ReadHistory(id, &intensity, &history_)) return 1;
    if (!predictive_) {
      // The slope as the tracker states it (HotspotStats::slope: its own rules).
      return IsCurrentHot(intensity, rules_)
                 ? ReplicationFactor(HotKind::kCurrent, intensity,
                                     TrendSlope(history_, tracker.config().rules),
                                     static_cast<int>(nodes), rules_)
                 : 1;
    }
    // As HotspotTracker evaluates a prefix: its window counts are the history, the last
    // completed window's count is the seed's "hit count".
    const int64_t count = history_.empty() ? 0 : history_.back();
    return EvaluatePrefix(history_, count, intensity, static_cast<int>(nodes), rules_)
        .replication_factor;
  }

  void Replicate(const ClusterView& view, uint32_t length, int r) {
    const auto nodes = static_cast<uint32_t>(view.nodes());
    if (view.seed_mode()) {
      // The seed's way: from the node holding most of the prefix's ids, to the r - 1 least
      // loaded others, every time.
      sources_.Recount(view, length);
      const std::optional<uint32_t> source = sources_.For(length);
      if (!source) return;
      const std::vector<uint32_t> targets = SeedCopyTargets(view, *source);
      for (size_t k = 0; k < std::min<size_t>(r - 1, targets.size()); ++k) {
        view.replicas().CopyPrefix(*source, targets[k], length);
      }
      return;
    }
    // Realistic: from the node holding the longest contiguous part of the prefix.
    uint32_t source = 0;
    for (uint32_t n = 1; n < nodes; ++n) {
      if (std::min(view.prefix_blocks(n), length) > std::min(view.prefix_blocks(source), length)) {
        source = n;
      }
    }
    if (view.prefix_blocks(source) == 0) return;
    order_.resize(nodes);
    std::iota(order_.begin(), order_.end(), 0u);
    int holders = 0;
    for (uint32_t n = 0; n < nodes; ++n) holders += view.prefix_blocks(n) >= length;
    std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
      return view.queued_work_s(a) != view.queued_work_s(b)
                 ? view.queued_work_s(a) < view.queued_work_s(b)
                 : view.queue_length(a) < view.queue_length(b);
    });
    for (uint32_t n : order_) {
      if (holders >= r) break;
      if (n == source || covered_[n] || view.prefix_blocks(n) >= length) continue;
      covered_[n] = true;  // one copy per target per request: the longest prefix covers the rest
      if (view.replicas().CopyPrefix(source, n, length) > 0) ++holders;
    }
  }

  const bool predictive_;
  const uint32_t min_prefix_;
  const uint32_t max_prefix_;
  SeedRules rules_;
  SeedCopySources sources_;
  std::vector<uint32_t> order_;
  std::vector<bool> covered_;
  std::vector<int64_t> history_;  // scratch: a prefix's window counts
};

// Per node: a place in the copy order, a covered flag and max_prefix + 1 copy-source counts.
uint64_t SeedReplicationStateBytes(const Params& p, const PolicySizing& cell) {
  const auto counts = static_cast<uint64_t>(p.GetInt("max_prefix")) + 2;
  // ...and a scratch history of at most the tracker's longest (4096 windows).
  return cell.nodes * sizeof(uint32_t) * counts + CeilDiv(cell.nodes, 8) + 4096 * sizeof(int64_t);
}

}  // namespace

ReplicationInfo SeedDynamicReplicationInfo() {
  return {"seed_dynamic",
          "current hot prefixes (intensity > theta) get 1-3 extra replicas",
          "the earlier Go simulator (docs/SEED_MODEL.md, replication of current hot spots)",
          kParams,
          [](const Params& p, uint64_t) { return std::make_unique<SeedReplication>(p, false); },
          SeedReplicationStateBytes};
}

ReplicationInfo SeedPredictiveReplicationInfo() {
  return {"seed_predictive",
          "seed_dynamic plus predicted hot prefixes (trend regression, composite score)",
          "the earlier Go simulator (docs/SEED_MODEL.md, prediction score and replication table)",
          kParams,
          [](const Params& p, uint64_t) { return std::make_unique<SeedReplication>(p, true); },
          SeedReplicationStateBytes};
}

}  // namespace kvb
