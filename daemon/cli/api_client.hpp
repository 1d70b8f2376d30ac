// The CLI's client for a running daemon's admin API (libcurl, TLS verified, TLS 1.2+), and
// where the connection settings come from: flags, then CERTKEEPER_SERVER/CERTKEEPER_TOKEN,
// then the files the daemon leaves in its state dir (admin.url, cli-token, ca-bundle.pem).
// RFC 9457 problems become Status values carrying the problem's detail.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/http_client.hpp"
#include "common/status.hpp"
#include "daemon/cli/command_env.hpp"

namespace CLI {
class App;
}

namespace ck::cli {

struct ApiConnection {
  std::string server;  // https://127.0.0.1:8443
  std::string token;   // bearer token; empty when a client certificate is used
  std::string ca_file;
  std::string cert_file, key_file;  // client certificate (mTLS) instead of a token
  // Where each setting came from, for error messages ("--server", "CERTKEEPER_SERVER",
  // "<state>/admin.url").
  std::string server_source;
};

// The flags every API command accepts (registered with AddApiFlags).
struct ApiFlags {
  std::string server, token, cacert, cert, key;
};
void AddApiFlags(CLI::App& command, ApiFlags& flags);

// Resolution order per setting: flag, then environment, then the state dir (resolved as every
// command does: --state-dir / CERTKEEPER_STATE_DIR / config / default). FailedPrecondition with
// a hint when no server can be found. `require_credentials` false: for the open endpoints
// (CA chain, CRL), a connection without token or client certificate is fine.
Result<ApiConnection> ResolveApiConnection(const ApiFlags& flags, const GlobalOptions& global,
                                           bool require_credentials = true);

struct ApiResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class ApiClient {
 public:
  explicit ApiClient(ApiConnection connection);
  ~ApiClient();
  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;

  const ApiConnection& connection() const { return connection_; }

  // One request; any HTTP status is a response. Unavailable when the server cannot be reached
  // ("is certkeeper serve running at URL?"), FailedPrecondition for TLS verification failures.
  // `path` starts with "/" and may carry a query string.
  Result<ApiResponse> Send(std::string_view method, std::string_view path,
                           std::string_view body = {},
                           const std::map<std::string, std::string>& headers = {},
                           std::chrono::seconds timeout = std::chrono::seconds(30));

  // Send + status check: 2xx bodies parsed as JSON; problems mapped by StatusFromResponse.
  Result<nlohmann::json> GetJson(std::string_view path);
  Result<nlohmann::json> PostJson(std::string_view path, const nlohmann::json& body);
  Result<nlohmann::json> DeleteJson(std::string_view path);

  // The Status for a non-2xx response: the problem's detail as the message; 401/403 →
  // PermissionDenied, 404 → NotFound, 400/413 → InvalidArgument, 409 → AlreadyExists,
  // 412 → FailedPrecondition, 429 → ResourceExhausted, 5xx → Unavailable (with "is
  // certkeeper serve running at URL?" except for 501, which a running daemon sends).
  Status StatusFromResponse(const ApiResponse& response) const;

 private:
  ApiConnection connection_;
  http::Connection http_;  // one TLS connection for all of a command's requests
};

// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and
// query values).
std::string UrlEncode(std::string_view text);

// Appends "?k=v&..." with URL-encoding, skipping empty values.
std::string WithQuery(std::string path, const std::map<std::string, std::string>& params);

}  // namespace ck::cli
