#include "store/migrations.hpp"

#include <array>

#include "store/sqlite_handle.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

// kMigrations[k-1] takes the schema from version k-1 to k.
constexpr std::array<const char*, kCurrentSchemaVersion> kMigrations = {
    // v1: core tables.
    R"sql(
CREATE TABLE private_keys (
  id INTEGER PRIMARY KEY,
  label TEXT NOT NULL UNIQUE,
  algorithm TEXT NOT NULL,
  public_pin TEXT NOT NULL DEFAULT '',
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE certificates (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('managed', 'ca', 'external', 'file')),
  issuer TEXT NOT NULL DEFAULT '',
  serial_hex TEXT NOT NULL DEFAULT '',
  sans TEXT NOT NULL DEFAULT '',
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  cert_pem TEXT NOT NULL,
  chain_pem TEXT NOT NULL DEFAULT '',
  key_id INTEGER REFERENCES private_keys(id),
  status TEXT NOT NULL,
  fingerprint_sha256 TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (name, fingerprint_sha256)
);
CREATE INDEX certificates_by_name ON certificates(name, not_after);
CREATE INDEX certificates_by_key ON certificates(key_id);
CREATE TABLE acme_accounts (
  id INTEGER PRIMARY KEY,
  server_url TEXT NOT NULL,
  contact TEXT NOT NULL DEFAULT '',
  account_url TEXT NOT NULL DEFAULT '',
  key_id INTEGER NOT NULL REFERENCES private_keys(id),
  status TEXT NOT NULL,
  eab_kid TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX acme_accounts_by_key ON acme_accounts(key_id);
CREATE TABLE acme_orders (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES acme_accounts(id) ON DELETE CASCADE,
  certificate_name TEXT NOT NULL,
  order_url TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  identifiers TEXT NOT NULL DEFAULT '[]',
  finalize_url TEXT NOT NULL DEFAULT '',
  cert_url TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX acme_orders_by_certificate ON acme_orders(certificate_name, id);
CREATE INDEX acme_orders_by_account ON acme_orders(account_id);
CREATE TABLE ca (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('root', 'intermediate')),
  cert_pem TEXT NOT NULL,
  key_id INTEGER REFERENCES private_keys(id),
  status TEXT NOT NULL,
  not_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX ca_by_key ON ca(key_id);
CREATE TABLE consumers (
  id INTEGER PRIMARY KEY,
  certificate_name TEXT NOT NULL,
  type TEXT NOT NULL,
  config_json TEXT NOT NULL DEFAULT '{}',
  last_deployed_serial TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consumers_by_certificate ON consumers(certificate_name);
)sql",
    // v2: the append-only event log, and pin sets.
    R"sql(
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  certificate_name TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  details_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_certificate ON events(certificate_name, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE pin_sets (
  id INTEGER PRIMARY KEY,
  certificate_name TEXT NOT NULL,
  pin TEXT NOT NULL,
  key_id INTEGER REFERENCES private_keys(id) ON DELETE SET NULL,
  state TEXT NOT NULL CHECK (state IN ('published', 'active', 'retired', 'backup')),
  publish_at INTEGER,
  active_at INTEGER,
  retire_at INTEGER,
  UNIQUE (certificate_name, pin)
);
CREATE INDEX pin_sets_by_key ON pin_sets(key_id);
)sql",
    // v3: hashed API tokens, the renewal-scan index, deploy verification results.
    R"sql(
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX certificates_by_not_after ON certificates(not_after);
ALTER TABLE consumers ADD COLUMN last_verified_at INTEGER;
ALTER TABLE consumers ADD COLUMN last_result TEXT NOT NULL DEFAULT '';
)sql",
    // v4: the internal CA's revocations and CRL state; serial lookups (OCSP, revoke).
    R"sql(
CREATE TABLE ca_revocations (
  id INTEGER PRIMARY KEY,
  ca_id INTEGER NOT NULL REFERENCES ca(id),
  serial_hex TEXT NOT NULL,
  reason INTEGER NOT NULL CHECK (reason BETWEEN 0 AND 10 AND reason <> 7),
  revoked_at INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  certificate_id INTEGER REFERENCES certificates(id) ON DELETE SET NULL,
  UNIQUE (ca_id, serial_hex)
);
CREATE INDEX ca_revocations_by_certificate ON ca_revocations(certificate_id);
CREATE TRIGGER ca_revocations_no_update
BEFORE UPDATE OF ca_id, serial_hex, reason, revoked_at, not_after ON ca_revocations
BEGIN SELECT RAISE(ABORT, 'a revocation cannot be changed'); END;
CREATE TRIGGER ca_revocations_no_delete BEFORE DELETE ON ca_revocations
BEGIN SELECT RAISE(ABORT, 'a revocation cannot be undone'); END;
CREATE TABLE ca_crls (
  ca_id INTEGER PRIMARY KEY REFERENCES ca(id),
  crl_number INTEGER NOT NULL CHECK (crl_number > 0),
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  crl_pem TEXT NOT NULL
);
CREATE INDEX certificates_by_serial ON certificates(serial_hex);
)sql",
    // v5: the certificate key an ACME order was started with, so a renewal interrupted by a
    // crash resumes its order with the same key instead of ordering (and issuing) twice.
    R"sql(
ALTER TABLE acme_orders ADD COLUMN key_id INTEGER REFERENCES private_keys(id) ON DELETE SET NULL;
)sql",
    // v6: a third CA role, the delegated OCSP responder (RFC 6960 §4.2.2.2). SQLite cannot
    // alter a CHECK constraint, so `ca` is rebuilt (https://sqlite.org/lang_altertable.html,
    // "making other kinds of table schema changes"): same columns, ids kept, so the rows of
    // ca_revocations and ca_crls still name their CA. MigrateDb runs steps with foreign keys
    // off and checks them before the commit: with them on, DROP TABLE would count every
    // revocation and CRL row as orphaned (deferred or not) and the commit would fail.
    // `ca_by_key` is the only index on `ca` (v1); no trigger or view names it.
    R"sql(
CREATE TABLE ca_new (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('root', 'intermediate', 'ocsp-responder')),
  cert_pem TEXT NOT NULL,
  key_id INTEGER REFERENCES private_keys(id),
  status TEXT NOT NULL,
  not_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO ca_new (id, name, role, cert_pem, key_id, status, not_after, created_at)
  SELECT id, name, role, cert_pem, key_id, status, not_after, created_at FROM ca;
DROP TABLE ca;
ALTER TABLE ca_new RENAME TO ca;
CREATE INDEX ca_by_key ON ca(key_id);
)sql",
    // v7 (issue 6): the latest check of each watched endpoint or file, and alerts with the
    // state that deduplicates them across restarts. An alert's key is unique only among
    // unresolved alerts (a partial index), so a condition that comes back opens a new alert and
    // the history of the old one stays. The third index serves the renewal scan and the
    // inventory list (status filter, ordered by expiry) without sorting a million rows.
    R"sql(
CREATE TABLE watch_results (
  id INTEGER PRIMARY KEY,
  target TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'file')),
  checked_at INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'problems', 'error')),
  error TEXT NOT NULL DEFAULT '',
  problems_json TEXT NOT NULL DEFAULT '[]',
  details_json TEXT NOT NULL DEFAULT '{}',
  certificate_id INTEGER REFERENCES certificates(id) ON DELETE SET NULL
);
CREATE INDEX watch_results_by_certificate ON watch_results(certificate_id);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message TEXT NOT NULL,
  details_json TEXT NOT NULL DEFAULT '{}',
  opened_at INTEGER NOT NULL,
  notified_at INTEGER,
  resolved_at INTEGER,
  resolved_notified_at INTEGER,
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alerts_open_by_key ON alerts(key) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_subject ON alerts(subject, id);
CREATE INDEX certificates_by_status_expiry ON certificates(status, not_after, id);
)sql",
    // v8 (issue 6): indexes that keep the inventory's hot queries off the table rows, whose
    // PEMs make them about one page each (inventory_bench, 1M rows):
    //  - the renewal scan reads only (id, name, source, not_after): the v7 expiry index now
    //    covers it (305 ms -> a few ms for 31k due rows);
    //  - certificates of one source (what /metrics reads at every scrape: the external and file
    //    ones; the dashboard's source filter), in expiry order, without walking every
    //    certificate the internal CA ever issued.
    R"sql(
DROP INDEX certificates_by_status_expiry;
CREATE INDEX certificates_by_status_expiry ON certificates(status, not_after, id, name, source);
CREATE INDEX certificates_by_source_expiry ON certificates(source, status, not_after, id);
)sql",
};

}  // namespace

Result<int> ReadSchemaVersion(sqlite3* db) {
  ASSIGN_OR_RETURN(int64_t v, sqlite::QueryInt(db, "PRAGMA user_version"));
  return static_cast<int>(v);
}

Status MigrateDb(sqlite3* db, const std::string& path, int target) {
  if (target < 0 || target > kCurrentSchemaVersion) {
    return InvalidArgumentError("no schema version " + std::to_string(target));
  }
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  if (version > target) {
    return FailedPreconditionError(
        "database " + path + " has schema version " + std::to_string(version) +
        ", but this certkeeper supports up to version " + std::to_string(target) +
        "; run a newer certkeeper or restore a backup made by this version");
  }
  if (version == target) return OkStatus();
  // Steps that rebuild a table (v6) must run with foreign keys off: the pragma is a no-op
  // inside a transaction, so it is switched here, for every step, and restored afterwards.
  // Each step proves before its commit that no reference dangles.
  ASSIGN_OR_RETURN(int64_t foreign_keys, sqlite::QueryInt(db, "PRAGMA foreign_keys"));
  if (foreign_keys != 0) {
    RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys = OFF", "migrate " + path));
  }
  Status s = OkStatus();
  for (int next = version + 1; next <= target && s.ok(); ++next) {
    std::string what = "migrate " + path + " to schema version " + std::to_string(next);
    s = sqlite::Exec(db, "BEGIN IMMEDIATE", what);
    if (!s.ok()) break;
    s = sqlite::Exec(db, kMigrations[next - 1], what);
    if (s.ok()) {
      auto dangling = sqlite::QueryInt(db, "SELECT count(*) FROM pragma_foreign_key_check");
      if (!dangling.ok()) {
        s = dangling.status();
      } else if (*dangling != 0) {
        s = DataLossError(what + ": " + std::to_string(*dangling) +
                          " row(s) would refer to missing rows");
      }
    }
    if (s.ok()) {
      std::string set = "PRAGMA user_version = " + std::to_string(next);
      s = sqlite::Exec(db, set.c_str(), what);
    }
    if (s.ok()) s = sqlite::Exec(db, "COMMIT", what);
    if (!s.ok() && !sqlite3_get_autocommit(db)) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  if (foreign_keys != 0) {
    Status restored = sqlite::Exec(db, "PRAGMA foreign_keys = ON", "migrate " + path);
    if (s.ok()) s = restored;
  }
  return s;
}

Status MigrateFileTo(const std::string& path, int version) {
  ASSIGN_OR_RETURN(sqlite::DbPtr db,
                   sqlite::OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  RETURN_IF_ERROR(sqlite::Exec(db.get(), "PRAGMA journal_mode = WAL", "set WAL mode"));
  return MigrateDb(db.get(), path, version);
}

}  // namespace ck::store
