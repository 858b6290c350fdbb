#include "core/trace/mooncake_writer.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/trace/generator.h"
#include "core/trace/mooncake_reader.h"
#include "core/trace/trace.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

// Three requests: a shared first block, a huge raw id and an empty prompt.
std::shared_ptr<const Trace> TinyTrace() {
  TraceBuilder builder;
  const std::vector<RawBlockId> first = {0, 1, 2};
  const std::vector<RawBlockId> second = {0, 18446744073709551615ULL};
  EXPECT_FALSE(builder.Add(0, 6758, 500, first).has_value());
  EXPECT_FALSE(builder.Add(27482, 520, 52, second).has_value());
  EXPECT_FALSE(builder.Add(27482, 0, 1, {}).has_value());
  return builder.Finish();
}

constexpr char kTinyTraceJsonl[] =
    "{\"timestamp\": 0, \"input_length\": 6758, \"output_length\": 500, \"hash_ids\": [0, 1, "
    "2]}\n"
    "{\"timestamp\": 27482, \"input_length\": 520, \"output_length\": 52, \"hash_ids\": [0, "
    "18446744073709551615]}\n"
    "{\"timestamp\": 27482, \"input_length\": 0, \"output_length\": 1, \"hash_ids\": []}\n";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class MooncakeWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("kvb_writer_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(MooncakeWriterTest, StringHasTheExactMooncakeFormat) {
  EXPECT_EQ(MooncakeTraceToString(*TinyTrace()), kTinyTraceJsonl);
}

TEST_F(MooncakeWriterTest, EmptyTraceIsEmptyText) {
  EXPECT_EQ(MooncakeTraceToString(*TraceBuilder().Finish()), "");
}

TEST_F(MooncakeWriterTest, FileHoldsTheSameTextAndReplacesOldContents) {
  const std::string path = (dir_ / "tiny.jsonl").string();
  {
    std::ofstream old(path);
    old << "old contents that are longer than nothing\n";
  }
  WriteMooncakeTrace(*TinyTrace(), path);
  EXPECT_EQ(ReadFile(path), kTinyTraceJsonl);
  // Only the file itself is left: the temporary file was renamed over it.
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(MooncakeWriterTest, LargeTraceFileEqualsItsString) {
  // Many 64 KiB chunks of text.
  auto trace = GenerateWorkload(FindWorkloadPreset("conversation")->spec, 3000, 1);
  const std::string path = (dir_ / "large.jsonl").string();
  WriteMooncakeTrace(*trace, path);
  const std::string text = MooncakeTraceToString(*trace);
  EXPECT_GT(text.size(), size_t{256} << 10);
  EXPECT_EQ(ReadFile(path), text);
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), trace->size());
}

TEST_F(MooncakeWriterTest, ReaderReadsBackEveryFieldAndId) {
  for (const WorkloadPreset& preset : WorkloadPresets()) {
    SCOPED_TRACE(std::string(preset.name));
    auto written = GenerateWorkload(preset.spec, 2000, 5);
    const LoadedTrace read =
        ReadMooncakeTraceFromMemory(MooncakeTraceToString(*written), "generated.jsonl");
    EXPECT_EQ(read.report.block_count_mismatches, 0u);
    EXPECT_EQ(read.report.timestamps_backwards, 0u);
    const Trace& back = *read.trace;
    ASSERT_EQ(back.size(), written->size());
    for (size_t i = 0; i < back.size(); ++i) {
      const Request a = (*written)[i];
      const Request b = back[i];
      EXPECT_EQ(a.arrival_ms, b.arrival_ms) << i;
      EXPECT_EQ(a.input_tokens, b.input_tokens) << i;
      EXPECT_EQ(a.output_tokens, b.output_tokens) << i;
      ASSERT_EQ(a.blocks.size(), b.blocks.size()) << i;
      for (size_t k = 0; k < a.blocks.size(); ++k) {
        ASSERT_EQ(written->raw_id(a.blocks[k]), back.raw_id(b.blocks[k])) << i << " " << k;
      }
    }
  }
}

TEST_F(MooncakeWriterTest, UnwritableDirectoryThrowsNamingThePath) {
  const std::string path = (dir_ / "missing" / "x.jsonl").string();
  try {
    WriteMooncakeTrace(*TinyTrace(), path);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvb
