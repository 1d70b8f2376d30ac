#include "tests/store/store_test_util.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "common/encoding.hpp"

namespace ck::store::testing {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

Db OpenRaw(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Db db(raw);
  EXPECT_EQ(rc, SQLITE_OK) << "open " << path;
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

StmtPtr Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  return StmtPtr(s);
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ck-store-test-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

MasterKey FixedKey(uint8_t fill) {
  return MasterKey::FromBytes(std::string(MasterKey::kSize, static_cast<char>(fill))).value();
}

std::string FakePem(const std::string& label, const std::string& type) {
  return "-----BEGIN " + type + "-----\n" + Base64Encode("certkeeper test object " + label) +
         "\n-----END " + type + "-----\n";
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(digest, len);
}

CertificateRecord SampleCertificate(const std::string& name, int64_t not_after_unix,
                                    const std::string& fingerprint) {
  CertificateRecord c;
  c.name = name;
  c.source = "managed";
  c.issuer = "CN=Test CA";
  c.serial_hex = "0a1b2c";
  c.sans = {name + ".example.com", "www." + name + ".example.com"};
  c.not_before = FromUnixSeconds(not_after_unix - 90 * 86400);
  c.not_after = FromUnixSeconds(not_after_unix);
  c.cert_pem = FakePem(name + std::to_string(not_after_unix));
  c.chain_pem = FakePem("chain");
  c.status = kCertActive;
  c.fingerprint_sha256 =
      fingerprint.empty() ? Sha256Hex(name + std::to_string(not_after_unix)) : fingerprint;
  c.created_at = FromUnixSeconds(not_after_unix - 90 * 86400);
  return c;
}

KeyRecord SampleKeyMeta(const std::string& label, const std::string& algorithm) {
  KeyRecord k;
  k.label = label;
  k.algorithm = algorithm;
  k.public_pin = Base64Encode("pin of " + label);
  k.created_at = FromUnixSeconds(1'700'000'000);
  return k;
}

std::string SamplePrivatePem(const std::string& label) {
  return FakePem("private key material of " + label + std::string(300, 'k'), "PRIVATE KEY");
}

void RawExec(const std::string& db_path, const std::string& sql) {
  Db db = OpenRaw(db_path);
  char* err = nullptr;
  int rc = sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
  sqlite3_free(err);
}

int64_t RawQueryInt(const std::string& db_path, const std::string& sql) {
  Db db = OpenRaw(db_path);
  StmtPtr s = Prepare(db.get(), sql);
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) {
    ADD_FAILURE() << "no row: " << sql;
    return -1;
  }
  return sqlite3_column_int64(s.get(), 0);
}

std::string RawQueryText(const std::string& db_path, const std::string& sql) {
  Db db = OpenRaw(db_path);
  StmtPtr s = Prepare(db.get(), sql);
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) {
    ADD_FAILURE() << "no row: " << sql;
    return "";
  }
  const unsigned char* t = sqlite3_column_text(s.get(), 0);
  return t ? reinterpret_cast<const char*>(t) : "";
}

Bytes RawKeyBlob(const std::string& db_path, int64_t key_id) {
  Db db = OpenRaw(db_path);
  StmtPtr s = Prepare(db.get(), "SELECT sealed FROM private_keys WHERE id = ?");
  sqlite3_bind_int64(s.get(), 1, key_id);
  if (sqlite3_step(s.get()) != SQLITE_ROW) {
    ADD_FAILURE() << "no key " << key_id;
    return {};
  }
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s.get(), 0));
  return Bytes(p, p + sqlite3_column_bytes(s.get(), 0));
}

void RawSetKeyBlob(const std::string& db_path, int64_t key_id, const Bytes& blob) {
  Db db = OpenRaw(db_path);
  StmtPtr s = Prepare(db.get(), "UPDATE private_keys SET sealed = ? WHERE id = ?");
  sqlite3_bind_blob(s.get(), 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s.get(), 2, key_id);
  EXPECT_EQ(sqlite3_step(s.get()), SQLITE_DONE) << sqlite3_errmsg(db.get());
  EXPECT_EQ(sqlite3_changes(db.get()), 1);
}

}  // namespace ck::store::testing
