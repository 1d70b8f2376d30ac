// API tokens: created with a role and a lifetime, shown once, stored only as a SHA-256 hash,
// revocable. Shared by `certkeeper token ...` (local store) and the admin API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "store/store.hpp"
#include "web/auth.hpp"

namespace ck::daemon {

struct CreatedToken {
  store::ApiTokenRecord record;
  std::string secret;  // shown to the caller once; never stored or logged
};

class TokenService {
 public:
  TokenService(store::Store& store, Clock& clock) : store_(store), clock_(clock) {}

  // `ttl` of zero means no expiry. Names are unique (AlreadyExists).
  Result<CreatedToken> Create(const std::string& name, web::Role role, std::chrono::seconds ttl);
  Result<std::vector<store::ApiTokenRecord>> List();
  Status Revoke(int64_t id);
  // Unauthenticated for unknown, revoked or expired tokens; the message never echoes the token.
  Result<web::Identity> Authenticate(std::string_view token);
  // The same by web::HashApiToken(token) (what a dashboard session keeps).
  Result<web::Identity> AuthenticateHash(std::string_view token_hash);

  // "active", "expired" or "revoked" at `now`.
  static std::string StateOf(const store::ApiTokenRecord& record, TimePoint now);

 private:
  store::Store& store_;
  Clock& clock_;
};

}  // namespace ck::daemon
