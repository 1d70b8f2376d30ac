// Master key loading: file formats, file modes, systemd credentials, dev-mode generation.
#include "store/master_key.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/encoding.hpp"
#include "common/file_util.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store {
namespace {

using testing::TempDir;

const std::string kRaw(32, '\x5a');

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(MasterKeyTest, IdIsStableAndDistinguishesKeys) {
  MasterKey a = testing::FixedKey(1);
  MasterKey a2 = testing::FixedKey(1);
  MasterKey b = testing::FixedKey(2);
  EXPECT_EQ(a.id().size(), 16u);
  EXPECT_EQ(a.id(), a2.id());
  EXPECT_NE(a.id(), b.id());
  // SHA-256 of 32 x 0x01, first 8 bytes (computed independently with sha256sum).
  EXPECT_EQ(a.id(), testing::Sha256Hex(std::string(32, '\x01')).substr(0, 16));
}

TEST(MasterKeyTest, GenerateGivesDifferentKeys) {
  CK_ASSERT_OK_AND_ASSIGN(MasterKey a, MasterKey::Generate());
  CK_ASSERT_OK_AND_ASSIGN(MasterKey b, MasterKey::Generate());
  EXPECT_NE(a.bytes(), b.bytes());
}

TEST(MasterKeyTest, ParsesRawHexAndBase64) {
  CK_ASSERT_OK_AND_ASSIGN(MasterKey raw, MasterKey::Parse(kRaw, "test"));
  Bytes bytes = ToBytes(kRaw);
  CK_ASSERT_OK_AND_ASSIGN(MasterKey hex, MasterKey::Parse(HexEncode(bytes) + "\n", "test"));
  CK_ASSERT_OK_AND_ASSIGN(MasterKey b64, MasterKey::Parse(Base64Encode(bytes) + "\n", "test"));
  CK_ASSERT_OK_AND_ASSIGN(MasterKey b64_crlf,
                          MasterKey::Parse("  " + Base64Encode(bytes) + "\r\n", "test"));
  EXPECT_EQ(raw.bytes(), hex.bytes());
  EXPECT_EQ(raw.bytes(), b64.bytes());
  EXPECT_EQ(raw.bytes(), b64_crlf.bytes());
  // The file format we write reads back.
  CK_ASSERT_OK_AND_ASSIGN(MasterKey again, MasterKey::Parse(raw.ToFileContent(), "test"));
  EXPECT_EQ(again.bytes(), raw.bytes());
}

TEST(MasterKeyTest, RejectsWrongLengthsWithoutEchoingContent) {
  for (std::string bad : {std::string(""), std::string(31, 'a'), Base64Encode(std::string(16, 'x')),
                          std::string("not base64 at all !!"), HexEncode(ToBytes(kRaw)) + "00"}) {
    auto r = MasterKey::Parse(bad, "key file K");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("key file K"), std::string::npos);
    if (bad.size() > 4) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(MasterKeyTest, FileWithMode0644IsRefusedWithChmodHint) {
  TempDir dir;
  std::string path = dir.File("master-key");
  CK_ASSERT_OK(WriteFileAtomic(path, Base64Encode(kRaw) + "\n", 0644));
  auto r = LoadMasterKeyFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("chmod 600 " + path), std::string::npos)
      << r.status().message();
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(LoadMasterKeyFile(path).status().code(), StatusCode::kPermissionDenied);
}

TEST(MasterKeyTest, FileWithMode0600Or0400Loads) {
  TempDir dir;
  std::string path = dir.File("master-key");
  CK_ASSERT_OK(WriteFileAtomic(path, Base64Encode(kRaw) + "\n", 0600));
  CK_ASSERT_OK_AND_ASSIGN(MasterKey k, LoadMasterKeyFile(path));
  EXPECT_EQ(k.bytes(), MasterKey::FromBytes(kRaw)->bytes());
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  CK_EXPECT_OK(LoadMasterKeyFile(path));
}

TEST(MasterKeyTest, MissingFileIsNotFound) {
  TempDir dir;
  CK_EXPECT_CODE(LoadMasterKeyFile(dir.File("nope")), kNotFound);
}

TEST(MasterKeyTest, CredentialsDirectory) {
  TempDir dir;
  {
    ScopedEnv env("CREDENTIALS_DIRECTORY", nullptr);
    CK_EXPECT_CODE(LoadMasterKeyFromCredentials(), kNotFound);
  }
  ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().c_str());
  CK_EXPECT_CODE(LoadMasterKeyFromCredentials(), kNotFound);  // directory without the credential
  CK_ASSERT_OK(WriteFileAtomic(dir.File("master-key"), kRaw, 0400));
  CK_ASSERT_OK_AND_ASSIGN(MasterKey k, LoadMasterKeyFromCredentials());
  EXPECT_EQ(k.bytes(), MasterKey::FromBytes(kRaw)->bytes());
}

TEST(MasterKeyTest, DevModeGeneratesOnceWithMode0600) {
  TempDir dir;
  std::string path = dir.File("dev-master-key");
  CK_ASSERT_OK_AND_ASSIGN(MasterKey first, LoadOrCreateDevMasterKey(path));
  EXPECT_EQ(ModeOf(path), 0600u);
  CK_ASSERT_OK_AND_ASSIGN(MasterKey second, LoadOrCreateDevMasterKey(path));
  EXPECT_EQ(first.bytes(), second.bytes());
  // Never silently replaces a key it cannot use.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  CK_EXPECT_CODE(LoadOrCreateDevMasterKey(path), kPermissionDenied);
}

TEST(MasterKeyTest, WriteNewMasterKeyFileNeverOverwrites) {
  TempDir dir;
  std::string path = dir.File("k");
  MasterKey a = testing::FixedKey(1);
  CK_ASSERT_OK(WriteNewMasterKeyFile(path, a));
  CK_EXPECT_CODE(WriteNewMasterKeyFile(path, testing::FixedKey(2)), kAlreadyExists);
  CK_ASSERT_OK_AND_ASSIGN(MasterKey back, LoadMasterKeyFile(path));
  EXPECT_EQ(back.bytes(), a.bytes());
}

}  // namespace
}  // namespace ck::store
