// The admin API's HTTP server: owns the cpp-httplib server and its thread, and routes requests
// to socket-free handlers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/status.hpp"
#include "web/backend.hpp"

namespace httplib {
class Server;
}

namespace ck::web {

struct AdminServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;  // 0: pick a free port
  size_t max_body_bytes = 1 << 20;
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
  AdminServerOptions options_;
  Backend& backend_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace ck::web
