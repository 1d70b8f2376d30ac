// SqliteStore: online backup (`certkeeper backup FILE`) and restore (`certkeeper restore FILE`).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_store_internal.hpp"

namespace ck::store {
namespace {

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return UnavailableError("cannot fsync " + path + ": " + std::strerror(err));
  return OkStatus();
}

Status RenamePath(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return UnavailableError("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
  }
  return OkStatus();
}

// A database file and its companions (a stale -wal must never meet a different main file).
void RemoveDbFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((path + suffix).c_str());
  }
}

// A new, empty file with mode 0600 (the copy holds sealed keys and token hashes).
Status CreateEmptyPrivateFile(const std::string& path) {
  RemoveDbFiles(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return CreateFileError(path, errno);
  ::close(fd);
  return OkStatus();
}

// Copies every page of `from` into `to` with the online backup API (a consistent snapshot
// even while other connections write). Errors name `what`.
Status CopyDatabase(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (b == nullptr) return sqlite::ErrorFromCode(to, sqlite3_errcode(to), what);
  int rc = sqlite3_backup_step(b, -1);
  int finish_rc = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return sqlite::ErrorFromCode(nullptr, rc, what);
  if (finish_rc != SQLITE_OK) return sqlite::ErrorFromCode(nullptr, finish_rc, what);
  return OkStatus();
}

// Leaves `db` as one self-contained file in rollback-journal mode (checkpoints and removes
// any -wal), so it can be renamed or copied on its own.
Status MakeSelfContained(sqlite3* db, const std::string& what) {
  ASSIGN_OR_RETURN(std::string mode, sqlite::QueryText(db, "PRAGMA journal_mode = DELETE"));
  if (mode != "delete") return UnavailableError(what + ": journal_mode stayed " + mode);
  return OkStatus();
}

}  // namespace

Status SqliteStore::Backup(const std::string& dest_path) {
  std::lock_guard lock(impl_->mu);
  if (impl_->tx_depth > 0) {
    return FailedPreconditionError("Backup must not run inside a transaction");
  }
  if (dest_path.empty() || dest_path == impl_->path) {
    return InvalidArgumentError("backup destination must be a different file than the database");
  }
  const std::string tmp = dest_path + ".tmp-" + std::to_string(::getpid());
  const std::string what = "back up " + impl_->path + " to " + dest_path;
  RETURN_IF_ERROR(CreateEmptyPrivateFile(tmp));
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(sqlite::DbPtr out, sqlite::OpenDb(tmp, SQLITE_OPEN_READWRITE));
    RETURN_IF_ERROR(CopyDatabase(impl_->raw(), out.get(), what));
    RETURN_IF_ERROR(MakeSelfContained(out.get(), what));
    RETURN_IF_ERROR(CheckDbIntegrity(out.get(), "verify backup " + dest_path));
    out.reset();
    return FsyncPath(tmp, false);
  }();
  if (s.ok()) s = RenamePath(tmp, dest_path);
  if (!s.ok()) {
    RemoveDbFiles(tmp);
    return s;
  }
  return FsyncPath(DirName(dest_path), true);
}

Status SqliteStore::RestoreFrom(const std::string& backup_path, const std::string& db_path,
                                const MasterKey& master_key) {
  if (db_path.empty() || db_path == ":memory:" || backup_path == db_path) {
    return InvalidArgumentError("restore needs a database file different from the backup");
  }
  // Held until the new file is in place: no daemon may open the database meanwhile.
  auto lock = WriterLock::Acquire(db_path);
  if (!lock.ok()) return lock.status().WithContext("cannot restore while the database is in use");
  if (!Exists(backup_path)) return NotFoundError("backup " + backup_path + " does not exist");

  const std::string tmp = db_path + ".restore-tmp";
  RETURN_IF_ERROR(CreateEmptyPrivateFile(tmp));
  Status s = [&]() -> Status {
    const std::string what = "read backup " + backup_path;
    {
      ASSIGN_OR_RETURN(sqlite::DbPtr src, sqlite::OpenDb(backup_path, SQLITE_OPEN_READONLY));
      ASSIGN_OR_RETURN(sqlite::DbPtr out, sqlite::OpenDb(tmp, SQLITE_OPEN_READWRITE));
      RETURN_IF_ERROR(CopyDatabase(src.get(), out.get(), what));
    }
    // Validate the copy, never the caller's file: it stays exactly as it was.
    ASSIGN_OR_RETURN(sqlite::DbPtr db, sqlite::OpenDb(tmp, SQLITE_OPEN_READWRITE));
    RETURN_IF_ERROR(ApplyConnectionSettings(db.get(), 5000));
    RETURN_IF_ERROR(CheckDbIntegrity(db.get(), "backup " + backup_path));
    ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db.get()));
    if (version == 0) {
      return InvalidArgumentError(backup_path + " is an SQLite database, but not a certkeeper " +
                                  "store (schema version 0)");
    }
    RETURN_IF_ERROR(MigrateDb(db.get(), backup_path, kCurrentSchemaVersion));
    RETURN_IF_ERROR(VerifySealedWith(db.get(), backup_path, master_key));
    RETURN_IF_ERROR(ForEachUnsealedKey(db.get(), master_key, nullptr));
    RETURN_IF_ERROR(MakeSelfContained(db.get(), "restore"));
    db.reset();
    return FsyncPath(tmp, false);
  }();
  if (!s.ok()) {
    RemoveDbFiles(tmp);
    return s.WithContext("restore from " + backup_path + " failed; " + db_path +
                         " was not changed");
  }

  // Swap. The old database moves aside as "<db>.pre-restore" together with any -wal it still
  // has; a -wal must never stay next to a different main file.
  const std::string previous = db_path + ".pre-restore";
  const bool had_previous = Exists(db_path);
  if (had_previous) {
    if (auto old = sqlite::OpenDb(db_path, SQLITE_OPEN_READWRITE); old.ok()) {
      // Best effort (the old file may be the corrupt one we are replacing).
      (void)MakeSelfContained(old->get(), "checkpoint " + db_path);
    }
    RemoveDbFiles(previous);
    if (Exists(db_path + "-wal")) RETURN_IF_ERROR(RenamePath(db_path + "-wal", previous + "-wal"));
    RETURN_IF_ERROR(RenamePath(db_path, previous));
  }
  ::unlink((db_path + "-shm").c_str());
  ::unlink((db_path + "-journal").c_str());
  RETURN_IF_ERROR(RenamePath(tmp, db_path));
  RETURN_IF_ERROR(FsyncPath(DirName(db_path), true));
  log::Info("restored database from backup",
            {{"db", db_path},
             {"backup", backup_path},
             {"previous", had_previous ? previous : std::string("none")}});
  return OkStatus();
}

}  // namespace ck::store
