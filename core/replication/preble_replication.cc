// preble: a prefix whose recent TTFT has doubled gets a copy on the lightest node. Per
// prefix (the request's first prefix_blocks blocks), an exponential moving average of its
// requests' TTFT and a baseline (the average when last acted on, or its lowest so far);
// when average >= ttft_ratio x baseline after min_requests requests, the next request with
// that prefix copies it from its longest holder to the least loaded node lacking it, and
// the baseline resets. Bounded memory: a direct-mapped table of prefixes (a colliding
// prefix replaces the entry). After Preble's (ICLR'25) load-driven prefix replication.

#include <cmath>
#include <vector>

#include "core/policy/route_decision.h"
#include "core/replication/replication_registry.h"
#include "core/util/mix.h"

namespace kvb {
namespace {

constexpr ParamSpec kParams[] = {
    {"prefix_blocks", 4, 1, 1024, "blocks of the prefix a TTFT is attributed to", true},
    {"ttft_ratio", 2, 1, 1000, "act when the TTFT average reaches this x its baseline"},
    {"smoothing", 0.2, 1e-6, 1, "weight of a new TTFT in the moving average"},
    {"min_requests", 8, 1, 1e9, "requests of a prefix before it can act", true},
    {"table_size", 65536, 1, 1 << 26, "prefixes followed at once (direct-mapped)", true},
};

class PrebleReplication final : public ReplicationPolicy {
 public:
  explicit PrebleReplication(const Params& p)
      : prefix_blocks_(static_cast<uint32_t>(p.GetInt("prefix_blocks"))),
        ratio_(p.Get("ttft_ratio")),
        smoothing_(p.Get("smoothing")),
        min_requests_(static_cast<uint64_t>(p.GetInt("min_requests"))),
        table_(static_cast<size_t>(p.GetInt("table_size"))) {}

  bool keeps_fetched() const override { return true; }
  bool copies_prefixes() const override { return true; }
  // Bytes of one table entry (the memory estimate's unit).
  static constexpr size_t entry_bytes() { return sizeof(Entry); }

  void OnServed(const Request& request, uint32_t, double ttft_s) override {
    if (request.blocks.empty()) return;
    const BlockId key = KeyOf(request);
    Entry& e = table_[Mix64(key) % table_.size()];
    if (!e.used || e.key != key) e = Entry{true, key, 0, ttft_s, ttft_s, false};
    ++e.requests;
    e.average = smoothing_ * ttft_s + (1 - smoothing_) * e.average;
    e.baseline = std::min(e.baseline, e.average);
    if (e.requests >= min_requests_ && e.average >= ratio_ * e.baseline) e.wants_copy = true;
  }

  void BeforeRoute(const ClusterView& view) override {
    if (view.seed_mode() || view.request().blocks.empty() || view.nodes() < 2) return;
    const BlockId key = KeyOf(view.request());
    Entry& e = table_[Mix64(key) % table_.size()];
    if (!e.used || e.key != key || !e.wants_copy) return;
    const auto length =
        std::min<uint32_t>(prefix_blocks_, static_cast<uint32_t>(view.request().blocks.size()));
    uint32_t source = 0;
    for (uint32_t n = 1; n < view.nodes(); ++n) {
      if (view.prefix_blocks(n) > view.prefix_blocks(source)) source = n;
    }
    if (view.prefix_blocks(source) == 0) return;  // nobody holds it: nothing to copy
    uint32_t target = kRejectRequest;
    for (uint32_t n = 0; n < view.nodes(); ++n) {
      if (view.prefix_blocks(n) >= length) continue;
      if (target == kRejectRequest || view.queued_work_s(n) < view.queued_work_s(target))
        target = n;
    }
    e.wants_copy = false;
    e.baseline = e.average;  // the next doubling acts again
    if (target != kRejectRequest) view.replicas().CopyPrefix(source, target, length);
  }

 private:
  struct Entry {
    bool used = false;
    BlockId key = 0;
    uint64_t requests = 0;
    double average = 0;
    double baseline = 0;
    bool wants_copy = false;
  };

  BlockId KeyOf(const Request& r) const {
    return r.blocks[std::min<size_t>(prefix_blocks_, r.blocks.size()) - 1];
  }

  const uint32_t prefix_blocks_;
  const double ratio_;
  const double smoothing_;
  const uint64_t min_requests_;
  std::vector<Entry> table_;
};

}  // namespace

// The direct-mapped table of table_size entries, allocated whole.
uint64_t PrebleReplicationStateBytes(const Params& params, const PolicySizing&) {
  return static_cast<uint64_t>(params.GetInt("table_size")) * PrebleReplication::entry_bytes();
}

ReplicationInfo PrebleReplicationInfo() {
  return {"preble",
          "copy a prefix to the lightest node when its TTFT has doubled",
          "Preble (Srivatsa et al., ICLR'25), load-driven prefix replication",
          kParams,
          [](const Params& p, uint64_t) { return std::make_unique<PrebleReplication>(p); },
          PrebleReplicationStateBytes};
}

}  // namespace kvb
