#include "common/file_util.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace ck {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ck-fileutil-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileUtilTest, AtomicWriteSetsModeAndReplaces) {
  std::string path = dir_ + "/key.pem";
  ASSERT_TRUE(WriteFileAtomic(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "two");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp files left behind.
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

TEST_F(FileUtilTest, ReadMissingIsNotFound) {
  auto r = ReadFile(dir_ + "/nope");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(FileUtilTest, ReadRespectsLimit) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/big", std::string(100, 'x')).ok());
  EXPECT_EQ(ReadFile(dir_ + "/big", 10).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileUtilTest, SecretModeCheck) {
  std::string path = dir_ + "/master.key";
  ASSERT_TRUE(WriteFileAtomic(path, "k", 0644).ok());
  Status s = CheckSecretFileMode(path);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("chmod 600"), std::string::npos);
  chmod(path.c_str(), 0400);
  EXPECT_TRUE(CheckSecretFileMode(path).ok());
  chmod(path.c_str(), 0600);
  EXPECT_TRUE(CheckSecretFileMode(path).ok());
}

TEST_F(FileUtilTest, EnsureDirectoryNested) {
  std::string nested = dir_ + "/a/b/c";
  ASSERT_TRUE(EnsureDirectory(nested, 0700).ok());
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/file", "x").ok());
  EXPECT_FALSE(EnsureDirectory(dir_ + "/file").ok());
}

}  // namespace
}  // namespace ck
