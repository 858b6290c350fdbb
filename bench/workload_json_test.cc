#include "bench/workload_json.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "core/util/input_error.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

nlohmann::json PresetJson(const char* name) {
  const WorkloadPreset* preset = FindWorkloadPreset(name);
  return nlohmann::json::parse(
      WorkloadFileToJson({std::string(preset->description), preset->default_requests, preset->spec})
          .dump());
}

// The message of the InputError that parsing `json` throws, or "" if it parses.
std::string ErrorOf(const nlohmann::json& json) {
  try {
    WorkloadFileFromJson(json, "w.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(WorkloadJsonTest, EveryPresetRoundTripsAndGeneratesTheSameTrace) {
  for (const WorkloadPreset& preset : WorkloadPresets()) {
    const nlohmann::json json = PresetJson(std::string(preset.name).c_str());
    const WorkloadFile file = WorkloadFileFromJson(json, "preset");
    EXPECT_EQ(nlohmann::json::parse(WorkloadFileToJson(file).dump()), json) << preset.name;
    EXPECT_EQ(file.requests, preset.default_requests);
    const auto a = GenerateWorkload(file.spec, 300, 5);
    const auto b = GenerateWorkload(preset.spec, 300, 5);
    ASSERT_EQ(a->block_count(), b->block_count()) << preset.name;
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].arrival_ms, (*b)[i].arrival_ms);
      EXPECT_EQ((*a)[i].input_tokens, (*b)[i].input_tokens);
    }
  }
}

TEST(WorkloadJsonTest, ErrorsNameTheFieldPath) {
  nlohmann::json j = PresetJson("conversation");
  j["spec"]["sessions"]["extra"] = 1;
  EXPECT_EQ(ErrorOf(j), "w.json: spec.sessions.extra: unknown field");

  j = PresetJson("conversation");
  j["spec"]["documents"]["tokens"].erase("sigma");
  EXPECT_EQ(ErrorOf(j), "w.json: spec.documents.tokens.sigma: missing required field");

  j = PresetJson("conversation");
  j["spec"]["arrivals"]["sessions_per_s"] = "fast";
  EXPECT_EQ(ErrorOf(j), "w.json: spec.arrivals.sessions_per_s: expected a number, got string");

  j = PresetJson("conversation");
  j["spec"]["system_prompts"]["count"] = -2;
  EXPECT_EQ(ErrorOf(j),
            "w.json: spec.system_prompts.count: expected a non-negative integer, got -2");

  j = PresetJson("conversation");
  j["spec"]["block_tokens"] = 1.5;
  EXPECT_EQ(ErrorOf(j), "w.json: spec.block_tokens: expected an integer, got the number 1.5");

  j = PresetJson("conversation");
  j["spec"]["arrivals"]["process"] = "uniform";
  EXPECT_EQ(ErrorOf(j),
            "w.json: spec.arrivals.process: expected \"poisson\" or \"bursty\", got \"uniform\"");

  j = PresetJson("conversation");
  j["requests"] = 0;
  EXPECT_EQ(ErrorOf(j), "w.json: requests: must be > 0");

  j = PresetJson("conversation");
  j["spec"]["sessions"]["turns_mean"] = 0;  // parsed fine, refused by the generator's checks
  EXPECT_EQ(ErrorOf(j).rfind("w.json: spec.sessions.turns_mean: ", 0), 0u) << ErrorOf(j);

  EXPECT_EQ(ErrorOf(nlohmann::json::array()), "w.json: (top level): expected an object, got array");
}

TEST(WorkloadJsonTest, ShippedWorkloadFilesParse) {
  const std::filesystem::path dir = std::filesystem::path(KVB_SOURCE_DIR) / "configs" / "workloads";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const WorkloadFile file = ReadWorkloadFile(entry.path().string());
    EXPECT_GT(GenerateWorkload(file.spec, 200, 1)->size(), 0u) << entry.path();
  }
  EXPECT_GE(files, 1u);
}

TEST(WorkloadJsonTest, FileErrors) {
  const std::filesystem::path dir = ::testing::TempDir();
  const std::string bad = (dir / "bad_workload.json").string();
  std::ofstream(bad) << "{\"description\": \"x\",\n \"requests\": }";
  try {
    ReadWorkloadFile(bad);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind(bad + ": invalid JSON: parse error at line 2, column 14", 0),
        0u)
        << e.what();
  }
  EXPECT_THROW(ReadWorkloadFile((dir / "does_not_exist.json").string()), InputError);
}

}  // namespace
}  // namespace kvb
