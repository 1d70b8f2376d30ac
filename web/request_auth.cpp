#include "web/request_auth.hpp"

#include "pki/digest.hpp"

namespace ck::web {
namespace {

std::string Header(const HttpRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? "" : it->second;
}

bool ChangesState(const HttpRequest& request) {
  return request.method != "GET" && request.method != "HEAD";
}

// OWASP "synchronizer token": the token lives in the session and in the page's memory, never
// in a cookie, so a cross-site request cannot carry it.
Status CheckCsrf(const HttpRequest& request, const Session& session) {
  if (!OriginIsSameSite(request)) {
    return PermissionDeniedError(
        "cross-origin request refused (Origin: " + Header(request, "origin") + ")");
  }
  const std::string sent = Header(request, "x-csrf-token");
  if (sent.empty()) return PermissionDeniedError("missing X-CSRF-Token header");
  if (!pki::ConstantTimeEquals(ToBytes(sent), ToBytes(session.csrf_token))) {
    return PermissionDeniedError("X-CSRF-Token does not match this session");
  }
  return OkStatus();
}

Result<Identity> AuthenticateSession(const HttpRequest& request, Backend& backend,
                                     SessionStore& sessions) {
  const std::string id = CookieValue(Header(request, "cookie"), kSessionCookie);
  ASSIGN_OR_RETURN(Session session, sessions.Touch(id));
  // Re-checked on every request: a revoked or expired token ends the session, and a role
  // change applies at once.
  auto identity = backend.AuthenticateTokenHash(session.token_hash);
  if (!identity.ok()) {
    sessions.Remove(id);
    return identity.status().code() == StatusCode::kUnauthenticated
               ? UnauthenticatedError("session ended: " + identity.status().message())
               : identity.status();
  }
  if (ChangesState(request)) RETURN_IF_ERROR(CheckCsrf(request, session));
  identity->method = "session";
  return identity;
}

}  // namespace

bool OriginIsSameSite(const HttpRequest& request) {
  // Browsers send Sec-Fetch-Site on every request they make; "same-origin" or "none" (typed
  // by the user) are fine, anything cross-site is not.
  const std::string site = Header(request, "sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  const std::string origin = Header(request, "origin");
  if (origin.empty()) return true;  // not a browser's cross-origin request
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;  // includes "null"
  const std::string scheme = origin.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") return false;
  const std::string host = Header(request, "host");
  return !host.empty() && origin.substr(scheme_end + 3) == host;
}

Result<Identity> Authenticate(const HttpRequest& request, Backend& backend,
                              SessionStore* sessions) {
  if (request.client_certificate) {
    return backend.AuthenticateClientCertificate(*request.client_certificate);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> token, ExtractBearerToken(request.headers));
  if (token) return backend.AuthenticateToken(*token);
  if (sessions != nullptr && request.headers.count("cookie") != 0 &&
      !CookieValue(Header(request, "cookie"), kSessionCookie).empty()) {
    return AuthenticateSession(request, backend, *sessions);
  }
  return UnauthenticatedError(
      "authentication required: send 'Authorization: Bearer <token>' (certkeeper token "
      "create) or a client certificate issued by the internal CA");
}

Status Authorize(const Identity& identity, Permission needed) {
  if (Allows(identity.role, needed)) return OkStatus();
  const char* what = needed == Permission::kAdminister ? "the admin role"
                     : needed == Permission::kIssue    ? "the operator or admin role"
                                                       : "read access";
  return PermissionDeniedError(identity.ToString() + " lacks " + what + " for this request");
}

}  // namespace ck::web
