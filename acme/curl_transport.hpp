// HttpTransport on libcurl: a pool of easy handles so concurrent orders reuse TLS connections
// to the ACME server instead of paying a handshake per request.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "acme/http_transport.hpp"

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
  struct Handle;
  struct Share;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> h);

  CurlTransportOptions options_;
  // Declared before the handles: every easy handle is cleaned up before the share they use.
  std::unique_ptr<Share> share_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace ck::acme
