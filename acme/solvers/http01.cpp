#include "acme/solvers/http01.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.hpp"
#include "common/log.hpp"

namespace ck::acme {

namespace {
constexpr char kPrefix[] = "/.well-known/acme-challenge/";
}

bool IsValidToken(const std::string& token) {
  if (token.empty() || token.size() > 256) return false;
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

struct Http01Standalone::Server {
  httplib::Server http;
};

Result<std::unique_ptr<Http01Standalone>> Http01Standalone::Start(const std::string& address,
                                                                  uint16_t port) {
  std::unique_ptr<Http01Standalone> self(new Http01Standalone());
  self->server_ = std::make_unique<Server>();
  Http01Standalone* raw = self.get();
  httplib::Server& http = self->server_->http;
  // One request per connection: a validator's idle keep-alive connection must not hold one
  // of the workers while other orders' validations queue behind it.
  http.set_keep_alive_max_count(1);
  http.new_task_queue = [] { return new httplib::ThreadPool(16); };
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_payload_max_length(4096);
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second solver (or
  // another web server) bind the same port and silently steal the validator's requests.
  http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.Get(R"(/\.well-known/acme-challenge/([A-Za-z0-9_-]+))",
           [raw](const httplib::Request& req, httplib::Response& res) {
             std::string auth = raw->Lookup(req.matches[1]);
             if (auth.empty()) {
               res.status = 404;
               return;
             }
             raw->served_++;
             res.set_content(auth, "application/octet-stream");
           });
  // Anything else: a plain 404 without body, so nothing is learned from probing.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) { res.body.clear(); });
  int bound = 0;
  if (port == 0) {
    bound = http.bind_to_any_port(address);
  } else {
    bound = http.bind_to_port(address, port) ? port : -1;
  }
  if (bound <= 0) {
    return UnavailableError("http-01 solver: cannot listen on " + address + ":" +
                            std::to_string(port) + " (port in use or not permitted)");
  }
  self->port_ = static_cast<uint16_t>(bound);
  self->thread_ = std::thread([raw] { raw->server_->http.listen_after_bind(); });
  // stop() before the accept loop has started would be lost; wait until it runs (it sets
  // is_running first thing, so this spins for microseconds).
  for (long i = 0; i < 100'000'000 && !http.is_running(); ++i) std::this_thread::yield();
  log::Debug("http-01 solver listening",
             {{"address", address}, {"port", std::to_string(self->port_)}});
  return self;
}

Http01Standalone::~Http01Standalone() {
  if (server_) server_->http.stop();
  if (thread_.joinable()) thread_.join();
}

size_t Http01Standalone::tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_.size();
}

std::string Http01Standalone::Lookup(const std::string& token) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  return it == tokens_.end() ? std::string() : it->second.first;
}

Status Http01Standalone::Present(const ChallengeContext& challenge) {
  if (!IsValidToken(challenge.token)) return InvalidArgumentError("http-01: malformed token");
  std::lock_guard<std::mutex> lock(mu_);
  auto& entry = tokens_[challenge.token];
  entry.first = challenge.key_authorization;
  entry.second++;
  return OkStatus();
}

Status Http01Standalone::CleanUp(const ChallengeContext& challenge) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(challenge.token);
  if (it != tokens_.end() && --it->second.second <= 0) tokens_.erase(it);
  return OkStatus();
}

std::string Http01Webroot::PathFor(const std::string& token) const {
  return webroot_ + kPrefix + token;
}

Status Http01Webroot::Present(const ChallengeContext& challenge) {
  if (!IsValidToken(challenge.token)) return InvalidArgumentError("http-01: malformed token");
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(EnsureDirectory(webroot_ + "/.well-known/acme-challenge", 0755));
  // World-readable: the web server serving the webroot usually runs as another user.
  RETURN_IF_ERROR(WriteFileAtomic(PathFor(challenge.token), challenge.key_authorization, 0644));
  refs_[challenge.token]++;
  return OkStatus();
}

Status Http01Webroot::CleanUp(const ChallengeContext& challenge) {
  if (!IsValidToken(challenge.token)) return OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refs_.find(challenge.token);
  if (it != refs_.end() && --it->second > 0) return OkStatus();
  if (it != refs_.end()) refs_.erase(it);
  std::string path = PathFor(challenge.token);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return UnavailableError("http-01 webroot: cannot remove " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace ck::acme
