// What the admin API needs from the daemon. daemon/ implements it; web/ never includes daemon/
// headers, so the dependency arrow points one way. Methods return Status for every failure;
// handlers turn those into RFC 9457 problems.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/metrics.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "web/alert_types.hpp"
#include "web/auth.hpp"
#include "web/lifecycle_types.hpp"
#include "web/watch_view.hpp"

namespace ck::web {

struct HealthCheck {
  std::string name;  // e.g. "store"
  bool ok = false;
  std::string detail;
};

struct HealthReport {
  std::string version;
  std::vector<HealthCheck> checks;
  bool ok() const {
    for (const auto& c : checks) {
      if (!c.ok) return false;
    }
    return true;
  }
};

struct TokenInfo {
  int64_t id = 0;
  std::string name;
  std::string role;
  std::string state;  // "active", "expired", "revoked"
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
};

struct NewToken {
  TokenInfo info;
  std::string secret;  // returned once, in the creation response only
};

// A certificate as the API shows it (never key material).
struct CertificateView {
  int64_t id = 0;
  std::string name;
  std::string source;  // "ca", "managed", ...
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> sans;
  TimePoint not_before;
  TimePoint not_after;
  std::string status;
  std::string cert_pem;
  std::string chain_pem{};  // intermediates, when the store has them
};

struct CertificateFilter {
  std::string name, source, status, serial_hex;
  std::string text;  // case-insensitive substring of the name or any SAN; empty = any
  std::optional<TimePoint> expiring_before;
  int64_t after_id = 0;
  int limit = 100;
};

struct IssueRequest {
  std::string profile = "server";
  std::string name;
  std::optional<std::chrono::seconds> ttl;
  std::vector<std::string> dns, ip, uri, email;
  std::string key_type;  // IssueWithKey only; empty = the profile's
};

struct IssuedBundle {
  std::string serial_hex;
  TimePoint not_after;
  std::string cert_pem;
  std::string chain_pem;  // intermediates
  std::string key_pem;    // only for server-side keys, returned this once
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual HealthReport Health() = 0;

  // Unauthenticated for unknown/expired/revoked credentials.
  virtual Result<Identity> AuthenticateToken(std::string_view token) = 0;
  virtual Result<Identity> AuthenticateClientCertificate(const pki::Certificate& leaf) = 0;
  // The same check by the token's HashApiToken() (dashboard sessions keep only the hash, so
  // a revoked or expired token ends its sessions). Fails closed by default.
  virtual Result<Identity> AuthenticateTokenHash(std::string_view token_hash) {
    (void)token_hash;
    return UnauthenticatedError("sessions are not supported by this backend");
  }
  // The daemon's clock (days left, expiry windows); tests override it with a fake one.
  virtual TimePoint Now() { return SystemClock().Now(); }

  virtual Result<NewToken> CreateToken(const std::string& name, Role role,
                                       std::chrono::seconds ttl) = 0;
  virtual Result<std::vector<TokenInfo>> ListTokens() = 0;
  virtual Status RevokeToken(int64_t id) = 0;

  // Internal CA. Unavailable when this daemon runs without one.
  virtual Result<std::string> CaChainPem() = 0;
  virtual Result<std::string> CurrentCrlPem() = 0;
  virtual Result<Bytes> RespondOcsp(const Bytes& request_der) = 0;
  virtual Result<IssuedBundle> SignCsr(const std::string& csr_pem, const IssueRequest& req) = 0;
  virtual Result<IssuedBundle> IssueWithKey(const IssueRequest& req) = 0;
  virtual Status Revoke(const std::string& serial, const std::string& reason) = 0;
  virtual Result<std::vector<CertificateView>> ListCertificates(const CertificateFilter& f) = 0;
  virtual Result<CertificateView> GetCertificate(int64_t id) = 0;

  // Managed certificates (the lifecycle daemon). The defaults answer Unimplemented so that
  // backends without a lifecycle (tests, a CA-only daemon) need not implement them.
  virtual Result<std::vector<ManagedCertificateView>> ListManaged() { return NoLifecycle(); }
  // NotFound for an unknown name.
  virtual Result<ManagedCertificateView> GetManaged(std::string_view name) {
    (void)name;
    return NoLifecycle();
  }
  // Queues a renewal and returns at once (the API answers 202). NotFound; FailedPrecondition
  // when a renewal is not allowed now (e.g. already running, or not due without `force`).
  virtual Result<RenewResult> RenewManaged(std::string_view name, bool force) {
    (void)name, (void)force;
    return NoLifecycle();
  }
  virtual Result<DaemonStatusView> DaemonStatus() { return NoLifecycle(); }
  // NotFound when the certificate has no pin policy.
  virtual Result<PinSetView> GetPins(std::string_view name) {
    (void)name;
    return NoLifecycle();
  }
  // Adds a managed certificate (the API's JSON form of a [[certificate]] table); it is issued
  // and deployed at once. InvalidArgument naming the key; AlreadyExists.
  virtual Result<ManagedCertificateView> AddManaged(const nlohmann::json& body) {
    (void)body;
    return NoLifecycle();
  }
  // Removes a certificate added through the API (history stays in the store). NotFound;
  // FailedPrecondition for one declared in the config file.
  virtual Status RemoveManaged(std::string_view name) {
    (void)name;
    return NoLifecycle();
  }
  // Key compromise: the backup key enters service (a re-issue and deploy follow at once).
  // NotFound; FailedPrecondition without a pin policy or a backup to promote.
  virtual Status EmergencyRotatePins(std::string_view name) {
    (void)name;
    return NoLifecycle();
  }
  // OK when `who` (a consumer identity) may read this certificate's pins: the same rule as for
  // its bundle (a consumer named in one of its pull targets). PermissionDenied otherwise.
  virtual Status CheckConsumerAccess(const Identity& who, std::string_view name) {
    (void)who, (void)name;
    return NoLifecycle();
  }
  // Long-poll: returns the current bundle at once when its serial differs from known_serial
  // (or known_serial is empty); otherwise blocks up to `wait` for a new version and answers
  // DeadlineExceeded when none came (the handler answers 304 Not Modified). Must return early
  // (any status) when the daemon shuts down. PermissionDenied when `who` may not read this
  // bundle (admin, or a consumer named in a pull target).
  virtual Result<BundleView> WaitForBundle(const Identity& who, std::string_view name,
                                           std::string_view known_serial,
                                           std::chrono::seconds wait) {
    (void)who, (void)name, (void)known_serial, (void)wait;
    return NoLifecycle();
  }
  // Newest first. `certificate_name` empty = all; `before_id` 0 = from the newest.
  virtual Result<std::vector<EventView>> ListEvents(std::string_view certificate_name, int limit,
                                                    int64_t before_id) {
    (void)certificate_name, (void)limit, (void)before_id;
    return NoLifecycle();
  }

  // Alerts, newest first (GET /v1/alerts).
  virtual Result<std::vector<AlertView>> ListAlerts(const AlertFilter& filter) {
    (void)filter;
    return UnimplementedError("this daemon does not keep alerts");
  }
  // Marks an alert acknowledged by `by` (it stays open until its condition clears); a second
  // acknowledgement keeps the first. NotFound for an unknown id.
  virtual Result<AlertView> AcknowledgeAlert(int64_t id, const std::string& by) {
    (void)id, (void)by;
    return UnimplementedError("this daemon does not keep alerts");
  }
  // GET /metrics: the Prometheus text exposition. The default renders the process registry
  // only (counters of what happened); the daemon adds its certificates, checks and alerts.
  virtual Result<std::string> RenderMetrics() { return metrics::Default().Render(); }
  // The latest result of every watched endpoint and certificate file, by target (issue 6).
  virtual Result<std::vector<WatchResultView>> ListWatchResults() {
    return UnimplementedError("this daemon does not watch endpoints or files");
  }

 protected:
  static Status NoLifecycle() {
    return UnimplementedError("this daemon does not manage certificate lifecycles");
  }
};

}  // namespace ck::web
