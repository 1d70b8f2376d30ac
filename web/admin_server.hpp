// The admin API's HTTP(S) server: owns the cpp-httplib server and its thread, authenticates
// each request, checks the role an endpoint needs, and routes to socket-free handlers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/status.hpp"
#include "web/backend.hpp"
#include "web/lifecycle_handlers.hpp"
#include "web/metrics_handler.hpp"
#include "web/session_store.hpp"
#include "web/tls_config.hpp"

namespace httplib {
class Server;
}

namespace ck::web {

struct AdminServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;  // 0: pick a free port
  size_t max_body_bytes = 1 << 20;
  // cpp-httplib serves each connection on one worker thread for the connection's whole life
  // (keep-alive included), and a bundle long-poll holds its worker for up to 300 s; its
  // default pool (max(8, cores - 1)) would let a few waiting consumers starve the operators.
  int worker_threads = 32;
  // At most this many long-polls wait at once (more get 429 + Retry-After); the remaining
  // workers stay free for everything else.
  int max_long_polls = 24;
  // Who may scrape GET /metrics ([metrics] access).
  MetricsAccess metrics_access = MetricsAccess::kToken;
  // HTTPS when set (the default in the daemon); plain HTTP only for tests of the routing.
  std::shared_ptr<TlsServerSettings> tls;
  // Dashboard sessions (idle/absolute expiry, bound) and the clock that ages them; nullptr =
  // the system clock.
  SessionOptions sessions;
  const Clock* clock = nullptr;
};

class AdminServer {
 public:
  AdminServer(AdminServerOptions options, Backend& backend);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving on a background thread. Returns the bound port.
  Result<uint16_t> Start();
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();

 private:
  void RegisterRoutes();

  AdminServerOptions options_;
  Backend& backend_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<LongPollGate> long_polls_;
  SystemClock system_clock_;
  SessionStore sessions_;
  std::thread thread_;
};

}  // namespace ck::web
