// Schema migrations: a database created at every earlier version, holding rows valid at that
// version, opens with the current binary; rows survive and the schema is current.
#include <gtest/gtest.h>

#include "common/encoding.hpp"
#include "store/key_sealer.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

std::string Schema(const std::string& db) {
  // Every table, index and trigger definition, in a stable order.
  return RawQueryText(db,
                      "SELECT group_concat(sql, ';\n') FROM (SELECT sql FROM sqlite_master "
                      "WHERE sql IS NOT NULL ORDER BY type, name)");
}

// Inserts, with plain SQL, rows that are valid at schema `version` (what an older certkeeper
// would have written).
void InsertRowsAt(const std::string& db, int version, const MasterKey& key) {
  if (version < 1) return;
  SealedBlob blob = Seal(key, {1, "web", "ec-p256"}, SamplePrivatePem("web")).value();
  RawExec(
      db,
      "INSERT INTO private_keys (id, label, algorithm, public_pin, sealed, created_at) "
      "VALUES (1, 'web', 'ec-p256', 'pin=', X'" +
          HexEncode(blob) +
          "', 1700000000);"
          "INSERT INTO certificates (name, source, issuer, serial_hex, sans, not_before, "
          "not_after, cert_pem, chain_pem, key_id, status, fingerprint_sha256, created_at) "
          "VALUES ('web', 'managed', 'CN=CA', '01', 'web.example.com\nwww.example.com', "
          "1690000000, 1710000000, 'PEM', '', 1, 'active', 'ff00', 1690000000);"
          "INSERT INTO acme_accounts (server_url, contact, account_url, key_id, status, eab_kid, "
          "created_at) VALUES ('https://acme.test/dir', 'mailto:a@example.com', "
          "'https://acme.test/acct/1', 1, 'valid', '', 1690000000);"
          "INSERT INTO acme_orders (account_id, certificate_name, order_url, status, "
          "identifiers, finalize_url, cert_url, error, created_at, updated_at) VALUES "
          "(1, 'web', 'https://acme.test/order/1', 'valid', '[]', '', '', '', 1690000000, "
          "1690000001);"
          "INSERT INTO ca (name, role, cert_pem, key_id, status, not_after, created_at) VALUES "
          "('root', 'root', 'ROOT PEM', NULL, 'active', 2000000000, 1690000000);"
          "INSERT INTO consumers (certificate_name, type, config_json, last_deployed_serial) "
          "VALUES ('web', 'nginx', '{}', '01');");
  if (version < 2) return;
  RawExec(db,
          "INSERT INTO events (time, certificate_name, kind, message, details_json) VALUES "
          "(1690000000, 'web', 'issued', 'written at v2', '{}');"
          "INSERT INTO pin_sets (certificate_name, pin, key_id, state, publish_at) VALUES "
          "('web', 'pin=', 1, 'active', 1690000000);");
  if (version < 4) return;
  RawExec(db,
          "INSERT INTO ca_revocations (ca_id, serial_hex, reason, revoked_at, not_after) "
          "SELECT id, '0D', 4, 1690000000, 1790000000 FROM ca WHERE name = 'root';");
}

class MigrationTest : public ::testing::TestWithParam<int> {
 protected:
  TempDir dir_;
  MasterKey key_ = FixedKey(0x11);
};

TEST_P(MigrationTest, UpgradesFromEarlierVersionKeepingRows) {
  const int from = GetParam();
  const std::string db = dir_.File("old.db");
  CK_ASSERT_OK(MigrateFileTo(db, from));
  ASSERT_EQ(RawQueryInt(db, "PRAGMA user_version"), from);
  InsertRowsAt(db, from, key_);

  CK_ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(db, key_));
  CK_ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, kCurrentSchemaVersion);
  CK_EXPECT_OK(store->CheckIntegrity());

  // The upgraded schema is exactly the schema of a fresh database.
  const std::string fresh = dir_.File("fresh.db");
  CK_ASSERT_OK(MigrateFileTo(fresh, kCurrentSchemaVersion));
  EXPECT_EQ(Schema(db), Schema(fresh));

  if (from >= 1) {
    CK_ASSERT_OK_AND_ASSIGN(CertificateRecord cert, store->GetCurrentCertificate("web"));
    EXPECT_EQ(cert.sans, (std::vector<std::string>{"web.example.com", "www.example.com"}));
    EXPECT_EQ(cert.not_after, FromUnixSeconds(1710000000));
    EXPECT_EQ(cert.key_id, 1);
    CK_ASSERT_OK_AND_ASSIGN(SecretString pem, store->GetPrivateKeyPem(1));
    EXPECT_EQ(pem.view(), SamplePrivatePem("web"));
    EXPECT_EQ(store->GetAcmeAccount(1)->contact,
              (std::vector<std::string>{"mailto:a@example.com"}));
    EXPECT_EQ(store->GetAcmeOrder(1)->updated_at, FromUnixSeconds(1690000001));
    EXPECT_FALSE(store->GetCaByName("root")->key_id.has_value());
    CK_ASSERT_OK_AND_ASSIGN(ConsumerRecord consumer, store->GetConsumer(1));
    EXPECT_EQ(consumer.last_deployed_serial, "01");
    EXPECT_FALSE(consumer.last_verified_at.has_value());  // column added in v3
    EXPECT_EQ(consumer.last_result, "");
    // The v3 index serves the renewal scan.
    EXPECT_EQ(RawQueryInt(db,
                          "SELECT count(*) FROM sqlite_master WHERE name = "
                          "'certificates_by_not_after'"),
              1);
    CK_ASSERT_OK_AND_ASSIGN(auto due, store->ListDueBefore(FromUnixSeconds(1720000000)));
    EXPECT_EQ(due.size(), 1u);
  }
  if (from >= 2) {
    CK_ASSERT_OK_AND_ASSIGN(auto events, store->ListEvents({}));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].message, "written at v2");
    EXPECT_EQ(store->ListPins("web")->size(), 1u);
  }
  if (from >= 4) {
    // v6 rebuilt the `ca` table: the revocation still names the same CA.
    CK_ASSERT_OK_AND_ASSIGN(CaRecord root, store->GetCaByName("root"));
    CK_ASSERT_OK_AND_ASSIGN(RevocationRecord rev, store->GetRevocation(root.id, "0D"));
    EXPECT_EQ(rev.reason, 4);
  }
  // Everything added by later versions works on the upgraded database.
  CK_EXPECT_OK(store->AppendEvent({0, FromUnixSeconds(kT0), "", "upgraded", "", "{}"}));
  CK_EXPECT_OK(
      store->PutApiToken({0, "ci", "admin", Sha256Hex("t"), FromUnixSeconds(kT0), {}, {}}));
  CK_EXPECT_OK(store->PutPin({0, "api", "p=", std::nullopt, "backup", {}, {}, {}}));
  // v4: revocations and CRL state for the internal CA.
  CK_ASSERT_OK_AND_ASSIGN(
      int64_t ca_id, store->PutCa({0, "upgraded-ca", "intermediate", "PEM", std::nullopt, "active",
                                   FromUnixSeconds(kT0), FromUnixSeconds(kT0)}));
  CK_EXPECT_OK(store->PutRevocation(
      {0, ca_id, "0A", 1, FromUnixSeconds(kT0), FromUnixSeconds(kT0 + 60), std::nullopt}));
  CK_EXPECT_OK(store->PutCrl({ca_id, 1, FromUnixSeconds(kT0), FromUnixSeconds(kT0 + 60), "PEM"}));
  // v6: delegated OCSP responders.
  CK_EXPECT_OK(store->PutCa({0, "ocsp-upgraded-ca-1", "ocsp-responder", "PEM", std::nullopt,
                             "active", FromUnixSeconds(kT0), FromUnixSeconds(kT0)}));
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, MigrationTest,
                         ::testing::Range(0, kCurrentSchemaVersion),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "FromV" + std::to_string(info.param);
                         });

// v6 rebuilds the `ca` table to allow the "ocsp-responder" role: CA ids survive, so the
// revocations and CRLs written at v4/v5 still name their CA, and foreign keys still hold.
TEST(MigrationV6Test, CaRebuildKeepsReferencesAndAcceptsOcspResponders) {
  TempDir dir;
  const std::string db = dir.File("v5.db");
  const MasterKey key = FixedKey(0x11);
  CK_ASSERT_OK(MigrateFileTo(db, 5));
  RawExec(db,
          "INSERT INTO ca (id, name, role, cert_pem, key_id, status, not_after, created_at) "
          "VALUES (7, 'root-1', 'root', 'ROOT PEM', NULL, 'active', 2000000000, 1690000000),"
          "(9, 'intermediate-1', 'intermediate', 'INTER PEM', NULL, 'active', 1900000000, "
          "1690000000);"
          "INSERT INTO ca_revocations (ca_id, serial_hex, reason, revoked_at, not_after) VALUES "
          "(9, '0B', 1, 1700000000, 1800000000);"
          "INSERT INTO ca_crls (ca_id, crl_number, this_update, next_update, crl_pem) VALUES "
          "(9, 3, 1700000000, 1700086400, 'CRL PEM');");
  // What v5 refused.
  EXPECT_EQ(RawQueryInt(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%ocsp-responder%'"),
            0);

  CK_ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(db, key));
  EXPECT_EQ(store->SchemaVersion().value_or(-1), kCurrentSchemaVersion);
  CK_EXPECT_OK(store->CheckIntegrity());
  EXPECT_EQ(RawQueryInt(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  EXPECT_EQ(RawQueryInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ca_by_key'"), 1);
  EXPECT_EQ(RawQueryInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ca_new'"), 0);

  // The revocation and the CRL still refer to their CA, by the same id.
  CK_ASSERT_OK_AND_ASSIGN(CaRecord inter, store->GetCaByName("intermediate-1"));
  EXPECT_EQ(inter.id, 9);
  CK_ASSERT_OK_AND_ASSIGN(RevocationRecord rev, store->GetRevocation(inter.id, "0B"));
  EXPECT_EQ(rev.revoked_at, FromUnixSeconds(1700000000));
  CK_ASSERT_OK_AND_ASSIGN(CrlRecord crl, store->GetCrl(inter.id));
  EXPECT_EQ(crl.crl_number, 3);
  EXPECT_EQ(RawQueryText(db,
                         "SELECT ca.name FROM ca_revocations JOIN ca ON ca.id = "
                         "ca_revocations.ca_id WHERE serial_hex = '0B'"),
            "intermediate-1");

  // An "ocsp-responder" row round-trips.
  CaRecord responder{0,
                     "ocsp-intermediate-1-1",
                     "ocsp-responder",
                     "RESPONDER PEM",
                     std::nullopt,
                     "active",
                     FromUnixSeconds(1700600000),
                     FromUnixSeconds(1700000000)};
  CK_ASSERT_OK_AND_ASSIGN(responder.id, store->PutCa(responder));
  CK_ASSERT_OK_AND_ASSIGN(CaRecord back, store->GetCaByName("ocsp-intermediate-1-1"));
  EXPECT_EQ(back.id, responder.id);
  EXPECT_EQ(back.role, "ocsp-responder");
  EXPECT_EQ(back.cert_pem, "RESPONDER PEM");
  EXPECT_EQ(back.status, "active");
  EXPECT_EQ(back.not_after, FromUnixSeconds(1700600000));
  // Other roles are still refused, by the record checks and by the table itself.
  CaRecord bogus = responder;
  bogus.id = 0;
  bogus.name = "bogus";
  bogus.role = "sub-root";
  EXPECT_FALSE(store->PutCa(bogus).ok());
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM sqlite_master WHERE name = 'ca' AND sql LIKE "
                        "'%CHECK (role IN (''root'', ''intermediate'', ''ocsp-responder''))%'"),
            1);

  // Foreign keys are enforced on the rebuilt table: a revocation of a CA that does not exist
  // is refused.
  EXPECT_FALSE(store
                   ->PutRevocation({0, 12345, "0C", 1, FromUnixSeconds(kT0),
                                    FromUnixSeconds(kT0 + 60), std::nullopt})
                   .ok());
  CK_EXPECT_OK(store->PutRevocation(
      {0, inter.id, "0C", 1, FromUnixSeconds(kT0), FromUnixSeconds(kT0 + 60), std::nullopt}));
}

TEST(MigrationErrorsTest, NewerDatabaseIsRefused) {
  TempDir dir;
  const std::string db = dir.File("new.db");
  CK_ASSERT_OK(MigrateFileTo(db, kCurrentSchemaVersion));
  RawExec(db, "PRAGMA user_version = " + std::to_string(kCurrentSchemaVersion + 1));
  auto r = SqliteStore::Open(db, FixedKey(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(
      r.status().message().find("schema version " + std::to_string(kCurrentSchemaVersion + 1)),
      std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("newer certkeeper"), std::string::npos);
}

TEST(MigrationErrorsTest, OnlyTheWriterMigrates) {
  TempDir dir;
  const std::string db = dir.File("old.db");
  CK_ASSERT_OK(MigrateFileTo(db, 1));
  auto reader = SqliteStore::Open(
      db, FixedKey(1), Make<SqliteOpenOptions>([](auto& o) { o.take_writer_lock = false; }));
  EXPECT_EQ(reader.status().code(), StatusCode::kFailedPrecondition) << reader.status().ToString();
  EXPECT_EQ(RawQueryInt(db, "PRAGMA user_version"), 1);
}

// `certkeeper backup` before an upgrade: the new binary copies the old database as it is (no
// migration, no lock), and restoring that copy later migrates it.
TEST(MigrationErrorsTest, BackupOfAnOlderDatabaseWithoutMigrating) {
  TempDir dir;
  const std::string db = dir.File("old.db");
  const MasterKey key = FixedKey(0x11);
  CK_ASSERT_OK(MigrateFileTo(db, 1));
  InsertRowsAt(db, 1, key);
  {
    CK_ASSERT_OK_AND_ASSIGN(auto reader,
                            SqliteStore::Open(db, key, Make<SqliteOpenOptions>([](auto& o) {
                                                o.take_writer_lock = false;
                                                o.migrate = false;
                                              })));
    EXPECT_EQ(reader->SchemaVersion().value_or(-1), 1);
    CK_ASSERT_OK(reader->Backup(dir.File("backup.db")));
  }
  EXPECT_EQ(RawQueryInt(db, "PRAGMA user_version"), 1);
  EXPECT_EQ(RawQueryInt(dir.File("backup.db"), "PRAGMA user_version"), 1);
  CK_ASSERT_OK(SqliteStore::RestoreFrom(dir.File("backup.db"), dir.File("new.db"), key));
  CK_ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(dir.File("new.db"), key));
  EXPECT_EQ(store->SchemaVersion().value_or(-1), kCurrentSchemaVersion);
  CK_ASSERT_OK_AND_ASSIGN(SecretString pem, store->GetPrivateKeyPem(1));
  EXPECT_EQ(pem.view(), SamplePrivatePem("web"));
}

TEST(MigrationErrorsTest, AFailedStepLeavesThePreviousVersion) {
  TempDir dir;
  const std::string db = dir.File("old.db");
  CK_ASSERT_OK(MigrateFileTo(db, 2));
  // Something in the way of step 3 (a table it wants to create).
  RawExec(db, "CREATE TABLE api_tokens (x)");
  auto r = SqliteStore::Open(db, FixedKey(1));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("schema version 3"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(RawQueryInt(db, "PRAGMA user_version"), 2);
  // Nothing of step 3 stuck: neither the index nor the new consumer columns.
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM sqlite_master WHERE name = "
                        "'certificates_by_not_after'"),
            0);
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM pragma_table_info('consumers') WHERE name = "
                        "'last_result'"),
            0);
}

TEST(MigrationErrorsTest, MigrateFileToRejectsUnknownVersions) {
  TempDir dir;
  CK_EXPECT_CODE(MigrateFileTo(dir.File("x.db"), kCurrentSchemaVersion + 1), kInvalidArgument);
  CK_EXPECT_CODE(MigrateFileTo(dir.File("x.db"), -1), kInvalidArgument);
}

// v7 adds watch results and alerts; certificates stored at v6 keep their rows and are served
// by the new (status, not_after) index.
TEST(MigrationV7Test, AddsWatchResultsAlertsAndTheExpiryIndex) {
  TempDir dir;
  const std::string db = dir.File("v6.db");
  CK_ASSERT_OK(MigrateFileTo(db, 6));
  RawExec(db,
          "INSERT INTO certificates (id, name, source, not_before, not_after, cert_pem, status, "
          "fingerprint_sha256, created_at) VALUES (5, 'web', 'managed', 1690000000, 1800000000, "
          "'PEM', 'active', 'ab', 1690000000)");
  CK_ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(db, FixedKey(0x11)));
  EXPECT_EQ(store->SchemaVersion().value_or(-1), kCurrentSchemaVersion);
  CK_EXPECT_OK(store->CheckIntegrity());
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM sqlite_master WHERE name IN "
                        "('watch_results', 'alerts', 'alerts_open_by_key', "
                        "'certificates_by_status_expiry')"),
            4);
  CK_ASSERT_OK_AND_ASSIGN(auto due, store->ListDueBefore(FromUnixSeconds(1900000000)));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 5);
  WatchResultRecord r;
  r.target = "db.internal:5432";
  r.kind = "endpoint";
  r.outcome = "ok";
  r.certificate_id = 5;
  CK_EXPECT_OK(store->PutWatchResult(r));
}

// v8: the renewal scan is served by the expiry index alone (it now holds name and source), and
// source-filtered lists by a (source, status, not_after) index.
TEST(MigrationV8Test, CoveringExpiryIndexAndSourceIndex) {
  TempDir dir;
  const std::string db = dir.File("v7.db");
  CK_ASSERT_OK(MigrateFileTo(db, 7));
  RawExec(db,
          "INSERT INTO certificates (id, name, source, not_before, not_after, cert_pem, status, "
          "fingerprint_sha256, created_at) VALUES (9, 'mail:465', 'external', 1690000000, "
          "1800000000, 'PEM', 'active', 'cd', 1690000000)");
  CK_ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(db, FixedKey(0x11)));
  EXPECT_GE(store->SchemaVersion().value_or(-1), 8);
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM pragma_index_info('certificates_by_status_expiry') "
                        "WHERE name IN ('status', 'not_after', 'id', 'name', 'source')"),
            5);
  EXPECT_EQ(RawQueryInt(db,
                        "SELECT count(*) FROM sqlite_master WHERE name = "
                        "'certificates_by_source_expiry'"),
            1);
  CK_ASSERT_OK_AND_ASSIGN(auto due, store->ListDueBefore(FromUnixSeconds(1900000000)));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 9);
  EXPECT_EQ(due[0].name, "mail:465");
  EXPECT_EQ(due[0].source, "external");
  EXPECT_EQ(ToUnixSeconds(due[0].not_after), 1800000000);
}

}  // namespace
}  // namespace ck::store::testing
