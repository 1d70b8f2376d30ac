#include "web/admin_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <cstring>

#include "common/log.hpp"
#include "web/health_handler.hpp"

namespace ck::web {
namespace {

HttpRequest ToRequest(const httplib::Request& req) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  for (const auto& [k, v] : req.params) out.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[lower] = v;
  }
  out.body = req.body;
  out.remote_addr = req.remote_addr;
  return out;
}

void WriteResponse(const HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [k, v] : in.headers) out.set_header(k, v);
  // Defence in depth for an API that also serves a dashboard later.
  out.set_header("X-Content-Type-Options", "nosniff");
  out.set_header("Cache-Control", "no-store");
  out.set_content(in.body, in.content_type.c_str());
}

}  // namespace

AdminServer::AdminServer(AdminServerOptions options, Backend& backend)
    : options_(std::move(options)), backend_(backend) {}

AdminServer::~AdminServer() { Stop(); }

Result<uint16_t> AdminServer::Start() {
  if (server_) return FailedPreconditionError("admin server already started");
  server_ = std::make_unique<httplib::Server>();
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  server_->set_keep_alive_timeout(30);
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second daemon bind the
  // same port and silently share the traffic. SO_REUSEADDR alone still allows a quick restart.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  auto route = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      HttpResponse resp;
      try {
        resp = handler(ToRequest(req), backend_);
      } catch (const std::exception& e) {
        // Handlers do not throw by convention; this is the last line of defence.
        log::Error("admin API handler threw", {{"path", req.path}, {"reason", e.what()}});
        resp = ProblemResponse(InternalError("internal error"));
      }
      WriteResponse(resp, res);
      log::Debug("admin request", {{"method", req.method},
                                   {"path", req.path},
                                   {"status", std::to_string(resp.status)},
                                   {"remote", req.remote_addr}});
    };
  };
  server_->Get("/healthz", route(HandleHealthz));
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    HttpResponse problem = ProblemResponse(
        res.status == 404
            ? NotFoundError("no such endpoint")
            : InvalidArgumentError("request rejected (" + std::to_string(res.status) + ")"));
    problem.status = res.status;
    WriteResponse(problem, res);
  });

  int port = options_.port;
  bool bound = port == 0 ? (port = server_->bind_to_any_port(options_.host)) > 0
                         : server_->bind_to_port(options_.host, port);
  if (!bound) {
    int err = errno;
    server_.reset();
    return UnavailableError("cannot listen on " + options_.host + ":" +
                            std::to_string(options_.port) + ": " +
                            (err ? std::strerror(err) : "bind failed") +
                            " (is another certkeeper running? change `listen` or pass --listen)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // listen_after_bind() flips is_running() almost at once; the socket already accepts
  // connections (they queue in the backlog), so this wait only bounds the race in Stop().
  for (int i = 0; i < 200 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return static_cast<uint16_t>(port);
}

void AdminServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace ck::web
