// The Issuer seam of the lifecycle manager: where a managed certificate's next version comes
// from. Implementations: CaIssuer (the internal CA) and AcmeIssuer (an ACME account).
//
// Contract: Issue() both obtains the certificate and records it in the store, as an active
// certificate named `request.name` whose key_id names the key actually used, in one
// transaction with its "issued" event. So after a crash the store either has the new
// certificate (and the manager deploys it) or it does not (and the issuer resumes or starts
// over) — never a certificate whose key the store cannot name.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "daemon/renewal/renewal_policy.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::config {
struct CertificateConfig;
}

namespace ck::lifecycle {

struct IssueRequest {
  std::string name;
  std::vector<std::string> domains;  // DNS names and IP addresses
  std::vector<std::string> uris;     // URI SANs (internal CA only)
  int64_t key_id = 0;                // the certificate key, already sealed in the store
  const pki::PrivateKey* key = nullptr;
  std::optional<std::chrono::seconds> lifetime;
  std::optional<pki::Certificate> replaces;  // the certificate in service (ACME ARI "replaces")
  const config::CertificateConfig* spec = nullptr;  // solver settings and the like
};

class Issuer {
 public:
  virtual ~Issuer() = default;
  // "acme:le", "ca:server": as written in the config.
  virtual const std::string& id() const = 0;
  // Issues and records the certificate (see the contract above); returns its row id.
  virtual Result<int64_t> Issue(const IssueRequest& request) = 0;
  // The RFC 9773 renewal window of a certificate this issuer issued, when it offers one.
  virtual std::optional<renewal::AriWindow> RenewalWindow(const pki::Certificate& /*cert*/) {
    return std::nullopt;
  }
  // An issuance for `name` was interrupted (crash, stop) and can be resumed.
  virtual bool HasUnfinishedIssuance(std::string_view /*name*/) { return false; }
};

}  // namespace ck::lifecycle
