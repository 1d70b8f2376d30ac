#include "acme/solvers/http01.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>

#include "acme/solvers/listen_socket.hpp"
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
  int listener = -1;
  int stop_pipe[2] = {-1, -1};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> pending;  // accepted connections waiting for a worker
  bool stopping = false;
};

Http01Standalone::Http01Standalone() : server_(std::make_unique<Server>()) {}

Result<std::unique_ptr<Http01Standalone>> Http01Standalone::Start(const std::string& address,
                                                                  uint16_t port) {
  std::unique_ptr<Http01Standalone> self(new Http01Standalone());
  Server& srv = *self->server_;
  auto sock = ListenTcp(address, port);
  if (!sock.ok()) return sock.status().WithContext("http-01 solver");
  srv.listener = sock->fd;
  self->port_ = sock->port;
  if (::pipe2(srv.stop_pipe, O_CLOEXEC) != 0) return InternalError("pipe2 failed");
  Http01Standalone* raw = self.get();
  for (int i = 0; i < 4; ++i) self->workers_.emplace_back([raw] { raw->Work(); });
  self->accept_thread_ = std::thread([raw] { raw->Accept(); });
  log::Debug("http-01 solver listening",
             {{"address", address}, {"port", std::to_string(self->port_)}});
  return self;
}

Http01Standalone::~Http01Standalone() {
  Server& srv = *server_;
  if (srv.stop_pipe[1] >= 0) {
    char c = 1;
    (void)::write(srv.stop_pipe[1], &c, 1);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::lock_guard<std::mutex> l(srv.mu);
    srv.stopping = true;
  }
  srv.cv.notify_all();
  for (auto& t : workers_) t.join();
  for (int fd : srv.pending) ::close(fd);
  for (int fd : {srv.listener, srv.stop_pipe[0], srv.stop_pipe[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void Http01Standalone::Accept() {
  Server& srv = *server_;
  for (;;) {
    pollfd fds[2] = {{srv.listener, POLLIN, 0}, {srv.stop_pipe[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(srv.listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard<std::mutex> l(srv.mu);
      if (srv.pending.size() >= 4096) {  // flooded: shed load rather than grow without bound
        ::close(fd);
        continue;
      }
      srv.pending.push_back(fd);
    }
    srv.cv.notify_one();
  }
}

void Http01Standalone::Work() {
  Server& srv = *server_;
  for (;;) {
    int fd;
    {
      std::unique_lock<std::mutex> l(srv.mu);
      srv.cv.wait(l, [&] { return srv.stopping || !srv.pending.empty(); });
      if (srv.stopping) return;
      fd = srv.pending.front();
      srv.pending.pop_front();
    }
    Serve(fd);
    ::close(fd);
  }
}

// One request per connection (HTTP/1.0 style, "Connection: close"): RFC 8555 §8.3 needs no
// more, and an idle validator connection then never ties up a worker.
void Http01Standalone::Serve(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  std::string status = "404 Not Found";
  std::string body;
  // "GET /.well-known/acme-challenge/<token> HTTP/1.1"
  size_t sp1 = head.find(' ');
  size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
  if (sp2 != std::string::npos && head.compare(0, sp1, "GET") == 0) {
    std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    if (path.rfind(kPrefix, 0) == 0) {
      std::string auth = Lookup(path.substr(sizeof(kPrefix) - 1));
      if (!auth.empty()) {
        status = "200 OK";
        body = std::move(auth);
        served_++;
      }
    }
  } else if (sp2 == std::string::npos) {
    status = "400 Bad Request";
  } else {
    status = "405 Method Not Allowed";
  }
  std::string response = "HTTP/1.1 " + status +
                         "\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  size_t off = 0;
  while (off < response.size()) {
    ssize_t n = ::send(fd, response.data() + off, response.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
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
