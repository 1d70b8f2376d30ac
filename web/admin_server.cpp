#include "web/admin_server.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/log.hpp"
#include "web/alert_handlers.hpp"
#include "web/ca_handlers.hpp"
#include "web/dashboard_handlers.hpp"
#include "web/health_handler.hpp"
#include "web/lifecycle_handlers.hpp"
#include "web/request_auth.hpp"
#include "web/session_handlers.hpp"
#include "web/token_handlers.hpp"
#include "web/watch_handlers.hpp"

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
  // Only a certificate that passed the handshake's verification counts as an identity.
  if (req.ssl != nullptr && SSL_get_verify_result(req.ssl) == X509_V_OK) {
    if (X509* peer = SSL_get0_peer_certificate(req.ssl)) {
      out.client_certificate = pki::Certificate::Share(peer);
    }
  }
  return out;
}

void WriteResponse(const HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [k, v] : in.headers) out.set_header(k, v);
  // Defence in depth for an API that also serves a dashboard later.
  out.set_header("X-Content-Type-Options", "nosniff");
  if (in.headers.find("Cache-Control") == in.headers.end()) {
    out.set_header("Cache-Control", "no-store");
  }
  // RFC 9110 §15.4.5: a 304 has no content.
  if (in.status == 304) return;
  out.set_content(in.body, in.content_type.c_str());
}

void LogRequest(const httplib::Request& req, int status, const std::string& identity,
                std::chrono::steady_clock::time_point start) {
  auto ms = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count() /
            1000.0;
  char dur[32];
  std::snprintf(dur, sizeof dur, "%.1f", ms);
  log::Fields fields = {
      {"method", req.method}, {"path", req.path},          {"status", std::to_string(status)},
      {"identity", identity}, {"remote", req.remote_addr}, {"ms", dur}};
  if (req.path == "/healthz" || req.path == "/metrics") {  // polled: debug only
    log::Debug("admin request", fields);
  } else {
    log::Info("admin request", fields);
  }
}

// Runs a handler with the convention that nothing escapes: handlers do not throw, and if one
// does anyway the client gets a 500 problem and the log says which path.
template <typename Fn>
HttpResponse Guarded(const httplib::Request& req, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    log::Error("admin API handler threw", {{"path", req.path}, {"reason", e.what()}});
    return ProblemResponse(InternalError("internal error"));
  }
}

}  // namespace

AdminServer::AdminServer(AdminServerOptions options, Backend& backend)
    : options_(std::move(options)),
      backend_(backend),
      sessions_(options_.clock != nullptr ? *options_.clock : system_clock_, options_.sessions) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::RegisterRoutes() {
  // `handler`: HttpResponse(const HttpRequest&, Backend&).
  auto open = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      HttpResponse resp = Guarded(req, [&] { return handler(ToRequest(req), backend_); });
      WriteResponse(resp, res);
      LogRequest(req, resp.status, "-", start);
    };
  };
  // `handler`: HttpResponse(const HttpRequest&, const Identity&, Backend&).
  auto authed = [this](Permission needed, auto handler) {
    return [this, needed, handler](const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      std::string who = "-";
      HttpResponse resp = Guarded(req, [&]() -> HttpResponse {
        HttpRequest request = ToRequest(req);
        auto identity = Authenticate(request, backend_, &sessions_);
        if (!identity.ok()) {
          HttpResponse r = ProblemResponse(identity.status());
          r.headers["WWW-Authenticate"] = "Bearer realm=\"certkeeper\"";
          return r;
        }
        who = identity->ToString();
        if (Status s = Authorize(*identity, needed); !s.ok()) return ProblemResponse(s);
        return handler(request, *identity, backend_);
      });
      WriteResponse(resp, res);
      LogRequest(req, resp.status, who, start);
    };
  };
  server_->Get("/healthz", open(HandleHealthz));
  // The handler checks credentials itself: [metrics] access may open it to loopback.
  server_->Get("/metrics", open([access = options_.metrics_access](const HttpRequest& request,
                                                                   Backend& backend) {
                 return HandleMetrics(request, backend, access);
               }));
  // The dashboard: its files are public (nothing in them is secret); the data behind it comes
  // from the same endpoints as for scripts, through a session cookie.
  auto asset = [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    HttpResponse resp = Guarded(req, [&] { return HandleDashboardAsset(ToRequest(req)); });
    WriteResponse(resp, res);
    LogRequest(req, resp.status, "-", start);
  };
  server_->Get("/", asset);
  server_->Get(R"(/assets/[A-Za-z0-9._-]+)", asset);
  auto session = [this](HttpResponse (*handler)(const HttpRequest&, Backend&, SessionStore&)) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      HttpResponse resp =
          Guarded(req, [&] { return handler(ToRequest(req), backend_, sessions_); });
      WriteResponse(resp, res);
      LogRequest(req, resp.status, "-", start);
    };
  };
  server_->Post("/v1/session", session(HandleCreateSession));
  server_->Get("/v1/session", session(HandleGetSession));
  server_->Delete("/v1/session", session(HandleDeleteSession));
  // Relying parties fetch these without credentials (RFC 5280 §4.2.1.13, RFC 6960).
  server_->Get("/v1/ca/chain", open(HandleCaChain));
  server_->Get("/v1/ca/crl", open(HandleCaCrl));
  server_->Post("/v1/ca/ocsp", open(HandleOcsp));
  server_->Post("/v1/certificates/sign", authed(Permission::kIssue, HandleSignCsr));
  server_->Post("/v1/certificates/issue", authed(Permission::kIssue, HandleIssue));
  server_->Post("/v1/certificates/revoke", authed(Permission::kIssue, HandleRevoke));
  server_->Get("/v1/certificates", authed(Permission::kRead, HandleListCertificates));
  server_->Get(R"(/v1/certificates/(\d+))", authed(Permission::kRead, HandleGetCertificate));
  server_->Post("/v1/tokens", authed(Permission::kAdminister, HandleCreateToken));
  server_->Get("/v1/tokens", authed(Permission::kAdminister, HandleListTokens));
  server_->Delete(R"(/v1/tokens/(\d+))", authed(Permission::kAdminister, HandleRevokeToken));
  // Lifecycle. Names are checked by the handlers; the patterns only split the path.
  server_->Get("/v1/managed", authed(Permission::kRead, HandleListManaged));
  server_->Get(R"(/v1/managed/([^/]+))", authed(Permission::kRead, HandleGetManaged));
  server_->Post("/v1/managed", authed(Permission::kAdminister, HandleAddManaged));
  server_->Delete(R"(/v1/managed/([^/]+))", authed(Permission::kAdminister, HandleRemoveManaged));
  server_->Post(R"(/v1/managed/([^/]+)/renew)", authed(Permission::kIssue, HandleRenewManaged));
  server_->Get("/v1/status", authed(Permission::kRead, HandleDaemonStatus));
  server_->Get("/v1/events", authed(Permission::kRead, HandleListEvents));
  server_->Get("/v1/alerts", authed(Permission::kRead, HandleListAlerts));
  server_->Post(R"(/v1/alerts/(\d+)/ack)", authed(Permission::kIssue, HandleAcknowledgeAlert));
  server_->Get("/v1/watch", authed(Permission::kRead, HandleListWatchResults));
  // Consumers too: the handler (pins) or the backend (bundles) checks which certificate.
  server_->Get(R"(/v1/pins/([^/]+))", authed(Permission::kConsumerRead, HandleGetPins));
  server_->Post(R"(/v1/pins/([^/]+)/emergency-rotate)",
                authed(Permission::kAdminister, HandleEmergencyRotatePins));
  LongPollGate* gate = long_polls_.get();
  server_->Get(R"(/v1/bundles/([^/]+))",
               authed(Permission::kConsumerRead,
                      [gate](const HttpRequest& request, const Identity& who, Backend& backend) {
                        return HandleGetBundle(request, who, backend, *gate);
                      }));
}

Result<uint16_t> AdminServer::Start() {
  if (server_) return FailedPreconditionError("admin server already started");
  if (options_.tls) {
    auto settings = options_.tls;
    Status configured = OkStatus();
    auto ssl_server = std::make_unique<httplib::SSLServer>([settings, &configured](SSL_CTX& ctx) {
      configured = ConfigureServerContext(&ctx, *settings);
      return configured.ok();
    });
    if (!configured.ok()) return configured.WithContext("admin API TLS");
    if (!ssl_server->is_valid()) return InternalError("admin API TLS context is not valid");
    server_ = std::move(ssl_server);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  server_->set_keep_alive_timeout(30);
  // cpp-httplib closes a keep-alive connection after 5 requests by default (a new TLS
  // handshake every 5 requests), and leaves Nagle on, which with delayed ACKs added ~40 ms to
  // every response (bench/: 24 requests/s from one client).
  server_->set_keep_alive_max_count(1000);
  server_->set_tcp_nodelay(true);
  // cpp-httplib compresses every JSON and text response for a client that accepts it, and
  // prefers Brotli at its highest quality: 1 s of CPU for a 400 KB inventory page in Chromium
  // (bench/dashboard_load.py), against 40 ms uncompressed. The admin API is on loopback or a
  // LAN, where bytes are cheap and the daemon's CPU is not. The request object is the
  // server's own (non-const) one; the handlers never look at this header.
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const int workers = std::max(options_.worker_threads, 4);
  server_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  long_polls_ = std::make_unique<LongPollGate>(
      std::clamp(options_.max_long_polls, 0, std::max(workers - 4, 0)));
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second daemon bind the
  // same port and silently share the traffic. SO_REUSEADDR alone still allows a quick restart.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  RegisterRoutes();
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    HttpResponse problem = ProblemResponse(
        res.status == 404 ? NotFoundError("no such endpoint")
        : res.status == 413
            ? InvalidArgumentError("request body too large")
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
  if (long_polls_) long_polls_->Shutdown();  // waiting consumers return within a slice
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace ck::web
