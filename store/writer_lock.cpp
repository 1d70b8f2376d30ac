#include "store/writer_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.hpp"

namespace ck::store {

Result<WriterLock> WriterLock::Acquire(const std::string& db_path) {
  std::string path = LockPathFor(db_path);
  // O_CLOEXEC: a deploy hook we fork+exec must not inherit (and so prolong) the lock.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot open lock file " + path + ": " + std::strerror(err);
    if (err == ENOENT) return FailedPreconditionError(msg + " (does the directory exist?)");
    if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(msg);
    return UnavailableError(msg);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return UnavailableError("cannot lock " + path + ": " + std::strerror(err));
    }
    std::string pid = "unknown";
    if (auto content = ReadFile(path, 64); content.ok()) {
      std::string text = *content;
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (!text.empty()) pid = text;
    }
    return FailedPreconditionError("another certkeeper (pid " + pid + ") is already running on " +
                                   db_path + " (lock " + path + "); stop it first");
  }
  // Record our pid for the message above. Best effort: the lock is what matters.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return WriterLock(fd, std::move(path));
}

WriterLock& WriterLock::operator=(WriterLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace ck::store
