// kvbench: the strategy matrix harness's command. Today: --list-strategies prints every
// registered router and replication policy with its parameters, defaults and source.

#include <cstdio>
#include <sstream>
#include <string>

#include "boost/program_options.hpp"
#include "core/replication/replication_policy.h"
#include "core/routing/router.h"
#include "core/util/params.h"

namespace {

namespace po = boost::program_options;

template <typename Info>
void PrintEntry(const Info& info) {
  std::printf("  %-22s %s\n", std::string(info.name).c_str(),
              std::string(info.description).c_str());
  std::printf("  %-22s defaults: %s\n", "", kvb::DefaultsText(info.params).c_str());
  std::printf("  %-22s source: %s\n", "", std::string(info.source).c_str());
}

void ListStrategies() {
  std::printf(
      "Strategies are \"router[:key=value,...][+replication[:key=value,...]]\"; without\n"
      "\"+replication\" the replication is \"%s\".\n\nRouters\n",
      std::string(kvb::kDefaultReplication).c_str());
  for (const kvb::RouterInfo& r : kvb::Routers()) PrintEntry(r);
  std::printf("\nReplication policies\n");
  for (const kvb::ReplicationInfo& p : kvb::ReplicationPolicies()) PrintEntry(p);
  std::printf("\nParameters\n");
  for (const kvb::RouterInfo& r : kvb::Routers()) {
    for (const kvb::ParamSpec& p : r.params) {
      std::printf("  %s.%s: %s\n", std::string(r.name).c_str(), std::string(p.name).c_str(),
                  std::string(p.description).c_str());
    }
  }
  for (const kvb::ReplicationInfo& r : kvb::ReplicationPolicies()) {
    for (const kvb::ParamSpec& p : r.params) {
      std::printf("  %s.%s: %s\n", std::string(r.name).c_str(), std::string(p.name).c_str(),
                  std::string(p.description).c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("kvbench options");
  options.add_options()("help,h", "this help")(
      "list-strategies", "every router and replication policy, with defaults and sources");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "kvbench: error: %s\n", e.what());
    return 2;
  }
  if (vm.count("list-strategies")) {
    ListStrategies();
    return 0;
  }
  std::printf("usage: kvbench --list-strategies\n\n");
  std::ostringstream help;
  help << options;
  std::fputs(help.str().c_str(), stdout);
  return vm.count("help") ? 0 : 2;
}
