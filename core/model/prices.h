#ifndef KVB_CORE_MODEL_PRICES_H_
#define KVB_CORE_MODEL_PRICES_H_

#include <cstdint>

#include "core/model/model_profile.h"

namespace kvb {

// What a run costs. GPU time is priced per NODE-hour (a prefill occupies every GPU of its
// node); storage per GB-hour of KV held in DRAM; network per GB moved between nodes.
// Defaults: the seed's stated facts ($3 per A100-hour x 8 GPUs per node = $24 per
// node-hour; storage $0.02 per GB-hour) and, for the network, which the seed does not
// price, $0.01 per GB: a cloud-like intra-region transfer price (e.g. the common
// cross-availability-zone rate), an assumption.
// What GPU time a run pays for: the prefill seconds its nodes were busy (pay per use), or
// every node for the whole run (rented nodes, idle or not).
enum class GpuBilling { kBusy, kProvisioned };

struct Prices {
  // Decimal units, as cloud price lists use them.
  static constexpr double kBytesPerGb = 1e9;
  static constexpr double kSecondsPerHour = 3600;

  double gpu_dollars_per_node_hour = 24.0;
  double storage_dollars_per_gb_hour = 0.02;
  double network_dollars_per_gb = 0.01;
  GpuBilling gpu_billing = GpuBilling::kBusy;

  // Dollars for `node_seconds` of prefill nodes.
  double GpuDollars(double node_seconds) const {
    return node_seconds / kSecondsPerHour * gpu_dollars_per_node_hour;
  }
  // Dollars for holding KV, given as byte-seconds (bytes integrated over time).
  double StorageDollars(double byte_seconds) const {
    return byte_seconds / kBytesPerGb / kSecondsPerHour * storage_dollars_per_gb_hour;
  }
  // Dollars for moving `bytes` over the network.
  double NetworkDollars(uint64_t bytes) const {
    return static_cast<double>(bytes) / kBytesPerGb * network_dollars_per_gb;
  }

  bool operator==(const Prices&) const = default;
};

// The default prices with the GPU price of `hardware` (its node's rental price).
inline Prices PricesFor(const HardwareProfile& hardware) {
  Prices prices;
  prices.gpu_dollars_per_node_hour = hardware.gpu_dollars_per_node_hour;
  return prices;
}

}  // namespace kvb

#endif  // KVB_CORE_MODEL_PRICES_H_
