// The single-writer lock: at most one certkeeper daemon (or write-mode CLI command) per
// database file. Held with flock(2) on "<db>.lock" for as long as the WriterLock lives; the
// kernel drops it when the process dies, so a crash never leaves a stale lock behind.
#pragma once

#include <string>

#include "common/status.hpp"

namespace ck::store {

class WriterLock {
 public:
  // FailedPrecondition "another certkeeper (pid N) is already running on <db>" when taken.
  static Result<WriterLock> Acquire(const std::string& db_path);
  static std::string LockPathFor(const std::string& db_path) { return db_path + ".lock"; }

  WriterLock(WriterLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  WriterLock& operator=(WriterLock&& o) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  // Releases the lock. The file stays: unlinking a lock file races with the next acquirer.
  ~WriterLock();

  const std::string& path() const { return path_; }

 private:
  WriterLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace ck::store
