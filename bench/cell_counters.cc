#include "bench/cell_counters.h"

#include "core/sim/metric_table.h"

namespace kvb {

CellCounters CountersOf(const RunResult& r) {
  CellCounters counters;
  for (const MetricSpec& m : Metrics()) {
    if (m.counter) counters.emplace_back(std::string(m.name), m.read(r));
  }
  return counters;
}

std::vector<std::string> CounterNames() {
  std::vector<std::string> names;
  for (const MetricSpec& m : Metrics()) {
    if (m.counter) names.emplace_back(m.name);
  }
  return names;
}

}  // namespace kvb
