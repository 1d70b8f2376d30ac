// A listening TCP socket for the built-in solvers. An empty address means every interface,
// dual-stack ("::" with IPV6_V6ONLY off, falling back to 0.0.0.0 without IPv6): a CA validates
// over IPv6 when the name has an AAAA record. SO_REUSEADDR for quick restarts, never
// SO_REUSEPORT (which would let another process share the port and take the validator's
// requests). A deep backlog: a CA validates many orders at once, from several perspectives.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.hpp"

namespace ck::acme {

struct ListenSocket {
  int fd = -1;
  uint16_t port = 0;  // the bound port (useful with port 0)
};

// Unavailable when the port is taken or not permitted; InvalidArgument for a bad address.
Result<ListenSocket> ListenTcp(const std::string& address, uint16_t port, int backlog = 1024);

}  // namespace ck::acme
