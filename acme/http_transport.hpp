// The HTTP seam of the ACME client. Requests and responses are common/http_client's; the real
// transport (curl_transport.hpp) sends them through it, tests plug in scripted or
// fault-injecting transports.
#pragma once

#include "common/http_client.hpp"
#include "common/status.hpp"

namespace ck::acme {

using HttpHeaders = http::HeaderList;
using HttpRequest = http::Request;
using HttpResponse = http::Response;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one exchange. Any HTTP status is a successful exchange; only failures to talk
  // to the server (DNS, connect, TLS, timeout) are errors, and those are Unavailable (an
  // untrusted server certificate: FailedPrecondition; an oversized response: DataLoss).
  // Must be safe to call from several threads at once.
  virtual Result<HttpResponse> Do(const HttpRequest& request) = 0;
};

}  // namespace ck::acme
