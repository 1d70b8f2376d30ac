// Runs a child process for end-to-end tests: argv + extra environment, stdout and stderr
// captured through a pipe, read with a deadline, stopped by pid. Header-only.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace ck::testing {

// The certkeeper binary under test: $CK_BINARY (set by CTest), else from PATH.
inline std::string CertkeeperBinary() {
  const char* b = std::getenv("CK_BINARY");
  return b ? b : "certkeeper";
}

class Subprocess {
 public:
  Subprocess() = default;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }

  // Starts argv[0] (a path) with `env` added to the current environment. stdout+stderr merged
  // when merge_stderr, otherwise stderr goes to the test's stderr.
  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
             bool merge_stderr = true) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      if (merge_stderr) ::dup2(fds[1], 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
    return true;
  }

  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

  // Reads output until `needle` appears or the timeout passes. Returns whether it appeared.
  bool WaitForOutput(const std::string& needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) return false;
    }
    return true;
  }

  // Reads everything until EOF (child exit) or timeout.
  void Drain(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) return;
    }
  }

  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // Waits for exit; returns the exit code (or 128+signal), nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        Drain(std::chrono::milliseconds(500));
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return std::nullopt;
      }
      ReadSome(50);
    }
    return std::nullopt;
  }

 private:
  bool ReadSome(int timeout_ms) {
    if (out_fd_ < 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) return r == 0 && timeout_ms > 0 ? true : false;
    char buf[4096];
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      return false;
    }
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

// Runs a command to completion; returns {exit code, combined output}.
inline std::pair<int, std::string> RunCommand(
    const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  Subprocess p;
  if (!p.Start(argv, env)) return {-1, "failed to start"};
  auto rc = p.Wait(timeout);
  return {rc.value_or(-1), p.output()};
}

}  // namespace ck::testing
