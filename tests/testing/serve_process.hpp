// `certkeeper serve --dev --config CONFIG` the way end-to-end tests run it: output appended to
// a log file (a pipe nobody reads would block the daemon once it fills), "started" once the
// daemon has published <state>/admin.url and <state>/cli-token, signals sent to its own pid
// only (never kill() with a pid <= 0, which would signal a process group or everything).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "common/status.hpp"

namespace ck::testing {

class ServeProcess {
 public:
  // `state_dir` is the config's state_dir (where admin.url and cli-token appear).
  ServeProcess(std::string binary, std::string config, std::string state_dir, std::string log);
  ~ServeProcess();  // SIGTERM and wait, when still running
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Starts the daemon and waits for admin.url and cli-token. FailedPrecondition carrying the
  // log when it exits first, DeadlineExceeded (with the log) after `timeout`.
  Status Start(std::chrono::seconds timeout = std::chrono::seconds(30));
  // Sends `sig` and waits for the exit; returns the wait status, -1 when not running.
  int Stop(int sig);
  // Sends `sig` (e.g. SIGHUP) without waiting. False when not running.
  bool Signal(int sig) const;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string Log() const;

 private:
  std::string binary_, config_, state_dir_, log_;
  pid_t pid_ = -1;
};

}  // namespace ck::testing
