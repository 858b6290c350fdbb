#include "core/model/cost_model.h"

#include <string>

#include "core/model/model_profile.h"
#include "core/model/prices.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// A model small enough to do by hand: l = 2, d = 3, a = 4, b = 22, gqa = 3, s = 2.
//   flops(n) = 2 * (4 * n^2 * 3 + 22 * n * 9) = 24 n^2 + 396 n
//   KV bytes per token = 2 * 2 * (3 / 3) * 2 = 8
ModelProfile TinyModel() {
  return {
      .name = "tiny", .layers = 2, .hidden = 3, .a = 4, .b = 22, .gqa = 3, .bytes_per_element = 2};
}

// 2 GPUs x 500 FLOP/s x 0.5 utilisation = 500 FLOP/s; 0.25 s overhead; the load bandwidth
// B = min(host-to-device, NIC) = min(64, 16) = 16 bytes/s.
HardwareProfile TinyHardware() {
  return {.name = "tiny-hw",
          .gpus = 2,
          .peak_flops_per_gpu = 500,
          .utilisation = 0.5,
          .prefill_overhead_s = 0.25,
          .host_to_device_bytes_per_s = 64,
          .nic_bytes_per_s = 16,
          .dram_bytes = 1000,
          .gpu_dollars_per_node_hour = 1};
}

std::string ErrorOf(const ModelProfile& model, const HardwareProfile& hardware,
                    uint32_t block_tokens) {
  try {
    CostModel cost(model, hardware, block_tokens);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelProfileTest, KvBytesPerTokenOfLlama3With70bIs320KiB) {
  // 80 layers * 2 (K, V) * (8192 / 8) * 2 bytes = 327,680 = 320 KiB.
  EXPECT_EQ(DefaultProfile().model.KvBytesPerToken(), 327'680u);
  EXPECT_EQ(TinyModel().KvBytesPerToken(), 8u);  // 2 * 2 * 1 * 2
}

TEST(ModelProfileTest, PrefillFlopsByHand) {
  const ModelProfile tiny = TinyModel();
  EXPECT_DOUBLE_EQ(tiny.PrefillFlops(0), 0);
  EXPECT_DOUBLE_EQ(tiny.PrefillFlops(1), 420);   // 2 * (4*1*3 + 22*1*9) = 2 * (12 + 198)
  EXPECT_DOUBLE_EQ(tiny.PrefillFlops(4), 1968);  // 2 * (4*16*3 + 22*4*9) = 2 * (192 + 792)
  EXPECT_DOUBLE_EQ(tiny.PrefillFlops(5), 2580);  // 2 * (4*25*3 + 22*5*9) = 2 * (300 + 990)
  // LLaMA3-70B, causal (a = 2), n = 1000: 80 * (2 * 1e6 * 8192 + 22 * 1000 * 8192^2)
  //   = 80 * (16,384,000,000 + 1,476,395,008,000) = 119,422,320,640,000.
  EXPECT_DOUBLE_EQ(DefaultProfile().model.PrefillFlops(1000), 119'422'320'640'000.0);
  // The paper's Table 1 as printed (a = 4): 80 * (32,768,000,000 + 1,476,395,008,000).
  ModelProfile paper = DefaultProfile().model;
  paper.a = 4;
  EXPECT_DOUBLE_EQ(paper.PrefillFlops(1000), 120'733'040'640'000.0);
}

TEST(CostModelTest, PrefillSecondsWithoutReuse) {
  const CostModel cost(TinyModel(), TinyHardware(), 4);
  EXPECT_DOUBLE_EQ(cost.EffectiveFlopsPerS(), 500);   // 2 * 500 * 0.5
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 0), 5.41);  // 2580 / 500 + 0.25
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(1, 0), 1.09);  // 420 / 500 + 0.25
  // LLaMA3-70B on 8xA800: 1000 tokens at 8 * 312e12 * 0.5 = 1.248e15 FLOP/s, + 10 ms.
  const CostModel def;
  EXPECT_NEAR(def.PrefillSeconds(1000, 0), 119'422'320'640'000.0 / 1.248e15 + 0.010, 1e-15);
  EXPECT_NEAR(def.PrefillSeconds(1000, 0), 0.10569, 1e-5);
}

TEST(CostModelTest, PrefillSecondsWithReuse) {
  const CostModel cost(TinyModel(), TinyHardware(), 4);
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 1), 4.57);   // (2580 - 420) / 500 + 0.25
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 4), 1.474);  // (2580 - 1968) / 500 + 0.25
  // Saved compute = flops(p) / 500, whatever n is.
  EXPECT_DOUBLE_EQ(cost.SavedComputeSeconds(1), 0.84);
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 0) - cost.PrefillSeconds(5, 1),
                   cost.SavedComputeSeconds(1));
}

TEST(CostModelTest, FullReusePaysOnlyTheOverheadAndEmptyInputIsFree) {
  const CostModel cost(TinyModel(), TinyHardware(), 4);
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 5), 0.25);
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(5, 9), 0.25);  // reused is clamped to the input
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(0, 0), 0);
  EXPECT_DOUBLE_EQ(cost.PrefillSeconds(0, 3), 0);
}

TEST(CostModelTest, LoadAndTransferUseTheirBandwidths) {
  const CostModel cost(TinyModel(), TinyHardware(), 4);
  EXPECT_DOUBLE_EQ(cost.LoadSeconds(4), 2);  // 4 tokens * 8 bytes / min(64, 16)
  EXPECT_DOUBLE_EQ(cost.LoadSeconds(0), 0);
  EXPECT_DOUBLE_EQ(cost.TransferSeconds(32), 2);  // 32 bytes / 16 (NIC)

  HardwareProfile slow_pcie = TinyHardware();
  slow_pcie.host_to_device_bytes_per_s = 4;  // now the host link is the minimum
  EXPECT_DOUBLE_EQ(CostModel(TinyModel(), slow_pcie, 4).LoadSeconds(4), 8);       // 32 / 4
  EXPECT_DOUBLE_EQ(CostModel(TinyModel(), slow_pcie, 4).TransferSeconds(32), 2);  // NIC: 16

  // LLaMA3-70B: one 512-token block is 167,772,160 bytes; B = min(128e9, 100e9) = 100e9.
  const CostModel def;
  EXPECT_EQ(def.BlockBytes(), 167'772'160u);
  EXPECT_DOUBLE_EQ(def.TransferSeconds(def.BlockBytes()), 0.0016777216);
  EXPECT_DOUBLE_EQ(def.LoadSeconds(512), 0.0016777216);
}

TEST(CostModelTest, ReusePaysOffExactlyWhenLoadingBeatsRecomputing) {
  // p = 4: saved compute = 1968 / 500 = 3.936 s.
  const CostModel fast_link(TinyModel(), TinyHardware(), 4);
  EXPECT_DOUBLE_EQ(fast_link.LoadSeconds(4), 2);  // 32 bytes / 16
  EXPECT_TRUE(fast_link.ReusePaysOff(5, 4));      // 2 < 3.936
  EXPECT_LT(fast_link.PrefillSeconds(5, 4) + fast_link.LoadSeconds(4),
            fast_link.PrefillSeconds(5, 0));

  HardwareProfile slow = TinyHardware();
  slow.nic_bytes_per_s = 4;
  const CostModel slow_link(TinyModel(), slow, 4);
  EXPECT_DOUBLE_EQ(slow_link.LoadSeconds(4), 8);  // 32 bytes / 4
  EXPECT_FALSE(slow_link.ReusePaysOff(5, 4));     // 8 > 3.936
  EXPECT_GT(slow_link.PrefillSeconds(5, 4) + slow_link.LoadSeconds(4),
            slow_link.PrefillSeconds(5, 0));

  // p = 1 on the slow link: load 8 / 4 = 2 s > saved 420 / 500 = 0.84 s: not worth it.
  EXPECT_FALSE(slow_link.ReusePaysOff(5, 1));
  EXPECT_FALSE(fast_link.ReusePaysOff(5, 0));  // nothing reused
  // Clamping: reusing "9" of 5 tokens is reusing 5: saved 2580 / 500 = 5.16 > load 40 / 16.
  EXPECT_TRUE(fast_link.ReusePaysOff(5, 9));

  // On the default profile a 512-token prefix loads in 1.68 ms and saves
  // 80 * (2 * 512^2 * 8192 + 22 * 512 * 8192^2) / 1.248e15 = 48.7 ms of compute.
  const CostModel def;
  EXPECT_NEAR(def.SavedComputeSeconds(512), 60'816'736'911'360.0 / 1.248e15, 1e-15);
  EXPECT_TRUE(def.ReusePaysOff(4096, 512));
}

TEST(CostModelTest, CapacityConversions) {
  const CostModel def;  // 512 tokens per block, 167,772,160 bytes per block
  EXPECT_EQ(def.CapacityBlocks(3, CapacityUnit::kBlocks), 3u);
  EXPECT_EQ(def.CapacityBlocks(511, CapacityUnit::kTokens), 0u);
  EXPECT_EQ(def.CapacityBlocks(512, CapacityUnit::kTokens), 1u);
  EXPECT_EQ(def.CapacityBlocks(1535, CapacityUnit::kTokens), 2u);
  EXPECT_EQ(def.CapacityBlocks(uint64_t{2} * 167'772'160 - 1, CapacityUnit::kBytes), 1u);
  EXPECT_EQ(def.CapacityBlocks(uint64_t{2} * 167'772'160, CapacityUnit::kBytes), 2u);
  EXPECT_EQ(def.CapacityBlocks(0, CapacityUnit::kBytes), 0u);

  const CostModel tiny(TinyModel(), TinyHardware(), 4);  // 4 tokens * 8 bytes = 32 per block
  EXPECT_EQ(tiny.BlockBytes(), 32u);
  EXPECT_EQ(tiny.DramBlocks(), 31u);  // floor(1000 / 32)
  EXPECT_EQ(tiny.CapacityBlocks(9, CapacityUnit::kTokens), 2u);

  for (CapacityUnit unit : {CapacityUnit::kBlocks, CapacityUnit::kTokens, CapacityUnit::kBytes}) {
    EXPECT_EQ(CapacityUnitFromName(CapacityUnitName(unit)), unit);
  }
  EXPECT_EQ(CapacityUnitFromName("Tokens"), std::nullopt);
  EXPECT_EQ(CapacityUnitFromName(""), std::nullopt);
}

TEST(CostModelTest, OneNodeHoldsThreeMillionTokensInAboutOneTerabyte) {
  const CostModel def;
  // 3,000,000 tokens * 327,680 bytes = 983,040,000,000 bytes = 0.98 TB.
  EXPECT_EQ(def.hardware().dram_bytes, uint64_t{3'000'000} * 327'680);
  EXPECT_NEAR(static_cast<double>(def.hardware().dram_bytes) / 1e12, 0.98, 0.005);
  // 3e6 / 512 = 5859.375 blocks: the node holds 5859 whole blocks either way.
  EXPECT_EQ(def.DramBlocks(), 5859u);
  EXPECT_EQ(def.CapacityBlocks(3'000'000, CapacityUnit::kTokens), 5859u);
}

TEST(CostModelTest, DefaultConstructedIsTheDefaultProfile) {
  const CostModel def;
  const CostProfile profile = DefaultProfile();
  EXPECT_EQ(def.model(), profile.model);
  EXPECT_EQ(def.hardware(), profile.hardware);
  EXPECT_EQ(def.block_tokens(), 512u);
  EXPECT_EQ(profile.name, "llama3-70b_8xa800");
  EXPECT_NO_THROW(ValidateCostProfile(profile));
}

TEST(CostModelTest, InvalidProfilesNameTheField) {
  const ModelProfile m = TinyModel();
  const HardwareProfile h = TinyHardware();
  EXPECT_EQ(ErrorOf(m, h, 4), "");
  EXPECT_EQ(ErrorOf(m, h, 0), "block_tokens: must be >= 1, got 0");

  ModelProfile bad_m = m;
  bad_m.layers = 0;
  EXPECT_EQ(ErrorOf(bad_m, h, 4), "model.layers: must be >= 1, got 0");
  bad_m = m;
  bad_m.gqa = 2;
  EXPECT_EQ(ErrorOf(bad_m, h, 4), "model.gqa: must divide hidden (3), got 2");
  bad_m = m;
  bad_m.a = -1;
  EXPECT_EQ(ErrorOf(bad_m, h, 4), "model.a: must be a finite number >= 0, got -1");
  bad_m = m;
  bad_m.a = 0;
  bad_m.b = 0;
  EXPECT_EQ(ErrorOf(bad_m, h, 4), "model.b: a and b are both 0: every prefill would be free");

  bad_m = m;
  bad_m.layers = 1 << 20;
  bad_m.hidden = 1 << 20;
  bad_m.gqa = 1;  // 2 * 2^20 * 2^20 * 2 = 2^42 bytes per token: would not stay exact
  EXPECT_EQ(ErrorOf(bad_m, h, 4).rfind("model: KV bytes per token (", 0), 0u);
  bad_m.layers = 1 << 18;  // 2^40 exactly is still accepted
  EXPECT_EQ(ErrorOf(bad_m, h, 4), "");

  HardwareProfile bad_h = h;
  bad_h.utilisation = 0;
  EXPECT_EQ(ErrorOf(m, bad_h, 4), "hardware.utilisation: must be in (0, 1], got 0");
  bad_h.utilisation = 1.5;
  EXPECT_EQ(ErrorOf(m, bad_h, 4), "hardware.utilisation: must be in (0, 1], got 1.5");
  bad_h.utilisation = 1;  // full MFU is allowed
  EXPECT_EQ(ErrorOf(m, bad_h, 4), "");
  bad_h = h;
  bad_h.nic_bytes_per_s = 0;
  EXPECT_EQ(ErrorOf(m, bad_h, 4), "hardware.nic_bytes_per_s: must be a finite number > 0, got 0");
  bad_h = h;
  bad_h.prefill_overhead_s = -0.5;
  EXPECT_EQ(ErrorOf(m, bad_h, 4),
            "hardware.prefill_overhead_s: must be a finite number >= 0, got -0.5");
  bad_h = h;
  bad_h.gpus = 0;
  EXPECT_EQ(ErrorOf(m, bad_h, 4), "hardware.gpus: must be >= 1, got 0");
}

TEST(PricesTest, DefaultsAreListPricesAndProvisionedStorage) {
  const Prices prices;
  EXPECT_DOUBLE_EQ(prices.gpu_dollars_per_node_hour, 24);  // 8 GPUs x $3 per GPU-hour
  // GCP N2 memory: $0.004237 per GiB-hour; a GiB is 1.073741824 GB.
  EXPECT_NEAR(prices.storage_dollars_per_gb_hour, 0.0039460, 1e-7);
  EXPECT_DOUBLE_EQ(prices.network_dollars_per_gb, 0);  // RDMA inside a cluster
  EXPECT_EQ(prices.gpu_billing, GpuBilling::kBusy);
  EXPECT_EQ(prices.storage_billing, StorageBilling::kProvisioned);
  EXPECT_EQ(PricesFor(DefaultProfile().hardware), prices);
  EXPECT_DOUBLE_EQ(PricesFor(TinyHardware()).gpu_dollars_per_node_hour, 1);
  HardwareProfile dear = TinyHardware();
  dear.dram_dollars_per_gb_hour = 0.5;
  EXPECT_DOUBLE_EQ(PricesFor(dear).storage_dollars_per_gb_hour, 0.5);
}

TEST(PricesTest, DollarsByHand) {
  Prices prices;
  prices.storage_dollars_per_gb_hour = 0.02;
  prices.network_dollars_per_gb = 0.01;
  EXPECT_DOUBLE_EQ(prices.GpuDollars(2 * 3600), 48);             // 2 node-hours x $24
  EXPECT_DOUBLE_EQ(prices.GpuDollars(90), 0.6);                  // 90 s = 1/40 h x $24
  EXPECT_DOUBLE_EQ(prices.StorageDollars(1), 0.02);              // 1 GB-hour
  EXPECT_DOUBLE_EQ(prices.StorageDollars(2.5), 0.05);            // 0.5 GB for 5 hours
  EXPECT_DOUBLE_EQ(prices.NetworkDollars(5'000'000'000), 0.05);  // 5 GB x $0.01
}

// The default profile's SSD: one 512-token block (167,772,160 bytes) reads in 100 us +
// 6.7108864 ms at 25 GB/s and writes in 11.0376421 ms at 15.2 GB/s.
TEST(CostModelTest, SsdReadsPayLatencyOnceAndWritesTheirBandwidth) {
  const CostModel cost;
  EXPECT_DOUBLE_EQ(cost.SsdReadSeconds(512), 100e-6 + 167772160 / 25e9);
  EXPECT_DOUBLE_EQ(cost.SsdReadSeconds(1024), 100e-6 + 2 * 167772160 / 25e9);
  EXPECT_EQ(cost.SsdReadSeconds(0), 0);
  EXPECT_DOUBLE_EQ(cost.SsdWriteSeconds(1), 167772160 / 15.2e9);
  EXPECT_EQ(cost.SsdWriteSeconds(0), 0);
  CostProfile free_writes = DefaultProfile();
  free_writes.hardware.ssd_write_bytes_per_s = 0;
  EXPECT_EQ(CostModel(free_writes).SsdWriteSeconds(1000), 0);
}

}  // namespace
}  // namespace kvb
