#include "daemon/daemon_backend.hpp"

#include "daemon/version.hpp"

namespace ck::daemon {

web::HealthReport DaemonBackend::Health() {
  web::HealthReport report;
  report.version = CK_VERSION;
  // A cheap query that touches the database file: proves it is open and readable.
  auto version = store_.SchemaVersion();
  report.checks.push_back(
      {"store", version.ok(),
       version.ok() ? "schema v" + std::to_string(*version) : version.status().message()});
  return report;
}

Result<web::Identity> DaemonBackend::AuthenticateToken(std::string_view token) {
  return tokens_.Authenticate(token);
}

Result<web::Identity> DaemonBackend::AuthenticateClientCertificate(const pki::Certificate& leaf) {
  // The handshake verified the chain to the internal CA at connection time; revocation is
  // checked here, per request, so a revoked certificate loses access at once.
  store::CertificateQuery query;
  query.serial_hex = leaf.SerialHex();
  ASSIGN_OR_RETURN(auto records, store_.ListCertificates(query));
  for (const auto& r : records) {
    if (r.status == store::kCertRevoked) {
      return UnauthenticatedError("client certificate " + leaf.SerialHex() + " was revoked");
    }
  }
  const TimePoint now = clock_.Now();
  if (now >= leaf.NotAfter()) {
    return UnauthenticatedError("client certificate " + leaf.SerialHex() + " has expired");
  }
  for (const auto& san : leaf.SubjectAltNames()) {
    if (san.type != pki::SanType::kUri) continue;
    return web::IdentityFromSpiffeUri(san.value, trust_domain_);
  }
  return UnauthenticatedError(
      "client certificate has no URI SAN spiffe://<trust-domain>/certkeeper/<role>/<name>");
}

web::TokenInfo DaemonBackend::ToInfo(const store::ApiTokenRecord& r) const {
  web::TokenInfo info;
  info.id = r.id;
  info.name = r.name;
  info.role = r.role;
  info.created_at = r.created_at;
  info.expires_at = r.expires_at;
  info.revoked_at = r.revoked_at;
  info.state = TokenService::StateOf(r, clock_.Now());
  return info;
}

Result<web::NewToken> DaemonBackend::CreateToken(const std::string& name, web::Role role,
                                                 std::chrono::seconds ttl) {
  ASSIGN_OR_RETURN(CreatedToken created, tokens_.Create(name, role, ttl));
  return web::NewToken{ToInfo(created.record), std::move(created.secret)};
}

Result<std::vector<web::TokenInfo>> DaemonBackend::ListTokens() {
  ASSIGN_OR_RETURN(auto records, tokens_.List());
  std::vector<web::TokenInfo> out;
  for (const auto& r : records) out.push_back(ToInfo(r));
  return out;
}

Status DaemonBackend::RevokeToken(int64_t id) { return tokens_.Revoke(id); }

}  // namespace ck::daemon
