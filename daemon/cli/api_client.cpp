#include "daemon/cli/api_client.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/file_util.hpp"
#include "daemon/cli/context.hpp"

namespace ck::cli {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string();
}

// One line of a file the daemon wrote into its state dir; "" when the file does not exist.
Result<std::string> ReadStateLine(const std::string& path, bool secret) {
  if (::access(path.c_str(), F_OK) != 0) return std::string();
  if (::access(path.c_str(), R_OK) != 0) {
    return PermissionDeniedError("cannot read " + path + " (" + std::strerror(errno) +
                                 "): run as the daemon's user (or root), or pass " +
                                 (secret ? "--token" : "--server"));
  }
  if (secret) RETURN_IF_ERROR(CheckSecretFileMode(path));
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, 64 * 1024));
  return Trim(text.substr(0, text.find('\n')));
}

std::string NormalizeServer(std::string url) {
  url = Trim(url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  // "127.0.0.1:8443" as `listen` is written: the admin API is always HTTPS.
  if (!url.empty() && url.find("://") == std::string::npos) url = "https://" + url;
  return url;
}

}  // namespace

void AddApiFlags(CLI::App& command, ApiFlags& flags) {
  command.add_option("--server", flags.server,
                     "Admin API URL (default: $CERTKEEPER_SERVER, then <state-dir>/admin.url)");
  command.add_option("--token", flags.token,
                     "Bearer token (default: $CERTKEEPER_TOKEN, then <state-dir>/cli-token)");
  command.add_option("--cacert", flags.cacert,
                     "CA bundle to verify the server (default: <state-dir>/ca-bundle.pem)");
  command.add_option("--cert", flags.cert, "Client certificate (PEM) for mTLS instead of a token");
  command.add_option("--key", flags.key, "Private key (PEM) of --cert");
}

Result<ApiConnection> ResolveApiConnection(const ApiFlags& flags, const GlobalOptions& global,
                                           bool require_credentials) {
  ApiConnection c;
  c.server = NormalizeServer(flags.server);
  c.server_source = "--server";
  if (c.server.empty()) {
    c.server = NormalizeServer(EnvOr("CERTKEEPER_SERVER"));
    c.server_source = "CERTKEEPER_SERVER";
  }
  c.token = flags.token.empty() ? EnvOr("CERTKEEPER_TOKEN") : flags.token;
  c.ca_file = flags.cacert;
  c.cert_file = flags.cert;
  c.key_file = flags.key;
  if (c.cert_file.empty() != c.key_file.empty()) {
    return InvalidArgumentError("--cert and --key go together");
  }
  const bool mtls = !c.cert_file.empty();
  const bool need_state = c.server.empty() || (c.token.empty() && !mtls) || c.ca_file.empty();
  if (need_state) {
    // The state dir as every command resolves it. A broken config only matters when the
    // state dir is actually needed.
    auto ctx = LoadContext(global, /*dev=*/false);
    if (!ctx.ok()) {
      if (c.server.empty()) return ctx.status();
    } else {
      const std::string dir = ctx->state_dir;
      auto read_url = ReadStateLine(dir + "/admin.url", false);
      // Unreadable only matters when it is the only way to find the server.
      if (!read_url.ok() && c.server.empty()) return read_url.status();
      const std::string local_url = NormalizeServer(read_url.value_or(""));
      if (c.server.empty()) {
        c.server = local_url;
        c.server_source = dir + "/admin.url";
      }
      // The local daemon's admin token and CA go only to the local daemon: never send that
      // token to a server named elsewhere.
      if (!local_url.empty() && c.server == local_url) {
        if (c.token.empty() && !mtls) {
          auto token = ReadStateLine(dir + "/cli-token", true);
          if (token.ok()) {
            c.token = *token;
          } else if (require_credentials) {
            return token.status();
          }
        }
        if (c.ca_file.empty() && ::access((dir + "/ca-bundle.pem").c_str(), R_OK) == 0) {
          c.ca_file = dir + "/ca-bundle.pem";
        }
      }
      if (c.server.empty()) {
        return FailedPreconditionError(
            "no admin API to talk to: " + dir +
            "/admin.url does not exist (is certkeeper serve running? it writes that file at "
            "start), and neither --server nor CERTKEEPER_SERVER is set");
      }
    }
  }
  if (c.server.rfind("https://", 0) != 0) {
    return InvalidArgumentError("server URL '" + c.server + "' (from " + c.server_source +
                                ") must be https://HOST:PORT: the admin API speaks HTTPS only");
  }
  if (require_credentials && c.token.empty() && !mtls) {
    return PermissionDeniedError(
        "no credentials for " + c.server +
        ": pass --token (or set CERTKEEPER_TOKEN; create one with certkeeper token create), or "
        "--cert/--key with a client certificate from the internal CA");
  }
  return c;
}

ApiClient::ApiClient(ApiConnection connection) : connection_(std::move(connection)) {}

ApiClient::~ApiClient() = default;
ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;

Result<ApiResponse> ApiClient::Send(std::string_view method, std::string_view path,
                                    std::string_view body,
                                    const std::map<std::string, std::string>& headers,
                                    std::chrono::seconds timeout) {
  http::Request request;
  request.method = std::string(method);
  request.url = connection_.server + std::string(path);
  request.headers.emplace_back("Accept", "application/json, application/problem+json");
  if (!connection_.token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + connection_.token);
  }
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  for (const auto& [k, v] : headers) request.headers.emplace_back(k, v);
  request.body = std::string(body);
  http::ClientOptions options;
  options.ca_bundle = connection_.ca_file;
  options.client_cert_file = connection_.cert_file;
  options.client_key_file = connection_.key_file;
  options.user_agent = "certkeeper-cli";
  options.protocols = "https";
  options.total_timeout = timeout;
  auto response = http_.Do(request, options);
  if (!response.ok()) {
    const Status& s = response.status();
    switch (s.code()) {
      case StatusCode::kFailedPrecondition:
        return FailedPreconditionError(
            s.message() +
            " (the server's certificate is not trusted: pass --cacert with the daemon's "
            "<state-dir>/ca-bundle.pem)");
      case StatusCode::kInvalidArgument:
        return InvalidArgumentError(s.message() + " (check --cert and --key)");
      case StatusCode::kUnavailable:
        return UnavailableError(s.message() + " (is certkeeper serve running at " +
                                connection_.server + "?)");
      default: return s;
    }
  }
  ApiResponse out;
  out.status = response->status;
  out.body = std::move(response->body);
  for (auto& [k, v] : response->headers) out.headers[k] = std::move(v);
  return out;
}

Status ApiClient::StatusFromResponse(const ApiResponse& response) const {
  std::string detail;
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("detail"); it != j.end() && it->is_string()) detail = *it;
    if (detail.empty()) {
      if (auto it = j.find("title"); it != j.end() && it->is_string()) detail = *it;
    }
  }
  if (detail.empty()) {
    detail = "HTTP " + std::to_string(response.status) + " from " + connection_.server;
  }
  const int s = response.status;
  if (s == 401) return PermissionDeniedError(detail + " (check --token or CERTKEEPER_TOKEN)");
  if (s == 403) return PermissionDeniedError(detail);
  if (s == 404) return NotFoundError(detail);
  if (s == 400 || s == 413 || s == 422) return InvalidArgumentError(detail);
  if (s == 409) return AlreadyExistsError(detail);
  if (s == 412) return FailedPreconditionError(detail);
  if (s == 429) return ResourceExhaustedError(detail);
  // 501: this daemon lacks the feature (e.g. no lifecycle manager); it is running.
  if (s == 501) return UnavailableError(detail);
  if (s >= 500) {
    return UnavailableError(detail + " (is certkeeper serve running at " + connection_.server +
                            "?)");
  }
  return InternalError("unexpected HTTP " + std::to_string(s) + " from " + connection_.server +
                       ": " + detail);
}

Result<nlohmann::json> ApiClient::GetJson(std::string_view path) {
  ASSIGN_OR_RETURN(ApiResponse r, Send("GET", path));
  if (r.status < 200 || r.status > 299) return StatusFromResponse(r);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return DataLossError("GET " + std::string(path) + ": the server's answer is not JSON");
  }
  return j;
}

Result<nlohmann::json> ApiClient::PostJson(std::string_view path, const nlohmann::json& body) {
  ASSIGN_OR_RETURN(
      ApiResponse r,
      Send("POST", path, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  if (r.status < 200 || r.status > 299) return StatusFromResponse(r);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return DataLossError("POST " + std::string(path) + ": the server's answer is not JSON");
  }
  return j;
}

Result<nlohmann::json> ApiClient::DeleteJson(std::string_view path) {
  ASSIGN_OR_RETURN(ApiResponse r, Send("DELETE", path));
  if (r.status < 200 || r.status > 299) return StatusFromResponse(r);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    return DataLossError("DELETE " + std::string(path) + ": the server's answer is not JSON");
  }
  return j;
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

std::string WithQuery(std::string path, const std::map<std::string, std::string>& params) {
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    path += sep;
    sep = '&';
    path += k + "=" + UrlEncode(v);
  }
  return path;
}

}  // namespace ck::cli
