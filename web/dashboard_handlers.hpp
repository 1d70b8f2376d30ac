// GET / and GET /assets/...: the dashboard, from the files embedded at build time, with a
// strict Content-Security-Policy (no inline script or style, nothing from elsewhere).
#pragma once

#include "web/http_types.hpp"

namespace ck::web {

inline constexpr const char* kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// 404 problem for an unknown asset.
HttpResponse HandleDashboardAsset(const HttpRequest& request);

}  // namespace ck::web
