#include "web/session_store.hpp"

#include "common/encoding.hpp"
#include "pki/digest.hpp"

namespace ck::web {
namespace {

std::string IdKey(std::string_view id) { return HexEncode(pki::Sha256(id)); }

Result<std::string> RandomToken() {
  ASSIGN_OR_RETURN(Bytes random, pki::RandomBytes(32));
  return Base64UrlEncode(random);
}

}  // namespace

bool SessionStore::Expired(const Session& s, TimePoint now) const {
  return now - s.last_used_at >= options_.idle_timeout ||
         now - s.created_at >= options_.absolute_timeout;
}

void SessionStore::EvictForSpace(TimePoint now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
  while (!sessions_.empty() && sessions_.size() >= options_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_used_at < oldest->second.last_used_at) oldest = it;
    }
    sessions_.erase(oldest);
  }
}

Result<NewSession> SessionStore::Create(std::string token_hash) {
  NewSession out;
  ASSIGN_OR_RETURN(out.id, RandomToken());
  ASSIGN_OR_RETURN(out.session.csrf_token, RandomToken());
  out.session.token_hash = std::move(token_hash);
  const TimePoint now = clock_.Now();
  out.session.created_at = now;
  out.session.last_used_at = now;
  std::lock_guard lock(mu_);
  EvictForSpace(now);
  sessions_[IdKey(out.id)] = out.session;
  return out;
}

Result<Session> SessionStore::Touch(std::string_view id) {
  if (id.empty()) return UnauthenticatedError("no session");
  // Looked up by the id's hash, so the map's comparisons never run on the secret itself.
  const std::string key = IdKey(id);
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return UnauthenticatedError("unknown or ended session; log in again");
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return UnauthenticatedError("session expired; log in again");
  }
  it->second.last_used_at = now;
  return it->second;
}

void SessionStore::Remove(std::string_view id) {
  const std::string key = IdKey(id);
  std::lock_guard lock(mu_);
  sessions_.erase(key);
}

size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return "";
}

}  // namespace ck::web
