// Authentication and authorization of one admin API request, as plain functions so the
// authorization matrix is tested without sockets.
#pragma once

#include "web/auth.hpp"
#include "web/backend.hpp"
#include "web/http_types.hpp"
#include "web/session_store.hpp"

namespace ck::web {

// mTLS identity first (a presented certificate must be valid for the API), then a bearer
// token, then (when `sessions` is given) the dashboard's session cookie. Unauthenticated (401)
// when none is present or valid. A cookie-authenticated request that changes state (anything
// but GET/HEAD) must carry the session's X-CSRF-Token and no foreign Origin, else
// PermissionDenied (403): a browser attaches the cookie to cross-site requests too.
Result<Identity> Authenticate(const HttpRequest& request, Backend& backend,
                              SessionStore* sessions = nullptr);

// PermissionDenied (403) naming the identity and what it lacks.
Status Authorize(const Identity& identity, Permission needed);

// The request's Origin (when sent) names this server: same host[:port] as the Host header.
bool OriginIsSameSite(const HttpRequest& request);

}  // namespace ck::web
