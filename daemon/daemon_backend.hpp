// The daemon's implementation of web::Backend: what the admin API reads and does, backed by
// the store (and, as they land, the scheduler, CA and ACME client).
#pragma once

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "daemon/lifecycle/manager.hpp"
#include "daemon/token_service.hpp"
#include "daemon/watch/watch_views.hpp"
#include "store/store.hpp"
#include "web/backend.hpp"

namespace ck::daemon {

class DaemonBackend final : public web::Backend {
 public:
  // `trust_domain`: SPIFFE trust domain of admin client certificates; empty accepts any (the
  // certificate must still chain to the internal CA, which the TLS handshake checked).
  DaemonBackend(store::Store& store, Clock& clock, std::string trust_domain = "")
      : store_(store),
        clock_(clock),
        tokens_(store, clock),
        trust_domain_(std::move(trust_domain)) {}

  web::HealthReport Health() override;
  Result<web::Identity> AuthenticateToken(std::string_view token) override;
  Result<web::Identity> AuthenticateClientCertificate(const pki::Certificate& leaf) override;
  Result<web::Identity> AuthenticateTokenHash(std::string_view token_hash) override;
  TimePoint Now() override { return clock_.Now(); }
  Result<web::NewToken> CreateToken(const std::string& name, web::Role role,
                                    std::chrono::seconds ttl) override;
  Result<std::vector<web::TokenInfo>> ListTokens() override;
  Status RevokeToken(int64_t id) override;

  Result<std::string> CaChainPem() override;
  Result<std::string> CurrentCrlPem() override;
  Result<Bytes> RespondOcsp(const Bytes& request_der) override;
  Result<web::IssuedBundle> SignCsr(const std::string& csr_pem,
                                    const web::IssueRequest& req) override;
  Result<web::IssuedBundle> IssueWithKey(const web::IssueRequest& req) override;
  Status Revoke(const std::string& serial, const std::string& reason) override;
  Result<std::vector<web::CertificateView>> ListCertificates(
      const web::CertificateFilter& f) override;
  Result<web::CertificateView> GetCertificate(int64_t id) override;

  Result<std::vector<web::ManagedCertificateView>> ListManaged() override;
  Result<web::ManagedCertificateView> GetManaged(std::string_view name) override;
  Result<web::RenewResult> RenewManaged(std::string_view name, bool force) override;
  Result<web::DaemonStatusView> DaemonStatus() override;
  Result<web::PinSetView> GetPins(std::string_view name) override;
  Status CheckConsumerAccess(const web::Identity& who, std::string_view name) override;
  Status EmergencyRotatePins(std::string_view name) override;
  Result<web::ManagedCertificateView> AddManaged(const nlohmann::json& body) override;
  Status RemoveManaged(std::string_view name) override;

  // Certificates (managed, external, file), watch checks, alerts, then the process counters.
  Result<std::string> RenderMetrics() override;

  // Where API-added certificates go (serve: certificates.d/ in the state dir + reconfigure).
  struct Catalog {
    std::function<Result<web::ManagedCertificateView>(const nlohmann::json&)> add;
    std::function<Status(const std::string&)> remove;
  };
  void SetCatalog(Catalog catalog) { catalog_ = std::move(catalog); }
  Result<web::BundleView> WaitForBundle(const web::Identity& who, std::string_view name,
                                        std::string_view known_serial,
                                        std::chrono::seconds wait) override;
  Result<std::vector<web::EventView>> ListEvents(std::string_view certificate_name, int limit,
                                                 int64_t before_id) override;
  // Alerts from the store (daemon_backend_alerts.cpp).
  Result<std::vector<web::AlertView>> ListAlerts(const web::AlertFilter& filter) override;
  Result<web::AlertView> AcknowledgeAlert(int64_t id, const std::string& by) override;
  Result<std::vector<web::WatchResultView>> ListWatchResults() override {
    return watch::LoadWatchResultViews(store_, clock_.Now());
  }

  // The lifecycle manager behind /v1/managed, /v1/pins, /v1/bundles; without one those
  // answer 501.
  void SetManager(lifecycle::Manager* manager) { manager_ = manager; }

  // The internal CA behind /v1/ca and /v1/certificates; without one those answer 503.
  void SetAuthority(ca::Authority* authority) { authority_ = authority; }

 private:
  web::TokenInfo ToInfo(const store::ApiTokenRecord& record) const;
  Result<ca::Authority*> RequireAuthority();
  Result<lifecycle::Manager*> RequireManager();

  store::Store& store_;
  Clock& clock_;
  TokenService tokens_;
  std::string trust_domain_;
  ca::Authority* authority_ = nullptr;
  lifecycle::Manager* manager_ = nullptr;
  Catalog catalog_;
};

}  // namespace ck::daemon
