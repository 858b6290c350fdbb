#include "bench/kvbench_listings.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/sim/metric_table.h"
#include "core/util/params.h"

namespace kvb {
namespace {

template <typename Info>
void PrintEntry(const Info& info) {
  std::printf("  %-22s %s\n", std::string(info.name).c_str(),
              std::string(info.description).c_str());
  std::printf("  %-22s defaults: %s\n", "", DefaultsText(info.params).c_str());
  std::printf("  %-22s source: %s\n", "", std::string(info.source).c_str());
}

void PrintRouter(const RouterInfo& info) {
  PrintEntry(info);
  if (!info.upstream.empty()) {
    std::printf("  %-22s upstream: %s\n", "", std::string(info.upstream).c_str());
  }
}

template <typename Infos>
void PrintParams(const Infos& infos) {
  for (const auto& info : infos) {
    for (const ParamSpec& p : info.params) {
      std::printf("  %s.%s: %s\n", std::string(info.name).c_str(), std::string(p.name).c_str(),
                  std::string(p.description).c_str());
    }
  }
}

}  // namespace

std::string MetricsMarkdown() {
  std::string out = "| column | unit | better | what it is |\n|---|---|---|---|\n";
  std::string_view section;
  for (const MetricSpec& m : Metrics()) {
    if (m.section != section) {
      section = m.section;
      absl::StrAppend(&out, "| **", std::string(section), "** | | | |\n");
    }
    absl::StrAppend(&out, "| `", std::string(m.name), "` | ",
                    m.fraction ? std::string("share (0-1)") : std::string(m.unit), " | ",
                    std::string(BetterName(m.better)), " | ", std::string(m.description),
                    m.nullable ? " (empty where it does not apply)" : "", " |\n");
  }
  return out;
}

void ListStrategies() {
  std::printf(
      "Strategies are \"router[:key=value,...][+replication[:key=value,...]]\"; without\n"
      "\"+replication\" the replication is \"%s\". In a matrix file, \"*\" is every router\n"
      "and \"*+R\" every router with replication R.\n\nRouters\n",
      std::string(kDefaultReplication).c_str());
  for (const RouterInfo& r : Routers()) PrintRouter(r);
  std::printf("\nReplication policies\n");
  for (const ReplicationInfo& p : ReplicationPolicies()) PrintEntry(p);
  std::printf("\nParameters\n");
  PrintParams(Routers());
  PrintParams(ReplicationPolicies());
}

nlohmann::ordered_json ResolvedConfigsJson(const std::vector<MatrixConfig>& configs) {
  if (configs.empty()) return MatrixConfigTemplate();
  if (configs.size() == 1) return MatrixConfigToJson(configs[0]);
  nlohmann::ordered_json out;
  for (const MatrixConfig& c : configs) out.push_back(MatrixConfigToJson(c));
  return out;
}

void PrintCellList(const RunPlan& plan) {
  for (const LoadedMatrix& m : plan.matrices) {
    for (const Cell& cell : m.cells) {
      std::printf("%s  %s/%s\n", cell.hash.c_str(), m.spec.name.c_str(), cell.key.c_str());
    }
    const std::string shard = plan.shard.n > 1 ? absl::StrCat(" in shard ", plan.shard.k, "/",
                                                              plan.shard.n, " of ", m.cells_total)
                                               : "";
    std::fprintf(stderr, "%s: %zu cells%s (%zu seed-mode cells without time or dollars skipped)\n",
                 m.spec.name.c_str(), m.cells.size(), shard.c_str(), m.skipped);
  }
}

}  // namespace kvb
