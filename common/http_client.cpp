// The only file that includes curl. Every curl handle is owned by a unique_ptr with its
// cleanup function as deleter.
#include "common/http_client.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace ck::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
struct ShareDeleter {
  void operator()(CURLSH* s) const { curl_share_cleanup(s); }
};

// curl_global_init is not thread-safe: every handle is made after this ran once.
void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool Append(SlistPtr& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) return false;
  (void)list.release();
  list.reset(next);
  return true;
}

struct Sink {
  Response* response;
  size_t max_bytes;
  bool overflow = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->response->body.size() + len > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->response->body.append(data, len);
  return len;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100 Continue): forget earlier headers.
    sink->response->headers.clear();
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  sink->response->headers.emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  return len;
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (SameName(k, name)) return v;
  }
  return "";
}

std::vector<std::string> Response::Headers(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (SameName(k, name)) out.push_back(v);
  }
  return out;
}

// Connections themselves are not shared: curl documents CURL_LOCK_DATA_CONNECT as unsafe
// across threads (and trying it stalled concurrent ACME orders).
struct SharedCache::Impl {
  std::unique_ptr<CURLSH, ShareDeleter> sh;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Impl*>(user)->locks[data].unlock();
  }
};

SharedCache::SharedCache() : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->sh.reset(curl_share_init());
  if (CURLSH* sh = impl_->sh.get()) {
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, &Impl::Lock);
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
    curl_share_setopt(sh, CURLSHOPT_USERDATA, impl_.get());
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
}

SharedCache::~SharedCache() = default;

struct Connection::Impl {
  EasyPtr easy;
  SharedCache* shared = nullptr;
};

Connection::Connection(SharedCache* shared) : impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->easy.reset(curl_easy_init());
  impl_->shared = shared;
}

Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

Result<Response> Connection::Do(const Request& request, const ClientOptions& options) {
  CURL* c = impl_ ? impl_->easy.get() : nullptr;
  if (c == nullptr) return InternalError("curl_easy_init failed");
  // Per-request options start from scratch; the handle's connection cache stays.
  curl_easy_reset(c);
  const std::string what = request.method + " " + request.url;

  Response response;
  Sink sink{&response, options.max_response_bytes};
  SlistPtr headers;
  bool ok = true;
  for (const auto& [name, value] : request.headers) ok = ok && Append(headers, name + ": " + value);
  // An empty Expect header stops curl from waiting for "100 Continue" on POST bodies.
  ok = ok && Append(headers, "Expect:");
  if (!ok) return InternalError(what + ": curl_slist_append failed");

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (impl_->shared != nullptr && impl_->shared->impl_->sh) {
    curl_easy_setopt(c, CURLOPT_SHARE, impl_->shared->impl_->sh.get());
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, options.protocols.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  // HTTP/1.1 on purpose: none of our peers needs multiplexing, and under 50 concurrent ACME
  // orders HTTP/2 to Pebble's Go server occasionally left a stream without a response until
  // the timeout.
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  if (!options.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_bundle.c_str());
  if (!options.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, options.client_cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, options.client_key_file.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);  // `headers` dies before the next request
  if (sink.overflow) {
    return DataLossError(what + ": response larger than " +
                         std::to_string(options.max_response_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    const std::string message = what + ": " + curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE: return FailedPreconditionError(message);
      case CURLE_SSL_CERTPROBLEM: return InvalidArgumentError(message);
      case CURLE_OPERATION_TIMEDOUT: return DeadlineExceededError(message);
      default: return UnavailableError(message);
    }
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  response.status = static_cast<int>(code);
  return response;
}

}  // namespace ck::http
