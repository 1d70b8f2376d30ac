// The HTTP seam of the ACME client. libcurl lives only behind it (curl_transport.cpp); tests
// plug in scripted or fault-injecting transports.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"

namespace ck::acme {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD or POST
  std::string url;
  HttpHeaders headers;  // e.g. {"Content-Type", "application/jose+json"}
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lowercased by the transport, in arrival order
  std::string body;

  // First value of header `name` (case-insensitive), empty when absent.
  std::string Header(std::string_view name) const;
  // Every value of header `name` (Link may repeat).
  std::vector<std::string> Headers(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one exchange. Any HTTP status is a successful exchange; only failures to talk
  // to the server (DNS, connect, TLS, timeout) are errors, and those are Unavailable.
  // Must be safe to call from several threads at once.
  virtual Result<HttpResponse> Do(const HttpRequest& request) = 0;
};

}  // namespace ck::acme
