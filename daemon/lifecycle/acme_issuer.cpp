#include "daemon/lifecycle/acme_issuer.hpp"

#include <nlohmann/json.hpp>

#include "acme/ari.hpp"
#include "acme/order_flow.hpp"
#include "acme/resources.hpp"
#include "acme/solvers/dns01.hpp"
#include "acme/solvers/rfc2136.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/lifecycle/acme_accounts.hpp"
#include "pki/general_names.hpp"

namespace ck::lifecycle {
namespace {

// Journal states of an acme_orders row written by the daemon. "pending" means "started and
// not finished": the next attempt resumes it.
constexpr char kJournalPending[] = "pending";
constexpr char kJournalValid[] = "valid";
constexpr char kJournalInvalid[] = "invalid";

Result<config::ListenAddress> ParseListen(const std::string& text, const char* key) {
  auto addr = config::ParseListenAddress(text);
  if (!addr.ok()) return addr.status().WithContext(std::string("acme.") + key);
  return addr;
}

// Failures worth resuming the same order for: the CA or the network was unavailable, or we
// were stopped. Anything else (an authorization failed, the CA refused) starts over.
bool Resumable(const Status& s) {
  return s.code() == StatusCode::kAborted || s.code() == StatusCode::kUnavailable ||
         s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

SharedSolvers::SharedSolvers(std::string http_listen, std::string tls_listen, Clock& clock)
    : http_listen_(std::move(http_listen)), tls_listen_(std::move(tls_listen)), clock_(clock) {}

Result<acme::Solver*> SharedSolvers::Http01() {
  std::lock_guard lock(mu_);
  if (!http_) {
    ASSIGN_OR_RETURN(auto addr, ParseListen(http_listen_, "http_listen"));
    auto started =
        acme::Http01Standalone::Start(addr.host == "0.0.0.0" ? "" : addr.host, addr.port);
    if (!started.ok()) return started.status().WithContext("http-01 listener on " + http_listen_);
    http_ = std::move(*started);
    log::Info("http-01 listener started", {{"address", http_listen_}});
  }
  return http_.get();
}

Result<acme::Solver*> SharedSolvers::TlsAlpn01() {
  std::lock_guard lock(mu_);
  if (!tls_) {
    ASSIGN_OR_RETURN(auto addr, ParseListen(tls_listen_, "tls_listen"));
    auto started =
        acme::TlsAlpn01Server::Start(addr.host == "0.0.0.0" ? "" : addr.host, addr.port, clock_);
    if (!started.ok()) {
      return started.status().WithContext("tls-alpn-01 listener on " + tls_listen_);
    }
    tls_ = std::move(*started);
    log::Info("tls-alpn-01 listener started", {{"address", tls_listen_}});
  }
  return tls_.get();
}

AcmeIssuer::AcmeIssuer(config::AcmeAccountConfig account, const config::AcmeConfig& acme,
                       store::Store& store, Clock& clock, SharedSolvers& solvers,
                       std::function<bool()> should_stop)
    : account_(std::move(account)),
      dns_resolvers_(acme.dns_resolvers),
      store_(store),
      clock_(clock),
      solvers_(solvers),
      id_("acme:" + account_.name) {
  acme::CurlTransportOptions t;
  t.ca_bundle = account_.ca_bundle.empty() ? acme.ca_bundle : account_.ca_bundle;
  transport_ = std::make_unique<acme::CurlTransport>(t);
  acme::ClientOptions c;
  c.directory_url = account_.server;
  c.should_stop = std::move(should_stop);
  client_ = std::make_unique<acme::Client>(*transport_, clock_, rng_, c);
}

Status AcmeIssuer::EnsureAccount() {
  std::lock_guard lock(account_mu_);
  if (record_) return OkStatus();
  std::vector<std::string> contact;
  if (!account_.email.empty()) contact.push_back("mailto:" + account_.email);
  // The newest valid account of this server with the configured contact: the one registered
  // for this [acme.accounts.NAME] (or by `certkeeper acme register` with the same email).
  auto stored = LoadStoredAccount(*client_, store_, account_.server, contact);
  if (stored.ok()) {
    record_ = *stored;
  } else if (stored.status().code() == StatusCode::kNotFound) {
    RETURN_IF_ERROR(Register(std::move(contact)));
  } else {
    return stored.status();
  }
  // A CA that forgot the account (test CA restarted) gets the same key registered again.
  client_->SetAccountChangedCallback([this](const acme::JwsKey&, const std::string& url) {
    std::lock_guard relock(account_mu_);
    if (!record_ || record_->account_url == url) return;
    record_->account_url = url;
    if (Status s = store_.PutAcmeAccount(*record_).status(); !s.ok()) {
      log::Error("could not record the new ACME account URL",
                 {{"account", account_.name}, {"reason", s.message()}});
    }
  });
  return OkStatus();
}

Status AcmeIssuer::Register(std::vector<std::string> contact) {
  AccountRegistration registration;
  registration.server = account_.server;
  ASSIGN_OR_RETURN(registration.key_type, pki::ParseKeyType(account_.key));
  registration.contact = std::move(contact);
  if (!account_.eab_kid.empty()) {
    ASSIGN_OR_RETURN(std::string hmac, ReadFile(account_.eab_hmac_file));
    while (!hmac.empty() && (hmac.back() == '\n' || hmac.back() == '\r' || hmac.back() == ' ')) {
      hmac.pop_back();
    }
    registration.eab_kid = account_.eab_kid;
    registration.eab_hmac_key = hmac;
  }
  auto rec = RegisterStoredAccount(*client_, store_, registration, clock_.Now());
  if (!rec.ok()) {
    return rec.status().WithContext("registering ACME account '" + account_.name + "'");
  }
  record_ = *rec;
  log::Info("ACME account registered",
            {{"account", account_.name}, {"server", account_.server}, {"url", rec->account_url}});
  return OkStatus();
}

Result<std::optional<store::AcmeOrderRecord>> AcmeIssuer::UnfinishedOrder(std::string_view name) {
  std::optional<int64_t> account_id;
  {
    std::lock_guard lock(account_mu_);
    if (record_) account_id = record_->id;
  }
  store::AcmeOrderQuery q;
  q.certificate_name = std::string(name);
  q.status = kJournalPending;
  q.limit = 1;
  ASSIGN_OR_RETURN(auto orders, store_.ListAcmeOrders(q));
  if (orders.empty() || !orders.front().key_id) return std::optional<store::AcmeOrderRecord>();
  // An order of another account (the certificate moved to this issuer from another one) is
  // not this issuer's to resume; its URL means nothing to this account. Before the account is
  // loaded this cannot be told, and the issuance itself (which loads it first) decides.
  if (account_id && orders.front().account_id != *account_id) {
    return std::optional<store::AcmeOrderRecord>();
  }
  return std::optional<store::AcmeOrderRecord>(orders.front());
}

bool AcmeIssuer::HasUnfinishedIssuance(std::string_view name) {
  auto order = UnfinishedOrder(name);
  return order.ok() && order->has_value();
}

Result<int64_t> AcmeIssuer::Issue(const IssueRequest& request) {
  if (request.spec == nullptr) return InvalidArgumentError("ACME issuance needs the settings");
  const config::CertificateConfig& spec = *request.spec;
  RETURN_IF_ERROR(EnsureAccount());

  // The solver. Per-certificate ones live for this issuance; listeners are shared.
  std::unique_ptr<acme::Solver> own_solver;
  acme::Solver* solver = nullptr;
  acme::PropagationCheck check;
  check.nameservers = dns_resolvers_;
  check.should_stop = [this] { return client_->stopping(); };
  if (spec.solver == "http-01") {
    if (!spec.webroot.empty()) {
      own_solver = std::make_unique<acme::Http01Webroot>(spec.webroot);
    } else {
      ASSIGN_OR_RETURN(solver, solvers_.Http01());
    }
  } else if (spec.solver == "tls-alpn-01") {
    ASSIGN_OR_RETURN(solver, solvers_.TlsAlpn01());
  } else if (spec.solver == "dns-01") {
    if (!spec.dns_rfc2136.empty()) {
      ASSIGN_OR_RETURN(std::string key_text, ReadFile(spec.tsig_key));
      acme::Rfc2136Options r;
      r.server = spec.dns_rfc2136;
      r.zone = spec.dns_zone;
      ASSIGN_OR_RETURN(r.key, acme::ParseTsigKeyFile(key_text));
      r.check = check;
      own_solver = std::make_unique<acme::Dns01Rfc2136Solver>(r, clock_);
    } else {
      own_solver = std::make_unique<acme::Dns01ExecSolver>(spec.dns_exec, clock_, check);
    }
  } else {
    return InvalidArgumentError("unknown solver '" + spec.solver + "'");
  }
  if (own_solver) solver = own_solver.get();

  // Resume an order interrupted earlier (with its key), or journal a new one before the CA
  // hears of it.
  ASSIGN_OR_RETURN(auto unfinished, UnfinishedOrder(request.name));
  std::optional<pki::PrivateKey> resumed_key;
  store::AcmeOrderRecord journal;
  if (unfinished) {
    journal = *unfinished;
    ASSIGN_OR_RETURN(store::SecretString pem, store_.GetPrivateKeyPem(*journal.key_id));
    ASSIGN_OR_RETURN(resumed_key, pki::PrivateKey::FromPem(pem.view()));
    log::Info("resuming an interrupted ACME issuance",
              {{"cert", request.name}, {"order", journal.order_url}});
  } else {
    if (request.key == nullptr || request.key_id == 0) {
      return InvalidArgumentError("ACME issuance needs the certificate key");
    }
    journal.account_id = record_->id;
    journal.certificate_name = request.name;
    journal.status = kJournalPending;
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& d : request.domains) {
      auto ident = acme::IdentifierFor(d);
      ids.push_back({{"type", ident.type}, {"value", ident.value}});
    }
    journal.identifiers_json = ids.dump();
    journal.key_id = request.key_id;
    journal.created_at = journal.updated_at = clock_.Now();
    ASSIGN_OR_RETURN(journal.id, store_.PutAcmeOrder(journal));
  }
  const pki::PrivateKey& key = resumed_key ? *resumed_key : *request.key;
  const int64_t key_id = *journal.key_id;

  acme::OrderRequest order;
  order.names = request.domains;
  order.key = key;
  order.profile = spec.profile;
  order.preferred_chain = spec.preferred_chain;
  order.certificate_name = request.name;
  order.challenge_preference = {spec.solver};
  order.resume_order_url = journal.order_url;
  if (request.replaces) {
    auto cert_id = acme::AriCertificateId(*request.replaces);
    if (cert_id.ok()) order.replaces = *cert_id;
  }
  acme::OrderFlow flow(*client_, {{spec.solver, solver}});
  auto issued = flow.Obtain(order, [&](const acme::ProgressEvent& e) {
    if (e.stage == "order" && e.detail != journal.order_url) {
      journal.order_url = e.detail;
      journal.updated_at = clock_.Now();
      if (Status s = store_.PutAcmeOrder(journal).status(); !s.ok()) {
        log::Warn("could not journal the ACME order",
                  {{"cert", request.name}, {"reason", s.message()}});
      }
    } else if (!e.identifier.empty() && (e.stage == "valid" || e.stage == "invalid")) {
      log::Info("authorization " + e.stage,
                {{"cert", request.name}, {"identifier", e.identifier}, {"detail", e.detail}});
    }
  });
  if (!issued.ok()) {
    if (!Resumable(issued.status())) {
      journal.status = kJournalInvalid;
      journal.error = issued.status().ToString();
      journal.updated_at = clock_.Now();
      (void)store_.PutAcmeOrder(journal);
    }
    return issued.status();
  }

  ASSIGN_OR_RETURN(pki::Certificate leaf, pki::Certificate::FromPem(issued->cert_pem));
  store::CertificateRecord rec;
  rec.name = request.name;
  rec.source = "managed";
  rec.issuer = leaf.Issuer();
  rec.serial_hex = leaf.SerialHex();
  for (const auto& san : leaf.SubjectAltNames()) rec.sans.push_back(pki::FormatSan(san));
  rec.not_before = leaf.NotBefore();
  rec.not_after = leaf.NotAfter();
  rec.cert_pem = issued->cert_pem;
  rec.chain_pem = issued->chain_pem;
  rec.key_id = key_id;
  rec.fingerprint_sha256 = leaf.Sha256Fingerprint();
  rec.created_at = clock_.Now();
  int64_t cert_id = 0;
  RETURN_IF_ERROR(store_.RunInTransaction([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(cert_id, tx.PutCertificate(rec));
    journal.status = kJournalValid;
    journal.cert_url = issued->certificate_url;
    journal.updated_at = rec.created_at;
    RETURN_IF_ERROR(tx.PutAcmeOrder(journal).status());
    nlohmann::json details = {{"issuer", id_},
                              {"serial", rec.serial_hex},
                              {"order", issued->order_url},
                              {"not_after", FormatRfc3339(rec.not_after)}};
    return tx
        .AppendEvent({0, rec.created_at, rec.name, "issued",
                      "issued by " + id_ + " (" + issued->top_issuer + "), serial " +
                          rec.serial_hex + ", expires " + FormatRfc3339(rec.not_after),
                      details.dump()})
        .status();
  }));
  return cert_id;
}

std::optional<renewal::AriWindow> AcmeIssuer::RenewalWindow(const pki::Certificate& cert) {
  const std::string serial = cert.SerialHex();
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(ari_mu_);
    auto it = ari_cache_.find(serial);
    if (it != ari_cache_.end() && now < it->second.next_check) return it->second.window;
  }
  CachedWindow cached;
  cached.next_check = now + std::chrono::hours(6);
  auto dir = client_->GetDirectory();
  if (dir.ok() && !dir->renewal_info.empty()) {
    auto info = acme::GetRenewalInfo(*client_, cert);
    if (info.ok()) {
      cached.window =
          renewal::AriWindow{info->window_start, info->window_end, info->explanation_url};
      if (info->next_check) cached.next_check = *info->next_check;
    } else {
      log::Warn("ACME renewal info unavailable; using the lifetime fraction",
                {{"serial", serial}, {"reason", info.status().message()}});
      cached.next_check = now + std::chrono::minutes(30);
    }
  } else if (!dir.ok()) {
    cached.next_check = now + std::chrono::minutes(5);
  }
  std::lock_guard lock(ari_mu_);
  ari_cache_[serial] = cached;
  return cached.window;
}

}  // namespace ck::lifecycle
