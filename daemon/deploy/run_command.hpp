// Runs a deploy helper (exec hook, `nginx -t`, `nginx -s reload`) to completion: its own process
// group so a timeout kills the hook and everything it started, stdin from /dev/null, stdout and
// stderr captured (bounded), extra environment on top of ours.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace ck::deploy {

struct CommandResult {
  int exit_code = -1;  // valid when !signaled
  bool signaled = false;
  int signal = 0;
  std::string out;  // the last kMaxCapture bytes of stdout
  std::string err;  // the last kMaxCapture bytes of stderr
  bool ok() const { return !signaled && exit_code == 0; }
  // "exit 3" / "killed by signal 9".
  std::string Describe() const;
};

inline constexpr size_t kMaxCapture = 64 * 1024;

// argv[0] is searched in PATH. `env` entries are "NAME=value" and override inherited ones.
// FailedPrecondition when the program cannot be started; DeadlineExceeded when it outlives
// `timeout` (its process group is then sent SIGTERM, and SIGKILL a second later).
Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout);

// The last `n` non-empty lines of `text`, joined with "; " — for error messages.
std::string LastLines(std::string_view text, size_t n);

}  // namespace ck::deploy
