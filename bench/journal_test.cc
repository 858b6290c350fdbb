// The journal of finished cells: what a crash leaves is read back, damage is dropped, and a
// journal of another config is refused.

#include "bench/journal.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/util/input_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kvb_journal_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "r.json.journal").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }

  std::filesystem::path dir_;
  std::string path_;
  const JournalOwner owner_{"00000000000000aa", "0.1.0"};
};

TEST_F(JournalTest, AppendedCellsAreReadBackOnResume) {
  {
    auto journal = Journal::Create(path_, owner_);
    journal->Append("m/aaa", R"({"x":1})");
    journal->Append("m/bbb", "payload with \"quotes\" and\nnewline");
  }
  std::map<std::string, std::string> done;
  std::vector<std::string> warnings;
  auto journal = Journal::Resume(path_, owner_, &done, &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_THAT(done, ElementsAre(Pair("m/aaa", R"({"x":1})"),
                                Pair("m/bbb", "payload with \"quotes\" and\nnewline")));
  // Appending after a resume keeps the earlier cells.
  journal->Append("m/ccc", "3");
  journal.reset();
  done.clear();
  Journal::Resume(path_, owner_, &done, &warnings);
  EXPECT_EQ(done.size(), 3u);
}

TEST_F(JournalTest, EachLineIsOneSelfCheckingJsonObject) {
  Journal::Create(path_, owner_)->Append("m/aaa", "p");
  EXPECT_EQ(
      Read(),
      "{\"config_hash\":\"00000000000000aa\",\"kvbench_journal\":1,"
      "\"kvbench_version\":\"0.1.0\"}\n"
      "{\"cell\":\"m/aaa\",\"fnv1a\":\"" +
          [] {
            // FNV-1a 64 of "m/aaa\np", by hand.
            uint64_t h = 0xcbf29ce484222325ull;
            for (const char c : std::string("m/aaa\np")) {
              h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
            }
            char hex[17];
            std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
            return std::string(hex);
          }() +
          "\",\"payload\":\"p\"}\n");
}

TEST_F(JournalTest, ATornOrAlteredLineIsDroppedWithAWarning) {
  Journal::Create(path_, owner_)->Append("m/aaa", "one");
  std::string text = Read();
  // A second entry whose payload was altered after its checksum, and a torn third one.
  std::map<std::string, std::string> first;
  Journal::Resume(path_, owner_, &first, nullptr)->Append("m/bbb", "two");
  text = Read();
  const size_t two = text.find("\"two\"");
  ASSERT_NE(two, std::string::npos);
  text.replace(two, 5, "\"TWO\"");
  text += "{\"cell\":\"m/ccc\",\"fnv1a\":\"12";  // no newline: the crash came mid-write
  Write(text);
  std::map<std::string, std::string> done;
  std::vector<std::string> warnings;
  auto journal = Journal::Resume(path_, owner_, &done, &warnings);
  EXPECT_THAT(done, ElementsAre(Pair("m/aaa", "one")));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("r.json.journal: line 3: damaged"));
  EXPECT_THAT(warnings[1], HasSubstr("line 4: damaged"));
  // The next entry starts on its own line and reads back.
  journal->Append("m/ddd", "four");
  journal.reset();
  done.clear();
  warnings.clear();
  Journal::Resume(path_, owner_, &done, &warnings);
  EXPECT_THAT(done, ElementsAre(Pair("m/aaa", "one"), Pair("m/ddd", "four")));
}

TEST_F(JournalTest, AJournalOfAnotherConfigOrVersionIsRefused) {
  Journal::Create(path_, owner_)->Append("m/aaa", "one");
  std::map<std::string, std::string> done;
  try {
    Journal::Resume(path_, JournalOwner{"00000000000000bb", "0.1.0"}, &done, nullptr);
    FAIL() << "resumed a journal of another config";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("written for config hash 00000000000000aa by kvbench 0.1.0, "
                                    "this run is config 00000000000000bb on kvbench 0.1.0"));
  }
  EXPECT_THROW(Journal::Resume(path_, JournalOwner{"00000000000000aa", "0.2.0"}, &done, nullptr),
               InputError);
  Write("not a journal\n");
  EXPECT_THROW(Journal::Resume(path_, owner_, &done, nullptr), InputError);
  EXPECT_TRUE(done.empty());
}

TEST_F(JournalTest, ResumingWithoutAJournalStartsOneAndRemoveDeletesIt) {
  std::map<std::string, std::string> done;
  auto journal = Journal::Resume(path_, owner_, &done, nullptr);
  EXPECT_TRUE(done.empty());
  EXPECT_TRUE(std::filesystem::exists(path_));
  journal->Remove();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace kvb
