#include "bench/run_result_json.h"

#include <cmath>
#include <string>

#include "core/sim/metric_table.h"

namespace kvb {

nlohmann::ordered_json RunResultToJson(const RunResult& r) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const NodeResult& n : r.nodes) {
    nodes.push_back({{"requests", n.requests},
                     {"busy_s", n.busy_s},
                     {"block_refs", n.block_refs},
                     {"hit_blocks", n.hit_blocks},
                     {"resident_blocks_end", n.resident_blocks_end},
                     {"fetched_blocks_in", n.fetched_blocks_in},
                     {"fetched_blocks_out", n.fetched_blocks_out},
                     {"replica_blocks_in", n.replica_blocks_in},
                     {"replica_blocks_out", n.replica_blocks_out}});
  }
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const WindowRow& w : r.windows) {
    windows.push_back({{"start", w.start_s},
                       {"arrivals", w.arrivals},
                       {"rejected", w.rejected},
                       {"served", w.served},
                       {"block_refs", w.block_refs},
                       {"hit_blocks", w.hit_blocks},
                       {"ttft_sum_s", w.ttft_sum_s},
                       {"resident_blocks", w.resident_blocks},
                       {"replica_blocks", w.replica_blocks},
                       {"queue_length", w.queue_length},
                       {"hbm_utilisation", w.hbm_utilisation},
                       {"batch_size", w.batch_size},
                       {"heat_key_accesses", w.heat_key_accesses}});
  }
  nlohmann::ordered_json tracked = nlohmann::ordered_json::array();
  for (const TrackedKey& k : r.tracked_keys) {
    tracked.push_back(
        {{"rank", k.rank}, {"id", k.id}, {"accesses", k.accesses}, {"holders", k.holders}});
  }
  nlohmann::ordered_json heat = nlohmann::ordered_json::array();
  for (const TrackedKey& k : r.heat_keys) {
    heat.push_back({{"rank", k.rank},
                    {"id", k.id},
                    {"accesses", k.accesses},
                    {"chain_first_id", k.chain_first_id},
                    {"chain_length", k.chain_length}});
  }
  nlohmann::ordered_json hot = nlohmann::ordered_json::array();
  for (const RunResult::HotPrefixStat& h : r.hot_prefixes) {
    hot.push_back({{"id", h.id},
                   {"count", h.count},
                   {"intensity", h.intensity},
                   {"slope", h.slope},
                   {"prediction_score", h.prediction_score},
                   {"current_hot", h.current_hot},
                   {"predicted_hot", h.predicted_hot},
                   {"replication_factor", h.replication_factor}});
  }
  // The metrics, grouped by their table section; then the series.
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const MetricSpec& m : Metrics()) {
    const double value = m.read(r);
    nlohmann::ordered_json& slot = m.section == "requests"
                                       ? json[std::string(m.name)]
                                       : json[std::string(m.section)][std::string(m.name)];
    if (std::isnan(value)) {
      slot = nullptr;  // does not apply to this cell
    } else if (m.integer) {
      slot = static_cast<uint64_t>(value);
    } else {
      slot = value;
    }
  }
  json["latency"]["ttft_percentiles_s"] = r.ttft_percentiles;
  json["nodes"] = nodes;
  json["window_s"] = r.window_s;
  json["windows"] = windows;
  json["sample_period_s"] = r.sample_period_s;
  json["tracked_keys"] = tracked;
  json["heat_keys"] = heat;
  json["hot_prefixes"] = hot;
  return json;
}

nlohmann::ordered_json MetricTableJson() {
  nlohmann::ordered_json table = nlohmann::ordered_json::array();
  for (const MetricSpec& m : Metrics()) {
    table.push_back({{"name", m.name},
                     {"unit", m.unit},
                     {"better", BetterName(m.better)},
                     {"fraction", m.fraction},
                     {"nullable", m.nullable},
                     {"section", m.section},
                     {"counter", m.counter},
                     {"integer", m.integer},
                     {"description", m.description}});
  }
  return table;
}

}  // namespace kvb
