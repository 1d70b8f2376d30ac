// Internal to store/: RAII owners for sqlite3* and sqlite3_stmt*, typed binding and column
// reads, and the mapping from SQLite result codes to Status. Nothing outside store/ includes
// this header (the Store interface must not leak SQLite).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"

namespace ck::store::sqlite {

// Finalizes the connection's cached statements (see Stmt::Prepare), then closes it.
struct DbClose {
  void operator()(sqlite3* db) const;
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;

// Resets the statement and returns it to its connection's cache (see Stmt::Prepare).
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const;
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// A parameter for queries assembled at run time (filters).
using SqlValue = std::variant<int64_t, std::string>;

// Maps an SQLite result code (extended codes on) to the store's error contract; `what` says
// which operation failed, e.g. "insert certificate 'web'".
Status ErrorFromCode(sqlite3* db, int rc, std::string_view what);

// Opens with extended result codes; `flags` as for sqlite3_open_v2.
Result<DbPtr> OpenDb(const std::string& path, int flags);

// Runs one or more statements that return no rows.
Status Exec(sqlite3* db, const char* sql, std::string_view what);

class Stmt {
 public:
  static Result<Stmt> Prepare(sqlite3* db, std::string_view sql);

  // Bind(1, a), ... or BindAll(a, b, c) for parameters 1..N.
  Stmt& Bind(int idx, int64_t v);
  Stmt& Bind(int idx, int v) { return Bind(idx, static_cast<int64_t>(v)); }
  Stmt& Bind(int idx, std::string_view v);
  Stmt& Bind(int idx, const std::string& v) { return Bind(idx, std::string_view(v)); }
  Stmt& Bind(int idx, const char* v) { return Bind(idx, std::string_view(v)); }
  Stmt& Bind(int idx, const Bytes& blob);
  Stmt& Bind(int idx, TimePoint t) { return Bind(idx, ToUnixSeconds(t)); }
  Stmt& Bind(int idx, std::nullptr_t);
  template <typename T>
  Stmt& Bind(int idx, const std::optional<T>& v) {
    return v ? Bind(idx, *v) : Bind(idx, nullptr);
  }
  template <typename... Args>
  Stmt& BindAll(const Args&... args) {
    int idx = 0;
    (Bind(++idx, args), ...);
    return *this;
  }

  // Binds params[i] to parameter i+1.
  Stmt& BindValues(const std::vector<SqlValue>& params);

  // true: a row is available; false: done. Errors are mapped with `what`.
  Result<bool> Step(std::string_view what);
  // Steps to completion, ignoring rows.
  Status Run(std::string_view what);

  int64_t Int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  std::optional<int64_t> OptInt64(int col) const;
  std::string Text(int col) const;
  Bytes Blob(int col) const;
  TimePoint Time(int col) const { return FromUnixSeconds(Int64(col)); }
  std::optional<TimePoint> OptTime(int col) const;

 private:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  void NoteBindError(int rc, int idx);
  sqlite3* db_;
  StmtPtr stmt_;
  int bind_rc_ = SQLITE_OK;  // the first binding failure, reported by Step
};

// SELECTs a single integer/text value (e.g. a PRAGMA); NotFound if there is no row.
Result<int64_t> QueryInt(sqlite3* db, std::string_view sql);
Result<std::string> QueryText(sqlite3* db, std::string_view sql);

// "a\nb" <-> {"a", "b"}: list fields (SANs, contacts) stored as one text column.
std::string JoinLines(const std::vector<std::string>& items);
std::vector<std::string> SplitLines(std::string_view text);

}  // namespace ck::store::sqlite
