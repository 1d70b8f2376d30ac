// A TCP connection with a deadline: name resolution (pki/resolve, bounded by the same
// deadline), then each resolved address (IPv6 and IPv4) in turn with a non-blocking connect,
// until one answers or time runs out.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.hpp"

namespace ck::pki {

// Owns a file descriptor; closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Network timeouts measure elapsed real time on the monotonic clock; they are not scheduling
// decisions, so they do not go through ck::Clock.
using Deadline = std::chrono::steady_clock::time_point;

struct TcpConnection {
  UniqueFd fd;               // connected, non-blocking, close-on-exec
  std::string peer_address;  // "192.0.2.1:443" or "[2001:db8::1]:443"
};

// Unavailable for resolution failures and refused/unreachable peers, DeadlineExceeded when
// the deadline passes; messages name host:port.
Result<TcpConnection> ConnectTcp(const std::string& host, uint16_t port, Deadline deadline);

// Waits until `fd` is readable (or writable) or the deadline passes (DeadlineExceeded with
// "`what` timed out").
Status WaitForSocket(int fd, bool for_write, Deadline deadline, const std::string& what);

// "host:port", with brackets around IPv6 literals.
std::string HostPort(const std::string& host, uint16_t port);

}  // namespace ck::pki
