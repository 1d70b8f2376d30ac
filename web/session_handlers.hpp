// The dashboard's login: POST /v1/session trades an API token for a session cookie
// (HttpOnly, Secure, SameSite=Strict) and a CSRF token; GET answers who is logged in (page
// reload); DELETE logs out.
#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"
#include "web/session_store.hpp"

namespace ck::web {

// {"token": "ckt_..."} → 201 {"identity", "role", "csrf_token", "expires_at"} + Set-Cookie.
HttpResponse HandleCreateSession(const HttpRequest& request, Backend& backend,
                                 SessionStore& sessions);
// → 200 {"identity", "role", "csrf_token"}; 401 without a live session.
HttpResponse HandleGetSession(const HttpRequest& request, Backend& backend, SessionStore& sessions);
// Needs the session's X-CSRF-Token → 204 and an expired cookie.
HttpResponse HandleDeleteSession(const HttpRequest& request, Backend& backend,
                                 SessionStore& sessions);

}  // namespace ck::web
