#include "daemon/token_service.hpp"

#include "common/log.hpp"

namespace ck::daemon {

Result<CreatedToken> TokenService::Create(const std::string& name, web::Role role,
                                          std::chrono::seconds ttl) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgumentError("token name must be 1 to 128 characters");
  }
  if (ttl.count() < 0) return InvalidArgumentError("token ttl must not be negative");
  ASSIGN_OR_RETURN(std::string secret, web::GenerateApiToken());
  CreatedToken out;
  out.record.name = name;
  out.record.role = std::string(web::RoleName(role));
  out.record.token_hash = web::HashApiToken(secret);
  out.record.created_at = clock_.Now();
  if (ttl.count() > 0) out.record.expires_at = out.record.created_at + ttl;
  Status s = store_.RunInTransaction([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(out.record.id, tx.PutApiToken(out.record));
    store::EventRecord event;
    event.time = out.record.created_at;
    event.kind = "token_created";
    event.message = "API token '" + name + "' created with role " + out.record.role;
    return tx.AppendEvent(event).status();
  });
  if (!s.ok()) return s;
  out.secret = std::move(secret);
  return out;
}

Result<std::vector<store::ApiTokenRecord>> TokenService::List() { return store_.ListApiTokens(); }

Status TokenService::Revoke(int64_t id) {
  const TimePoint now = clock_.Now();
  return store_.RunInTransaction([&](store::Store& tx) -> Status {
    RETURN_IF_ERROR(tx.RevokeApiToken(id, now));
    store::EventRecord event;
    event.time = now;
    event.kind = "token_revoked";
    event.message = "API token id " + std::to_string(id) + " revoked";
    return tx.AppendEvent(event).status();
  });
}

std::string TokenService::StateOf(const store::ApiTokenRecord& r, TimePoint now) {
  if (r.revoked_at && *r.revoked_at <= now) return "revoked";
  if (r.expires_at && *r.expires_at <= now) return "expired";
  return "active";
}

Result<web::Identity> TokenService::Authenticate(std::string_view token) {
  if (token.substr(0, web::kTokenPrefix.size()) != web::kTokenPrefix) {
    return UnauthenticatedError("not a certkeeper API token");
  }
  return AuthenticateHash(web::HashApiToken(token));
}

Result<web::Identity> TokenService::AuthenticateHash(std::string_view token_hash) {
  auto record = store_.FindApiTokenByHash(token_hash);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return UnauthenticatedError("unknown API token");
    }
    return record.status();
  }
  const TimePoint now = clock_.Now();
  if (record->revoked_at && *record->revoked_at <= now) {
    return UnauthenticatedError("API token '" + record->name + "' was revoked");
  }
  if (record->expires_at && *record->expires_at <= now) {
    return UnauthenticatedError("API token '" + record->name + "' expired at " +
                                FormatRfc3339(*record->expires_at));
  }
  ASSIGN_OR_RETURN(web::Role role, web::ParseRole(record->role));
  return web::Identity{record->name, role, "token"};
}

}  // namespace ck::daemon
