// SqliteStore specifics: file settings, the schema's append-only guard, sealed rows tampered
// with directly in the database, wrong master keys, rekey rollback, busy handling, backup and
// restore.
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/file_util.hpp"
#include "store/key_sealer.hpp"
#include "store/migrations.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

bool Exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Reopen(key_)); }

  void Reopen(const MasterKey& key, SqliteOpenOptions options = {}) {
    store_.reset();
    auto s = SqliteStore::Open(db_, key, options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  int64_t AddKey(const std::string& label) {
    auto id = store_->PutPrivateKey(SampleKeyMeta(label), SamplePrivatePem(label));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.value_or(0);
  }

  // Everything a user would care about, for before/after comparisons.
  std::string Snapshot(Store& s) {
    std::string out;
    auto certs = s.ListCertificates({});
    auto keys = s.ListKeys();
    auto events = s.ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; }));
    EXPECT_TRUE(certs.ok() && keys.ok() && events.ok());
    if (!certs.ok() || !keys.ok() || !events.ok()) return "<error>";
    for (const auto& c : *certs) out += "cert " + c.name + c.cert_pem;
    for (const auto& k : *keys) {
      auto pem = s.GetPrivateKeyPem(k.id);
      out += "key " + k.label + (pem.ok() ? std::string(pem->view()) : pem.status().ToString());
    }
    for (const auto& e : *events) out += "event " + e.message;
    return out;
  }

  TempDir dir_;
  std::string db_ = dir_.File("certkeeper.db");
  MasterKey key_ = FixedKey(0x11);
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, FileIsPrivateAndInWalMode) {
  EXPECT_EQ(ModeOf(db_), 0600u);
  EXPECT_EQ(RawQueryText(db_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQueryInt(db_, "PRAGMA user_version"), kCurrentSchemaVersion);
  EXPECT_TRUE(Exists(db_ + ".lock"));
}

TEST_F(SqliteStoreTest, EventLogIsAppendOnlyInTheSchema) {
  CK_ASSERT_OK(store_->AppendEvent({0, FromUnixSeconds(kT0), "web", "issued", "first", "{}"}));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &raw), SQLITE_OK);
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(raw, "UPDATE events SET message = 'rewritten'", nullptr, nullptr, &err),
            SQLITE_OK);
  EXPECT_TRUE(err && Contains(err, "append-only")) << (err ? err : "");
  sqlite3_free(err);
  err = nullptr;
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM events", nullptr, nullptr, &err), SQLITE_OK);
  EXPECT_TRUE(err && Contains(err, "append-only")) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(raw);
  CK_ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents({}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message, "first");
}

TEST_F(SqliteStoreTest, WrongMasterKeyIsRefusedAtOpenNamingBothKeys) {
  AddKey("web");
  store_.reset();
  MasterKey wrong = FixedKey(0x99);
  auto r = SqliteStore::Open(db_, wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(r.status().message(), key_.id())) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), wrong.id()));
  EXPECT_TRUE(Contains(r.status().message(), "'web'"));

  // Without the open-time check, the key itself still refuses, naming the key.
  ASSERT_NO_FATAL_FAILURE(
      Reopen(wrong, Make<SqliteOpenOptions>([](auto& o) { o.verify_master_key = false; })));
  auto pem = store_->GetPrivateKeyPem(1);
  ASSERT_FALSE(pem.ok());
  EXPECT_EQ(pem.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(pem.status().message(), "key 'web' (id 1)")) << pem.status().message();
}

TEST_F(SqliteStoreTest, EmptyDatabaseOpensWithAnyMasterKey) {
  store_.reset();
  CK_EXPECT_OK(SqliteStore::Open(db_, FixedKey(0x99)));
}

// Flip one byte of the stored blob in each region; every change is DataLoss naming the key,
// and other keys stay readable.
TEST_F(SqliteStoreTest, TamperedRowsAreDataLossNamingTheKey) {
  int64_t web = AddKey("web");
  int64_t api = AddKey("api");
  const Bytes original = RawKeyBlob(db_, web);
  struct Region {
    const char* name;
    size_t offset;
  };
  for (Region region :
       {Region{"nonce", 1 + kSealMasterIdSize + 2}, Region{"ciphertext", kSealHeaderSize + 10},
        Region{"tag", original.size() - 3}}) {
    Bytes bad = original;
    bad[region.offset] ^= 0x40;
    RawSetKeyBlob(db_, web, bad);
    auto r = store_->GetPrivateKeyPem(web);
    ASSERT_FALSE(r.ok()) << region.name;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << region.name;
    EXPECT_TRUE(Contains(r.status().message(), "key 'web' (id " + std::to_string(web) + ")"))
        << r.status().message();
    EXPECT_TRUE(Contains(r.status().message(), "authentication failed"));
    CK_EXPECT_OK(store_->GetPrivateKeyPem(api));
  }
  // Truncated to nothing useful.
  RawSetKeyBlob(db_, web, Bytes(original.begin(), original.begin() + 12));
  CK_EXPECT_CODE(store_->GetPrivateKeyPem(web), kDataLoss);
  RawSetKeyBlob(db_, web, original);
  CK_EXPECT_OK(store_->GetPrivateKeyPem(web));
}

TEST_F(SqliteStoreTest, AssociatedDataTamperingIsDetected) {
  int64_t web = AddKey("web");
  int64_t api = AddKey("api");
  // A blob copied onto another row (swap attack: make "web" use api's key).
  RawSetKeyBlob(db_, web, RawKeyBlob(db_, api));
  auto swapped = store_->GetPrivateKeyPem(web);
  EXPECT_EQ(swapped.status().code(), StatusCode::kDataLoss) << swapped.status().ToString();
  EXPECT_TRUE(Contains(swapped.status().message(), "key 'web'"));
  CK_EXPECT_OK(store_->GetPrivateKeyPem(api));
  // An edited algorithm column.
  RawExec(db_, "UPDATE private_keys SET algorithm = 'rsa-1024' WHERE id = " + std::to_string(api));
  auto edited = store_->GetPrivateKeyPem(api);
  EXPECT_EQ(edited.status().code(), StatusCode::kDataLoss) << edited.status().ToString();
  EXPECT_TRUE(Contains(edited.status().message(), "key 'api'"));
}

TEST_F(SqliteStoreTest, RekeyFailureMidwayChangesNothing) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(AddKey("k" + std::to_string(i)));
  // Key k2 is corrupt: rekey re-seals k0 and k1 inside the transaction, then fails.
  Bytes k2 = RawKeyBlob(db_, ids[2]);
  k2[kSealHeaderSize] ^= 1;
  RawSetKeyBlob(db_, ids[2], k2);
  std::vector<Bytes> before;
  for (int64_t id : ids) before.push_back(RawKeyBlob(db_, id));

  MasterKey next = FixedKey(0x22);
  Status s = store_->Rekey(next);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "key 'k2'")) << s.message();
  EXPECT_TRUE(Contains(s.message(), "nothing was changed")) << s.message();

  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(RawKeyBlob(db_, ids[i]), before[i]) << i;
  EXPECT_EQ(store_->master_key_id(), key_.id());
  CK_EXPECT_OK(store_->GetPrivateKeyPem(ids[0]));
  int64_t later = AddKey("later");
  CK_ASSERT_OK_AND_ASSIGN(std::string sealed_with, SealedMasterKeyId(RawKeyBlob(db_, later)));
  EXPECT_EQ(sealed_with, key_.id());
}

TEST_F(SqliteStoreTest, RekeyLeavesNoOldCiphertextInTheFiles) {
  int64_t id = AddKey("web");
  Bytes old = RawKeyBlob(db_, id);
  std::string old_ciphertext(old.begin() + kSealHeaderSize, old.begin() + kSealHeaderSize + 64);
  CK_ASSERT_OK(store_->Rekey(FixedKey(0x22)));
  store_.reset();  // closing checkpoints the WAL
  std::string files = ReadFile(db_).value();
  if (Exists(db_ + "-wal")) files += ReadFile(db_ + "-wal").value();
  EXPECT_FALSE(Contains(files, old_ciphertext));
  EXPECT_FALSE(Contains(files, "PRIVATE KEY"));  // and never any plaintext
}

TEST_F(SqliteStoreTest, BusyDatabaseIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(
      Reopen(key_, Make<SqliteOpenOptions>([](auto& o) { o.busy_timeout_ms = 50; })));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = store_->PutCertificate(SampleCertificate("web", kT0));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(r.status().IsRetryable());
  sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  CK_EXPECT_OK(store_->PutCertificate(SampleCertificate("web", kT0)));
}

TEST_F(SqliteStoreTest, ReadersWithoutTheLockSeeTheWritersCommits) {
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("web", kT0)));
  auto second = SqliteStore::Open(db_, key_);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  CK_ASSERT_OK_AND_ASSIGN(auto reader,
                          SqliteStore::Open(db_, key_, Make<SqliteOpenOptions>([](auto& o) {
                                              o.take_writer_lock = false;
                                            })));
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("api", kT0)));
  EXPECT_EQ(reader->ListCertificates({})->size(), 2u);
}

TEST_F(SqliteStoreTest, OpenErrors) {
  store_.reset();
  CK_EXPECT_CODE(
      SqliteStore::Open(dir_.File("missing.db"), key_,
                        Make<SqliteOpenOptions>([](auto& o) { o.create_if_missing = false; })),
      kNotFound);
  EXPECT_FALSE(Exists(dir_.File("missing.db")));
  CK_EXPECT_CODE(SqliteStore::Open(dir_.File("no/such/dir/x.db"), key_), kFailedPrecondition);
  CK_EXPECT_CODE(
      SqliteStore::Open(dir_.File("fresh.db"), key_,
                        Make<SqliteOpenOptions>([](auto& o) { o.take_writer_lock = false; })),
      kFailedPrecondition);  // a reader does not initialise a database
  std::string garbage = dir_.File("garbage.db");
  CK_ASSERT_OK(WriteFileAtomic(garbage, std::string(8192, 'x'), 0600));
  auto r = SqliteStore::Open(garbage, key_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), garbage)) << r.status().message();
}

TEST_F(SqliteStoreTest, CheckIntegrityReportsBrokenReferences) {
  CertificateRecord c = SampleCertificate("web", kT0);
  c.key_id = AddKey("web");
  CK_ASSERT_OK(store_->PutCertificate(c));
  CK_EXPECT_OK(store_->CheckIntegrity());
  RawExec(db_, "PRAGMA foreign_keys = OFF; DELETE FROM private_keys");
  Status s = store_->CheckIntegrity();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(s.message(), "certificates")) << s.message();
}

// --- backup and restore ---

TEST_F(SqliteStoreTest, BackupAndRestoreRoundTrip) {
  CertificateRecord c = SampleCertificate("web", kT0);
  c.key_id = AddKey("web");
  CK_ASSERT_OK(store_->PutCertificate(c));
  CK_ASSERT_OK(store_->AppendEvent({0, FromUnixSeconds(kT0), "web", "issued", "before", "{}"}));
  const std::string at_backup = Snapshot(*store_);
  const std::string backup = dir_.File("backup.db");
  CK_ASSERT_OK(store_->Backup(backup));
  EXPECT_EQ(ModeOf(backup), 0600u);
  EXPECT_FALSE(Exists(backup + "-wal"));
  EXPECT_EQ(RawQueryText(backup, "PRAGMA journal_mode"), "delete");  // one self-contained file

  // Changes after the backup ...
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("api", kT0)));
  CK_ASSERT_OK(store_->AppendEvent({0, FromUnixSeconds(kT0), "api", "issued", "after", "{}"}));
  const std::string after_backup = Snapshot(*store_);
  ASSERT_NE(at_backup, after_backup);

  // ... cannot be restored over while the daemon runs ...
  Status busy = SqliteStore::RestoreFrom(backup, db_, key_);
  EXPECT_EQ(busy.code(), StatusCode::kFailedPrecondition) << busy.ToString();
  EXPECT_TRUE(Contains(busy.message(), "pid " + std::to_string(::getpid()))) << busy.message();

  // ... and are gone after a restore; the previous database is kept aside.
  store_.reset();
  CK_ASSERT_OK(SqliteStore::RestoreFrom(backup, db_, key_));
  ASSERT_NO_FATAL_FAILURE(Reopen(key_));
  EXPECT_EQ(Snapshot(*store_), at_backup);
  CK_EXPECT_OK(store_->CheckIntegrity());
  EXPECT_TRUE(Exists(backup));
  CK_ASSERT_OK_AND_ASSIGN(
      auto previous,
      SqliteStore::Open(db_ + ".pre-restore", key_,
                        Make<SqliteOpenOptions>([](auto& o) { o.take_writer_lock = false; })));
  EXPECT_EQ(Snapshot(*previous), after_backup);
}

TEST_F(SqliteStoreTest, BackupInsideTransactionIsRefused) {
  Status s =
      store_->RunInTransaction([&](Store& st) -> Status { return st.Backup(dir_.File("b.db")); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  CK_EXPECT_CODE(store_->Backup(db_), kInvalidArgument);
}

class RestoreFailureTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    AddKey("web");
    ASSERT_TRUE(store_->PutCertificate(SampleCertificate("web", kT0)).ok());
    before_ = Snapshot(*store_);
    store_.reset();
  }

  // Restoring `backup` fails with `code` and leaves the database exactly as it was.
  void ExpectRefused(const std::string& backup, StatusCode code, const std::string& words) {
    std::string bytes_before = ReadFile(db_).value();
    Status s = SqliteStore::RestoreFrom(backup, db_, key_);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_TRUE(Contains(s.message(), words)) << s.message();
    EXPECT_TRUE(Contains(s.message(), "was not changed")) << s.message();
    EXPECT_EQ(ReadFile(db_).value(), bytes_before);
    EXPECT_FALSE(Exists(db_ + ".restore-tmp"));
    EXPECT_FALSE(Exists(db_ + ".pre-restore"));
    ASSERT_NO_FATAL_FAILURE(Reopen(key_));
    EXPECT_EQ(Snapshot(*store_), before_);
    store_.reset();
  }

  std::string before_;
};

TEST_F(RestoreFailureTest, GarbageFile) {
  std::string garbage = dir_.File("garbage.db");
  CK_ASSERT_OK(WriteFileAtomic(garbage, std::string(4096, '\x7f'), 0600));
  ExpectRefused(garbage, StatusCode::kDataLoss, "not a database");
}

TEST_F(RestoreFailureTest, MissingFile) {
  Status s = SqliteStore::RestoreFrom(dir_.File("nope.db"), db_, key_);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
}

TEST_F(RestoreFailureTest, SqliteButNotCertkeeper) {
  std::string other = dir_.File("other.db");
  RawExec(other, "CREATE TABLE t (x)");
  ExpectRefused(other, StatusCode::kInvalidArgument, "not a certkeeper store");
}

TEST_F(RestoreFailureTest, SealedWithAnotherMasterKey) {
  std::string backup = dir_.File("foreign.db");
  {
    auto foreign = SqliteStore::Open(dir_.File("foreign-src.db"), FixedKey(0x77));
    ASSERT_TRUE(foreign.ok());
    ASSERT_TRUE((*foreign)->PutPrivateKey(SampleKeyMeta("x"), SamplePrivatePem("x")).ok());
    CK_ASSERT_OK((*foreign)->Backup(backup));
  }
  ExpectRefused(backup, StatusCode::kPermissionDenied, FixedKey(0x77).id());
}

TEST_F(RestoreFailureTest, TamperedKeyInBackup) {
  ASSERT_NO_FATAL_FAILURE(Reopen(key_));
  std::string backup = dir_.File("tampered.db");
  CK_ASSERT_OK(store_->Backup(backup));
  store_.reset();
  Bytes blob = RawKeyBlob(backup, 1);
  blob[blob.size() - 1] ^= 1;
  RawSetKeyBlob(backup, 1, blob);
  ExpectRefused(backup, StatusCode::kDataLoss, "key 'web' (id 1)");
}

TEST_F(RestoreFailureTest, NewerSchema) {
  ASSERT_NO_FATAL_FAILURE(Reopen(key_));
  std::string backup = dir_.File("future.db");
  CK_ASSERT_OK(store_->Backup(backup));
  store_.reset();
  RawExec(backup, "PRAGMA user_version = 99");
  ExpectRefused(backup, StatusCode::kFailedPrecondition, "schema version 99");
}

// Someone copied the database file with cp instead of `certkeeper backup`: the copy is still
// marked WAL (and has no -wal beside it). Restoring it must work and leave the copy alone.
TEST_F(SqliteStoreTest, RestoreFromAPlainCopyOfAWalDatabase) {
  AddKey("web");
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("web", kT0)));
  const std::string before = Snapshot(*store_);
  store_.reset();
  const std::string copy = dir_.File("copy.db");
  CK_ASSERT_OK(WriteFileAtomic(copy, ReadFile(db_).value(), 0600));
  const std::string copy_bytes = ReadFile(copy).value();
  RawExec(db_, "DELETE FROM certificates");
  CK_ASSERT_OK(SqliteStore::RestoreFrom(copy, db_, key_));
  EXPECT_EQ(ReadFile(copy).value(), copy_bytes);
  ASSERT_NO_FATAL_FAILURE(Reopen(key_));
  EXPECT_EQ(Snapshot(*store_), before);
}

TEST_F(SqliteStoreTest, RestoreMigratesAnOlderBackup) {
  store_.reset();
  std::string old = dir_.File("v1.db");
  CK_ASSERT_OK(MigrateFileTo(old, 1));
  CK_ASSERT_OK(SqliteStore::RestoreFrom(old, db_, key_));
  EXPECT_EQ(RawQueryInt(db_, "PRAGMA user_version"), kCurrentSchemaVersion);
  ASSERT_NO_FATAL_FAILURE(Reopen(key_));
  CK_EXPECT_OK(store_->AppendEvent({0, FromUnixSeconds(kT0), "", "restored", "", "{}"}));
}

}  // namespace
}  // namespace ck::store::testing
