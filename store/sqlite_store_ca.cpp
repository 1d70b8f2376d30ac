// SqliteStore: the internal CA's revocations and CRL state.
#include "store/record_checks.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

using sqlite::Stmt;

constexpr TableSpec kRevocations = {
    "ca_revocations", "ca_id, serial_hex, reason, revoked_at, not_after, certificate_id"};
constexpr TableSpec kCrls = {"ca_crls", "ca_id, crl_number, this_update, next_update, crl_pem"};

RevocationRecord ReadRevocation(const Stmt& s) {
  RevocationRecord r;
  r.id = s.Int64(0);
  r.ca_id = s.Int64(1);
  r.serial_hex = s.Text(2);
  r.reason = static_cast<int>(s.Int64(3));
  r.revoked_at = s.Time(4);
  r.not_after = s.Time(5);
  r.certificate_id = s.OptInt64(6);
  return r;
}

// ca_crls is keyed by ca_id, so its reader skips SelectSql's synthetic id column.
CrlRecord ReadCrl(const Stmt& s) {
  CrlRecord c;
  c.ca_id = s.Int64(0);
  c.crl_number = s.Int64(1);
  c.this_update = s.Time(2);
  c.next_update = s.Time(3);
  c.crl_pem = s.Text(4);
  return c;
}

}  // namespace

Result<int64_t> SqliteStore::PutRevocation(const RevocationRecord& r) {
  RETURN_IF_ERROR(CheckRevocation(r));
  CK_STORE_ENTER();
  // Always an INSERT: revocations are never rewritten (the schema refuses it too).
  return PutRow(db, kRevocations, 0, "revoke serial " + r.serial_hex, r.ca_id, r.serial_hex,
                r.reason, r.revoked_at, r.not_after, r.certificate_id);
}

Result<RevocationRecord> SqliteStore::GetRevocation(int64_t ca_id, std::string_view serial_hex) {
  CK_STORE_ENTER();
  return QueryOne<RevocationRecord>(
      db, SelectSql(kRevocations) + " WHERE ca_id = ?1 AND serial_hex = ?2",
      {ca_id, std::string(serial_hex)}, ReadRevocation,
      "serial " + std::string(serial_hex) + " is not revoked by CA " + std::to_string(ca_id));
}

Result<std::vector<RevocationRecord>> SqliteStore::ListRevocations(int64_t ca_id) {
  CK_STORE_ENTER();
  return QueryRows<RevocationRecord>(
      db, SelectSql(kRevocations) + " WHERE ca_id = ? ORDER BY revoked_at, id", {ca_id},
      ReadRevocation, "list revocations");
}

Status SqliteStore::PutCrl(const CrlRecord& c) {
  RETURN_IF_ERROR(CheckCrl(c));
  CK_STORE_ENTER();
  const std::string what = "store CRL of CA " + std::to_string(c.ca_id);
  return impl_->InTransaction([&]() -> Status {
    auto current = QueryOne<int64_t>(
        db, "SELECT crl_number FROM ca_crls WHERE ca_id = ?", {c.ca_id},
        [](const Stmt& s) { return s.Int64(0); }, "no CRL");
    if (current.ok() && *current >= c.crl_number) {
      return FailedPreconditionError(what + ": CRL number " + std::to_string(c.crl_number) +
                                     " is not greater than the current " +
                                     std::to_string(*current) + " (RFC 5280 §5.2.3)");
    }
    if (!current.ok() && current.status().code() != StatusCode::kNotFound) {
      return current.status();
    }
    ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db,
                                              "INSERT OR REPLACE INTO ca_crls (ca_id, "
                                              "crl_number, this_update, next_update, crl_pem) "
                                              "VALUES (?, ?, ?, ?, ?)"));
    stmt.BindAll(c.ca_id, c.crl_number, c.this_update, c.next_update, c.crl_pem);
    return stmt.Run(what);
  });
}

Result<CrlRecord> SqliteStore::GetCrl(int64_t ca_id) {
  CK_STORE_ENTER();
  return QueryOne<CrlRecord>(
      db, "SELECT " + std::string(kCrls.columns) + " FROM ca_crls WHERE ca_id = ?", {ca_id},
      ReadCrl, "CA " + std::to_string(ca_id) + " has no CRL yet");
}

}  // namespace ck::store
