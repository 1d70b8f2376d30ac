// Authentication and authorization of one admin API request, as plain functions so the
// authorization matrix is tested without sockets.
#pragma once

#include "web/auth.hpp"
#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// mTLS identity first (a presented certificate must be valid for the API), then a bearer
// token. Unauthenticated (401) when neither is present or valid.
Result<Identity> Authenticate(const HttpRequest& request, Backend& backend);

// PermissionDenied (403) naming the identity and what it lacks.
Status Authorize(const Identity& identity, Permission needed);

}  // namespace ck::web
