// Filesystem helpers where crash safety matters: atomic replace (write temp, fsync, rename,
// fsync dir) so a reader sees the old file or the new one, never half of either.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 64 * 1024 * 1024);

// Writes `data` to `path` atomically with permissions `mode` (applied before any byte is
// written, so secrets are never readable by others, even briefly).
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);

// mkdir -p with `mode` for directories created here.
Status EnsureDirectory(const std::string& path, mode_t mode = 0755);

// Fails with PermissionDenied when a secret file is readable or writable by group/others
// (allows 0600 and 0400 as ssh does with private keys).
Status CheckSecretFileMode(const std::string& path);

}  // namespace ck
