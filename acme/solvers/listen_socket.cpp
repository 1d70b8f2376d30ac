#include "acme/solvers/listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ck::acme {

Result<ListenSocket> ListenTcp(const std::string& address, uint16_t port, int backlog) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  bool dual = address.empty() || address == "::";
  if (dual) {
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_any;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return InvalidArgumentError("solver listen address is not an IP address: " + address);
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 && dual && errno == EAFNOSUPPORT) {
    // No IPv6 on this host: every IPv4 interface then.
    return ListenTcp("0.0.0.0", port, backlog);
  }
  if (fd < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  int yes = 1, no = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (dual) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, backlog) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return UnavailableError("cannot listen on " + (address.empty() ? std::string("*") : address) +
                            ":" + std::to_string(port) + ": " + why);
  }
  socklen_t got = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got);
  return ListenSocket{fd, ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port)};
}

}  // namespace ck::acme
