#include "bench/profile_json.h"

#include <filesystem>
#include <string>
#include <vector>

#include "bench/strict_json.h"
#include "core/model/cost_model.h"
#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

const std::filesystem::path kProfileDir =
    std::filesystem::path(KVB_SOURCE_DIR) / "configs/profiles";

nlohmann::json DefaultJson() {
  return nlohmann::json::parse(CostProfileToJson(DefaultProfile()).dump());
}

// The message of the InputError that parsing `json` throws, or "" if it parses.
std::string ErrorOf(const nlohmann::json& json) {
  try {
    CostProfileFromJson(json, "p.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::vector<std::filesystem::path> ProfileFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kProfileDir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  return files;
}

TEST(ProfileJsonTest, EveryProfileFileParsesAndIsNamedAfterItsFile) {
  const std::vector<std::filesystem::path> files = ProfileFiles();
  EXPECT_GE(files.size(), 2u);
  for (const std::filesystem::path& path : files) {
    SCOPED_TRACE(path.string());
    const CostProfile profile = ReadProfileFile(path.string());
    EXPECT_EQ(profile.name, path.stem().string());
    EXPECT_FALSE(profile.notes.empty());
    const CostModel cost(profile);
    EXPECT_GT(cost.PrefillSeconds(4096, 0), cost.PrefillSeconds(4096, 2048));
    EXPECT_GT(cost.DramBlocks(), 0u);
    // Writing it back gives the same JSON (no field is dropped or renamed).
    EXPECT_EQ(nlohmann::json::parse(CostProfileToJson(profile).dump()),
              ReadJsonFile(path.string()));
  }
}

TEST(ProfileJsonTest, DefaultProfileFileEqualsDefaultProfileInCode) {
  const CostProfile file = ReadProfileFile((kProfileDir / "llama3-70b_8xa800.json").string());
  EXPECT_EQ(file.model, DefaultProfile().model);
  EXPECT_EQ(file.hardware, DefaultProfile().hardware);
  EXPECT_EQ(file.block_tokens, DefaultProfile().block_tokens);
  EXPECT_EQ(file.notes, DefaultProfile().notes);
  EXPECT_EQ(file, DefaultProfile());
}

TEST(ProfileJsonTest, PaperProfilesDifferFromTheDefaultsOnlyInTheAttentionCoefficient) {
  // The shipped profiles count causal attention (a = 2); *_paper keep Table 1's a = 4.
  for (const std::string base : {"llama3-70b_8xa800", "llama3-70b_8xh800"}) {
    SCOPED_TRACE(base);
    const CostProfile causal = ReadProfileFile((kProfileDir / (base + ".json")).string());
    CostProfile paper = ReadProfileFile((kProfileDir / (base + "_paper.json")).string());
    EXPECT_EQ(causal.model.a, 2);
    EXPECT_EQ(paper.model.a, 4);
    EXPECT_EQ(paper.name, base + "_paper");
    paper.model.a = 2;
    paper.name = causal.name;
    paper.notes = causal.notes;
    EXPECT_EQ(paper, causal);
  }
}

TEST(ProfileJsonTest, OtherProfilesHaveTheirModelsKvSize) {
  // LLaMA3-8B: 32 layers * 2 * (4096 / 4) * 2 bytes = 131,072; 256e9 / 131,072 = 1,953,125.
  const CostModel small(ReadProfileFile((kProfileDir / "llama3-8b_1xh100.json").string()));
  EXPECT_EQ(small.KvBytesPerToken(), 131'072u);
  EXPECT_EQ(small.hardware().dram_bytes, uint64_t{1'953'125} * 131'072);
  EXPECT_EQ(small.DramBlocks(), 3814u);  // floor(1,953,125 / 512)
  // 70B on 8xH800: same KV size, the NIC (50e9 B/s) is the load bottleneck.
  const CostModel h800(ReadProfileFile((kProfileDir / "llama3-70b_8xh800.json").string()));
  EXPECT_EQ(h800.KvBytesPerToken(), 327'680u);
  EXPECT_DOUBLE_EQ(h800.LoadSeconds(512), 512 * 327'680 / 50e9);
  EXPECT_LT(h800.PrefillSeconds(8192, 0), CostModel().PrefillSeconds(8192, 0));
}

TEST(ProfileJsonTest, RoundTripsThroughJson) {
  EXPECT_EQ(CostProfileFromJson(DefaultJson(), "default"), DefaultProfile());
  EXPECT_EQ(ErrorOf(DefaultJson()), "");
}

TEST(ProfileJsonTest, ErrorsNameTheFieldPath) {
  nlohmann::json j = DefaultJson();
  j["extra"] = 1;
  EXPECT_EQ(ErrorOf(j), "p.json: extra: unknown field");

  j = DefaultJson();
  j["hardware"]["tflops"] = 1;
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.tflops: unknown field");

  j = DefaultJson();
  j["model"].erase("gqa");
  EXPECT_EQ(ErrorOf(j), "p.json: model.gqa: missing required field");

  j = DefaultJson();
  j.erase("notes");
  EXPECT_EQ(ErrorOf(j), "p.json: notes: missing required field");

  j = DefaultJson();
  j["hardware"]["utilisation"] = "half";
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.utilisation: expected a number, got string");

  j = DefaultJson();
  j["hardware"]["dram_bytes"] = -5;
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.dram_bytes: expected a non-negative integer, got -5");

  j = DefaultJson();
  j["model"]["layers"] = 80.5;
  EXPECT_EQ(ErrorOf(j), "p.json: model.layers: expected an integer, got the number 80.5");

  j = DefaultJson();
  j["model"] = 3;
  EXPECT_EQ(ErrorOf(j), "p.json: model: expected an object, got the integer 3");

  j = DefaultJson();
  j["notes"] = "";
  EXPECT_EQ(ErrorOf(j), "p.json: notes: must not be empty: say where the numbers come from");

  j = DefaultJson();
  j["model"]["name"] = "";
  EXPECT_EQ(ErrorOf(j), "p.json: model.name: must not be empty");
}

TEST(ProfileJsonTest, ServingSectionIsOptionalAndStrict) {
  nlohmann::json j = DefaultJson();
  j.erase("serving");
  EXPECT_EQ(ErrorOf(j), "");
  EXPECT_FALSE(CostProfileFromJson(j, "p.json").serving.has_value());

  j = DefaultJson();
  j["serving"].erase("max_num_seqs");
  EXPECT_EQ(ErrorOf(j), "p.json: serving.max_num_seqs: missing required field");

  j = DefaultJson();
  j["serving"]["step_model"]["kind"] = "x";
  EXPECT_EQ(ErrorOf(j), "p.json: serving.step_model.kind: unknown field");

  j = DefaultJson();
  j["serving"]["step_model"]["params"]["mfu"] = "high";
  EXPECT_EQ(ErrorOf(j), "p.json: serving.step_model.params: 'mfu': expected a number");

  j = DefaultJson();
  j["serving"]["chunked_prefill"] = 1;
  EXPECT_NE(ErrorOf(j).find("p.json: serving.chunked_prefill: "), std::string::npos);

  j = DefaultJson();
  j["serving"]["hbm_bytes_per_gpu"] = 10e9;  // 80 GB < 141.2 GB of weights
  EXPECT_NE(ErrorOf(j).find("p.json: serving.hbm_bytes_per_gpu: no room for one KV block"),
            std::string::npos);

  j = DefaultJson();
  j["serving"]["step_model"]["name"] = "linear";
  EXPECT_NE(ErrorOf(j).find("p.json: serving.step_model.name: unknown step model 'linear'"),
            std::string::npos);

  j = DefaultJson();
  j["serving"]["step_model"]["params"]["mbu"] = 2;
  EXPECT_NE(ErrorOf(j).find("p.json: serving.step_model.params: "), std::string::npos);
  EXPECT_NE(ErrorOf(j).find("mbu"), std::string::npos);
}

TEST(ProfileJsonTest, ValidationErrorsNameTheFieldPath) {
  nlohmann::json j = DefaultJson();
  j["hardware"]["utilisation"] = 1.5;
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.utilisation: must be in (0, 1], got 1.5");

  j = DefaultJson();
  j["model"]["gqa"] = 3;
  EXPECT_EQ(ErrorOf(j), "p.json: model.gqa: must divide hidden (8192), got 3");

  j = DefaultJson();
  j["block_tokens"] = 0;
  EXPECT_EQ(ErrorOf(j), "p.json: block_tokens: must be >= 1, got 0");

  j = DefaultJson();
  j["hardware"]["nic_bytes_per_s"] = 0;
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.nic_bytes_per_s: must be a finite number > 0, got 0");
}

// Tier G3's local SSD: five optional hardware fields, written back only when one is set.
TEST(ProfileJsonTest, SsdFieldsRoundTripThroughJson) {
  // The default profile has an SSD (15 TB read at 25 GB/s, at the storage list price).
  const nlohmann::json printed = DefaultJson();
  EXPECT_EQ(printed["hardware"]["ssd_bytes"], 15'000'000'000'000u);
  EXPECT_EQ(printed["hardware"]["ssd_read_bytes_per_s"], 25e9);
  EXPECT_EQ(printed["hardware"]["ssd_dollars_per_gb_hour"], kListSsdDollarsPerGbHour);
  EXPECT_EQ(printed["hardware"]["ssd_read_latency_s"], 100e-6);
  EXPECT_EQ(printed["hardware"]["ssd_write_bytes_per_s"], 15.2e9);
  EXPECT_DOUBLE_EQ(kListSsdDollarsPerGbHour, 0.00005479452 / 1.073741824);

  CostProfile p = DefaultProfile();
  p.hardware.ssd_bytes = 3'840'000'000'000;
  p.hardware.ssd_read_bytes_per_s = 6.5e9;
  p.hardware.ssd_dollars_per_gb_hour = 0.0001;
  p.hardware.ssd_read_latency_s = 80e-6;
  p.hardware.ssd_write_bytes_per_s = 3.8e9;
  const nlohmann::json j = nlohmann::json::parse(CostProfileToJson(p).dump());
  EXPECT_EQ(j["hardware"]["ssd_read_latency_s"], 80e-6);
  EXPECT_EQ(j["hardware"]["ssd_write_bytes_per_s"], 3.8e9);
  EXPECT_EQ(j["hardware"]["ssd_bytes"], 3'840'000'000'000u);
  EXPECT_EQ(j["hardware"]["ssd_read_bytes_per_s"], 6.5e9);
  EXPECT_EQ(j["hardware"]["ssd_dollars_per_gb_hour"], 0.0001);
  EXPECT_EQ(ErrorOf(j), "");
  EXPECT_EQ(CostProfileFromJson(j, "p.json"), p);
  EXPECT_EQ(CostModel(CostProfileFromJson(j, "p.json")).SsdBlocks(),
            3'840'000'000'000u / (512u * 327'680u));  // 22,888 blocks of 160 MiB

  // Any one of the five set writes all five, and they read back the same.
  CostProfile price_only = DefaultProfile();
  price_only.hardware.ssd_bytes = 0;
  price_only.hardware.ssd_read_bytes_per_s = 0;
  price_only.hardware.ssd_dollars_per_gb_hour = 0.0002;
  price_only.hardware.ssd_read_latency_s = 0;
  price_only.hardware.ssd_write_bytes_per_s = 0;
  const nlohmann::json k = nlohmann::json::parse(CostProfileToJson(price_only).dump());
  EXPECT_EQ(k["hardware"]["ssd_bytes"], 0u);
  EXPECT_EQ(k["hardware"]["ssd_read_bytes_per_s"], 0);
  EXPECT_EQ(k["hardware"]["ssd_dollars_per_gb_hour"], 0.0002);
  EXPECT_EQ(CostProfileFromJson(k, "p.json"), price_only);

  // A read bandwidth without an SSD is accepted (nothing reads from it).
  CostProfile bandwidth_only = DefaultProfile();
  bandwidth_only.hardware.ssd_bytes = 0;
  bandwidth_only.hardware.ssd_dollars_per_gb_hour = 0;
  bandwidth_only.hardware.ssd_read_latency_s = 0;
  const nlohmann::json b = nlohmann::json::parse(CostProfileToJson(bandwidth_only).dump());
  EXPECT_EQ(ErrorOf(b), "");
  EXPECT_EQ(CostProfileFromJson(b, "p.json"), bandwidth_only);
  EXPECT_EQ(CostModel(bandwidth_only).SsdBlocks(), 0u);
}

TEST(ProfileJsonTest, ProfileWithoutSsdPrintsNoSsdFields) {
  const CostProfile small = ReadProfileFile((kProfileDir / "llama3-8b_1xh100.json").string());
  EXPECT_EQ(small.hardware.ssd_bytes, 0u);
  EXPECT_EQ(small.hardware.ssd_read_bytes_per_s, 0);
  EXPECT_EQ(small.hardware.ssd_dollars_per_gb_hour, 0);
  EXPECT_EQ(CostModel(small).SsdBlocks(), 0u);

  CostProfile none = DefaultProfile();
  none.hardware.ssd_bytes = 0;
  none.hardware.ssd_read_bytes_per_s = 0;
  none.hardware.ssd_dollars_per_gb_hour = 0;
  none.hardware.ssd_read_latency_s = 0;
  none.hardware.ssd_write_bytes_per_s = 0;
  for (const CostProfile& p : {small, none}) {
    SCOPED_TRACE(p.name);
    const nlohmann::json j = nlohmann::json::parse(CostProfileToJson(p).dump());
    for (const char* key : {"ssd_bytes", "ssd_read_bytes_per_s", "ssd_dollars_per_gb_hour",
                            "ssd_read_latency_s", "ssd_write_bytes_per_s"}) {
      EXPECT_FALSE(j["hardware"].contains(key)) << key;
    }
    EXPECT_EQ(CostProfileFromJson(j, "p.json"), p);
  }

  // The same profile with the fields erased from the file parses to "no SSD".
  nlohmann::json j = DefaultJson();
  j["hardware"].erase("ssd_bytes");
  j["hardware"].erase("ssd_read_bytes_per_s");
  j["hardware"].erase("ssd_dollars_per_gb_hour");
  j["hardware"].erase("ssd_read_latency_s");
  j["hardware"].erase("ssd_write_bytes_per_s");
  EXPECT_EQ(ErrorOf(j), "");
  EXPECT_EQ(CostProfileFromJson(j, "p.json"), none);
}

TEST(ProfileJsonTest, SsdFieldErrorsNameTheFieldPath) {
  nlohmann::json j = DefaultJson();
  j["hardware"]["ssd_read_bytes_per_s"] = -1;
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_read_bytes_per_s: must be a finite number >= 0, got -1");

  j = DefaultJson();
  j["hardware"]["ssd_read_latency_s"] = -1e-3;
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_read_latency_s: must be a finite number >= 0, got -0.001");

  j = DefaultJson();
  j["hardware"]["ssd_write_bytes_per_s"] = "fast";
  EXPECT_NE(ErrorOf(j).find("hardware.ssd_write_bytes_per_s"), std::string::npos) << ErrorOf(j);

  j = DefaultJson();
  j["hardware"]["ssd_dollars_per_gb_hour"] = -0.5;
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_dollars_per_gb_hour: must be a finite number >= 0, got -0.5");

  // A negative price fails even on a profile without an SSD.
  j = DefaultJson();
  j["hardware"]["ssd_bytes"] = 0;
  j["hardware"]["ssd_read_bytes_per_s"] = 0;
  j["hardware"]["ssd_dollars_per_gb_hour"] = -1e-6;
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_dollars_per_gb_hour: must be a finite number >= 0, got -1e-06");

  j = DefaultJson();
  j["hardware"]["ssd_read_bytes_per_s"] = 0;
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_read_bytes_per_s: must be > 0 when hardware.ssd_bytes is set");

  j = DefaultJson();
  j["hardware"].erase("ssd_read_bytes_per_s");
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_read_bytes_per_s: must be > 0 when hardware.ssd_bytes is set");

  j = DefaultJson();
  j["hardware"]["ssd_bytes"] = 1;  // one byte is still an SSD
  j["hardware"].erase("ssd_read_bytes_per_s");
  EXPECT_EQ(ErrorOf(j),
            "p.json: hardware.ssd_read_bytes_per_s: must be > 0 when hardware.ssd_bytes is set");

  j = DefaultJson();
  j["hardware"]["ssd_bytes"] = -5;
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.ssd_bytes: expected a non-negative integer, got -5");

  j = DefaultJson();
  j["hardware"]["ssd_bytes"] = 1.5e12;
  EXPECT_EQ(ErrorOf(j).rfind("p.json: hardware.ssd_bytes: expected", 0), 0u) << ErrorOf(j);

  j = DefaultJson();
  j["hardware"]["ssd_bytes"] = "15TB";
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.ssd_bytes: expected an integer, got string");

  j = DefaultJson();
  j["hardware"]["ssd_read_bytes_per_s"] = "fast";
  EXPECT_EQ(ErrorOf(j), "p.json: hardware.ssd_read_bytes_per_s: expected a number, got string");

  j = DefaultJson();
  j["hardware"]["ssd_dollars_per_gb_hour"] = nullptr;
  EXPECT_EQ(ErrorOf(j).rfind("p.json: hardware.ssd_dollars_per_gb_hour: expected a number", 0), 0u)
      << ErrorOf(j);

  j = DefaultJson();
  j["hardware"]["ssd_gb"] = 15000;
  EXPECT_EQ(ErrorOf(j).rfind("p.json: hardware.ssd_gb: unknown field", 0), 0u) << ErrorOf(j);
}

TEST(ProfileJsonTest, ReadProfileFileNamesTheFile) {
  const std::string missing = (kProfileDir / "no-such-profile.json").string();
  try {
    ReadProfileFile(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(missing + ": cannot open", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace kvb
