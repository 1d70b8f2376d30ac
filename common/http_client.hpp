// certkeeper's one HTTP(S) client, on libcurl: the ACME transport, the CLI's admin API client,
// deploy webhooks and alert channels all send their requests through it, so TLS settings,
// timeouts, size limits and the mapping of failures to Status live in one place. curl's types
// stay in http_client.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"

namespace ck::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // GET, HEAD, POST, or any other verb sent as-is
  std::string url;
  HeaderList headers;  // e.g. {"Content-Type", "application/jose+json"}
  std::string body;
};

struct Response {
  int status = 0;
  HeaderList headers;  // names lowercased, in arrival order (of the final response)
  std::string body;
  // First value of header `name` (case-insensitive), empty when absent.
  std::string Header(std::string_view name) const;
  // Every value of header `name` (Link may repeat).
  std::vector<std::string> Headers(std::string_view name) const;
};

struct ClientOptions {
  std::string ca_bundle;  // PEM file trusted for the server's certificate; empty = system store
  std::string client_cert_file;  // mTLS client certificate (PEM), with client_key_file
  std::string client_key_file;
  std::string user_agent = "certkeeper";
  std::string protocols = "http,https";  // "https": refuse to send anything in the clear
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  size_t max_response_bytes = 16 * 1024 * 1024;
};

// TLS session and DNS caches several connections share (a connection's first request resumes a
// TLS session another one made instead of a full handshake). Thread-safe; must outlive every
// Connection that uses it.
class SharedCache {
 public:
  SharedCache();
  ~SharedCache();
  SharedCache(const SharedCache&) = delete;
  SharedCache& operator=(const SharedCache&) = delete;

  struct Impl;

 private:
  friend class Connection;
  std::unique_ptr<Impl> impl_;
};

// One libcurl easy handle with its connection cache: consecutive requests to one server reuse
// the TLS connection (keep-alive). Not thread-safe: one per thread, or a pool
// (acme::CurlTransport).
class Connection {
 public:
  explicit Connection(SharedCache* shared = nullptr);
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;

  // One exchange. Any HTTP status is a successful exchange. Failures to talk to the server:
  //   FailedPrecondition  the server's certificate is not trusted (or the CA bundle unreadable)
  //   InvalidArgument     the client certificate or key cannot be used
  //   DeadlineExceeded    connect or total timeout
  //   DataLoss            the response is larger than max_response_bytes
  //   Unavailable         anything else (DNS, refused, reset, TLS handshake)
  // Messages start with "METHOD URL: ".
  Result<Response> Do(const Request& request, const ClientOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ck::http
