// GET /v1/watch: the latest result of every watched endpoint and certificate file (issue 6).
// A plain function of (request, identity, Backend&) like the other handlers.
#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// → {"results": [{"target", "kind", "checked_at", "outcome", "error", "problems": [...],
//    "tls_version", "chain": [...], "leaf": {...}|null}, ...]} by target. Readers and up.
HttpResponse HandleListWatchResults(const HttpRequest& request, const Identity& who,
                                    Backend& backend);

}  // namespace ck::web
