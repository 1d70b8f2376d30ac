// Finding the authoritative servers of the zone that holds a name, so the dns-01 propagation
// check can ask them (they see an update first; a recursive resolver may serve a cached
// NXDOMAIN for the negative TTL, RFC 2308 §5).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace ck::acme {

// Asks the recursive `resolver` ("IPv4:port") for the NS records of `fqdn`, then of each
// parent, until an answer has NS records for the name asked, or an SOA in the authority
// section names the zone (whose NS are then asked for). Each server name is resolved to its
// IPv4 addresses (glue from the additional section when present, else an A query to the
// resolver). Returns "ip:port" per address, `port` being the servers' port (53; tests use a
// fixture's). `timeout` bounds the whole discovery. NotFound when no zone or no IPv4 address
// is found; Unavailable for network trouble or garbled answers.
Result<std::vector<std::string>> DiscoverAuthoritativeServers(const std::string& fqdn,
                                                              const std::string& resolver,
                                                              std::chrono::milliseconds timeout,
                                                              uint16_t port = 53);

// The first IPv4 `nameserver` in a resolv.conf(5) file, as "ip:53". NotFound when it has
// none (IPv6-only resolvers are not supported by the UDP code here).
Result<std::string> SystemResolver(const std::string& resolv_conf = "/etc/resolv.conf");

}  // namespace ck::acme
