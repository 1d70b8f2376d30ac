#include "daemon/admin_tls.hpp"

#include <arpa/inet.h>

#include "common/file_util.hpp"
#include "common/log.hpp"

namespace ck::daemon {
namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

AdminTls::AdminTls(ca::Authority& authority, Clock& clock, std::string host,
                   std::string bundle_path)
    : authority_(authority),
      clock_(clock),
      host_(std::move(host)),
      bundle_path_(std::move(bundle_path)),
      settings_(std::make_shared<web::TlsServerSettings>()) {
  settings_->credentials = std::make_shared<web::ServerCredentials>();
}

Status AdminTls::Start() {
  ASSIGN_OR_RETURN(bool initialized, authority_.Initialized());
  if (!initialized) {
    log::Info("no internal CA yet: creating root and intermediate (certkeeper ca init)");
    RETURN_IF_ERROR(authority_.Init(ca::InitOptions{}, clock_.Now()).WithContext("CA init"));
  }
  ASSIGN_OR_RETURN(std::vector<pki::Certificate> bundle, authority_.ChainBundle());
  if (bundle.empty()) return FailedPreconditionError("internal CA has no certificates");
  // The bundle ends with the root; everything before it helps build client chains.
  settings_->client_roots = {bundle.back()};
  settings_->client_intermediates.assign(bundle.begin(), bundle.end() - 1);
  RETURN_IF_ERROR(WriteFileAtomic(bundle_path_, pki::ChainToPem(bundle), 0644));
  return IssueServerCertificate();
}

Status AdminTls::IssueServerCertificate() {
  ca::KeyIssueRequest request;
  request.options.profile = "server";
  request.options.name = "certkeeper-admin-api";
  if (IsIpLiteral(host_)) {
    request.sans.ip_addresses = {host_};
  } else if (host_ != "localhost") {
    request.sans.dns_names = {host_};
  }
  request.sans.dns_names.push_back("localhost");
  if (host_ != "127.0.0.1") request.sans.ip_addresses.push_back("127.0.0.1");
  request.common_name = "localhost";
  const TimePoint now = clock_.Now();
  auto issued = authority_.IssueWithKey(request, now);
  if (!issued.ok()) {
    return issued.status().WithContext(
        "admin API certificate (needs a CA profile named 'server' allowing these names)");
  }
  std::vector<pki::Certificate> chain = {issued->certificate()};
  chain.insert(chain.end(), issued->chain.begin(), issued->chain.end());
  RETURN_IF_ERROR(settings_->credentials->Set(std::move(chain), std::move(*issued->key)));
  const TimePoint not_before = issued->certificate().NotBefore();
  const TimePoint not_after = issued->certificate().NotAfter();
  renew_at_ = not_before + (not_after - not_before) * 2 / 3;
  log::Info("admin API certificate in service", {{"cert", "certkeeper-admin-api"},
                                                 {"serial", issued->serial_hex},
                                                 {"not_after", FormatRfc3339(not_after)},
                                                 {"renew_at", FormatRfc3339(renew_at_)}});
  return OkStatus();
}

Result<TimePoint> AdminTls::Maintain() {
  const TimePoint now = clock_.Now();
  TimePoint next = renew_at_;
  if (now >= renew_at_) {
    if (Status s = IssueServerCertificate(); !s.ok()) {
      log::Failure("certkeeper-admin-api", s, "admin API certificate renewal failed");
      next = now + std::chrono::minutes(1);  // the old certificate is still valid: retry soon
    } else {
      next = renew_at_;
    }
  }
  auto crl = authority_.RefreshCrlIfDue(now);
  if (!crl.ok()) {
    log::Failure("internal-ca", crl.status(), "CRL refresh failed");
  } else {
    for (const auto& name : crl->refreshed) log::Info("CRL re-signed", {{"ca", name}});
    for (const auto& name : crl->stale) {
      log::Warn("CRL due but the CA key is offline", {{"ca", name}});
    }
    if (crl->next_due && *crl->next_due < next) next = *crl->next_due;
  }
  return std::max(next, now + std::chrono::seconds(1));
}

std::string AdminTls::current_serial() const {
  auto snap = settings_->credentials->Current();
  return snap && !snap->chain.empty() ? snap->chain.front().SerialHex() : "";
}

}  // namespace ck::daemon
