// The issuers a daemon's config declares: "ca:PROFILE" for every internal CA profile and
// "acme:NAME" for every [acme.accounts.NAME]. Issuers are created once and kept across
// reloads (an ACME account's client, nonce pool and listeners stay warm); a reload adds the
// new ones. The manager resolves issuer ids through Resolve().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "daemon/config/config.hpp"
#include "daemon/lifecycle/acme_issuer.hpp"
#include "daemon/lifecycle/issuer.hpp"
#include "store/store.hpp"

namespace ck::lifecycle {

class IssuerRegistry {
 public:
  IssuerRegistry(store::Store& store, Clock& clock, ca::Authority* authority,
                 std::function<bool()> should_stop);

  // Adds the issuers `config` declares that are not there yet. An account whose settings
  // changed gets a fresh issuer.
  void Configure(const config::Config& config);
  // NotFound naming the known ids.
  Result<Issuer*> Resolve(const std::string& id);

 private:
  store::Store& store_;
  Clock& clock_;
  ca::Authority* authority_;
  std::function<bool()> should_stop_;
  std::mutex mu_;
  std::unique_ptr<SharedSolvers> solvers_;
  std::map<std::string, std::unique_ptr<Issuer>> issuers_;
  std::map<std::string, std::string> account_fingerprints_;  // id -> settings, to spot changes
  // Issuers replaced by a reload may still be in use by the scheduler thread: kept alive.
  std::vector<std::unique_ptr<Issuer>> retired_;
};

}  // namespace ck::lifecycle
