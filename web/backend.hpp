// What the admin API needs from the daemon. daemon/ implements it; web/ never includes daemon/
// headers, so the dependency arrow points one way. Methods return Status for every failure;
// handlers turn those into RFC 9457 problems.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "web/auth.hpp"

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
};

struct CertificateFilter {
  std::string name, source, status, serial_hex;
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
};

}  // namespace ck::web
