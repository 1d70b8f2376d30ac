// Helpers shared by the store tests: temp directories, fixed master keys, sample records,
// raw SQLite access (for tampering the way an attacker or a broken disk would), and Status
// assertions.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "store/master_key.hpp"
#include "store/types.hpp"

namespace ck::store::testing {

#define CK_EXPECT_OK(expr)                                          \
  do {                                                              \
    const ::ck::Status ck_s_ = ::ck::internal::AsStatus((expr));    \
    EXPECT_TRUE(ck_s_.ok()) << #expr << " -> " << ck_s_.ToString(); \
  } while (0)
#define CK_ASSERT_OK(expr)                                          \
  do {                                                              \
    const ::ck::Status ck_s_ = ::ck::internal::AsStatus((expr));    \
    ASSERT_TRUE(ck_s_.ok()) << #expr << " -> " << ck_s_.ToString(); \
  } while (0)
// Asserts a Result is OK and binds its value.
#define CK_ASSERT_OK_AND_ASSIGN(lhs, expr)                                  \
  auto CK_CONCAT(ck_r_, __LINE__) = (expr);                                 \
  ASSERT_TRUE(CK_CONCAT(ck_r_, __LINE__).ok())                              \
      << #expr << " -> " << CK_CONCAT(ck_r_, __LINE__).status().ToString(); \
  lhs = std::move(CK_CONCAT(ck_r_, __LINE__)).value()
#define CK_EXPECT_CODE(expr, code_)                                                          \
  do {                                                                                       \
    const ::ck::Status ck_s_ = ::ck::internal::AsStatus((expr));                             \
    EXPECT_EQ(ck_s_.code(), ::ck::StatusCode::code_) << #expr << " -> " << ck_s_.ToString(); \
  } while (0)

// Builds a T and lets `fill` set some fields. Stands in for designated initializers, which
// GCC 12 flags under -Wextra (-Wmissing-field-initializers) when fields are left out.
template <typename T, typename F>
T Make(F&& fill) {
  T t;
  fill(t);
  return t;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A deterministic master key: 32 bytes of `fill`.
MasterKey FixedKey(uint8_t fill);

// A self-signed-looking PEM body; content is opaque to the store.
std::string FakePem(const std::string& label, const std::string& type = "CERTIFICATE");

CertificateRecord SampleCertificate(const std::string& name, int64_t not_after_unix,
                                    const std::string& fingerprint = "");
KeyRecord SampleKeyMeta(const std::string& label, const std::string& algorithm = "ec-p256");
std::string SamplePrivatePem(const std::string& label);
std::string Sha256Hex(const std::string& data);

// Raw SQLite on a database file, bypassing the store.
void RawExec(const std::string& db_path, const std::string& sql);
int64_t RawQueryInt(const std::string& db_path, const std::string& sql);
std::string RawQueryText(const std::string& db_path, const std::string& sql);
Bytes RawKeyBlob(const std::string& db_path, int64_t key_id);
void RawSetKeyBlob(const std::string& db_path, int64_t key_id, const Bytes& blob);

}  // namespace ck::store::testing
