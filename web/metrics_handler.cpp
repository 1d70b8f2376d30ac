#include "web/metrics_handler.hpp"

#include "web/request_auth.hpp"

namespace ck::web {

bool IsLoopbackAddress(std::string_view addr) {
  if (addr.starts_with("::ffff:")) addr.remove_prefix(7);  // IPv4-mapped (dual-stack socket)
  return addr == "::1" || addr.starts_with("127.");
}

HttpResponse HandleMetrics(const HttpRequest& request, Backend& backend, MetricsAccess access) {
  const bool open = access == MetricsAccess::kLoopback && IsLoopbackAddress(request.remote_addr);
  if (!open) {
    auto identity = Authenticate(request, backend);
    if (!identity.ok()) {
      HttpResponse r = ProblemResponse(identity.status());
      r.headers["WWW-Authenticate"] = "Bearer realm=\"certkeeper\"";
      return r;
    }
  }
  auto text = backend.RenderMetrics();
  if (!text.ok()) return ProblemResponse(text.status().WithContext("rendering metrics"));
  HttpResponse resp;
  resp.content_type = kMetricsContentType;
  resp.body = std::move(*text);
  return resp;
}

}  // namespace ck::web
