// Internal to store/: SqliteStore's state, shared by its .cpp files.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "store/key_sealer.hpp"
#include "store/master_key.hpp"
#include "store/sqlite_handle.hpp"
#include "store/sqlite_store.hpp"
#include "store/writer_lock.hpp"

namespace ck::store {

// migrations.cpp
Result<int> ReadSchemaVersion(sqlite3* db);
Status MigrateDb(sqlite3* db, const std::string& path, int target);

// A private_keys row's identity, owning its strings.
struct StoredKeyIdentity {
  int64_t id = 0;
  std::string label;
  std::string algorithm;
  SealedKeyIdentity view() const { return {id, label, algorithm}; }
};

// sqlite_store_certs.cpp: unseals every key in `db` with `key` (restore validation, rekey),
// stopping at the first failure. `each` (optional) sees each key's identity and plaintext.
Status ForEachUnsealedKey(
    sqlite3* db, const MasterKey& key,
    const std::function<Status(const StoredKeyIdentity&, const SecretString&)>& each);

// PermissionDenied naming both master key ids when any key in `db` was sealed with a
// master key other than `key` (reads only the blob headers).
Status VerifySealedWith(sqlite3* db, const std::string& path, const MasterKey& key);

// Opening connections: the pragmas every certkeeper connection uses.
Status ApplyConnectionSettings(sqlite3* db, int busy_timeout_ms);

// The Status for a failed open(O_CREAT) of `path` with errno `err`.
Status CreateFileError(const std::string& path, int err);

// "DataLoss: <problems>" unless PRAGMA integrity_check and foreign_key_check are clean.
Status CheckDbIntegrity(sqlite3* db, std::string_view what);

struct SqliteStore::Impl {
  std::string path;
  sqlite::DbPtr db;
  std::optional<MasterKey> master_key;  // always set after Open
  std::optional<WriterLock> lock;
  // Recursive: RunInTransaction holds it while the callback calls back into the store.
  std::recursive_mutex mu;
  int tx_depth = 0;

  sqlite3* raw() const { return db.get(); }
  const MasterKey& key() const { return *master_key; }
  // Runs `fn` in a transaction (top level: BEGIN IMMEDIATE; nested: a SAVEPOINT). Callers
  // hold `mu`.
  Status InTransaction(const std::function<Status()>& fn);
  // Aborted when an enclosing transaction was rolled back underneath us (SQLite does that on
  // some errors, e.g. a full disk); statements must not then run in autocommit mode.
  Status Usable() const;
};

// Opens every SqliteStore method: takes the store mutex (a transaction on another thread
// finishes first), refuses to run in autocommit mode inside a transaction SQLite already
// rolled back, and names the connection `db`.
#define CK_STORE_ENTER()            \
  std::lock_guard lock(impl_->mu);  \
  RETURN_IF_ERROR(impl_->Usable()); \
  [[maybe_unused]] sqlite3* db = impl_->raw()

// Generated SQL for a table with an INTEGER PRIMARY KEY `id` and `columns` ("a, b, c"):
//   InsertSql: INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)
//   UpdateSql: UPDATE t SET a = ?1, b = ?2, c = ?3 WHERE id = ?4
//   SelectSql: SELECT id, a, b, c FROM t   (readers get id at column 0, then a, b, c)
struct TableSpec {
  const char* name;
  const char* columns;
};
std::string InsertSql(const TableSpec& t);
std::string UpdateSql(const TableSpec& t);
std::string SelectSql(const TableSpec& t);

// INSERT when id == 0 (returns the new id), otherwise UPDATE that row (NotFound if absent).
template <typename... Args>
Result<int64_t> PutRow(sqlite3* db, const TableSpec& t, int64_t id, std::string_view what,
                       const Args&... args) {
  ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                   sqlite::Stmt::Prepare(db, id == 0 ? InsertSql(t) : UpdateSql(t)));
  stmt.BindAll(args...);
  if (id != 0) stmt.Bind(static_cast<int>(sizeof...(Args)) + 1, id);
  RETURN_IF_ERROR(stmt.Run(what));
  if (id == 0) return static_cast<int64_t>(sqlite3_last_insert_rowid(db));
  if (sqlite3_changes(db) == 0) {
    return NotFoundError(std::string(what) + ": no " + t.name + " row with id " +
                         std::to_string(id));
  }
  return id;
}

// Runs a SELECT with parameters and reads every row with `read`.
template <typename T, typename Reader>
Result<std::vector<T>> QueryRows(sqlite3* db, const std::string& sql,
                                 const std::vector<sqlite::SqlValue>& params, Reader read,
                                 std::string_view what) {
  ASSIGN_OR_RETURN(sqlite::Stmt stmt, sqlite::Stmt::Prepare(db, sql));
  stmt.BindValues(params);
  std::vector<T> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step(what));
    if (!row) return out;
    out.push_back(read(stmt));
  }
}

// The single row of a SELECT, or NotFound(`not_found`).
template <typename T, typename Reader>
Result<T> QueryOne(sqlite3* db, const std::string& sql, const std::vector<sqlite::SqlValue>& params,
                   Reader read, const std::string& not_found) {
  ASSIGN_OR_RETURN(std::vector<T> rows,
                   QueryRows<T>(db, sql + " LIMIT 1", params, read, not_found));
  if (rows.empty()) return NotFoundError(not_found);
  return std::move(rows.front());
}

// DELETE FROM t WHERE id = ?; NotFound when there was no such row.
Status DeleteRow(sqlite3* db, const TableSpec& t, int64_t id, std::string_view what);

}  // namespace ck::store
