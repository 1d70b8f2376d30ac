#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// GET /healthz — unauthenticated liveness + readiness: 200 when every check passes, else 503.
// Reveals only check names and states, nothing about certificates or keys.
HttpResponse HandleHealthz(const HttpRequest& request, Backend& backend);

}  // namespace ck::web
