// Issuer backed by one ACME account ([acme.accounts.NAME]): registers the account on first
// use (key sealed in the store first), orders through acme::OrderFlow with the certificate's
// solver, and journals every order in the store so a renewal interrupted by a crash or a stop
// resumes the same order with the same key instead of issuing twice.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "acme/client.hpp"
#include "acme/curl_transport.hpp"
#include "acme/solvers/http01.hpp"
#include "acme/solvers/tls_alpn01.hpp"
#include "common/clock.hpp"
#include "common/rng.hpp"
#include "daemon/config/config.hpp"
#include "daemon/lifecycle/issuer.hpp"
#include "store/store.hpp"

namespace ck::lifecycle {

// The built-in challenge listeners, shared by every account and order (one port each),
// started on first use.
class SharedSolvers {
 public:
  SharedSolvers(std::string http_listen, std::string tls_listen, Clock& clock);
  Result<acme::Solver*> Http01();
  Result<acme::Solver*> TlsAlpn01();

 private:
  std::mutex mu_;
  std::string http_listen_;
  std::string tls_listen_;
  Clock& clock_;
  std::unique_ptr<acme::Http01Standalone> http_;
  std::unique_ptr<acme::TlsAlpn01Server> tls_;
};

class AcmeIssuer final : public Issuer {
 public:
  AcmeIssuer(config::AcmeAccountConfig account, const config::AcmeConfig& acme, store::Store& store,
             Clock& clock, SharedSolvers& solvers, std::function<bool()> should_stop);

  const std::string& id() const override { return id_; }
  Result<int64_t> Issue(const IssueRequest& request) override;
  std::optional<renewal::AriWindow> RenewalWindow(const pki::Certificate& cert) override;
  bool HasUnfinishedIssuance(std::string_view name) override;

 private:
  Status EnsureAccount();
  Status Register(std::vector<std::string> contact);
  Result<std::optional<store::AcmeOrderRecord>> UnfinishedOrder(std::string_view name);

  config::AcmeAccountConfig account_;
  std::vector<std::string> dns_resolvers_;
  store::Store& store_;
  Clock& clock_;
  SharedSolvers& solvers_;
  std::string id_;
  SystemRng rng_;
  std::unique_ptr<acme::CurlTransport> transport_;
  std::unique_ptr<acme::Client> client_;
  std::mutex account_mu_;
  std::optional<store::AcmeAccountRecord> record_;
  struct CachedWindow {
    std::optional<renewal::AriWindow> window;
    TimePoint next_check;
  };
  std::mutex ari_mu_;
  std::map<std::string, CachedWindow> ari_cache_;  // by serial
};

}  // namespace ck::lifecycle
