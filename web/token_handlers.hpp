// /v1/tokens: create (admin), list (admin), revoke (admin). Secrets appear only in the
// creation response; hashes never leave the store.
#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// POST /v1/tokens {"name": "...", "role": "viewer", "ttl": "24h"}
HttpResponse HandleCreateToken(const HttpRequest& request, const Identity& who, Backend& backend);
// GET /v1/tokens
HttpResponse HandleListTokens(const HttpRequest& request, const Identity& who, Backend& backend);
// DELETE /v1/tokens/{id}  (the id is the last path segment)
HttpResponse HandleRevokeToken(const HttpRequest& request, const Identity& who, Backend& backend);

}  // namespace ck::web
