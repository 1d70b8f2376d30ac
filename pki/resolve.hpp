// Name resolution with a deadline. getaddrinfo(3) has no timeout of its own: a dead name server
// holds it for resolv.conf's timeout × attempts × servers (30 s with three servers), far past a
// watch check's or a deploy verification's budget. Here the lookup runs on a thread of its own
// and the caller stops waiting at its deadline; the abandoned lookup finishes (and frees its
// result) in the background.
#pragma once

#include <netdb.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.hpp"

namespace ck::pki {

struct AddrInfoFree {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

// getaddrinfo's signature; tests substitute a slow or failing one.
using ResolverFn = std::function<int(const std::string& name, const std::string& service,
                                     const addrinfo& hints, addrinfo** out)>;

// Stream-socket addresses of `host` (a name, or an IPv4/IPv6 literal, brackets allowed) on
// `port`. Literals are converted inline, without a thread. DeadlineExceeded when `deadline`
// passes first, Unavailable when the name does not resolve or too many earlier lookups are still
// running (at most 64 at once: a hung resolver must not pile up threads); messages name the host.
Result<AddrInfoPtr> ResolveHost(const std::string& host, uint16_t port,
                                std::chrono::steady_clock::time_point deadline);
Result<AddrInfoPtr> ResolveHost(const std::string& host, uint16_t port,
                                std::chrono::steady_clock::time_point deadline,
                                const ResolverFn& resolver);

// Lookups started by ResolveHost that have not finished yet (abandoned ones included).
int OutstandingLookups();

}  // namespace ck::pki
