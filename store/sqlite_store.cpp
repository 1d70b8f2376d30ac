// SqliteStore: opening (pragmas, lock, migrations, master key check), transactions, rekey and
// integrity. Row access lives in sqlite_store_certs.cpp and sqlite_store_records.cpp, backup
// and restore in sqlite_store_backup.cpp.
#include "store/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "common/log.hpp"
#include "store/key_sealer.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

bool IsMemoryPath(const std::string& path) { return path == ":memory:"; }

// Splits "a, b, c" into its names.
std::vector<std::string> Columns(const TableSpec& t) {
  std::vector<std::string> out;
  std::string_view s = t.columns;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view col = s.substr(0, comma);
    while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
    out.emplace_back(col);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// Creates the database file with mode 0600 before SQLite does (SQLite would use 0644 minus
// umask): it holds sealed keys and token hashes. The -wal and -shm files inherit this mode.
Status CreatePrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno == EEXIST ? OkStatus() : CreateFileError(path, errno);
  ::close(fd);
  return OkStatus();
}

}  // namespace

Status CreateFileError(const std::string& path, int err) {
  std::string msg = "cannot create " + path + ": " + std::strerror(err);
  if (err == ENOENT) return FailedPreconditionError(msg + " (does the directory exist?)");
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(msg);
  return UnavailableError(msg);
}

std::string InsertSql(const TableSpec& t) {
  std::string cols, params;
  int i = 0;
  for (const auto& c : Columns(t)) {
    cols += (i ? ", " : "") + c;
    params += (i ? ", ?" : "?") + std::to_string(i + 1);
    ++i;
  }
  return std::string("INSERT INTO ") + t.name + " (" + cols + ") VALUES (" + params + ")";
}

std::string UpdateSql(const TableSpec& t) {
  std::string sets;
  int i = 0;
  for (const auto& c : Columns(t)) {
    sets += (i ? ", " : "") + c + " = ?" + std::to_string(i + 1);
    ++i;
  }
  return std::string("UPDATE ") + t.name + " SET " + sets + " WHERE id = ?" + std::to_string(i + 1);
}

std::string SelectSql(const TableSpec& t) {
  return std::string("SELECT id, ") + t.columns + " FROM " + t.name;
}

Status DeleteRow(sqlite3* db, const TableSpec& t, int64_t id, std::string_view what) {
  ASSIGN_OR_RETURN(sqlite::Stmt stmt, sqlite::Stmt::Prepare(db, std::string("DELETE FROM ") +
                                                                    t.name + " WHERE id = ?"));
  stmt.Bind(1, id);
  RETURN_IF_ERROR(stmt.Run(what));
  if (sqlite3_changes(db) == 0) return NotFoundError(std::string(what) + ": no such row");
  return OkStatus();
}

Status ApplyConnectionSettings(sqlite3* db, int busy_timeout_ms) {
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // synchronous=FULL: with WAL, NORMAL may lose the last commits on power loss; we promise
  // that an acknowledged commit (an issued certificate, a sealed key) is durable.
  // secure_delete: overwrite deleted content, so a key blob sealed with a retired master key
  // does not linger in free pages after Rekey or DeletePrivateKey.
  RETURN_IF_ERROR(sqlite::Exec(db,
                               "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                               "PRAGMA secure_delete = ON",
                               "configure connection"));
  ASSIGN_OR_RETURN(int64_t fk, sqlite::QueryInt(db, "PRAGMA foreign_keys"));
  if (fk != 1) return FailedPreconditionError("this SQLite was built without foreign keys");
  return OkStatus();
}

Status CheckDbIntegrity(sqlite3* db, std::string_view what) {
  std::string problems;
  int count = 0;
  {
    ASSIGN_OR_RETURN(sqlite::Stmt stmt, sqlite::Stmt::Prepare(db, "PRAGMA integrity_check"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt.Step(what));
      if (!row) break;
      std::string line = stmt.Text(0);
      if (line == "ok") continue;
      if (++count <= 5) problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  {
    ASSIGN_OR_RETURN(sqlite::Stmt stmt, sqlite::Stmt::Prepare(db, "PRAGMA foreign_key_check"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt.Step(what));
      if (!row) break;
      if (++count <= 5) {
        problems += (problems.empty() ? "" : "; ") + stmt.Text(0) + " row " +
                    std::to_string(stmt.Int64(1)) + " refers to a missing " + stmt.Text(2) + " row";
      }
    }
  }
  if (count == 0) return OkStatus();
  return DataLossError(std::string(what) + ": " + std::to_string(count) +
                       " problem(s), first: " + problems);
}

Status VerifySealedWith(sqlite3* db, const std::string& path, const MasterKey& key) {
  // Only headers are read: bytes 2..9 of each blob are the sealing master key's id.
  ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                   sqlite::Stmt::Prepare(db,
                                         "SELECT lower(hex(substr(sealed, 2, 8))) AS mk, count(*), "
                                         "min(label) FROM private_keys GROUP BY mk"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step("check the master key"));
    if (!row) return OkStatus();
    std::string sealed_with = stmt.Text(0);
    if (sealed_with == key.id()) continue;
    return PermissionDeniedError("database " + path + " holds " + std::to_string(stmt.Int64(1)) +
                                 " private key(s) (e.g. key '" + stmt.Text(2) +
                                 "') sealed with master key " +
                                 (sealed_with.empty() ? std::string("<none>") : sealed_with) +
                                 ", but the loaded master key is " + key.id() +
                                 "; load the master key this database was sealed with");
  }
}

Status SqliteStore::Impl::Usable() const {
  if (tx_depth > 0 && sqlite3_get_autocommit(db.get())) {
    return AbortedError("the enclosing transaction on " + path +
                        " was rolled back after an earlier error; return from it");
  }
  return OkStatus();
}

Status SqliteStore::Impl::InTransaction(const std::function<Status()>& fn) {
  RETURN_IF_ERROR(Usable());
  const bool top = tx_depth == 0;
  const std::string savepoint = "ck_sp" + std::to_string(tx_depth);
  // BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that later wants to
  // write can fail with SQLITE_BUSY halfway, after its reads.
  const std::string begin = top ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint;
  RETURN_IF_ERROR(sqlite::Exec(raw(), begin.c_str(), "begin transaction on " + path));
  ++tx_depth;
  Status s;
  try {
    s = fn();
  } catch (const std::exception& e) {
    s = InternalError(std::string("transaction aborted by an exception: ") + e.what());
  } catch (...) {
    s = InternalError("transaction aborted by an unknown exception");
  }
  --tx_depth;
  if (s.ok()) {
    const std::string commit = top ? "COMMIT" : "RELEASE " + savepoint;
    Status c = sqlite::Exec(raw(), commit.c_str(), "commit transaction on " + path);
    if (c.ok()) return OkStatus();
    s = c;
  }
  if (top) {
    if (!sqlite3_get_autocommit(raw())) sqlite3_exec(raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  } else if (!sqlite3_get_autocommit(raw())) {
    std::string undo = "ROLLBACK TO " + savepoint + "; RELEASE " + savepoint;
    sqlite3_exec(raw(), undo.c_str(), nullptr, nullptr, nullptr);
  }
  return s;
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

const std::string& SqliteStore::path() const { return impl_->path; }

std::string SqliteStore::master_key_id() const {
  std::lock_guard lock(impl_->mu);
  return impl_->key().id();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const MasterKey& master_key,
                                                       const SqliteOpenOptions& options) {
  if (path.empty()) return InvalidArgumentError("no database path given");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->master_key.emplace(master_key);
  const bool memory = IsMemoryPath(path);
  if (!memory) {
    if (::access(path.c_str(), F_OK) != 0) {
      if (!options.create_if_missing) return NotFoundError("database " + path + " does not exist");
    }
    // Lock before touching the file: a second daemon must not even migrate it.
    if (options.take_writer_lock) {
      ASSIGN_OR_RETURN(WriterLock lock, WriterLock::Acquire(path));
      impl->lock.emplace(std::move(lock));
    }
    if (options.create_if_missing) RETURN_IF_ERROR(CreatePrivateFile(path));
  }
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                    (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  ASSIGN_OR_RETURN(impl->db, sqlite::OpenDb(path, flags));
  sqlite3* db = impl->raw();
  int version = 0;
  // The first statements read the file header: a non-database fails here with DataLoss.
  Status configured = [&]() -> Status {
    RETURN_IF_ERROR(ApplyConnectionSettings(db, options.busy_timeout_ms));
    ASSIGN_OR_RETURN(std::string mode, sqlite::QueryText(db, "PRAGMA journal_mode = WAL"));
    if (mode != "wal" && !(memory && mode == "memory")) {
      return FailedPreconditionError("cannot switch to WAL mode (journal_mode is " + mode +
                                     "); is it on a network file system?");
    }
    ASSIGN_OR_RETURN(version, ReadSchemaVersion(db));
    return OkStatus();
  }();
  if (!configured.ok()) return configured.WithContext("open database " + path);
  if (version != kCurrentSchemaVersion && options.migrate) {
    if (version < kCurrentSchemaVersion && !memory && !impl->lock) {
      return FailedPreconditionError(
          "database " + path +
          (version == 0 ? std::string(" is not initialised")
                        : " has schema version " + std::to_string(version) + " and needs version " +
                              std::to_string(kCurrentSchemaVersion)) +
          "; only a process holding the writer lock (the daemon) may create or upgrade it");
    }
    RETURN_IF_ERROR(MigrateDb(db, path, kCurrentSchemaVersion));
    if (version > 0) {
      log::Info("upgraded database schema", {{"path", path},
                                             {"from", std::to_string(version)},
                                             {"to", std::to_string(kCurrentSchemaVersion)}});
    }
  }
  if (options.verify_master_key) RETURN_IF_ERROR(VerifySealedWith(db, path, master_key));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Status SqliteStore::RunInTransaction(const std::function<Status(Store&)>& fn) {
  std::lock_guard lock(impl_->mu);
  return impl_->InTransaction([&] { return fn(*this); });
}

Status SqliteStore::Rekey(const MasterKey& new_key) {
  std::lock_guard lock(impl_->mu);
  if (impl_->tx_depth > 0) {
    // The in-memory key switches at commit; an outer rollback would leave it wrong.
    return FailedPreconditionError("Rekey must not run inside a transaction");
  }
  sqlite3* db = impl_->raw();
  int count = 0;
  Status s = impl_->InTransaction([&]() -> Status {
    // ForEachUnsealedKey reads all rows before the first callback, so updating is safe.
    return ForEachUnsealedKey(
        db, impl_->key(), [&](const StoredKeyIdentity& id, const SecretString& plain) -> Status {
          ASSIGN_OR_RETURN(SealedBlob blob, Seal(new_key, id.view(), plain.view()));
          ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           sqlite::Stmt::Prepare(db,
                                                 "UPDATE private_keys SET sealed = ? "
                                                 "WHERE id = ?"));
          stmt.BindAll(blob, id.id);
          RETURN_IF_ERROR(stmt.Run("re-seal key '" + id.label + "'"));
          ++count;
          return OkStatus();
        });
  });
  if (!s.ok()) return s.WithContext("rekey (nothing was changed)");
  const std::string old_id = impl_->key().id();
  impl_->master_key.emplace(new_key);
  // Move the re-sealed pages out of the WAL into the main file (secure_delete has already
  // overwritten the old blobs there). Best effort: readers may hold the WAL for a while.
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  log::Info("re-sealed private keys under a new master key",
            {{"keys", std::to_string(count)}, {"from", old_id}, {"to", new_key.id()}});
  return OkStatus();
}

Result<int> SqliteStore::SchemaVersion() {
  std::lock_guard lock(impl_->mu);
  return ReadSchemaVersion(impl_->raw());
}

Status SqliteStore::CheckIntegrity() {
  std::lock_guard lock(impl_->mu);
  RETURN_IF_ERROR(impl_->Usable());
  return CheckDbIntegrity(impl_->raw(), "integrity check of " + impl_->path);
}

}  // namespace ck::store
