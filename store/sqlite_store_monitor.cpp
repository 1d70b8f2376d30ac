// SqliteStore: watched endpoint/file results and alerts (schema v7, issue 6).
#include <sqlite3.h>

#include "store/record_checks.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

using sqlite::SqlValue;
using sqlite::Stmt;

constexpr TableSpec kWatchResults = {
    "watch_results",
    "target, kind, checked_at, outcome, error, problems_json, details_json, certificate_id"};
constexpr TableSpec kAlerts = {
    "alerts",
    "key, kind, subject, severity, message, details_json, opened_at, notified_at, resolved_at, "
    "resolved_notified_at, acknowledged_at, acknowledged_by"};

WatchResultRecord ReadWatchResult(const Stmt& s) {
  return {s.Int64(0), s.Text(1), s.Text(2), s.Time(3),    s.Text(4),
          s.Text(5),  s.Text(6), s.Text(7), s.OptInt64(8)};
}

AlertRecord ReadAlert(const Stmt& s) {
  return {s.Int64(0),    s.Text(1),     s.Text(2), s.Text(3),    s.Text(4),
          s.Text(5),     s.Text(6),     s.Time(7), s.OptTime(8), s.OptTime(9),
          s.OptTime(10), s.OptTime(11), s.Text(12)};
}

}  // namespace

// --- watch results ---

Result<int64_t> SqliteStore::PutWatchResult(const WatchResultRecord& r) {
  RETURN_IF_ERROR(CheckWatchResult(r));
  CK_STORE_ENTER();
  // One row per target: the upsert keeps its id, so nothing that refers to it moves.
  ASSIGN_OR_RETURN(
      Stmt stmt,
      Stmt::Prepare(db, InsertSql(kWatchResults) +
                            " ON CONFLICT (target) DO UPDATE SET kind = excluded.kind, "
                            "checked_at = excluded.checked_at, outcome = excluded.outcome, "
                            "error = excluded.error, problems_json = excluded.problems_json, "
                            "details_json = excluded.details_json, "
                            "certificate_id = excluded.certificate_id RETURNING id"));
  stmt.BindAll(r.target, r.kind, r.checked_at, r.outcome, r.error, r.problems_json, r.details_json,
               r.certificate_id);
  const std::string what = "store watch result of '" + r.target + "'";
  ASSIGN_OR_RETURN(bool row, stmt.Step(what));
  if (!row) return InternalError(what + ": no id returned");
  int64_t id = stmt.Int64(0);
  ASSIGN_OR_RETURN(bool more, stmt.Step(what));  // finishes the statement
  (void)more;
  return id;
}

Result<std::vector<WatchResultRecord>> SqliteStore::ListWatchResults() {
  CK_STORE_ENTER();
  return QueryRows<WatchResultRecord>(db, SelectSql(kWatchResults) + " ORDER BY target", {},
                                      ReadWatchResult, "list watch results");
}

Status SqliteStore::DeleteWatchResult(std::string_view target) {
  CK_STORE_ENTER();
  const std::string what = "delete watch result of '" + std::string(target) + "'";
  ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, "DELETE FROM watch_results WHERE target = ?"));
  stmt.BindAll(target);
  RETURN_IF_ERROR(stmt.Run(what));
  if (sqlite3_changes(db) == 0) return NotFoundError(what + ": no such target");
  return OkStatus();
}

// --- alerts ---

Result<int64_t> SqliteStore::PutAlert(const AlertRecord& a) {
  RETURN_IF_ERROR(CheckAlert(a));
  CK_STORE_ENTER();
  return PutRow(db, kAlerts, a.id, "store alert '" + a.key + "'", a.key, a.kind, a.subject,
                a.severity, a.message, a.details_json, a.opened_at, a.notified_at, a.resolved_at,
                a.resolved_notified_at, a.acknowledged_at, a.acknowledged_by);
}

Result<AlertRecord> SqliteStore::GetAlert(int64_t id) {
  CK_STORE_ENTER();
  return QueryOne<AlertRecord>(db, SelectSql(kAlerts) + " WHERE id = ?", {id}, ReadAlert,
                               "alert " + std::to_string(id) + " not found");
}

Result<AlertRecord> SqliteStore::FindOpenAlert(std::string_view key) {
  CK_STORE_ENTER();
  return QueryOne<AlertRecord>(db, SelectSql(kAlerts) + " WHERE key = ? AND resolved_at IS NULL",
                               {std::string(key)}, ReadAlert,
                               "no open alert '" + std::string(key) + "'");
}

Result<std::vector<AlertRecord>> SqliteStore::ListAlerts(const AlertQuery& q) {
  CK_STORE_ENTER();
  std::string sql = SelectSql(kAlerts) + " WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (q.open_only) sql += " AND resolved_at IS NULL";
  if (!q.subject.empty()) {
    sql += " AND subject = ?";
    params.emplace_back(q.subject);
  }
  if (!q.kind.empty()) {
    sql += " AND kind = ?";
    params.emplace_back(q.kind);
  }
  if (q.before_id != 0) {
    sql += " AND id < ?";
    params.emplace_back(q.before_id);
  }
  sql += " ORDER BY id DESC";
  if (q.limit > 0) {
    sql += " LIMIT ?";
    params.emplace_back(int64_t{q.limit});
  }
  return QueryRows<AlertRecord>(db, sql, params, ReadAlert, "list alerts");
}

}  // namespace ck::store
