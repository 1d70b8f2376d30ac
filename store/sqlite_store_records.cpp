// SqliteStore: ACME accounts and orders, CA material, pin sets, consumers, API tokens and the
// event log.
#include "store/record_checks.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

using sqlite::SqlValue;
using sqlite::Stmt;

constexpr TableSpec kAccounts = {
    "acme_accounts", "server_url, contact, account_url, key_id, status, eab_kid, created_at"};
constexpr TableSpec kOrders = {"acme_orders",
                               "account_id, certificate_name, order_url, status, identifiers, "
                               "finalize_url, cert_url, error, created_at, updated_at, key_id"};
constexpr TableSpec kCas = {"ca", "name, role, cert_pem, key_id, status, not_after, created_at"};
constexpr TableSpec kPins = {
    "pin_sets", "certificate_name, pin, key_id, state, publish_at, active_at, retire_at"};
constexpr TableSpec kConsumers = {"consumers",
                                  "certificate_name, type, config_json, last_deployed_serial, "
                                  "last_verified_at, last_result"};
constexpr TableSpec kTokens = {"api_tokens",
                               "name, role, token_hash, created_at, expires_at, revoked_at"};
constexpr TableSpec kEvents = {"events", "time, certificate_name, kind, message, details_json"};

AcmeAccountRecord ReadAccount(const Stmt& s) {
  return {s.Int64(0), s.Text(1), sqlite::SplitLines(s.Text(2)), s.Text(3), s.Int64(4), s.Text(5),
          s.Text(6),  s.Time(7)};
}

AcmeOrderRecord ReadOrder(const Stmt& s) {
  return {s.Int64(0), s.Int64(1), s.Text(2), s.Text(3), s.Text(4),  s.Text(5),
          s.Text(6),  s.Text(7),  s.Text(8), s.Time(9), s.Time(10), s.OptInt64(11)};
}

CaRecord ReadCa(const Stmt& s) {
  return {s.Int64(0),    s.Text(1), s.Text(2), s.Text(3),
          s.OptInt64(4), s.Text(5), s.Time(6), s.Time(7)};
}

PinSetRecord ReadPin(const Stmt& s) {
  return {s.Int64(0), s.Text(1),    s.Text(2),    s.OptInt64(3),
          s.Text(4),  s.OptTime(5), s.OptTime(6), s.OptTime(7)};
}

ConsumerRecord ReadConsumer(const Stmt& s) {
  return {s.Int64(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.OptTime(5), s.Text(6)};
}

ApiTokenRecord ReadToken(const Stmt& s) {
  return {s.Int64(0), s.Text(1), s.Text(2), s.Text(3), s.Time(4), s.OptTime(5), s.OptTime(6)};
}

EventRecord ReadEvent(const Stmt& s) {
  return {s.Int64(0), s.Time(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)};
}

std::string NotFound(std::string_view what, int64_t id) {
  return std::string(what) + " " + std::to_string(id) + " not found";
}

}  // namespace

// --- ACME ---

Result<int64_t> SqliteStore::PutAcmeAccount(const AcmeAccountRecord& a) {
  RETURN_IF_ERROR(CheckAcmeAccount(a));
  CK_STORE_ENTER();
  return PutRow(db, kAccounts, a.id, "store ACME account for " + a.server_url, a.server_url,
                sqlite::JoinLines(a.contact), a.account_url, a.key_id, a.status, a.eab_kid,
                a.created_at);
}

Result<AcmeAccountRecord> SqliteStore::GetAcmeAccount(int64_t id) {
  CK_STORE_ENTER();
  return QueryOne<AcmeAccountRecord>(db, SelectSql(kAccounts) + " WHERE id = ?", {id}, ReadAccount,
                                     NotFound("ACME account", id));
}

Result<std::vector<AcmeAccountRecord>> SqliteStore::ListAcmeAccounts(std::string_view server_url) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kAccounts);
  std::vector<SqlValue> params;
  if (!server_url.empty()) {
    sql += " WHERE server_url = ?";
    params.emplace_back(std::string(server_url));
  }
  return QueryRows<AcmeAccountRecord>(db, sql + " ORDER BY id", params, ReadAccount,
                                      "list ACME accounts");
}

Result<int64_t> SqliteStore::PutAcmeOrder(const AcmeOrderRecord& o) {
  RETURN_IF_ERROR(CheckAcmeOrder(o));
  CK_STORE_ENTER();
  return PutRow(db, kOrders, o.id, "store ACME order for '" + o.certificate_name + "'",
                o.account_id, o.certificate_name, o.order_url, o.status, o.identifiers_json,
                o.finalize_url, o.cert_url, o.error, o.created_at, o.updated_at, o.key_id);
}

Result<AcmeOrderRecord> SqliteStore::GetAcmeOrder(int64_t id) {
  CK_STORE_ENTER();
  return QueryOne<AcmeOrderRecord>(db, SelectSql(kOrders) + " WHERE id = ?", {id}, ReadOrder,
                                   NotFound("ACME order", id));
}

Result<std::vector<AcmeOrderRecord>> SqliteStore::ListAcmeOrders(const AcmeOrderQuery& q) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kOrders) + " WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (!q.certificate_name.empty()) {
    sql += " AND certificate_name = ?";
    params.emplace_back(q.certificate_name);
  }
  if (!q.status.empty()) {
    sql += " AND status = ?";
    params.emplace_back(q.status);
  }
  sql += " ORDER BY id DESC";
  if (q.limit > 0) {
    sql += " LIMIT ?";
    params.emplace_back(int64_t{q.limit});
  }
  return QueryRows<AcmeOrderRecord>(db, sql, params, ReadOrder, "list ACME orders");
}

// --- CA ---

Result<int64_t> SqliteStore::PutCa(const CaRecord& c) {
  RETURN_IF_ERROR(CheckCa(c));
  CK_STORE_ENTER();
  return PutRow(db, kCas, c.id, "store CA '" + c.name + "'", c.name, c.role, c.cert_pem, c.key_id,
                c.status, c.not_after, c.created_at);
}

Result<CaRecord> SqliteStore::GetCa(int64_t id) {
  CK_STORE_ENTER();
  return QueryOne<CaRecord>(db, SelectSql(kCas) + " WHERE id = ?", {id}, ReadCa,
                            NotFound("CA", id));
}

Result<CaRecord> SqliteStore::GetCaByName(std::string_view name) {
  CK_STORE_ENTER();
  return QueryOne<CaRecord>(db, SelectSql(kCas) + " WHERE name = ?", {std::string(name)}, ReadCa,
                            "no CA named '" + std::string(name) + "'");
}

Result<std::vector<CaRecord>> SqliteStore::ListCas() {
  CK_STORE_ENTER();
  return QueryRows<CaRecord>(db, SelectSql(kCas) + " ORDER BY id", {}, ReadCa, "list CAs");
}

// --- pin sets ---

Result<int64_t> SqliteStore::PutPin(const PinSetRecord& p) {
  RETURN_IF_ERROR(CheckPin(p));
  CK_STORE_ENTER();
  return PutRow(db, kPins, p.id, "store pin for '" + p.certificate_name + "'", p.certificate_name,
                p.pin, p.key_id, p.state, p.publish_at, p.active_at, p.retire_at);
}

Result<std::vector<PinSetRecord>> SqliteStore::ListPins(std::string_view certificate_name) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kPins);
  std::vector<SqlValue> params;
  if (!certificate_name.empty()) {
    sql += " WHERE certificate_name = ?";
    params.emplace_back(std::string(certificate_name));
  }
  return QueryRows<PinSetRecord>(db, sql + " ORDER BY id", params, ReadPin, "list pins");
}

Status SqliteStore::DeletePin(int64_t id) {
  CK_STORE_ENTER();
  return DeleteRow(db, kPins, id, "delete pin " + std::to_string(id));
}

// --- consumers ---

Result<int64_t> SqliteStore::PutConsumer(const ConsumerRecord& c) {
  RETURN_IF_ERROR(CheckConsumer(c));
  CK_STORE_ENTER();
  return PutRow(db, kConsumers, c.id, "store consumer of '" + c.certificate_name + "'",
                c.certificate_name, c.type, c.config_json, c.last_deployed_serial,
                c.last_verified_at, c.last_result);
}

Result<ConsumerRecord> SqliteStore::GetConsumer(int64_t id) {
  CK_STORE_ENTER();
  return QueryOne<ConsumerRecord>(db, SelectSql(kConsumers) + " WHERE id = ?", {id}, ReadConsumer,
                                  NotFound("consumer", id));
}

Result<std::vector<ConsumerRecord>> SqliteStore::ListConsumers(std::string_view certificate_name) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kConsumers);
  std::vector<SqlValue> params;
  if (!certificate_name.empty()) {
    sql += " WHERE certificate_name = ?";
    params.emplace_back(std::string(certificate_name));
  }
  return QueryRows<ConsumerRecord>(db, sql + " ORDER BY id", params, ReadConsumer,
                                   "list consumers");
}

Status SqliteStore::DeleteConsumer(int64_t id) {
  CK_STORE_ENTER();
  return DeleteRow(db, kConsumers, id, "delete consumer " + std::to_string(id));
}

// --- API tokens ---

Result<int64_t> SqliteStore::PutApiToken(const ApiTokenRecord& t) {
  RETURN_IF_ERROR(CheckApiToken(t));
  CK_STORE_ENTER();
  return PutRow(db, kTokens, t.id, "store API token '" + t.name + "'", t.name, t.role, t.token_hash,
                t.created_at, t.expires_at, t.revoked_at);
}

Result<ApiTokenRecord> SqliteStore::FindApiTokenByHash(std::string_view token_hash) {
  RETURN_IF_ERROR(CheckTokenHash(token_hash));
  CK_STORE_ENTER();
  // The message never echoes the hash: it is as good as a password for lookups.
  return QueryOne<ApiTokenRecord>(db, SelectSql(kTokens) + " WHERE token_hash = ?",
                                  {std::string(token_hash)}, ReadToken, "no such API token");
}

Result<std::vector<ApiTokenRecord>> SqliteStore::ListApiTokens() {
  CK_STORE_ENTER();
  return QueryRows<ApiTokenRecord>(db, SelectSql(kTokens) + " ORDER BY id", {}, ReadToken,
                                   "list API tokens");
}

Status SqliteStore::RevokeApiToken(int64_t id, TimePoint when) {
  CK_STORE_ENTER();
  // COALESCE: revoking twice keeps the first revocation time.
  ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db,
                                            "UPDATE api_tokens SET revoked_at = "
                                            "COALESCE(revoked_at, ?) WHERE id = ?"));
  stmt.BindAll(when, id);
  RETURN_IF_ERROR(stmt.Run("revoke API token " + std::to_string(id)));
  if (sqlite3_changes(db) == 0) return NotFoundError(NotFound("API token", id));
  return OkStatus();
}

// --- events ---

Result<int64_t> SqliteStore::AppendEvent(const EventRecord& e) {
  RETURN_IF_ERROR(CheckEvent(e));
  CK_STORE_ENTER();
  // Always an INSERT: an id in `e` is ignored, events are never rewritten.
  return PutRow(db, kEvents, 0, "append event '" + e.kind + "'", e.time, e.certificate_name, e.kind,
                e.message, e.details_json);
}

Result<std::vector<EventRecord>> SqliteStore::ListEvents(const EventQuery& q) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kEvents) + " WHERE 1 = 1";
  std::vector<SqlValue> params;
  auto filter = [&](const char* clause, SqlValue v) {
    sql += clause;
    params.push_back(std::move(v));
  };
  if (!q.certificate_name.empty()) filter(" AND certificate_name = ?", q.certificate_name);
  if (!q.kind.empty()) filter(" AND kind = ?", q.kind);
  if (q.since) filter(" AND time >= ?", ToUnixSeconds(*q.since));
  if (q.until) filter(" AND time < ?", ToUnixSeconds(*q.until));
  if (q.before_id != 0) filter(" AND id < ?", q.before_id);
  sql += " ORDER BY id DESC";
  if (q.limit > 0) filter(" LIMIT ?", int64_t{q.limit});
  return QueryRows<EventRecord>(db, sql, params, ReadEvent, "list events");
}

}  // namespace ck::store
