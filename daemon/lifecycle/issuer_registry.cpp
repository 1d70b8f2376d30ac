#include "daemon/lifecycle/issuer_registry.hpp"

#include "daemon/lifecycle/ca_issuer.hpp"

namespace ck::lifecycle {

IssuerRegistry::IssuerRegistry(store::Store& store, Clock& clock, ca::Authority* authority,
                               std::function<bool()> should_stop)
    : store_(store), clock_(clock), authority_(authority), should_stop_(std::move(should_stop)) {}

void IssuerRegistry::Configure(const config::Config& config) {
  std::lock_guard lock(mu_);
  if (!solvers_) {
    // Listener addresses take effect at start only: rebinding ports under running orders
    // would fail them.
    solvers_ =
        std::make_unique<SharedSolvers>(config.acme.http_listen, config.acme.tls_listen, clock_);
  }
  if (authority_ != nullptr) {
    for (const auto& profile : config.ca.profiles) {
      const std::string id = "ca:" + profile.name;
      if (!issuers_.count(id)) {
        issuers_[id] = std::make_unique<CaIssuer>(*authority_, clock_, profile.name);
      }
    }
  }
  for (const auto& [name, account] : config.acme.accounts) {
    const std::string id = "acme:" + name;
    const std::string fingerprint = account.server + "\n" + account.email + "\n" +
                                    account.ca_bundle + "\n" + config.acme.ca_bundle + "\n" +
                                    account.eab_kid + "\n" + account.key;
    auto it = issuers_.find(id);
    if (it != issuers_.end() && account_fingerprints_[id] == fingerprint) continue;
    if (it != issuers_.end()) retired_.push_back(std::move(it->second));
    issuers_[id] =
        std::make_unique<AcmeIssuer>(account, config.acme, store_, clock_, *solvers_, should_stop_);
    account_fingerprints_[id] = fingerprint;
  }
}

Result<Issuer*> IssuerRegistry::Resolve(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = issuers_.find(id);
  if (it != issuers_.end()) return it->second.get();
  std::string known;
  for (const auto& [k, _] : issuers_) known += (known.empty() ? "" : ", ") + k;
  return NotFoundError("no issuer '" + id + "' (configured: " + (known.empty() ? "none" : known) +
                       ")");
}

}  // namespace ck::lifecycle
