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
