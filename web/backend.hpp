// What the admin API needs from the daemon. daemon/ implements it; web/ never includes daemon/
// headers, so the dependency arrow points one way. Methods return Status for every failure;
// handlers turn those into RFC 9457 problems.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
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
};

}  // namespace ck::web
