#include "web/health_handler.hpp"

#include <nlohmann/json.hpp>

namespace ck::web {

HttpResponse HandleHealthz(const HttpRequest& request, Backend& backend) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = ProblemResponse(InvalidArgumentError("method not allowed on /healthz"));
    r.status = 405;
    r.headers["Allow"] = "GET, HEAD";
    return r;
  }
  HealthReport report = backend.Health();
  nlohmann::json checks = nlohmann::json::object();
  for (const auto& c : report.checks) {
    checks[c.name] = {{"ok", c.ok}, {"detail", c.detail}};
  }
  HttpResponse resp;
  resp.status = report.ok() ? 200 : 503;
  resp.body = nlohmann::json{
      {"status", report.ok() ? "ok" : "unhealthy"},
      {"version", report.version},
      {"checks",
       checks}}.dump();
  return resp;
}

}  // namespace ck::web
