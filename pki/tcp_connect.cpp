#include "pki/tcp_connect.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "pki/resolve.hpp"

namespace ck::pki {
namespace {

std::string FormatSockaddr(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "unknown";
}

int RemainingMs(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

}  // namespace

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string HostPort(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return "[" + host + "]:" + std::to_string(port);
  }
  return host + ":" + std::to_string(port);
}

Status WaitForSocket(int fd, bool for_write, Deadline deadline, const std::string& what) {
  for (;;) {
    const int ms = RemainingMs(deadline);
    if (ms == 0) return DeadlineExceededError(what + " timed out");
    pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return OkStatus();  // ready, or an error the next I/O call will report
    if (rc == 0) return DeadlineExceededError(what + " timed out");
    if (errno != EINTR) return UnavailableError(what + ": poll: " + std::strerror(errno));
  }
}

Result<TcpConnection> ConnectTcp(const std::string& host, uint16_t port, Deadline deadline) {
  const std::string where = HostPort(host, port);
  if (host.empty()) return InvalidArgumentError("no host to connect to");
  if (host.find('\0') != std::string::npos) {
    return InvalidArgumentError("host name contains a NUL byte");  // the resolver would truncate
  }
  if (port == 0) return InvalidArgumentError("port 0 is not a valid destination (" + where + ")");
  // Resolution counts against the same deadline as the connection attempts.
  ASSIGN_OR_RETURN(AddrInfoPtr addrs, ResolveHost(host, port, deadline));
  std::string errors;
  bool timed_out = false;
  for (const addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
    const std::string peer = FormatSockaddr(ai->ai_addr);
    UniqueFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      errors += (errors.empty() ? "" : "; ") + peer + ": socket: " + std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      errors += (errors.empty() ? "" : "; ") + peer + ": " + std::strerror(errno);
      continue;
    }
    if (rc != 0) {
      Status wait = WaitForSocket(fd.get(), /*for_write=*/true, deadline, "connect");
      if (!wait.ok()) {
        timed_out = wait.code() == StatusCode::kDeadlineExceeded;
        errors += (errors.empty() ? "" : "; ") + peer + ": " + wait.message();
        if (timed_out) break;  // no time left for the other addresses
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error != 0) {
        errors += (errors.empty() ? "" : "; ") + peer + ": " + std::strerror(so_error);
        continue;
      }
    }
    return TcpConnection{std::move(fd), peer};
  }
  if (timed_out) return DeadlineExceededError("connecting to " + where + ": " + errors);
  return UnavailableError("cannot connect to " + where + ": " + errors);
}

}  // namespace ck::pki
