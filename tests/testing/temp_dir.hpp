// A scratch directory for one test, removed with everything in it when the object dies.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace ck::testing {

class TempDir {
 public:
  // Creates $TMPDIR/ck-test-XXXXXX (or /tmp). Aborts the process if that fails: a test
  // without its scratch space cannot say anything meaningful.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/relative (no check that it exists).
  std::string Path(std::string_view relative) const;
  // Writes `contents` to path()/relative with `mode`, creating parent directories; returns the
  // full path. Aborts on I/O failure, for the same reason as the constructor.
  std::string WriteFile(std::string_view relative, std::string_view contents,
                        mode_t mode = 0644) const;
  // Contents of path()/relative, or "" when it cannot be read.
  std::string ReadFile(std::string_view relative) const;

 private:
  std::string path_;
};

}  // namespace ck::testing
