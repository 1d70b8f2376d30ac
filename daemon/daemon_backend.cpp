#include "daemon/daemon_backend.hpp"

#include "daemon/metrics/certificate_metrics.hpp"
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

Result<web::Identity> DaemonBackend::AuthenticateTokenHash(std::string_view token_hash) {
  return tokens_.AuthenticateHash(token_hash);
}

Result<web::Identity> DaemonBackend::AuthenticateClientCertificate(const pki::Certificate& leaf) {
  // The handshake verified the chain to the internal CA at connection time; revocation is
  // checked here, per request, so a revoked certificate loses access at once.
  ASSIGN_OR_RETURN(bool revoked, store_.IsSerialRevoked(leaf.SerialHex()));
  if (revoked) {
    return UnauthenticatedError("client certificate " + leaf.SerialHex() + " was revoked");
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

namespace ck::daemon {
namespace {

web::IssuedBundle ToBundle(const ca::Issued& issued) {
  web::IssuedBundle b;
  b.serial_hex = issued.serial_hex;
  b.not_after = issued.not_after;
  b.cert_pem = issued.CertificatePem();
  b.chain_pem = pki::ChainToPem(issued.chain);
  if (issued.key) b.key_pem = issued.key->ToPem();
  return b;
}

ca::IssueOptions ToIssueOptions(const web::IssueRequest& req) {
  ca::IssueOptions options;
  options.profile = req.profile;
  options.name = req.name;
  options.lifetime = req.ttl;
  return options;
}

web::CertificateView ToView(const store::CertificateRecord& r) {
  web::CertificateView v;
  v.id = r.id;
  v.name = r.name;
  v.source = r.source;
  v.issuer = r.issuer;
  v.serial_hex = r.serial_hex;
  v.sans = r.sans;
  v.not_before = r.not_before;
  v.not_after = r.not_after;
  v.status = r.status;
  v.cert_pem = r.cert_pem;
  v.chain_pem = r.chain_pem;
  return v;
}

}  // namespace

Result<ca::Authority*> DaemonBackend::RequireAuthority() {
  if (authority_ == nullptr) return UnavailableError("this daemon runs without an internal CA");
  return authority_;
}

Result<std::string> DaemonBackend::CaChainPem() {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  ASSIGN_OR_RETURN(auto bundle, authority->ChainBundle());
  return pki::ChainToPem(bundle);
}

Result<std::string> DaemonBackend::CurrentCrlPem() {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  ASSIGN_OR_RETURN(store::CrlRecord crl, authority->CurrentCrl(""));
  return crl.crl_pem;
}

Result<Bytes> DaemonBackend::RespondOcsp(const Bytes& request_der) {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  return authority->RespondOcsp(request_der, clock_.Now());
}

Result<web::IssuedBundle> DaemonBackend::SignCsr(const std::string& csr_pem,
                                                 const web::IssueRequest& req) {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  auto der = pki::CsrDerFromPem(csr_pem);
  if (!der.ok()) return der.status().WithContext("csr");
  ASSIGN_OR_RETURN(ca::Issued issued,
                   authority->SignCsrDer(*der, ToIssueOptions(req), clock_.Now()));
  return ToBundle(issued);
}

Result<web::IssuedBundle> DaemonBackend::IssueWithKey(const web::IssueRequest& req) {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  ca::KeyIssueRequest request;
  request.options = ToIssueOptions(req);
  request.sans.dns_names = req.dns;
  request.sans.ip_addresses = req.ip;
  request.sans.uris = req.uri;
  request.sans.emails = req.email;
  if (!req.key_type.empty()) {
    auto type = pki::ParseKeyType(req.key_type);
    if (!type.ok()) return type.status().WithContext("key_type");
    request.key_type = *type;
  }
  ASSIGN_OR_RETURN(ca::Issued issued, authority->IssueWithKey(request, clock_.Now()));
  return ToBundle(issued);
}

Status DaemonBackend::Revoke(const std::string& serial, const std::string& reason) {
  ASSIGN_OR_RETURN(ca::Authority * authority, RequireAuthority());
  ASSIGN_OR_RETURN(ca::RevocationReason why, ca::ParseRevocationReason(reason));
  return authority->Revoke(serial, why, clock_.Now()).status();
}

Result<std::vector<web::CertificateView>> DaemonBackend::ListCertificates(
    const web::CertificateFilter& f) {
  store::CertificateQuery q;
  q.name = f.name;
  q.source = f.source;
  q.status = f.status;
  q.serial_hex = f.serial_hex;
  q.expiring_before = f.expiring_before;
  q.after_id = f.after_id;
  q.limit = f.limit;
  q.text = f.text;
  ASSIGN_OR_RETURN(auto records, store_.ListCertificates(q));
  std::vector<web::CertificateView> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(ToView(r));
  return out;
}

Result<web::CertificateView> DaemonBackend::GetCertificate(int64_t id) {
  ASSIGN_OR_RETURN(store::CertificateRecord r, store_.GetCertificate(id));
  return ToView(r);
}

Result<lifecycle::Manager*> DaemonBackend::RequireManager() {
  if (manager_ == nullptr) {
    return UnimplementedError("this daemon does not manage certificate lifecycles");
  }
  return manager_;
}

Result<std::vector<web::ManagedCertificateView>> DaemonBackend::ListManaged() {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->List();
}

Result<web::ManagedCertificateView> DaemonBackend::GetManaged(std::string_view name) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->Get(name);
}

Result<web::RenewResult> DaemonBackend::RenewManaged(std::string_view name, bool force) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  ASSIGN_OR_RETURN(web::RenewResult r, m->RequestRenewal(name, force));
  // Wake the scheduler loop (it sleeps on the clock until the next due instant).
  clock_.Interrupt();
  return r;
}

Result<web::DaemonStatusView> DaemonBackend::DaemonStatus() {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->Summary();
}

Result<web::PinSetView> DaemonBackend::GetPins(std::string_view name) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->Pins(name);
}

Result<web::ManagedCertificateView> DaemonBackend::AddManaged(const nlohmann::json& body) {
  if (!catalog_.add) return UnimplementedError("this daemon cannot add certificates");
  return catalog_.add(body);
}

Status DaemonBackend::RemoveManaged(std::string_view name) {
  if (!catalog_.remove) return UnimplementedError("this daemon cannot remove certificates");
  return catalog_.remove(std::string(name));
}

Status DaemonBackend::EmergencyRotatePins(std::string_view name) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  RETURN_IF_ERROR(m->EmergencyRotatePins(name));
  clock_.Interrupt();  // wake the scheduler: re-issue with the promoted key now
  return OkStatus();
}

Status DaemonBackend::CheckConsumerAccess(const web::Identity& who, std::string_view name) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->CheckConsumerAccess(who, name);
}

Result<web::BundleView> DaemonBackend::WaitForBundle(const web::Identity& who,
                                                     std::string_view name,
                                                     std::string_view known_serial,
                                                     std::chrono::seconds wait) {
  ASSIGN_OR_RETURN(lifecycle::Manager * m, RequireManager());
  return m->WaitForBundle(who, name, known_serial, wait);
}

Result<std::vector<web::EventView>> DaemonBackend::ListEvents(std::string_view certificate_name,
                                                              int limit, int64_t before_id) {
  store::EventQuery q;
  q.certificate_name = std::string(certificate_name);
  q.limit = limit;
  q.before_id = before_id;
  ASSIGN_OR_RETURN(auto events, store_.ListEvents(q));
  std::vector<web::EventView> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    out.push_back({e.id, e.time, e.certificate_name, e.kind, e.message, e.details_json});
  }
  return out;
}

Result<std::string> DaemonBackend::RenderMetrics() {
  metrics::ScrapeInputs in;
  in.now = clock_.Now();
  in.version = CK_VERSION;
  if (manager_ != nullptr) in.managed = manager_->List();
  RETURN_IF_ERROR(metrics::AddStoreInputs(store_, in));
  return metrics::RenderScrape(in);
}

}  // namespace ck::daemon
