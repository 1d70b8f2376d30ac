#include "web/dashboard_handlers.hpp"

#include "web/dashboard_assets.hpp"

namespace ck::web {

HttpResponse HandleDashboardAsset(const HttpRequest& request) {
  const EmbeddedAsset* asset = FindDashboardAsset(request.path);
  if (asset == nullptr) return ProblemResponse(NotFoundError("no such dashboard file"));
  HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.body = std::string(asset->body);
  r.headers["Content-Security-Policy"] = kDashboardCsp;
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["Cross-Origin-Opener-Policy"] = "same-origin";
  // Revalidate each load: the files change with the binary, and they are small.
  r.headers["Cache-Control"] = "no-cache";
  return r;
}

}  // namespace ck::web
