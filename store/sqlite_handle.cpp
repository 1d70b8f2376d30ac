#include "store/sqlite_handle.hpp"

#include <mutex>
#include <unordered_map>

namespace ck::store::sqlite {

Status ErrorFromCode(sqlite3* db, int rc, std::string_view what) {
  // sqlite3_errmsg describes the most recent failure on this connection, which is ours: every
  // caller holds the store's mutex.
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = std::string(what) + ": " + detail;
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return AlreadyExistsError(msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return FailedPreconditionError(msg + " (a referenced row is missing or still in use)");
    case SQLITE_CONSTRAINT_TRIGGER:  // e.g. the append-only guard on events
      return FailedPreconditionError(msg);
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL: return InvalidArgumentError(msg);
    default: break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return UnavailableError(msg + " (the database is busy; retry)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLossError(msg);
    case SQLITE_FULL: return ResourceExhaustedError(msg);
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL: return UnavailableError(msg);
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH: return PermissionDeniedError(msg);
    case SQLITE_CANTOPEN: return FailedPreconditionError(msg);
    case SQLITE_CONSTRAINT: return InvalidArgumentError(msg);
    case SQLITE_INTERRUPT: return AbortedError(msg);
    default: return InternalError(msg);
  }
}

Result<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 may allocate a handle even on failure
  if (rc != SQLITE_OK) return ErrorFromCode(raw, rc, "open database " + path);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorFromCode(db, rc, what);
  return OkStatus();
}

// Prepared statements, kept per connection and reused by SQL text: compiling the SQL cost
// about as much as running it for the store's one-row inserts and lookups (bench/ca_bench).
// A statement is in the cache only while nobody holds it, always reset and with its bindings
// cleared (no key material stays bound), so it holds no read transaction open.
namespace {

constexpr size_t kMaxCachedPerConnection = 256;

struct StatementCache {
  std::mutex mu;
  std::unordered_map<sqlite3*, std::unordered_multimap<std::string, sqlite3_stmt*>> by_db;
};

StatementCache& Cache() {
  static StatementCache* cache = new StatementCache();  // outlives every connection
  return *cache;
}

sqlite3_stmt* TakeCached(sqlite3* db, std::string_view sql) {
  StatementCache& c = Cache();
  std::lock_guard lock(c.mu);
  auto db_it = c.by_db.find(db);
  if (db_it == c.by_db.end()) return nullptr;
  auto it = db_it->second.find(std::string(sql));
  if (it == db_it->second.end()) return nullptr;
  sqlite3_stmt* s = it->second;
  db_it->second.erase(it);
  return s;
}

}  // namespace

void StmtFinalize::operator()(sqlite3_stmt* s) const {
  if (s == nullptr) return;
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  sqlite3* db = sqlite3_db_handle(s);
  const char* sql = sqlite3_sql(s);
  StatementCache& c = Cache();
  {
    std::lock_guard lock(c.mu);
    auto& mine = c.by_db[db];
    if (sql != nullptr && mine.size() < kMaxCachedPerConnection) {
      mine.emplace(sql, s);
      return;
    }
  }
  sqlite3_finalize(s);
}

void DbClose::operator()(sqlite3* db) const {
  StatementCache& c = Cache();
  {
    std::lock_guard lock(c.mu);
    if (auto it = c.by_db.find(db); it != c.by_db.end()) {
      for (auto& [sql, s] : it->second) sqlite3_finalize(s);
      c.by_db.erase(it);
    }
  }
  sqlite3_close_v2(db);
}

Result<Stmt> Stmt::Prepare(sqlite3* db, std::string_view sql) {
  if (sqlite3_stmt* cached = TakeCached(db, sql)) return Stmt(db, cached);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return ErrorFromCode(db, rc, "prepare `" + std::string(sql.substr(0, 60)) + "`");
  }
  return Stmt(db, s);
}

void Stmt::NoteBindError(int rc, int /*idx*/) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Stmt& Stmt::Bind(int idx, int64_t v) {
  NoteBindError(sqlite3_bind_int64(stmt_.get(), idx, v), idx);
  return *this;
}

Stmt& Stmt::Bind(int idx, std::string_view v) {
  NoteBindError(
      sqlite3_bind_text64(stmt_.get(), idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      idx);
  return *this;
}

Stmt& Stmt::Bind(int idx, const Bytes& blob) {
  // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
  static const uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  NoteBindError(sqlite3_bind_blob64(stmt_.get(), idx, data, blob.size(), SQLITE_TRANSIENT), idx);
  return *this;
}

Stmt& Stmt::Bind(int idx, std::nullptr_t) {
  NoteBindError(sqlite3_bind_null(stmt_.get(), idx), idx);
  return *this;
}

Stmt& Stmt::BindValues(const std::vector<SqlValue>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit([&](const auto& v) { Bind(static_cast<int>(i) + 1, v); }, params[i]);
  }
  return *this;
}

Result<bool> Stmt::Step(std::string_view what) {
  if (bind_rc_ != SQLITE_OK) return ErrorFromCode(db_, bind_rc_, std::string(what) + " (bind)");
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorFromCode(db_, rc, what);
}

Status Stmt::Run(std::string_view what) {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step(what));
    if (!row) return OkStatus();
  }
}

std::optional<int64_t> Stmt::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int64(col);
}

std::optional<TimePoint> Stmt::OptTime(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Time(col);
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)));
}

Bytes Stmt::Blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_.get(), col));
  if (p == nullptr) return {};
  return Bytes(p, p + sqlite3_column_bytes(stmt_.get(), col));
}

Result<int64_t> QueryInt(sqlite3* db, std::string_view sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step(sql));
  if (!row) return NotFoundError(std::string(sql) + ": no result");
  return stmt.Int64(0);
}

Result<std::string> QueryText(sqlite3* db, std::string_view sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step(sql));
  if (!row) return NotFoundError(std::string(sql) + ": no result");
  return stmt.Text(0);
}

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += '\n';
    out += items[i];
  }
  return out;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    out.emplace_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace ck::store::sqlite
