#include "web/session_handlers.hpp"

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "web/auth.hpp"
#include "web/request_auth.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

std::string SessionCookie(const std::string& id, std::chrono::seconds max_age) {
  // Secure: never over plain HTTP. SameSite=Strict: not sent on cross-site requests at all
  // (the CSRF token is the second line of defence). HttpOnly: page scripts cannot read it.
  return std::string(kSessionCookie) + "=" + id + "; HttpOnly; Secure; SameSite=Strict; Path=/" +
         "; Max-Age=" + std::to_string(max_age.count());
}

std::string CookieOf(const HttpRequest& request) {
  auto it = request.headers.find("cookie");
  return it == request.headers.end() ? "" : CookieValue(it->second, kSessionCookie);
}

HttpResponse SessionJson(int status, const Identity& who, const Session& s,
                         const SessionOptions& options) {
  HttpResponse r;
  r.status = status;
  TimePoint expires = s.created_at + options.absolute_timeout;
  r.body = json{{"identity", who.name},
                {"role", std::string(RoleName(who.role))},
                {"csrf_token", s.csrf_token},
                {"expires_at", FormatRfc3339(expires)}}
               .dump();
  return r;
}

}  // namespace

HttpResponse HandleCreateSession(const HttpRequest& request, Backend& backend,
                                 SessionStore& sessions) {
  if (!OriginIsSameSite(request)) {
    return ProblemResponse(PermissionDeniedError("cross-origin login refused"));
  }
  auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("token") ||
      !body["token"].is_string()) {
    return ProblemResponse(InvalidArgumentError("send {\"token\": \"ckt_...\"}"));
  }
  const std::string token = body["token"].get<std::string>();
  auto who = backend.AuthenticateToken(token);
  if (!who.ok()) return ProblemResponse(who.status());
  if (who->role == Role::kConsumer) {
    return ProblemResponse(
        PermissionDeniedError("consumer tokens fetch bundles; they cannot log in"));
  }
  auto created = sessions.Create(HashApiToken(token));
  if (!created.ok()) return ProblemResponse(created.status());
  log::Info("dashboard login", {{"identity", who->ToString()}, {"remote", request.remote_addr}});
  HttpResponse r = SessionJson(201, *who, created->session, sessions.options());
  r.headers["Set-Cookie"] = SessionCookie(created->id, sessions.options().absolute_timeout);
  return r;
}

HttpResponse HandleGetSession(const HttpRequest& request, Backend& backend,
                              SessionStore& sessions) {
  const std::string id = CookieOf(request);
  auto session = sessions.Touch(id);
  if (!session.ok()) return ProblemResponse(session.status());
  auto who = backend.AuthenticateTokenHash(session->token_hash);
  if (!who.ok()) {
    sessions.Remove(id);
    return ProblemResponse(UnauthenticatedError("session ended: " + who.status().message()));
  }
  return SessionJson(200, *who, *session, sessions.options());
}

HttpResponse HandleDeleteSession(const HttpRequest& request, Backend& backend,
                                 SessionStore& sessions) {
  const std::string id = CookieOf(request);
  if (!id.empty()) {
    auto who = Authenticate(request, backend, &sessions);  // checks the CSRF token
    if (!who.ok() && who.status().code() == StatusCode::kPermissionDenied) {
      return ProblemResponse(who.status());
    }
    sessions.Remove(id);
    if (who.ok()) log::Info("dashboard logout", {{"identity", who->ToString()}});
  }
  HttpResponse r;
  r.status = 204;
  r.body.clear();
  r.headers["Set-Cookie"] = SessionCookie("", std::chrono::seconds(0));
  return r;
}

}  // namespace ck::web
