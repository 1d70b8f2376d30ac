// The lifecycle manager: keeps every declared certificate issued, renewed on time and
// deployed. One RunOnce(now) pass does everything that is due and returns when to wake next,
// so the daemon's loop is "RunOnce, sleep until then (or until asked)", and tests drive it
// with a FakeClock.
//
// Per certificate, each pass:
//   1. Pins (when configured): generate the standby/backup keys whose pins must be published
//      ahead, drop pins whose retire time passed (daemon/pins/pin_planner.hpp).
//   2. Issue when there is no usable certificate, the declared names changed, a renewal was
//      forced, an interrupted issuance can be resumed, or the renewal plan says it is time
//      (daemon/renewal/renewal_policy.hpp) — after a failure only once the backoff allows
//      (daemon/renewal/backoff.hpp), switching to the fallback issuer after N failures.
//   3. Deploy when a target's last deployed serial is not the current one (validate → commit →
//      verify, rolled back on failure; daemon/deploy/deployer.hpp).
// Crash safety comes from the store being the only truth: issuers record a certificate and
// its key in one transaction (ACME orders are journalled and resumed), and a target counts as
// deployed only after its deployer verified it, so a restart redoes exactly what is missing.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/rng.hpp"
#include "common/status.hpp"
#include "daemon/config/config.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/lifecycle/issuer.hpp"
#include "daemon/pins/pin_planner.hpp"
#include "daemon/renewal/backoff.hpp"
#include "daemon/renewal/renewal_policy.hpp"
#include "store/store.hpp"
#include "web/auth.hpp"
#include "web/lifecycle_types.hpp"

namespace ck::lifecycle {

// Issuer for an id ("acme:le", "ca:server"); owned by the caller, alive while the manager is.
using IssuerResolver = std::function<Result<Issuer*>(const std::string& issuer_id)>;
using DeployerFactory = std::function<Result<std::unique_ptr<deploy::Deployer>>(
    const nlohmann::json& target, const deploy::DeployEnv& env)>;

struct ManagerOptions {
  std::chrono::milliseconds verify_timeout{30000};
  // Wake at least this often even when nothing is due (picks up clock jumps, ARI changes).
  std::chrono::seconds max_sleep{300};
  // Certificates processed at once in a pass: one slow issuance (an ACME order waiting for
  // DNS propagation, a CA that times out) does not hold up the others' renewals. Deploys still
  // run one at a time (HAProxy's runtime API, for one, allows one certificate transaction).
  int concurrency = 4;
  std::string version;  // for the status view
};

class Manager {
 public:
  Manager(store::Store& store, Clock& clock, IssuerResolver issuers, DeployerFactory deployers,
          ManagerOptions options = {});
  ~Manager();

  // The declared certificates (daemon start, SIGHUP). Runtime state of names that stay is
  // kept; deploy-target rows in the store follow the declaration.
  Status Configure(const std::vector<config::CertificateConfig>& specs);

  // Does what is due now; returns the next instant something will be due.
  TimePoint RunOnce();

  // Queues a renewal for the next RunOnce. Without `force` only when it is due (the message
  // says when it will be). NotFound for an undeclared name.
  Result<web::RenewResult> RequestRenewal(std::string_view name, bool force);
  // Something was queued since the last RunOnce: the daemon loop's wake-up predicate.
  bool HasPendingRequests() const;
  // Wakes long-polls so a stopping daemon does not wait for them.
  void Stop();

  std::vector<web::ManagedCertificateView> List();
  Result<web::ManagedCertificateView> Get(std::string_view name);
  web::DaemonStatusView Summary();
  Result<web::PinSetView> Pins(std::string_view name);
  // Key compromise: the backup key enters service now (reissue + deploy at the next pass).
  Status EmergencyRotatePins(std::string_view name);
  // Admin, or a consumer named in one of the certificate's pull targets (`consumers = [...]`).
  Status CheckConsumerAccess(const web::Identity& who, std::string_view name);
  Result<web::BundleView> WaitForBundle(const web::Identity& who, std::string_view name,
                                        std::string_view known_serial, std::chrono::seconds wait);

 private:
  struct Entry;
  struct Current {
    store::CertificateRecord record;
    bool usable = false;  // has a key the store holds, and the declared names
  };

  Result<std::optional<Current>> LoadCurrent(const Entry& e);
  TimePoint Process(Entry& e, TimePoint now);
  Status IssueNow(Entry& e, const std::optional<Current>& current, const std::string& why,
                  TimePoint now);
  Result<std::pair<int64_t, pki::PrivateKey>> KeyForIssuance(Entry& e,
                                                             const std::optional<Current>& current,
                                                             TimePoint now, bool* promote_standby);
  Status SavePinSet(const std::string& name, const std::vector<store::PinSetRecord>& old,
                    const pins::PinSetState& state);
  Status MaintainPins(Entry& e, const std::optional<Current>& current, TimePoint now);
  Status DeployIfNeeded(Entry& e, const Current& current);
  // True when a change freeze holds this deploy back (consumers keep a certificate that
  // outlasts the freeze); the entry then remembers when the freeze ends.
  bool HoldDeployForFreeze(Entry& e, const config::CertificateConfig& spec,
                           const std::vector<store::ConsumerRecord>& rows, const Current& current);
  std::optional<renewal::RenewalPlan> PlanFor(Entry& e, const Current& current, TimePoint now);
  std::string IssuerOfCurrent(Entry& e, const Current& current);
  void ApplySpec(Entry& e, const config::CertificateConfig& spec);  // caller holds mu_
  // Waits until no other issuance holds any of `names`, then holds them all (released by the
  // returned guard).
  class NameClaim;
  NameClaim ClaimNames(const std::vector<std::string>& names);
  static bool AllowedToPull(const Entry& e, const web::Identity& who);
  web::ManagedCertificateView ViewOf(Entry& e, TimePoint now);
  Result<int64_t> StoreNewKey(const std::string& name, pki::KeyType type, const char* purpose,
                              TimePoint now);
  void RecordEvent(const std::string& name, const std::string& kind, const std::string& message,
                   const nlohmann::json& details = nlohmann::json::object());

  store::Store& store_;
  Clock& clock_;
  IssuerResolver issuers_;
  DeployerFactory deployers_;
  ManagerOptions options_;
  std::mutex deploy_mu_;  // one deploy (validate, commit, verify, rollback) at a time
  // Names an issuance is under way for. Two certificates sharing a name (an RSA and an ECDSA
  // one, say) are not issued at once: their challenges would be for the same identifier (one
  // tls-alpn-01 certificate per SNI name, one _acme-challenge TXT name).
  std::mutex names_mu_;
  std::condition_variable names_cv_;
  std::set<std::string> issuing_names_;
  TimePoint started_at_;
  SystemRng rng_;

  mutable std::mutex mu_;  // guards entries_ (not held during issuance or deploys)
  std::condition_variable bundle_cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  bool pending_requests_ = false;
};

}  // namespace ck::lifecycle
