// The admin API's own TLS: a server certificate from the internal CA, re-issued before it
// expires and swapped into the running server (no restart), the CA bundle written to the state
// dir for clients (`curl --cacert`), and client-certificate trust anchored at the same CA.
#pragma once

#include <memory>
#include <string>

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "web/tls_config.hpp"

namespace ck::daemon {

class AdminTls {
 public:
  // `host` is the listen host: the server certificate names it (IP or DNS) plus localhost.
  AdminTls(ca::Authority& authority, Clock& clock, std::string host, std::string bundle_path);

  // Initializes the internal CA when there is none yet, issues the first server certificate
  // and writes the CA bundle. After this, settings() is ready for the AdminServer.
  Status Start();

  // Re-issues the server certificate once 2/3 of its lifetime has passed and refreshes CRLs
  // that are due. Returns when to call again.
  Result<TimePoint> Maintain();

  std::shared_ptr<web::TlsServerSettings> settings() const { return settings_; }
  const std::string& bundle_path() const { return bundle_path_; }
  // Serial of the certificate currently served (for logs and tests).
  std::string current_serial() const;

 private:
  Status IssueServerCertificate();

  ca::Authority& authority_;
  Clock& clock_;
  std::string host_;
  std::string bundle_path_;
  std::shared_ptr<web::TlsServerSettings> settings_;
  TimePoint renew_at_{};
};

}  // namespace ck::daemon
