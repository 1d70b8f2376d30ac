// HttpTransport over common/http_client: a pool of connections so concurrent orders reuse TLS
// connections to the ACME server instead of paying a handshake per request, and one shared
// TLS session/DNS cache so a new connection resumes a session.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acme/http_transport.hpp"
#include "common/http_client.hpp"

namespace ck::acme {

struct CurlTransportOptions {
  std::string ca_bundle;  // PEM file trusted for the server's HTTPS; empty = system store
  std::string user_agent = "certkeeper";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  size_t max_response_bytes = 16 * 1024 * 1024;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> Do(const HttpRequest& request) override;

 private:
  http::Connection Acquire();
  void Release(http::Connection connection);

  http::ClientOptions options_;
  // Declared before the pool: every connection is gone before the cache they use.
  http::SharedCache shared_;
  std::mutex mu_;
  std::vector<http::Connection> idle_;
};

}  // namespace ck::acme
