#include "acme/request_metrics.hpp"

#include <algorithm>
#include <cctype>

#include "common/metrics.hpp"

namespace ck::acme {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string_view UrlPath(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t slash = url.find('/', from);
  if (slash == std::string_view::npos) return "/";
  std::string_view path = url.substr(slash);
  return path.substr(0, path.find_first_of("?#"));
}

metrics::CounterFamily& Requests() {
  static auto& f = metrics::Default().AddCounter(
      "certkeeper_acme_client_requests_total",
      "ACME requests by server host, normalised endpoint, HTTP method and status "
      "(status=\"error\" when the server could not be reached).",
      {"host", "path", "method", "status"});
  return f;
}

metrics::HistogramFamily& Durations() {
  static auto& f = metrics::Default().AddHistogram(
      "certkeeper_acme_client_request_duration_seconds",
      "Latency of ACME requests by server host, normalised endpoint and HTTP method.",
      {"host", "path", "method"});
  return f;
}

}  // namespace

std::string_view UrlHost(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return rest;
}

std::string_view AcmeEndpointOf(std::string_view url, const Directory* directory,
                                std::string_view directory_url) {
  if (url == directory_url) return "directory";
  if (directory != nullptr) {
    if (url == directory->new_nonce) return "new-nonce";
    if (url == directory->new_account) return "new-account";
    if (url == directory->new_order) return "new-order";
    if (url == directory->revoke_cert) return "revoke";
    if (url == directory->key_change) return "key-change";
    if (!directory->new_authz.empty() && url == directory->new_authz) return "new-authz";
    // RFC 9773 §4.1: renewalInfo/<certificate id>.
    if (!directory->renewal_info.empty() && url.starts_with(directory->renewal_info)) {
      return "renewal-info";
    }
  }
  // Resource URLs are the server's choice; these cover Boulder (/acme/authz/..,
  // /acme/chall/.., /acme/finalize/..) and Pebble (/authZ/, /chalZ/, /finalize-order/).
  std::string path(UrlPath(url));
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (Contains(path, "renewalinfo") || Contains(path, "renewal-info")) return "renewal-info";
  if (Contains(path, "finalize")) return "finalize";
  if (Contains(path, "authz")) return "authz";
  if (Contains(path, "chal")) return "challenge";
  if (Contains(path, "cert")) return "cert";
  if (Contains(path, "order")) return "order";
  if (Contains(path, "acct") || Contains(path, "account") || Contains(path, "reg")) {
    return "account";
  }
  return "other";
}

void RecordAcmeRequest(std::string_view url, std::string_view endpoint, std::string_view method,
                       int status, double seconds) {
  const std::string_view host = UrlHost(url);
  char code[12];
  std::string_view status_text = "error";
  if (status > 0) {
    const int n = std::snprintf(code, sizeof code, "%d", status);
    status_text = std::string_view(code, static_cast<size_t>(n));
  }
  Requests().With({host, endpoint, method, status_text}).Inc();
  Durations().With({host, endpoint, method}).Observe(seconds);
}

}  // namespace ck::acme
