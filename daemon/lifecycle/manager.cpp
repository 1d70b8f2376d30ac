#include "daemon/lifecycle/manager.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <system_error>
#include <thread>

#include "common/log.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/pins/pin_planner.hpp"
#include "pki/certificate.hpp"
#include "pki/general_names.hpp"

namespace ck::lifecycle {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPullType[] = "pull";
// Nothing to go on before the first certificate exists: backoff numbers as for a 90-day one.
constexpr auto kDefaultLifetime = std::chrono::hours(24 * 90);

uint64_t SeedFor(const std::string& text) { return std::hash<std::string>{}(text); }

std::set<std::string> DeclaredSans(const config::CertificateConfig& spec) {
  std::set<std::string> out;
  for (const auto& d : spec.domains) {
    bool ip = d.find(':') != std::string::npos ||
              std::all_of(d.begin(), d.end(), [](char c) { return std::isdigit(c) || c == '.'; });
    out.insert((ip ? "IP:" : "DNS:") + d);
  }
  for (const auto& u : spec.uris) out.insert("URI:" + u);
  return out;
}

std::string DescribeTarget(const nlohmann::json& t) {
  std::string type = t.value("type", "");
  for (const char* key : {"dir", "conf", "socket", "url", "command", "verify_addr"}) {
    auto it = t.find(key);
    if (it != t.end() && it->is_string()) return type + " " + it->get<std::string>();
  }
  return type;
}

bool IsPull(const nlohmann::json& t) { return t.value("type", "") == kPullType; }

milliseconds DeployRetryDelay(int failures) {
  milliseconds d = std::chrono::seconds(5);
  for (int i = 1; i < failures && d < std::chrono::minutes(10); ++i) d *= 2;
  return std::min<milliseconds>(d, std::chrono::minutes(10));
}

pins::PinSetState ToPinState(const std::vector<store::PinSetRecord>& rows) {
  pins::PinSetState state;
  for (const auto& r : rows) {
    pins::PinEntry e;
    e.key_id = r.key_id;
    e.pin = r.pin;
    auto parsed = pins::ParsePinState(r.state);
    e.state = parsed.ok() ? *parsed : pins::PinState::kRetired;
    e.publish_at = r.publish_at;
    e.active_at = r.active_at;
    e.retire_at = r.retire_at;
    state.entries.push_back(e);
  }
  return state;
}

}  // namespace

// Runtime state of one declared certificate. Guarded by Manager::mu_ except `spec`, which the
// pass's worker for this entry reads without the lock: it is replaced only under the lock, and
// never while a worker holds the entry (`in_pass`).
struct Manager::Entry {
  config::CertificateConfig spec;
  std::string serial;  // in service (current), for views and long-polls
  std::optional<store::CertificateRecord> current;
  std::optional<renewal::RenewalPlan> plan;
  std::string plan_serial;
  renewal::FailureHistory failures;
  std::optional<TimePoint> next_attempt;
  std::string last_error;
  bool force = false;
  bool requested = false;
  bool busy = false;
  int deploy_failures = 0;
  std::optional<TimePoint> deploy_retry_at;
  // Which issuer (id) issued the certificate in service, read once per serial from its
  // "renewed" event; empty when unknown (imported, or issued before events named issuers).
  std::string issued_by_serial;
  std::string issued_by;
  // The operator forced the renewal in service: its deploy goes ahead inside a change freeze.
  bool deploy_despite_freeze = false;
  // A deploy held back by a change freeze until this instant (logged once per freeze).
  std::optional<TimePoint> deploy_deferred_until;
  // A pass's worker is processing this entry: it reads `spec` without the lock, so a
  // reconfiguration meanwhile waits in `pending_spec` until the worker is done with it.
  bool in_pass = false;
  std::optional<config::CertificateConfig> pending_spec;
};

Manager::Manager(store::Store& store, Clock& clock, IssuerResolver issuers,
                 DeployerFactory deployers, ManagerOptions options)
    : store_(store),
      clock_(clock),
      issuers_(std::move(issuers)),
      deployers_(std::move(deployers)),
      options_(std::move(options)),
      started_at_(clock.Now()) {}

Manager::~Manager() { Stop(); }

void Manager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  bundle_cv_.notify_all();
}

void Manager::RecordEvent(const std::string& name, const std::string& kind,
                          const std::string& message, const nlohmann::json& details) {
  auto s = store_.AppendEvent({0, clock_.Now(), name, kind, message, details.dump()});
  if (!s.ok()) {
    log::Warn("could not record an event",
              {{"cert", name}, {"kind", kind}, {"reason", s.status().message()}});
  }
}

class Manager::NameClaim {
 public:
  NameClaim(Manager& m, std::vector<std::string> names) : m_(m), names_(std::move(names)) {}
  NameClaim(const NameClaim&) = delete;
  NameClaim& operator=(const NameClaim&) = delete;
  ~NameClaim() {
    {
      std::lock_guard lock(m_.names_mu_);
      for (const auto& n : names_) m_.issuing_names_.erase(n);
    }
    m_.names_cv_.notify_all();
  }

 private:
  Manager& m_;
  std::vector<std::string> names_;
};

Manager::NameClaim Manager::ClaimNames(const std::vector<std::string>& names) {
  // The config already lowercases DNS names, so equal names compare equal here.
  std::unique_lock lock(names_mu_);
  // All at once or none: a claim never holds some names while waiting for others, so two
  // issuances cannot wait on each other.
  names_cv_.wait(lock, [&] {
    return std::none_of(names.begin(), names.end(),
                        [&](const std::string& n) { return issuing_names_.contains(n); });
  });
  issuing_names_.insert(names.begin(), names.end());
  return NameClaim(*this, names);
}

void Manager::ApplySpec(Entry& e, const config::CertificateConfig& spec) {
  if (e.spec.domains != spec.domains) e.plan.reset();
  if (e.deploy_deferred_until && e.spec.renewal.freezes != spec.renewal.freezes) {
    // The freeze holding a deploy may be gone or shorter now: decide again at the next pass.
    e.deploy_retry_at.reset();
    e.deploy_deferred_until.reset();
  }
  e.spec = spec;
}

Status Manager::Configure(const std::vector<config::CertificateConfig>& specs) {
  std::map<std::string, std::shared_ptr<Entry>> next;
  for (const auto& spec : specs) {
    // Deploy targets as rows, so their last deployed serial and verification survive restarts.
    ASSIGN_OR_RETURN(auto rows, store_.ListConsumers(spec.name));
    std::vector<bool> kept(rows.size(), false);
    for (const auto& target : spec.deploy) {
      const std::string json = target.dump();
      bool found = false;
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!kept[i] && rows[i].config_json == json) {
          kept[i] = found = true;
          break;
        }
      }
      if (!found) {
        store::ConsumerRecord rec;
        rec.certificate_name = spec.name;
        rec.type = target.value("type", "");
        rec.config_json = json;
        RETURN_IF_ERROR(store_.PutConsumer(rec).status());
      }
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!kept[i]) RETURN_IF_ERROR(store_.DeleteConsumer(rows[i].id));
    }
    std::lock_guard lock(mu_);
    auto it = entries_.find(spec.name);
    auto entry = it != entries_.end() ? it->second : std::make_shared<Entry>();
    if (entry->in_pass) {
      entry->pending_spec = spec;  // applied when the running pass is done with the entry
    } else {
      ApplySpec(*entry, spec);
    }
    next[spec.name] = entry;
  }
  // Names no longer declared keep their history in the store; the daemon stops managing them.
  std::lock_guard lock(mu_);
  for (const auto& [name, _] : entries_) {
    if (!next.count(name)) log::Info("certificate no longer declared", {{"cert", name}});
  }
  entries_ = std::move(next);
  pending_requests_ = true;  // reconcile at the next pass
  return OkStatus();
}

bool Manager::HasPendingRequests() const {
  std::lock_guard lock(mu_);
  return pending_requests_;
}

Result<std::optional<Manager::Current>> Manager::LoadCurrent(const Entry& e) {
  store::CertificateQuery q;
  q.name = e.spec.name;
  q.status = store::kCertActive;
  ASSIGN_OR_RETURN(auto certs, store_.ListCertificates(q));
  if (certs.empty()) return std::optional<Current>();
  // The newest issuance is the one in service (ids grow with time).
  auto newest = std::max_element(certs.begin(), certs.end(),
                                 [](const auto& a, const auto& b) { return a.id < b.id; });
  Current c{*newest, false};
  std::set<std::string> have(c.record.sans.begin(), c.record.sans.end());
  c.usable = c.record.key_id.has_value() && have == DeclaredSans(e.spec);
  return std::optional<Current>(std::move(c));
}

TimePoint Manager::RunOnce() {
  std::vector<std::shared_ptr<Entry>> work;
  {
    std::lock_guard lock(mu_);
    pending_requests_ = false;
    for (auto& [_, e] : entries_) work.push_back(e);
  }
  const TimePoint now = clock_.Now();
  TimePoint wake = now + options_.max_sleep;
  std::mutex wake_mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) {
      Entry& e = *work[i];
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        e.in_pass = true;
      }
      const TimePoint w = Process(e, now);
      {
        std::lock_guard lock(mu_);
        e.in_pass = false;
        if (e.pending_spec) {
          ApplySpec(e, *e.pending_spec);
          e.pending_spec.reset();
          pending_requests_ = true;  // the next pass acts on the new declaration
        }
      }
      std::lock_guard lock(wake_mu);
      wake = std::min(wake, w);
    }
  };
  // Each entry is processed by exactly one thread; what entries share (the store, issuers,
  // metrics, the rng under mu_) is thread-safe, and deploys take deploy_mu_.
  const size_t threads =
      std::min(work.size(), static_cast<size_t>(std::max(1, options_.concurrency)));
  std::vector<std::thread> helpers;
  helpers.reserve(threads);  // emplace_back then cannot throw after a thread has started
  for (size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(worker);
    } catch (const std::system_error& e) {
      log::Warn("fewer renewal workers than configured",
                {{"started", std::to_string(t)}, {"reason", e.what()}});
      break;
    }
  }
  worker();
  for (auto& h : helpers) h.join();
  return std::max(wake, now + milliseconds(100));
}

std::optional<renewal::RenewalPlan> Manager::PlanFor(Entry& e, const Current& current,
                                                     TimePoint now) {
  if (e.plan && e.plan_serial == current.record.serial_hex) return e.plan;
  std::optional<renewal::AriWindow> ari;
  auto issuer = issuers_(e.spec.issuer);
  if (issuer.ok()) {
    auto cert = pki::Certificate::FromPem(current.record.cert_pem);
    if (cert.ok()) ari = (*issuer)->RenewalWindow(*cert);
  }
  // Seeded by the serial: re-planning the same certificate lands on the same instant.
  SeededRng rng(SeedFor(current.record.serial_hex));
  renewal::CertificateFacts facts{current.record.not_before, current.record.not_after};
  auto plan = renewal::PlanRenewal(facts, ari, now, e.spec.renewal, rng);
  if (!plan.ok()) {
    log::Failure(e.spec.name, plan.status(), "cannot plan the renewal");
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  e.plan = *plan;
  e.plan_serial = current.record.serial_hex;
  log::Info("renewal planned", {{"cert", e.spec.name},
                                {"serial", current.record.serial_hex},
                                {"renew_at", FormatRfc3339(plan->renew_at)},
                                {"why", plan->explanation}});
  return e.plan;
}

std::string Manager::IssuerOfCurrent(Entry& e, const Current& current) {
  const std::string& serial = current.record.serial_hex;
  {
    std::lock_guard lock(mu_);
    if (e.issued_by_serial == serial) return e.issued_by;
  }
  std::string found;
  store::EventQuery q;
  q.certificate_name = current.record.name;
  q.kind = "renewed";
  q.limit = 20;  // newest first: the one for the serial in service is among the latest
  auto events = store_.ListEvents(q);
  if (!events.ok()) return "";  // unknown this pass; asked again at the next
  for (const auto& ev : *events) {
    auto details = nlohmann::json::parse(ev.details_json, nullptr, false);
    if (details.is_object() && details.value("serial", "") == serial) {
      found = details.value("issuer", "");
      break;
    }
  }
  std::lock_guard lock(mu_);
  e.issued_by_serial = serial;
  e.issued_by = found;
  return found;
}

TimePoint Manager::Process(Entry& e, TimePoint now) {
  TimePoint wake = now + options_.max_sleep;
  auto current = LoadCurrent(e);
  if (!current.ok()) {
    log::Failure(e.spec.name, current.status(), "cannot read the certificate from the store");
    return now + std::chrono::seconds(30);
  }
  if (e.spec.pins) {
    if (Status s = MaintainPins(e, *current, now); !s.ok()) {
      log::Failure(e.spec.name, s, "pin maintenance failed");
    }
  }

  std::string why;
  bool force = false;
  {
    std::lock_guard lock(mu_);
    force = e.force;
  }
  std::optional<renewal::RenewalPlan> plan;
  auto issuer = issuers_(e.spec.issuer);
  if (!current->has_value()) {
    why = "no certificate yet";
  } else if (!(*current)->usable) {
    why = (*current)->record.key_id ? "the declared names changed"
                                    : "the store holds no key for the certificate in service";
  } else if (force) {
    why = "renewal forced";
  } else if (const std::string by = IssuerOfCurrent(e, **current);
             !by.empty() && by != e.spec.issuer && by != e.spec.fallback_issuer) {
    // The configuration moved the certificate to another issuer (say from ACME staging to
    // production): as cert-manager does, re-issue now rather than at the next renewal. A
    // certificate from the fallback issuer is left until its renewal, or every failover
    // would turn into a re-issue against the failing primary.
    why = "the issuer changed (" + by + " -> " + e.spec.issuer + ")";
  } else if (issuer.ok() && (*issuer)->HasUnfinishedIssuance(e.spec.name)) {
    why = "resuming an interrupted issuance";
  } else {
    plan = PlanFor(e, **current, now);
    if (plan && now >= plan->renew_at) why = plan->explanation;
    if (plan) wake = std::min(wake, plan->renew_at);
  }

  if (!why.empty()) {
    std::optional<TimePoint> next_attempt;
    {
      std::lock_guard lock(mu_);
      next_attempt = e.next_attempt;
    }
    if (force || !next_attempt || now >= *next_attempt) {
      Status s = IssueNow(e, *current, why, now);
      if (s.ok()) {
        {
          std::lock_guard lock(mu_);
          e.deploy_despite_freeze = force;
        }
        current = LoadCurrent(e);
        if (!current.ok()) return now + std::chrono::seconds(30);
        if (e.spec.pins) (void)MaintainPins(e, *current, now);
      }
    }
    std::lock_guard lock(mu_);
    if (e.next_attempt) wake = std::min(wake, *e.next_attempt);
  }

  if (current->has_value() && (*current)->record.key_id) {
    // Planned once per serial (cached), also right after an issuance, so the wake-up time
    // and the views know the next renewal.
    if ((*current)->usable) (void)PlanFor(e, **current, now);
    {
      std::lock_guard lock(mu_);
      e.serial = (*current)->record.serial_hex;
      e.current = (*current)->record;
    }
    bundle_cv_.notify_all();
    std::optional<TimePoint> retry_at;
    {
      std::lock_guard lock(mu_);
      retry_at = e.deploy_retry_at;
    }
    if (!retry_at || now >= *retry_at) (void)DeployIfNeeded(e, **current);
    std::lock_guard lock(mu_);
    // A retry time already past (the attempt was not made, e.g. the store failed) is retried at
    // the next regular wake-up, not in a loop.
    if (e.deploy_retry_at && *e.deploy_retry_at > now) wake = std::min(wake, *e.deploy_retry_at);
    if (e.plan && e.plan_serial == (*current)->record.serial_hex) {
      wake = std::min(wake, std::max(e.plan->renew_at, now));
    }
  }
  return wake;
}

Result<int64_t> Manager::StoreNewKey(const std::string& name, pki::KeyType type,
                                     const char* purpose, TimePoint now) {
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(type));
  store::KeyRecord meta;
  // Unique even for two keys in one second: the pin is part of the label.
  meta.label = "managed/" + name + "/" + purpose + "/" + key.SpkiSha256Pin();
  meta.algorithm = std::string(pki::KeyTypeName(type));
  meta.public_pin = key.SpkiSha256Pin();
  meta.created_at = now;
  return store_.PutPrivateKey(meta, key.ToPem());
}

// Replaces a certificate's stored pin set with `state`, in one transaction.
Status Manager::SavePinSet(const std::string& name, const std::vector<store::PinSetRecord>& old,
                           const pins::PinSetState& state) {
  return store_.RunInTransaction([&](store::Store& tx) -> Status {
    for (const auto& r : old) RETURN_IF_ERROR(tx.DeletePin(r.id));
    for (const auto& entry : state.entries) {
      RETURN_IF_ERROR(
          tx.PutPin({0, name, entry.pin, entry.key_id, std::string(pins::PinStateName(entry.state)),
                     entry.publish_at, entry.active_at, entry.retire_at})
              .status());
    }
    return OkStatus();
  });
}

Result<std::pair<int64_t, pki::PrivateKey>> Manager::KeyForIssuance(
    Entry& e, const std::optional<Current>& current, TimePoint now, bool* promote_standby) {
  *promote_standby = false;
  std::optional<int64_t> key_id;
  if (e.spec.pins) {
    // Pinned: the key in service stays until the standby has been published for the overlap
    // (the planner says when); then the standby enters service with this renewal.
    ASSIGN_OR_RETURN(auto rows, store_.ListPins(e.spec.name));
    if (!rows.empty()) {
      pins::PinSetState state = ToPinState(rows);
      const auto overlap = duration_cast<pins::Duration>(e.spec.pins->overlap);
      auto plan = pins::PlanPins(state, now, now, overlap);
      if (plan.ok()) {
        for (const auto& action : plan->actions) {
          if (action.type == pins::PinActionType::kPromote && action.at <= now) {
            auto promoted = pins::ApplyAction(state, action, now, overlap, std::nullopt);
            if (promoted.ok()) {
              state = *promoted;
              *promote_standby = true;
            }
          }
        }
      }
      for (const auto& entry : state.entries) {
        if (entry.state == pins::PinState::kActive && entry.key_id) key_id = entry.key_id;
      }
      if (*promote_standby) {
        RETURN_IF_ERROR(SavePinSet(e.spec.name, rows, state));
        RecordEvent(e.spec.name, "pin_rotated",
                    "the standby key (published for the overlap) enters service");
      }
      if (!key_id) log::Warn("pin set has no active key; using a new key", {{"cert", e.spec.name}});
    }
  } else if (e.spec.reuse_key && current && current->record.key_id) {
    key_id = current->record.key_id;
  }
  if (!key_id) {
    ASSIGN_OR_RETURN(pki::KeyType type, pki::ParseKeyType(e.spec.key));
    ASSIGN_OR_RETURN(key_id, StoreNewKey(e.spec.name, type, "cert", now));
  }
  ASSIGN_OR_RETURN(store::SecretString pem, store_.GetPrivateKeyPem(*key_id));
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::FromPem(pem.view()));
  return std::make_pair(*key_id, std::move(key));
}

Status Manager::IssueNow(Entry& e, const std::optional<Current>& current, const std::string& why,
                         TimePoint now) {
  config::CertificateConfig spec;
  renewal::FailureHistory failures;
  {
    std::lock_guard lock(mu_);
    spec = e.spec;
    failures = e.failures;
    e.busy = true;
  }
  std::string issuer_id = spec.issuer;
  if (!spec.fallback_issuer.empty() && renewal::ShouldFailOver(failures, spec.failover_after)) {
    issuer_id = spec.fallback_issuer;
  }
  log::Info("issuing", {{"cert", spec.name}, {"issuer", issuer_id}, {"why", why}});
  daemon::metrics::CountRenewalAttempt(spec.name, issuer_id);

  Status result = [&]() -> Status {
    ASSIGN_OR_RETURN(Issuer * issuer, issuers_(issuer_id));
    bool promoted = false;
    ASSIGN_OR_RETURN(auto key, KeyForIssuance(e, current, now, &promoted));
    IssueRequest req;
    req.name = spec.name;
    req.domains = spec.domains;
    req.uris = spec.uris;
    req.key_id = key.first;
    req.key = &key.second;
    req.lifetime = spec.lifetime;
    req.spec = &spec;
    // RFC 9773 `replaces` names the certificate in service, which only means something to
    // the issuer that issued it: not after a failover or a change of issuer.
    const std::string issued_by = current ? IssuerOfCurrent(e, *current) : "";
    if (current && current->usable && (issued_by.empty() || issued_by == issuer_id)) {
      auto cert = pki::Certificate::FromPem(current->record.cert_pem);
      if (cert.ok()) req.replaces = *cert;
    }
    int64_t id = 0;
    {
      const NameClaim claim = ClaimNames(spec.domains);
      ASSIGN_OR_RETURN(id, issuer->Issue(req));
    }
    // Older versions are superseded; the new one is what every view and deploy uses.
    store::CertificateQuery q;
    q.name = spec.name;
    q.status = store::kCertActive;
    ASSIGN_OR_RETURN(auto active, store_.ListCertificates(q));
    for (auto& old : active) {
      if (old.id == id) continue;
      old.status = store::kCertSuperseded;
      RETURN_IF_ERROR(store_.PutCertificate(old).status());
    }
    ASSIGN_OR_RETURN(auto rec, store_.GetCertificate(id));
    log::Info("certificate issued", {{"cert", spec.name},
                                     {"issuer", issuer_id},
                                     {"serial", rec.serial_hex},
                                     {"not_after", FormatRfc3339(rec.not_after)}});
    RecordEvent(spec.name, "renewed",
                (current ? "renewed (" : "issued (") + why + "), serial " + rec.serial_hex,
                {{"issuer", issuer_id}, {"serial", rec.serial_hex}, {"why", why}});
    return OkStatus();
  }();

  std::lock_guard lock(mu_);
  e.busy = false;
  if (result.ok()) {
    e.failures = {};
    e.next_attempt.reset();
    e.last_error.clear();
    e.force = false;
    e.plan.reset();
    e.deploy_failures = 0;
    e.deploy_retry_at.reset();
    return result;
  }
  daemon::metrics::CountRenewalFailure(spec.name, issuer_id);
  e.failures.consecutive_failures++;
  e.failures.last_failure = now;
  e.failures.retry_after = result.retry_after();
  e.last_error = result.ToString();
  e.force = false;
  renewal::CertificateFacts facts{now, now + kDefaultLifetime};
  if (current) facts = {current->record.not_before, current->record.not_after};
  e.next_attempt = renewal::NextAttemptAfterFailure(e.failures, facts, {}, rng_);
  log::Failure(spec.name, result,
               "issuance failed (attempt " + std::to_string(e.failures.consecutive_failures) +
                   ", next at " + FormatRfc3339(*e.next_attempt) + ")");
  RecordEvent(spec.name, "renewal_failed", result.ToString(),
              {{"issuer", issuer_id},
               {"attempt", e.failures.consecutive_failures},
               {"next_attempt", FormatRfc3339(*e.next_attempt)}});
  return result;
}

bool Manager::HoldDeployForFreeze(Entry& e, const config::CertificateConfig& spec,
                                  const std::vector<store::ConsumerRecord>& rows,
                                  const Current& current) {
  const TimePoint now = clock_.Now();
  const auto freeze = renewal::FreezeAt(spec.renewal.freezes, now);
  {
    std::lock_guard lock(mu_);
    if (!freeze) e.deploy_deferred_until.reset();
    if (!freeze || e.deploy_despite_freeze) return false;
  }
  // Held only while every consumer that would change keeps serving a certificate that stays
  // valid past the freeze by the renewal planner's margin (lifetime/10). A consumer with
  // nothing deployed yet, or whose certificate would run out first, is deployed now: a freeze
  // cannot make an outage any better.
  for (const auto& row : rows) {
    if (row.last_deployed_serial == current.record.serial_hex) continue;
    if (row.last_deployed_serial.empty()) return false;
    store::CertificateQuery q;
    q.name = spec.name;
    q.serial_hex = row.last_deployed_serial;
    auto served = store_.ListCertificates(q);
    if (!served.ok() || served->empty()) return false;
    const auto& c = served->front();
    const auto margin = (c.not_after - c.not_before) / renewal::kSafetyDivisor;
    if (c.not_after - margin < freeze->end) return false;
  }
  std::lock_guard lock(mu_);
  // The next attempt is the freeze's end (a retry already due would otherwise spin).
  e.deploy_retry_at = freeze->end;
  if (e.deploy_deferred_until != freeze->end) {
    e.deploy_deferred_until = freeze->end;
    const std::string name =
        freeze->name.empty() ? "change freeze" : "change freeze '" + freeze->name + "'";
    log::Info("deploy held by a change freeze", {{"cert", spec.name},
                                                 {"serial", current.record.serial_hex},
                                                 {"freeze", name},
                                                 {"until", FormatRfc3339(freeze->end)}});
  }
  return true;
}

Status Manager::DeployIfNeeded(Entry& e, const Current& current) {
  config::CertificateConfig spec;
  {
    std::lock_guard lock(mu_);
    spec = e.spec;
  }
  ASSIGN_OR_RETURN(auto rows, store_.ListConsumers(spec.name));
  // Rows in the declared order; pull targets are fetched by their consumers, not pushed.
  std::vector<store::ConsumerRecord> push_rows;
  std::vector<nlohmann::json> push_targets;
  bool needed = false;
  for (const auto& target : spec.deploy) {
    if (IsPull(target)) continue;
    const std::string json = target.dump();
    auto row = std::find_if(rows.begin(), rows.end(),
                            [&](const auto& r) { return r.config_json == json; });
    if (row == rows.end()) continue;  // Configure creates them
    if (row->last_deployed_serial != current.record.serial_hex) needed = true;
    push_rows.push_back(*row);
    push_targets.push_back(target);
  }
  if (!needed) {
    // Every push target has this serial (or there are none left): nothing to retry.
    std::lock_guard lock(mu_);
    e.deploy_failures = 0;
    e.deploy_retry_at.reset();
    e.deploy_deferred_until.reset();
    return OkStatus();
  }
  if (HoldDeployForFreeze(e, spec, push_rows, current)) return OkStatus();

  deploy::Material m;
  m.name = spec.name;
  m.domains = spec.domains;
  m.serial_hex = current.record.serial_hex;
  m.cert_pem = current.record.cert_pem;
  m.chain_pem = current.record.chain_pem;
  ASSIGN_OR_RETURN(m.key_pem, store_.GetPrivateKeyPem(*current.record.key_id));
  m.not_after = current.record.not_after;

  deploy::DeployEnv env;
  env.clock = &clock_;
  env.lineage_dir = deploy::LineageDir(spec.deploy, spec.name);
  env.verify_timeout = options_.verify_timeout;
  std::vector<std::unique_ptr<deploy::Deployer>> owned;
  std::vector<deploy::Deployer*> targets;
  deploy::DeployReport report;
  for (const auto& t : push_targets) {
    auto d = deployers_(t, env);
    if (!d.ok()) {
      report.status = d.status().WithContext("deploy target " + DescribeTarget(t));
      break;
    }
    targets.push_back(d->get());
    owned.push_back(std::move(*d));
  }
  {
    std::lock_guard lock(mu_);
    e.busy = true;
  }
  if (report.status.ok()) {
    std::lock_guard deploying(deploy_mu_);
    report = deploy::DeployAll(targets, m);
  }
  const TimePoint done = clock_.Now();
  nlohmann::json details = nlohmann::json::array();
  for (size_t i = 0; i < push_rows.size(); ++i) {
    auto& row = push_rows[i];
    if (report.status.ok()) {
      row.last_deployed_serial = m.serial_hex;
      row.last_verified_at = done;
      row.last_result = "ok";
    } else if (i < report.targets.size()) {
      const auto& outcome = report.targets[i];
      row.last_result = outcome.status.ok() ? (outcome.rolled_back ? "rolled back" : "ok")
                                            : outcome.status.message();
    } else {
      row.last_result = report.status.message();
    }
    details.push_back({{"target", DescribeTarget(push_targets[i])}, {"result", row.last_result}});
    if (Status s = store_.PutConsumer(row).status(); !s.ok()) {
      log::Warn("could not record the deploy result",
                {{"cert", spec.name}, {"reason", s.message()}});
    }
  }
  std::lock_guard lock(mu_);
  e.busy = false;
  if (report.status.ok()) {
    e.deploy_failures = 0;
    e.deploy_retry_at.reset();
    e.deploy_deferred_until.reset();
    e.deploy_despite_freeze = false;
    log::Info("deployed", {{"cert", spec.name},
                           {"serial", m.serial_hex},
                           {"targets", std::to_string(push_rows.size())}});
    RecordEvent(spec.name, "deployed",
                "serial " + m.serial_hex + " deployed to " + std::to_string(push_rows.size()) +
                    " target(s) and verified",
                {{"serial", m.serial_hex}, {"targets", details}});
    return OkStatus();
  }
  e.deploy_failures++;
  e.deploy_retry_at = done + DeployRetryDelay(e.deploy_failures);
  e.last_error = report.status.ToString();
  log::Failure(
      spec.name, report.status,
      "deploy failed; previous material kept, retry at " + FormatRfc3339(*e.deploy_retry_at));
  RecordEvent(spec.name, "deploy_failed", report.status.ToString(),
              {{"serial", m.serial_hex}, {"targets", details}});
  return report.status;
}

Status Manager::MaintainPins(Entry& e, const std::optional<Current>& current, TimePoint now) {
  if (!current || !current->record.key_id) return OkStatus();
  const auto overlap = duration_cast<pins::Duration>(e.spec.pins->overlap);
  ASSIGN_OR_RETURN(auto rows, store_.ListPins(e.spec.name));
  ASSIGN_OR_RETURN(pki::KeyType type, pki::ParseKeyType(e.spec.key));
  pins::PinSetState state;
  if (rows.empty()) {
    ASSIGN_OR_RETURN(store::KeyRecord active, store_.GetKey(*current->record.key_id));
    ASSIGN_OR_RETURN(int64_t backup_id, StoreNewKey(e.spec.name, type, "backup", now));
    ASSIGN_OR_RETURN(store::KeyRecord backup, store_.GetKey(backup_id));
    ASSIGN_OR_RETURN(state, pins::StartPinSet({active.id, active.public_pin},
                                              {backup.id, backup.public_pin}, now));
  } else {
    state = ToPinState(rows);
  }
  TimePoint rotation_due = now + kDefaultLifetime;
  {
    std::lock_guard lock(mu_);
    if (e.plan) rotation_due = e.plan->renew_at;
  }
  ASSIGN_OR_RETURN(auto plan, pins::PlanPins(state, now, rotation_due, overlap));
  bool changed = rows.empty();
  for (const auto& action : plan.actions) {
    if (action.at > now || action.type == pins::PinActionType::kPromote) continue;
    std::optional<pins::NewKey> key;
    if (action.type == pins::PinActionType::kGenerateStandby ||
        action.type == pins::PinActionType::kGenerateBackup) {
      const char* purpose =
          action.type == pins::PinActionType::kGenerateStandby ? "standby" : "backup";
      ASSIGN_OR_RETURN(int64_t id, StoreNewKey(e.spec.name, type, purpose, now));
      ASSIGN_OR_RETURN(store::KeyRecord rec, store_.GetKey(id));
      key = pins::NewKey{rec.id, rec.public_pin};
    }
    ASSIGN_OR_RETURN(state, pins::ApplyAction(state, action, now, overlap, key));
    log::Info("pin set: " + std::string(pins::PinActionTypeName(action.type)),
              {{"cert", e.spec.name}, {"why", action.why}});
    changed = true;
  }
  if (!changed) return OkStatus();
  return SavePinSet(e.spec.name, rows, state);
}

Status Manager::EmergencyRotatePins(std::string_view name) {
  std::shared_ptr<Entry> e;
  config::CertificateConfig spec;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(name));
    if (it == entries_.end())
      return NotFoundError("no managed certificate '" + std::string(name) + "'");
    e = it->second;
    spec = e->spec;  // a worker may apply a new spec meanwhile
  }
  if (!spec.pins) return FailedPreconditionError("'" + std::string(name) + "' has no pin policy");
  const TimePoint now = clock_.Now();
  const auto overlap = duration_cast<pins::Duration>(spec.pins->overlap);
  ASSIGN_OR_RETURN(auto rows, store_.ListPins(spec.name));
  ASSIGN_OR_RETURN(auto state, pins::EmergencyRotate(ToPinState(rows), now, overlap));
  RETURN_IF_ERROR(SavePinSet(spec.name, rows, state));
  RecordEvent(spec.name, "pin_emergency_rotation",
              "key compromise: the backup key enters service; the old pin is withdrawn");
  std::lock_guard lock(mu_);
  e->force = true;
  pending_requests_ = true;
  return OkStatus();
}

Result<web::RenewResult> Manager::RequestRenewal(std::string_view name, bool force) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) {
      return NotFoundError("no managed certificate named '" + std::string(name) + "'");
    }
    e = it->second;
  }
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  web::RenewResult out;
  out.name = std::string(name);
  if (!force && e->current && e->plan && e->plan_serial == e->current->serial_hex &&
      now < e->plan->renew_at && e->current->key_id) {
    out.message = "not due for renewal until " + FormatRfc3339(e->plan->renew_at) + " (" +
                  e->plan->explanation + "); use --force to renew now";
    return out;
  }
  e->force = true;
  e->next_attempt.reset();
  pending_requests_ = true;
  out.message = "renewal of '" + out.name + "' queued";
  log::Info("renewal requested", {{"cert", out.name}, {"force", force ? "yes" : "no"}});
  return out;
}

web::ManagedCertificateView Manager::ViewOf(Entry& e, TimePoint now) {
  web::ManagedCertificateView v;
  v.name = e.spec.name;
  v.domains = e.spec.domains;
  v.issuer = e.spec.issuer;
  v.consecutive_failures = e.failures.consecutive_failures;
  v.last_error = e.last_error;
  if (e.current) {
    v.serial_hex = e.current->serial_hex;
    v.not_before = e.current->not_before;
    v.not_after = e.current->not_after;
    v.last_renewal_at = e.current->created_at;
  }
  if (e.plan && e.current && e.plan_serial == e.current->serial_hex) {
    v.next_renewal_at = e.plan->renew_at;
    v.renewal_explanation = e.plan->explanation;
  }
  if (e.next_attempt && e.failures.consecutive_failures > 0) {
    v.next_renewal_at = e.next_attempt;
    v.renewal_explanation =
        "retry after failure " + std::to_string(e.failures.consecutive_failures);
  }
  if (!e.current) {
    v.status = e.busy ? "renewing" : e.failures.consecutive_failures > 0 ? "failing" : "missing";
  } else if (now >= e.current->not_after) {
    v.status = "expired";
  } else if (e.busy) {
    v.status = "renewing";
  } else if (e.failures.consecutive_failures > 0 || e.deploy_failures > 0) {
    v.status = "failing";
  } else if (v.next_renewal_at && now >= *v.next_renewal_at) {
    v.status = "renewal_due";
  } else {
    v.status = "valid";
  }
  return v;
}

std::vector<web::ManagedCertificateView> Manager::List() {
  const TimePoint now = clock_.Now();
  std::vector<std::string> names;  // the map's keys: a spec's name can be read only under mu_
  {
    std::lock_guard lock(mu_);
    for (auto& [name, _] : entries_) names.push_back(name);
  }
  std::vector<web::ManagedCertificateView> out;
  for (const auto& name : names) {
    auto v = Get(name);
    if (v.ok()) out.push_back(std::move(*v));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (!a.not_after || !b.not_after) return !a.not_after && b.not_after;
    return *a.not_after < *b.not_after;
  });
  (void)now;
  return out;
}

Result<web::ManagedCertificateView> Manager::Get(std::string_view name) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) {
      return NotFoundError("no managed certificate named '" + std::string(name) + "'");
    }
    e = it->second;
  }
  ASSIGN_OR_RETURN(auto rows, store_.ListConsumers(name));
  std::lock_guard lock(mu_);
  web::ManagedCertificateView v = ViewOf(*e, clock_.Now());
  for (const auto& target : e->spec.deploy) {
    const std::string json = target.dump();
    web::DeployTargetView t;
    t.type = target.value("type", "");
    t.target = DescribeTarget(target);
    auto row = std::find_if(rows.begin(), rows.end(),
                            [&](const auto& r) { return r.config_json == json; });
    if (row != rows.end()) {
      t.last_deployed_serial = row->last_deployed_serial;
      t.last_verified_at = row->last_verified_at;
      t.last_result = row->last_result;
    }
    v.deploy.push_back(std::move(t));
  }
  return v;
}

web::DaemonStatusView Manager::Summary() {
  web::DaemonStatusView s;
  s.version = options_.version;
  s.started_at = started_at_;
  s.now = clock_.Now();
  for (const auto& v : List()) {
    s.managed++;
    if (v.status == "failing") s.failing++;
    if (v.status == "expired") s.expired++;
    if (v.next_renewal_at && (!s.next_renewal_at || *v.next_renewal_at < *s.next_renewal_at)) {
      s.next_renewal_at = v.next_renewal_at;
      s.next_renewal_name = v.name;
    }
  }
  return s;
}

Result<web::PinSetView> Manager::Pins(std::string_view name) {
  config::CertificateConfig spec;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(name));
    if (it == entries_.end()) {
      return NotFoundError("no managed certificate named '" + std::string(name) + "'");
    }
    spec = it->second->spec;
  }
  if (!spec.pins)
    return NotFoundError("'" + spec.name + "' has no pin policy ([certificate.pins])");
  ASSIGN_OR_RETURN(auto rows, store_.ListPins(name));
  const TimePoint now = clock_.Now();
  web::PinSetView v;
  v.name = spec.name;
  for (const auto& d : spec.domains) {
    if (d.find(':') == std::string::npos) v.hosts.push_back(d);
  }
  auto state = ToPinState(rows);
  for (const auto& entry : state.entries) {
    v.pins.push_back({entry.pin, std::string(pins::PinStateName(entry.state)), entry.publish_at,
                      entry.active_at, entry.retire_at});
  }
  auto published = pins::PublishedPins(state, now);
  if (!published.empty()) {
    v.pin_sha256_header = pins::RenderPinSha256List(published);
    v.okhttp = pins::RenderOkHttpPinner(v.hosts, published);
    // Clients must refetch before the overlap ends, or the next rotation can strand them.
    v.android = pins::RenderAndroidNetworkSecurityConfig(
        v.hosts, published, now + duration_cast<seconds>(spec.pins->overlap));
  }
  return v;
}

bool Manager::AllowedToPull(const Entry& e, const web::Identity& who) {
  if (who.role == web::Role::kAdmin) return true;
  if (who.role != web::Role::kConsumer) return false;
  for (const auto& t : e.spec.deploy) {
    if (!IsPull(t)) continue;
    auto consumers = t.find("consumers");
    if (consumers == t.end() || !consumers->is_array()) continue;
    for (const auto& c : *consumers) {
      if (c.is_string() && c.get<std::string>() == who.name) return true;
    }
  }
  return false;
}

Status Manager::CheckConsumerAccess(const web::Identity& who, std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(name));
  if (it == entries_.end()) {
    return NotFoundError("no managed certificate named '" + std::string(name) + "'");
  }
  if (!AllowedToPull(*it->second, who)) {
    return PermissionDeniedError(who.ToString() + " is not a consumer of '" + std::string(name) +
                                 "'");
  }
  return OkStatus();
}

Result<web::BundleView> Manager::WaitForBundle(const web::Identity& who, std::string_view name,
                                               std::string_view known_serial,
                                               std::chrono::seconds wait) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(std::string(name));
  if (it == entries_.end()) {
    return NotFoundError("no managed certificate named '" + std::string(name) + "'");
  }
  std::shared_ptr<Entry> e = it->second;
  if (!AllowedToPull(*e, who)) {
    return PermissionDeniedError(who.ToString() + " may not fetch the bundle of '" +
                                 std::string(name) + "' (not listed in its pull target)");
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!stopping_ && (e->serial.empty() || e->serial == known_serial)) {
    if (bundle_cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  if (e->serial.empty() || !e->current) {
    return UnavailableError("'" + std::string(name) + "' has no certificate yet");
  }
  if (e->serial == known_serial) {
    return DeadlineExceededError("no new version of '" + std::string(name) + "' within the wait");
  }
  store::CertificateRecord rec = *e->current;
  lock.unlock();
  web::BundleView b;
  b.name = rec.name;
  b.serial_hex = rec.serial_hex;
  b.not_after = rec.not_after;
  b.cert_pem = rec.cert_pem;
  b.chain_pem = rec.chain_pem;
  b.fullchain_pem = rec.cert_pem + rec.chain_pem;
  ASSIGN_OR_RETURN(store::SecretString key, store_.GetPrivateKeyPem(*rec.key_id));
  b.key_pem = std::string(key.view());
  return b;
}

}  // namespace ck::lifecycle
