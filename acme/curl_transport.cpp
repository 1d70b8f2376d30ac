#include "acme/curl_transport.hpp"

namespace ck::acme {
namespace {

constexpr size_t kMaxIdleConnections = 64;

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options) {
  options_.ca_bundle = std::move(options.ca_bundle);
  options_.user_agent = std::move(options.user_agent);
  options_.connect_timeout = options.connect_timeout;
  options_.total_timeout = options.total_timeout;
  options_.max_response_bytes = options.max_response_bytes;
}

CurlTransport::~CurlTransport() = default;

http::Connection CurlTransport::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      http::Connection c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return http::Connection(&shared_);
}

void CurlTransport::Release(http::Connection connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
}

Result<HttpResponse> CurlTransport::Do(const HttpRequest& request) {
  http::Connection connection = Acquire();
  auto response = connection.Do(request, options_);
  if (!response.ok()) {
    // The connection may be broken: drop it rather than pool it.
    const Status& s = response.status();
    switch (s.code()) {
      case StatusCode::kFailedPrecondition:
        return FailedPreconditionError(s.message() + " (is --ca-bundle set to the server's CA?)");
      case StatusCode::kDataLoss:
      case StatusCode::kInternal: return s;
      default: return UnavailableError(s.message());  // the transport's contract
    }
  }
  Release(std::move(connection));
  return response;
}

}  // namespace ck::acme
