// The only file that includes curl. Each easy handle is owned by a unique_ptr with
// curl_easy_cleanup as deleter; header lists by one with curl_slist_free_all.
#include "acme/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace ck::acme {
namespace {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

std::once_flag g_curl_init;

struct Sink {
  HttpResponse* response;
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
    // A new response (after a 100 Continue or a redirect): forget earlier headers.
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

}  // namespace

struct CurlTransport::Handle {
  EasyPtr easy;
};

// One TLS session cache and DNS cache for all handles: a handle's first connection resumes a
// session instead of paying a full handshake (curl's share interface, locked per data kind).
// Connections themselves are not shared: curl documents CURL_LOCK_DATA_CONNECT as unsafe
// across threads, and trying it here stalled orders.
struct CurlTransport::Share {
  struct Deleter {
    void operator()(CURLSH* s) const { curl_share_cleanup(s); }
  };
  std::unique_ptr<CURLSH, Deleter> sh;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Share*>(user)->locks[data].unlock();
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = std::make_unique<Share>();
  share_->sh.reset(curl_share_init());
  if (share_->sh) {
    CURLSH* sh = share_->sh.get();
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(sh, CURLSHOPT_USERDATA, share_.get());
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Handle> CurlTransport::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->easy.reset(curl_easy_init());
  return h;
}

void CurlTransport::Release(std::unique_ptr<Handle> h) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < 64) idle_.push_back(std::move(h));
}

Result<HttpResponse> CurlTransport::Do(const HttpRequest& request) {
  auto handle = Acquire();
  CURL* c = handle->easy.get();
  if (c == nullptr) return InternalError("curl_easy_init failed");
  // Reset per-request options but keep the connection cache of this handle.
  curl_easy_reset(c);

  HttpResponse response;
  Sink sink{&response, options_.max_response_bytes};
  SlistPtr headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return InternalError("curl_slist_append failed");
    headers.release();
    headers.reset(next);
  }
  // An empty Expect header stops curl from waiting for "100 Continue" on POST bodies.
  {
    curl_slist* next = curl_slist_append(headers.get(), "Expect:");
    if (next == nullptr) return InternalError("curl_slist_append failed");
    headers.release();
    headers.reset(next);
  }

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (share_->sh) curl_easy_setopt(c, CURLOPT_SHARE, share_->sh.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  // HTTP/1.1 on purpose: ACME needs no multiplexing (each order has its own handle and
  // connection), and under 50 concurrent orders HTTP/2 to Pebble's Go server occasionally left
  // a stream without a response until the timeout.
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
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
  }

  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  if (sink.overflow) {
    return DataLossError(request.method + " " + request.url + ": response larger than " +
                         std::to_string(options_.max_response_bytes) + " bytes");
  }
  if (rc != CURLE_OK) {
    // The handle may hold a broken connection: drop it rather than pool it.
    std::string what = request.method + " " + request.url + ": " + curl_easy_strerror(rc);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
      return FailedPreconditionError(what + " (is --ca-bundle set to the server's CA?)");
    }
    return UnavailableError(what);
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  response.status = static_cast<int>(code);
  Release(std::move(handle));
  return response;
}

}  // namespace ck::acme
