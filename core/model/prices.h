#ifndef KVB_CORE_MODEL_PRICES_H_
#define KVB_CORE_MODEL_PRICES_H_

#include <cstdint>

#include "core/model/model_profile.h"

namespace kvb {

// What a run costs. GPU time is priced per NODE-hour (a prefill occupies every GPU of its
// node); KV storage per GB-hour; network per GB moved between nodes.
// GPU: $24 per node-hour = 8 x the seed's $3 per A100-hour. Storage: host DRAM at its list
// price (kListDramDollarsPerGbHour, $0.003946 per GB-hour), billed for the capacity every
// node provisions. Network: $0, RDMA inside one cluster carries no per-GB bill.
// What GPU time a run pays for: the prefill seconds its nodes were busy (pay per use), or
// every node for the whole run (rented nodes, idle or not).
enum class GpuBilling { kBusy, kProvisioned };
// What KV storage a run pays for: every node's capacity for the whole run (the DRAM comes
// with the node), or only the bytes resident over time (the seed's and kvbench's old bill).
enum class StorageBilling { kProvisioned, kOccupied };

struct Prices {
  // Decimal units, as cloud price lists use them.
  static constexpr double kBytesPerGb = 1e9;
  static constexpr double kSecondsPerHour = 3600;
  double gpu_dollars_per_node_hour = 24.0;
  double storage_dollars_per_gb_hour = kListDramDollarsPerGbHour;
  double network_dollars_per_gb = 0.0;
  // Local SSD (tier G3), billed for every node's SSD capacity over the run (either rule).
  double ssd_dollars_per_gb_hour = kListSsdDollarsPerGbHour;
  GpuBilling gpu_billing = GpuBilling::kBusy;
  StorageBilling storage_billing = StorageBilling::kProvisioned;

  // Dollars for `node_seconds` of prefill nodes.
  double GpuDollars(double node_seconds) const {
    return node_seconds / kSecondsPerHour * gpu_dollars_per_node_hour;
  }
  // Dollars for KV storage, given as GB-hours (provisioned or occupied).
  double StorageDollars(double gb_hours) const { return gb_hours * storage_dollars_per_gb_hour; }
  // Dollars for moving `bytes` over the network.
  double NetworkDollars(uint64_t bytes) const {
    return static_cast<double>(bytes) / kBytesPerGb * network_dollars_per_gb;
  }

  bool operator==(const Prices&) const = default;
};

// The default prices with the GPU and DRAM prices of `hardware`.
inline Prices PricesFor(const HardwareProfile& hardware) {
  Prices prices;
  prices.gpu_dollars_per_node_hour = hardware.gpu_dollars_per_node_hour;
  prices.storage_dollars_per_gb_hour = hardware.dram_dollars_per_gb_hour;
  prices.ssd_dollars_per_gb_hour = hardware.ssd_dollars_per_gb_hour;
  return prices;
}

}  // namespace kvb

#endif  // KVB_CORE_MODEL_PRICES_H_
