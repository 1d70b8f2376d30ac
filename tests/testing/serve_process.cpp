#include "tests/testing/serve_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace ck::testing {

ServeProcess::ServeProcess(std::string binary, std::string config, std::string state_dir,
                           std::string log)
    : binary_(std::move(binary)),
      config_(std::move(config)),
      state_dir_(std::move(state_dir)),
      log_(std::move(log)) {}

ServeProcess::~ServeProcess() { Stop(SIGTERM); }

std::string ServeProcess::Log() const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status ServeProcess::Start(std::chrono::seconds timeout) {
  if (running()) return FailedPreconditionError("the daemon is already running");
  const std::string url = state_dir_ + "/admin.url", token = state_dir_ + "/cli-token";
  // A file left by an earlier run must not count as this run's.
  ::unlink(url.c_str());
  pid_t pid = ::fork();
  if (pid < 0) return InternalError("fork failed");
  if (pid == 0) {
    const std::string cmd =
        "exec '" + binary_ + "' serve --dev --config '" + config_ + "' >> '" + log_ + "' 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::access(url.c_str(), R_OK) == 0 && ::access(token.c_str(), R_OK) == 0) return OkStatus();
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return FailedPreconditionError("the daemon exited at start:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return DeadlineExceededError("the daemon did not publish " + url + ":\n" + Log());
}

int ServeProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool ServeProcess::Signal(int sig) const { return pid_ > 0 && ::kill(pid_, sig) == 0; }

}  // namespace ck::testing
