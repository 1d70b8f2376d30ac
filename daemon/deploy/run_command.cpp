#include "daemon/deploy/run_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace ck::deploy {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct SpawnActions {
  posix_spawn_file_actions_t a;
  SpawnActions() { posix_spawn_file_actions_init(&a); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&a); }
};
struct SpawnAttr {
  posix_spawnattr_t a;
  SpawnAttr() { posix_spawnattr_init(&a); }
  ~SpawnAttr() { posix_spawnattr_destroy(&a); }
};

void Append(std::string& buf, const char* data, size_t len) {
  buf.append(data, len);
  if (buf.size() > 2 * kMaxCapture) buf.erase(0, buf.size() - kMaxCapture);
}

// Reads what is available without blocking; false at EOF or error.
bool ReadAvailable(Fd& fd, std::string& buf) {
  char chunk[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n > 0) {
      Append(buf, chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    fd.Reset();
    return false;
  }
}

void Trim(std::string& buf) {
  if (buf.size() > kMaxCapture) buf.erase(0, buf.size() - kMaxCapture);
}

}  // namespace

std::string CommandResult::Describe() const {
  return signaled ? "killed by signal " + std::to_string(signal)
                  : "exit " + std::to_string(exit_code);
}

std::string LastLines(std::string_view text, size_t n) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    pos = nl + 1;
  }
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : "; ") + std::string(lines[i]);
  }
  return out;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return InvalidArgumentError("empty command");
  // Environment: ours, with `env` overriding by name (duplicates would be ambiguous).
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    vars[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : env) vars[kv.substr(0, kv.find('='))] = kv;
  std::vector<char*> envp;
  for (auto& [k, kv] : vars) envp.push_back(kv.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return UnavailableError(std::string("pipe: ") + std::strerror(errno));
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return UnavailableError(std::string("pipe: ") + std::strerror(errno));
  }
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);

  SpawnActions actions;
  posix_spawn_file_actions_addopen(&actions.a, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions.a, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions.a, err_w.get(), 2);
  SpawnAttr attr;
  // Own process group: on timeout we kill the hook and whatever it spawned, not ourselves.
  posix_spawnattr_setpgroup(&attr.a, 0);
  // Signals we block or ignore (the daemon sigwaits SIGHUP/SIGTERM) must not leak into hooks.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr.a, &none);
  posix_spawnattr_setsigdefault(&attr.a, &all);
  posix_spawnattr_setflags(&attr.a,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argp[0], &actions.a, &attr.a, argp.data(), envp.data());
  if (rc != 0) {
    return FailedPreconditionError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  out_w.Reset();
  err_w.Reset();

  // A subprocess timeout is a kernel-level budget on a child, not scheduling policy, so it is
  // measured on the monotonic clock rather than through the Clock seam.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  CommandResult result;
  int status = 0;
  bool exited = false, timed_out = false;
  while (!exited) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      exited = true;
      break;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGTERM);
      auto grace = now + std::chrono::seconds(1);
      while (::waitpid(pid, &status, WNOHANG) != pid) {
        if (std::chrono::steady_clock::now() >= grace) {
          ::kill(-pid, SIGKILL);
          while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
          }
          break;
        }
        ::usleep(20'000);
      }
      ::kill(-pid, SIGKILL);  // stragglers in the group that ignored SIGTERM
      break;
    }
    pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    // Short slices: the child's exit is noticed by waitpid, not by EOF, because a background
    // grandchild may keep the pipes open long after the hook itself finished.
    ::poll(fds, 2, 50);
    if (out_r.get() >= 0) ReadAvailable(out_r, result.out);
    if (err_r.get() >= 0) ReadAvailable(err_r, result.err);
  }
  if (out_r.get() >= 0) ReadAvailable(out_r, result.out);
  if (err_r.get() >= 0) ReadAvailable(err_r, result.err);
  Trim(result.out);
  Trim(result.err);
  if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  if (timed_out) {
    std::string tail = LastLines(result.err, 5);
    return DeadlineExceededError("`" + argv[0] + "` did not finish within " +
                                 std::to_string(timeout.count()) + "ms; killed its process group" +
                                 (tail.empty() ? "" : " (stderr: " + tail + ")"));
  }
  return result;
}

}  // namespace ck::deploy
