// ACME request metrics (in cert-manager's style): every exchange with an ACME server is
// counted by host, endpoint, method and HTTP status, and its latency observed, in the process
// registry. The endpoint is normalised ("new-order", "authz", "finalize", ...) so that order and
// authorization URLs, unique per request, do not become unbounded label values.
#pragma once

#include <string>
#include <string_view>

#include "acme/directory.hpp"

namespace ck::acme {

// `url` classified against the server's directory (nullptr before it is known) and the
// directory's own URL: "directory", "new-nonce", "new-account", "new-order", "revoke",
// "key-change", "renewal-info", else by path: "authz", "challenge", "finalize", "order",
// "cert", "account", or "other".
std::string_view AcmeEndpointOf(std::string_view url, const Directory* directory,
                                std::string_view directory_url);

// "host[:port]" of an http(s) URL ("" when there is none).
std::string_view UrlHost(std::string_view url);

// One exchange: `status` is the HTTP status, or 0 when the server could not be reached
// (counted as status="error").
void RecordAcmeRequest(std::string_view url, std::string_view endpoint, std::string_view method,
                       int status, double seconds);

}  // namespace ck::acme
