#include "daemon/deploy/haproxy_deployer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/deploy/served_serial.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::deploy {
namespace {

class SocketFd {
 public:
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The runtime API ends a payload at the first empty line, so a PEM must have none.
std::string WithoutEmptyLines(std::string_view pem) {
  std::string out;
  size_t pos = 0;
  while (pos < pem.size()) {
    size_t nl = pem.find('\n', pos);
    if (nl == std::string_view::npos) nl = pem.size();
    std::string_view line = pem.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) {
      out.append(line);
      out += '\n';
    }
    pos = nl + 1;
  }
  return out;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

Result<HaproxyOptions> ParseHaproxyOptions(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(TargetConfig c, TargetConfig::Open(target, {"socket", "cert_path", "verify_addr",
                                                               "verify_sni"}));
  HaproxyOptions o;
  ASSIGN_OR_RETURN(o.socket, c.RequiredString("socket"));
  ASSIGN_OR_RETURN(o.cert_path, c.RequiredString("cert_path"));
  if (o.cert_path.front() != '/') return c.Error("cert_path", "must be an absolute path");
  if (o.socket.size() >= sizeof(sockaddr_un::sun_path)) {
    return c.Error("socket", "is longer than a unix socket path may be");
  }
  ASSIGN_OR_RETURN(o.verify_addr, c.Address("verify_addr"));
  ASSIGN_OR_RETURN(o.verify_sni, c.String("verify_sni"));
  return o;
}

Result<std::string> HaproxyCommand(const std::string& socket, std::string_view command,
                                   std::chrono::milliseconds timeout) {
  SocketFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return UnavailableError("cannot connect to HAProxy admin socket " + socket + ": " +
                            std::strerror(errno));
  }
  size_t off = 0;
  while (off < command.size()) {
    ssize_t n = ::send(fd.get(), command.data() + off, command.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError("cannot write to " + socket + ": " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  std::string answer;
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r == 0) return DeadlineExceededError("HAProxy did not answer on " + socket);
    if (r < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("poll " + socket + ": " + std::strerror(errno));
    }
    char buf[4096];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError("cannot read from " + socket + ": " + std::strerror(errno));
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > 1024 * 1024) return UnavailableError("HAProxy answer too long");
  }
  return answer;
}

Status HaproxyDeployer::Validate(const Material& m) {
  RETURN_IF_ERROR(CheckCertificateName(m.name));
  auto cert = pki::Certificate::FromPem(m.cert_pem);
  if (!cert.ok()) return cert.status().WithContext("certificate");
  auto key = pki::PrivateKey::FromPem(m.key_pem.view());
  if (!key.ok()) return key.status().WithContext("private key");
  if (!pki::KeyMatches(*cert, *key)) {
    return FailedPreconditionError("the private key does not match certificate serial " +
                                   cert->SerialHex());
  }
  // HAProxy can only replace a certificate its configuration references under this name.
  ASSIGN_OR_RETURN(
      std::string answer,
      HaproxyCommand(o_.socket, "show ssl cert " + o_.cert_path + "\n", o_.socket_timeout));
  if (!Contains(answer, "Filename:")) {
    return FailedPreconditionError(
        "HAProxy at " + o_.socket + " does not know " + o_.cert_path +
        " (cert_path must be the crt path in its config): " + OneLine(answer));
  }
  return OkStatus();
}

Status HaproxyDeployer::PushRuntime(std::string_view pem) {
  const std::string payload = WithoutEmptyLines(pem);
  store::SecretString set_cmd("set ssl cert " + o_.cert_path + " <<\n" + payload + "\n");
  ASSIGN_OR_RETURN(std::string answer,
                   HaproxyCommand(o_.socket, set_cmd.view(), o_.socket_timeout));
  if (!Contains(answer, "Transaction created") && !Contains(answer, "Transaction updated")) {
    (void)HaproxyCommand(o_.socket, "abort ssl cert " + o_.cert_path + "\n", o_.socket_timeout);
    return FailedPreconditionError("HAProxy refused `set ssl cert " + o_.cert_path +
                                   "`: " + OneLine(answer));
  }
  ASSIGN_OR_RETURN(answer, HaproxyCommand(o_.socket, "commit ssl cert " + o_.cert_path + "\n",
                                          o_.socket_timeout));
  if (!Contains(answer, "Success!")) {
    (void)HaproxyCommand(o_.socket, "abort ssl cert " + o_.cert_path + "\n", o_.socket_timeout);
    return UnavailableError("HAProxy `commit ssl cert " + o_.cert_path +
                            "` failed: " + OneLine(answer));
  }
  return OkStatus();
}

Status HaproxyDeployer::Commit(const Material& m) {
  committed_ = false;
  previous_pem_.reset();
  sni_ = o_.verify_sni.empty() && !m.domains.empty() ? m.domains.front() : o_.verify_sni;
  auto previous = ReadFile(o_.cert_path, 1024 * 1024);
  if (previous.ok()) {
    previous_pem_.emplace(std::move(*previous));
  } else if (previous.status().code() != StatusCode::kNotFound) {
    return previous.status();
  }
  // HAProxy's crt file: certificate, issuers, key (it finds each block by type).
  std::string fullchain = m.FullchainPem();
  store::SecretString combined(fullchain + std::string(m.key_pem.view()));
  RETURN_IF_ERROR(WriteFileAtomic(o_.cert_path, combined.view(), 0600));
  committed_ = true;
  RETURN_IF_ERROR(PushRuntime(combined.view()));
  log::Info("updated HAProxy over its runtime API",
            {{"cert", m.name}, {"serial", m.serial_hex}, {"target", Describe()}});
  return OkStatus();
}

Status HaproxyDeployer::Verify(const Material& m) {
  if (!o_.verify_addr) return OkStatus();
  return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, sni_,
                             m.serial_hex, env_.verify_timeout);
}

Status HaproxyDeployer::Rollback() {
  if (!committed_) return OkStatus();
  committed_ = false;
  if (!previous_pem_) {
    // Nothing was there before; HAProxy cannot have started from this file, so the runtime
    // copy is whatever it was. Remove the file we wrote so a restart does not pick it up.
    ::unlink(o_.cert_path.c_str());
    return OkStatus();
  }
  RETURN_IF_ERROR(WriteFileAtomic(o_.cert_path, previous_pem_->view(), 0600)
                      .WithContext("rollback of " + o_.cert_path));
  RETURN_IF_ERROR(PushRuntime(previous_pem_->view()).WithContext("rollback"));
  log::Warn("restored the previous certificate in HAProxy", {{"target", Describe()}});
  if (o_.verify_addr) {
    auto cert = pki::Certificate::FromPem(previous_pem_->view());
    if (cert.ok()) {
      return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, sni_,
                                 cert->SerialHex(), env_.verify_timeout)
          .WithContext("after rollback");
    }
  }
  return OkStatus();
}

}  // namespace ck::deploy
