#include "core/util/atomic_file.h"

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("atomic_file_test_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string PathOf(const std::string& name) const { return (dir_ / name).string(); }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }

  // Names of the entries of the test directory.
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  std::filesystem::path dir_;
};

TEST_F(AtomicFileTest, WriteAndCommitProduceTheContent) {
  const std::string path = PathOf("out.txt");
  {
    AtomicFileWriter writer(path);
    EXPECT_EQ(writer.path(), path);
    writer.Write("hello, ");
    writer.Write("world\n");
    writer.Commit();
  }
  EXPECT_EQ(ReadAll(path), "hello, world\n");
  EXPECT_THAT(Entries(), ElementsAre("out.txt"));  // no temporary file left
}

TEST_F(AtomicFileTest, LargeWritesPassTheBufferInOrder) {
  // Pieces below, at and above the 1 MiB buffer, so every flush path is taken.
  const std::string small(1000, 'a');
  const std::string exact(size_t{1} << 20, 'b');
  const std::string large((size_t{3} << 20) + 17, 'c');
  const std::string path = PathOf("big.bin");
  AtomicFileWriter writer(path);
  writer.Write(small);
  writer.Write(exact);
  writer.Write(small);
  writer.Write(large);
  writer.Write("end");
  writer.Commit();
  EXPECT_EQ(ReadAll(path), small + exact + small + large + "end");
}

TEST_F(AtomicFileTest, CommitReplacesAnExistingFile) {
  const std::string path = PathOf("out.txt");
  WriteFileAtomically(path, "old contents that are longer");
  WriteFileAtomically(path, "new");
  EXPECT_EQ(ReadAll(path), "new");
  EXPECT_THAT(Entries(), ElementsAre("out.txt"));
}

TEST_F(AtomicFileTest, UncommittedWriterLeavesNoFileAndNoTemporary) {
  {
    AtomicFileWriter writer(PathOf("out.txt"));
    writer.Write("never committed");
    EXPECT_EQ(Entries().size(), 1u);  // the temporary file exists meanwhile
  }
  EXPECT_THAT(Entries(), IsEmpty());
}

TEST_F(AtomicFileTest, UncommittedWriterKeepsTheOldFile) {
  const std::string path = PathOf("out.txt");
  WriteFileAtomically(path, "old");
  {
    AtomicFileWriter writer(path);
    writer.Write("new");
  }
  EXPECT_EQ(ReadAll(path), "old");
  EXPECT_THAT(Entries(), ElementsAre("out.txt"));
}

TEST_F(AtomicFileTest, MissingDirectoryThrowsNamingThePath) {
  const std::string path = PathOf("no_such_dir/out.txt");
  try {
    WriteFileAtomically(path, "x");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": cannot create temporary file: No such file or directory");
  }
  EXPECT_THAT(Entries(), IsEmpty());
}

TEST_F(AtomicFileTest, FailedRenameThrowsNamingThePathAndRemovesTheTemporary) {
  // The target is a non-empty directory, so the final rename fails.
  const std::string path = PathOf("target");
  std::filesystem::create_directories(path + "/inside");
  {
    AtomicFileWriter writer(path);
    writer.Write("x");
    try {
      writer.Commit();
      FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), path + ": cannot rename temporary file: Is a directory");
    }
  }
  EXPECT_THAT(Entries(), ElementsAre("target"));
}

// A full disk, imitated by a file size limit (write fails with EFBIG instead of ENOSPC):
// the error names the file being written, the old output stays whole, and no temporary
// is left once the writer is gone.
TEST_F(AtomicFileTest, AFullDiskKeepsTheOldFileAndNamesThePath) {
  const std::string path = PathOf("out.json");
  WriteFileAtomically(path, "old result");
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const sighandler_t old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    WriteFileAtomically(path, std::string(1 << 20, 'x'));
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_THAT(error, ::testing::StartsWith(path));
  EXPECT_THAT(error, ::testing::HasSubstr("write failed"));
  EXPECT_THAT(error, ::testing::HasSubstr("File too large"));
  EXPECT_EQ(ReadAll(path), "old result");
  EXPECT_THAT(Entries(), ElementsAre("out.json"));
}

}  // namespace
}  // namespace kvb
