// Browser sessions for the dashboard: a login with an API token creates a server-side session
// whose random id travels in an HttpOnly cookie. The session keeps the token's hash (not the
// token), so every request re-checks the token through the Backend and revoking the token ends
// the session at once; the identity and role are re-read the same way.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/status.hpp"

namespace ck::web {

struct SessionOptions {
  std::chrono::seconds idle_timeout{std::chrono::minutes(30)};
  std::chrono::seconds absolute_timeout{std::chrono::hours(12)};
  // At the bound, expired sessions go first, then the least recently used one.
  size_t max_sessions = 1000;
};

struct Session {
  std::string token_hash;  // HashApiToken() of the token that logged in
  std::string csrf_token;  // required in X-CSRF-Token on every state-changing request
  TimePoint created_at;
  TimePoint last_used_at;
};

struct NewSession {
  std::string id;  // goes into the cookie only; the store keeps its SHA-256
  Session session;
};

class SessionStore {
 public:
  SessionStore(const Clock& clock, SessionOptions options = {})
      : clock_(clock), options_(options) {}

  // 32 random bytes each for the id and the CSRF token.
  Result<NewSession> Create(std::string token_hash);
  // Unauthenticated for an unknown, idle or too old session (an expired one is removed).
  // Refreshes the idle timer.
  Result<Session> Touch(std::string_view id);
  void Remove(std::string_view id);
  size_t size() const;
  const SessionOptions& options() const { return options_; }

 private:
  bool Expired(const Session& s, TimePoint now) const;
  void EvictForSpace(TimePoint now);

  const Clock& clock_;
  const SessionOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;  // by SHA-256 hex of the id
};

// The value of cookie `name` in a Cookie request header (RFC 6265 §5.4), or "".
std::string CookieValue(std::string_view cookie_header, std::string_view name);

inline constexpr std::string_view kSessionCookie = "ck_session";

}  // namespace ck::web
