// `certkeeper acme register|issue|revoke|rollover`: one-shot ACME operations on the daemon's
// state. Account keys are sealed in the store like every private key; `issue` registers an
// account on first use (as lego and certbot do), so it works on a fresh state dir.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "acme/client.hpp"
#include "acme/curl_transport.hpp"
#include "acme/order_flow.hpp"
#include "acme/solvers/dns01.hpp"
#include "acme/solvers/http01.hpp"
#include "acme/solvers/rfc2136.hpp"
#include "acme/solvers/tls_alpn01.hpp"
#include "common/clock.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "common/rng.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/lifecycle/acme_accounts.hpp"
#include "daemon/signals.hpp"
#include "daemon/state.hpp"
#include "pki/certificate.hpp"
#include "pki/pem.hpp"

namespace ck::cli {
namespace {

constexpr char kLetsEncrypt[] = "https://acme-v02.api.letsencrypt.org/directory";

struct AcmeCommon {
  std::string server;
  std::string ca_bundle;
  bool dev = false;
};

struct RegisterFlags {
  std::string email;
  std::string eab_kid;
  std::string eab_hmac;
  std::string account_key_type = "ecdsa-p256";
};

struct IssueFlags {
  std::vector<std::string> domains;
  std::string solver = "http-01";
  std::string http_address;
  uint16_t http_port = 80;
  std::string webroot;
  std::string tls_address;
  uint16_t tls_port = 443;
  std::string dns_exec;
  std::vector<std::string> dns_resolvers;
  std::string dns_rfc2136;
  std::string tsig_key;
  std::string dns_zone;
  std::string key_type = "ecdsa-p256";
  std::string out;
  std::string preferred_chain;
  std::string profile;
  std::string name;
  bool reuse_key = false;
  RegisterFlags registration;
};

struct RevokeFlags {
  std::string cert_file;
  std::string reason;
  std::string key_file;
};

struct RolloverFlags {
  std::string key_type = "ecdsa-p256";
};

// Everything one ACME command needs: the store, an HTTP transport trusting --ca-bundle, and a
// client on the chosen server.
struct Session {
  daemon::State state;
  std::string server;
  std::unique_ptr<acme::CurlTransport> transport;
  // Shared with the signal thread, which may outlive the session by a moment.
  std::shared_ptr<SystemClock> clock_ptr = std::make_shared<SystemClock>();
  SystemClock& clock = *clock_ptr;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
  SystemRng rng;
  std::unique_ptr<acme::Client> client;
  std::optional<store::AcmeAccountRecord> account;
};

Result<std::unique_ptr<Session>> OpenSession(const CommandEnv& env, const AcmeCommon& common) {
  auto ctx = LoadContext(env.global, common.dev);
  if (!ctx.ok()) return ctx.status().WithContext("config");
  RETURN_IF_ERROR(ApplyLogging(env.global, ctx->config));
  auto session = std::make_unique<Session>();
  ASSIGN_OR_RETURN(session->state, daemon::OpenState(*ctx, daemon::OpenStateOptions{}));
  session->server = common.server;
  if (session->server.empty()) {
    // One server in the store: use it; otherwise Let's Encrypt, as certbot does.
    ASSIGN_OR_RETURN(auto all, session->state.store->ListAcmeAccounts(""));
    session->server = kLetsEncrypt;
    if (!all.empty()) {
      bool same = std::all_of(all.begin(), all.end(), [&](const auto& a) {
        return a.server_url == all.front().server_url;
      });
      if (same) session->server = all.front().server_url;
    }
  }
  if (!common.ca_bundle.empty() && ::access(common.ca_bundle.c_str(), R_OK) != 0) {
    return NotFoundError("--ca-bundle " + common.ca_bundle + " cannot be read");
  }
  acme::CurlTransportOptions t;
  t.ca_bundle = common.ca_bundle;
  session->transport = std::make_unique<acme::CurlTransport>(t);
  acme::ClientOptions c;
  c.directory_url = session->server;
  c.should_stop = [stop = session->stop] { return stop->load(); };
  session->client =
      std::make_unique<acme::Client>(*session->transport, session->clock, session->rng, c);
  return session;
}

// Loads the newest valid account for the session's server into the client. NotFound if none.
Status LoadAccount(Session& s) {
  auto account = lifecycle::LoadStoredAccount(*s.client, *s.state.store, s.server, {});
  if (!account.ok()) {
    if (account.status().code() != StatusCode::kNotFound) return account.status();
    return NotFoundError("no ACME account for " + s.server +
                         " in the store: run `certkeeper acme register`");
  }
  s.account = *account;
  // If the server forgot the account and the client registers the key again, keep the
  // store in step.
  s.client->SetAccountChangedCallback([&s](const acme::JwsKey&, const std::string& url) {
    if (!s.account || s.account->account_url == url) return;
    s.account->account_url = url;
    if (Status st = s.state.store->PutAcmeAccount(*s.account).status(); !st.ok()) {
      log::Error("could not record the new account URL", {{"reason", st.message()}});
    }
  });
  return OkStatus();
}

Status Register(Session& s, const RegisterFlags& flags) {
  lifecycle::AccountRegistration registration;
  registration.server = s.server;
  ASSIGN_OR_RETURN(registration.key_type, pki::ParseKeyType(flags.account_key_type));
  if (!flags.email.empty()) registration.contact = {"mailto:" + flags.email};
  registration.eab_kid = flags.eab_kid;
  registration.eab_hmac_key = flags.eab_hmac;
  ASSIGN_OR_RETURN(acme::Directory dir, s.client->GetDirectory());
  ASSIGN_OR_RETURN(s.account, lifecycle::RegisterStoredAccount(*s.client, *s.state.store,
                                                               registration, s.clock.Now()));
  if (!dir.meta.terms_of_service.empty()) {
    std::printf("agreed to the terms of service: %s\n", dir.meta.terms_of_service.c_str());
  }
  std::printf("registered ACME account %s (key %s)\n", s.account->account_url.c_str(),
              flags.account_key_type.c_str());
  return OkStatus();
}

int RunRegister(const CommandEnv& env, const AcmeCommon& common, const RegisterFlags& flags) {
  auto s = OpenSession(env, common);
  if (!s.ok()) return ReportError(s.status());
  if (LoadAccount(**s).ok()) {
    std::printf("already registered with %s: %s\n", (*s)->server.c_str(),
                (*s)->account->account_url.c_str());
    return kExitOk;
  }
  if (Status st = Register(**s, flags); !st.ok()) return ReportError(st);
  return kExitOk;
}

void PrintProgress(const acme::ProgressEvent& e) {
  if (e.identifier.empty()) {
    std::printf("%s: %s\n", e.stage.c_str(), e.detail.c_str());
  } else {
    std::printf("  %s: %s%s%s\n", e.identifier.c_str(), e.stage.c_str(),
                e.detail.empty() ? "" : " ", e.detail.c_str());
  }
  std::fflush(stdout);
}

Status WriteOutputs(const std::string& dir, const acme::IssuedCertificate& cert) {
  RETURN_IF_ERROR(EnsureDirectory(dir, 0755));
  // The key first, 0600 from the first byte; then the certificate files that refer to it.
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/privkey.pem", cert.key.ToPem(), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/cert.pem", cert.cert_pem, 0644));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/chain.pem", cert.chain_pem, 0644));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/fullchain.pem", cert.fullchain_pem, 0644));
  return OkStatus();
}

Status Issue(Session& s, const IssueFlags& flags) {
  if (flags.domains.empty()) return InvalidArgumentError("give at least one -d NAME");
  if (flags.out.empty()) return InvalidArgumentError("--out DIR is required");
  ASSIGN_OR_RETURN(pki::KeyType key_type, pki::ParseKeyType(flags.key_type));
  // The solver first: a taken port or a missing hook fails before anything is ordered.
  std::unique_ptr<acme::Http01Standalone> standalone;
  std::unique_ptr<acme::Http01Webroot> webroot;
  std::unique_ptr<acme::TlsAlpn01Server> alpn;
  std::unique_ptr<acme::Dns01ExecSolver> dns;
  std::unique_ptr<acme::Dns01Rfc2136Solver> rfc2136;
  acme::Solver* solver = nullptr;
  if (flags.solver == "http-01") {
    if (!flags.webroot.empty()) {
      webroot = std::make_unique<acme::Http01Webroot>(flags.webroot);
      solver = webroot.get();
    } else {
      ASSIGN_OR_RETURN(standalone,
                       acme::Http01Standalone::Start(flags.http_address, flags.http_port));
      solver = standalone.get();
    }
  } else if (flags.solver == "tls-alpn-01") {
    ASSIGN_OR_RETURN(alpn,
                     acme::TlsAlpn01Server::Start(flags.tls_address, flags.tls_port, s.clock));
    solver = alpn.get();
  } else if (flags.solver == "dns-01") {
    acme::PropagationCheck check;
    check.nameservers = flags.dns_resolvers;
    check.should_stop = [stop = s.stop] { return stop->load(); };
    if (!flags.dns_rfc2136.empty()) {
      if (flags.tsig_key.empty()) {
        return InvalidArgumentError("--dns-rfc2136 needs --tsig-key FILE (tsig-keygen format)");
      }
      ASSIGN_OR_RETURN(std::string key_text, ReadFile(flags.tsig_key));
      acme::Rfc2136Options r;
      r.server = flags.dns_rfc2136;
      r.zone = flags.dns_zone;
      ASSIGN_OR_RETURN(r.key, acme::ParseTsigKeyFile(key_text));
      r.check = check;
      rfc2136 = std::make_unique<acme::Dns01Rfc2136Solver>(r, s.clock);
      solver = rfc2136.get();
    } else {
      if (flags.dns_exec.empty()) {
        return InvalidArgumentError(
            "dns-01 needs --dns-exec PROG (called as `PROG present|cleanup FQDN VALUE`) or "
            "--dns-rfc2136 SERVER --tsig-key FILE");
      }
      if (::access(flags.dns_exec.c_str(), X_OK) != 0) {
        return NotFoundError("--dns-exec " + flags.dns_exec + " is not an executable file");
      }
      dns = std::make_unique<acme::Dns01ExecSolver>(flags.dns_exec, s.clock, check);
      solver = dns.get();
    }
  } else {
    return InvalidArgumentError("unknown --solver " + flags.solver +
                                " (http-01, tls-alpn-01, dns-01)");
  }

  if (Status st = LoadAccount(s); !st.ok()) {
    if (st.code() != StatusCode::kNotFound) return st;
    RETURN_IF_ERROR(Register(s, flags.registration));
  }

  acme::OrderRequest req;
  req.names = flags.domains;
  req.key_type = key_type;
  req.preferred_chain = flags.preferred_chain;
  req.profile = flags.profile;
  req.certificate_name = flags.name.empty() ? flags.domains.front() : flags.name;
  if (flags.reuse_key && ::access((flags.out + "/privkey.pem").c_str(), R_OK) == 0) {
    // Keeping the key keeps HPKP-style pins and TLSA records valid across renewals.
    ASSIGN_OR_RETURN(std::string pem, ReadFile(flags.out + "/privkey.pem"));
    ASSIGN_OR_RETURN(req.key, pki::PrivateKey::FromPem(pem));
    std::printf("reusing the key in %s/privkey.pem\n", flags.out.c_str());
  }
  req.challenge_preference = {flags.solver};
  acme::OrderFlow flow(*s.client, {{flags.solver, solver}});
  std::printf("ordering a certificate for %zu name(s) from %s\n", flags.domains.size(),
              s.server.c_str());
  auto issued = flow.Obtain(req, PrintProgress);

  store::AcmeOrderRecord order;
  order.account_id = s.account ? s.account->id : 0;
  order.certificate_name = req.certificate_name;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& d : flags.domains) {
    auto id = acme::IdentifierFor(d);
    ids.push_back({{"type", id.type}, {"value", id.value}});
  }
  order.identifiers_json = ids.dump();
  order.created_at = order.updated_at = s.clock.Now();
  if (issued.ok()) {
    order.order_url = issued->order_url;
    order.cert_url = issued->certificate_url;
    order.status = "valid";
  } else {
    order.status = "invalid";
    order.error = issued.status().ToString();
  }
  if (order.account_id != 0) {
    if (Status st = s.state.store->PutAcmeOrder(order).status(); !st.ok()) {
      log::Warn("could not record the ACME order", {{"reason", st.message()}});
    }
  }
  if (!issued.ok()) {
    log::Failure(req.certificate_name, issued.status(), "ACME issuance failed");
    return issued.status();
  }
  RETURN_IF_ERROR(WriteOutputs(flags.out, *issued));
  ASSIGN_OR_RETURN(pki::Certificate leaf, pki::Certificate::FromPem(issued->cert_pem));
  std::printf("certificate issued: serial %s, valid until %s\n", leaf.SerialHex().c_str(),
              FormatRfc3339(leaf.NotAfter()).c_str());
  std::printf("wrote %s/{cert,chain,fullchain,privkey}.pem (privkey.pem mode 0600)\n",
              flags.out.c_str());
  return OkStatus();
}

// SIGINT/SIGTERM end the waits (polling, backoff, DNS propagation) so the order flow returns
// Aborted and still runs every CleanUp, instead of dying with tokens or TXT records left.
void StopOnSignals(Session& s) {
  daemon::BlockDaemonSignals();
  std::thread([stop = s.stop, clock = s.clock_ptr] {
    while (daemon::WaitForSignal() != daemon::SignalEvent::kStop) {
    }
    std::fprintf(stderr, "certkeeper: stopping, cleaning up challenges...\n");
    stop->store(true);
    clock->Interrupt();
  }).detach();
}

int RunIssue(const CommandEnv& env, const AcmeCommon& common, const IssueFlags& flags) {
  auto s = OpenSession(env, common);
  if (!s.ok()) return ReportError(s.status());
  StopOnSignals(**s);
  Status st = Issue(**s, flags);
  if (!st.ok()) {
    if (st.retry_after()) {
      std::fprintf(stderr, "certkeeper: the CA asks to retry at %s\n",
                   FormatRfc3339(*st.retry_after()).c_str());
    }
    return ReportError(st);
  }
  return kExitOk;
}

Status Revoke(Session& s, const RevokeFlags& flags) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(flags.cert_file));
  ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::FromPem(text));
  std::optional<acme::RevocationReason> reason;
  if (!flags.reason.empty()) {
    ASSIGN_OR_RETURN(reason, acme::ParseRevocationReason(flags.reason));
  }
  if (!flags.key_file.empty()) {
    // RFC 8555 §7.6: the certificate's own key may revoke it, no account needed.
    ASSIGN_OR_RETURN(std::string key_pem, ReadFile(flags.key_file));
    ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::FromPem(key_pem));
    if (!pki::KeyMatches(cert, key)) {
      return InvalidArgumentError(flags.key_file + " is not the key of " + flags.cert_file);
    }
    ASSIGN_OR_RETURN(acme::JwsKey jws, acme::JwsKey::Create(key));
    RETURN_IF_ERROR(s.client->Revoke(cert.ToDer(), reason, &jws));
  } else {
    RETURN_IF_ERROR(LoadAccount(s));
    RETURN_IF_ERROR(s.client->Revoke(cert.ToDer(), reason));
  }
  std::printf("revoked certificate serial %s%s%s\n", cert.SerialHex().c_str(),
              flags.reason.empty() ? "" : " reason ", flags.reason.c_str());
  return OkStatus();
}

int RunRevoke(const CommandEnv& env, const AcmeCommon& common, const RevokeFlags& flags) {
  auto s = OpenSession(env, common);
  if (!s.ok()) return ReportError(s.status());
  if (Status st = Revoke(**s, flags); !st.ok()) return ReportError(st);
  return kExitOk;
}

Status Rollover(Session& s, const RolloverFlags& flags) {
  RETURN_IF_ERROR(LoadAccount(s));
  ASSIGN_OR_RETURN(pki::KeyType type, pki::ParseKeyType(flags.key_type));
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(type));
  ASSIGN_OR_RETURN(acme::JwsKey jws, acme::JwsKey::Create(key));
  // Seal the new key before the CA switches (RFC 8555 §7.3.5): whatever happens next, the
  // store holds the key the account ends up with.
  ASSIGN_OR_RETURN(
      int64_t new_key_id,
      lifecycle::StorePrivateKey(*s.state.store, key, lifecycle::AcmeAccountKeyLabel(s.server, jws),
                                 s.clock.Now()));
  if (Status st = s.client->ChangeKey(jws); !st.ok()) {
    (void)s.state.store->DeletePrivateKey(new_key_id);
    return st;
  }
  int64_t old_key_id = s.account->key_id;
  s.account->key_id = new_key_id;
  RETURN_IF_ERROR(s.state.store->PutAcmeAccount(*s.account).status());
  if (Status st = s.state.store->DeletePrivateKey(old_key_id); !st.ok()) {
    log::Warn("old account key kept",
              {{"key_id", std::to_string(old_key_id)}, {"reason", st.message()}});
  }
  std::printf("account %s now uses a new %s key (%s)\n", s.account->account_url.c_str(),
              flags.key_type.c_str(), jws.alg().c_str());
  return OkStatus();
}

int RunRollover(const CommandEnv& env, const AcmeCommon& common, const RolloverFlags& flags) {
  auto s = OpenSession(env, common);
  if (!s.ok()) return ReportError(s.status());
  if (Status st = Rollover(**s, flags); !st.ok()) return ReportError(st);
  return kExitOk;
}

void AddCommon(CLI::App* cmd, AcmeCommon& c) {
  cmd->add_option("--server", c.server,
                  "ACME directory URL (default: the one account's server, else Let's Encrypt)")
      ->envname("CERTKEEPER_ACME_SERVER");
  cmd->add_option("--ca-bundle", c.ca_bundle,
                  "PEM file trusted for the ACME server's own HTTPS (Pebble's test CA)")
      ->envname("CERTKEEPER_ACME_CA_BUNDLE");
  cmd->add_flag("--dev", c.dev, "Development state (./.certkeeper-dev, generated master key)");
}

void AddRegistration(CLI::App* cmd, RegisterFlags& r) {
  cmd->add_option("--email", r.email, "Contact e-mail for the account");
  cmd->add_option("--eab-kid", r.eab_kid, "External account binding key id");
  cmd->add_option("--eab-hmac", r.eab_hmac, "External account binding HMAC key (base64url)");
  cmd->add_option("--account-key-type", r.account_key_type,
                  "Account key: ecdsa-p256 (default), ecdsa-p384, rsa2048..4096, ed25519");
}

}  // namespace

void RegisterAcmeCommands(CLI::App& app, CommandEnv& env) {
  CLI::App* acme = app.add_subcommand("acme", "ACME client: register, issue, revoke, rollover");
  acme->require_subcommand(1);

  auto reg_common = std::make_shared<AcmeCommon>();
  auto reg = std::make_shared<RegisterFlags>();
  CLI::App* r =
      acme->add_subcommand("register", "Register an ACME account (key sealed in the store)");
  AddCommon(r, *reg_common);
  AddRegistration(r, *reg);
  r->callback([&env, reg_common, reg] { env.exit_code = RunRegister(env, *reg_common, *reg); });

  auto issue_common = std::make_shared<AcmeCommon>();
  auto issue = std::make_shared<IssueFlags>();
  CLI::App* i = acme->add_subcommand("issue", "Obtain a certificate and write it to --out DIR");
  AddCommon(i, *issue_common);
  AddRegistration(i, issue->registration);
  i->add_option("-d,--domain", issue->domains, "A name for the certificate (repeat)")->required();
  i->add_option("--solver", issue->solver,
                "Challenge type: http-01 (default), tls-alpn-01, dns-01");
  i->add_option("--tls-port", issue->tls_port, "Port of the built-in tls-alpn-01 listener (443)");
  i->add_option("--tls-address", issue->tls_address,
                "Address of the tls-alpn-01 listener (default: all, IPv4 and IPv6)");
  i->add_option("--dns-exec", issue->dns_exec,
                "dns-01 hook, lego-compatible: PROG present|cleanup FQDN VALUE");
  i->add_option("--dns-rfc2136", issue->dns_rfc2136,
                "dns-01 through RFC 2136 updates to this primary (IPv4:port)");
  i->add_option("--tsig-key", issue->tsig_key, "TSIG key file for --dns-rfc2136 (hmac-sha256)");
  i->add_option("--dns-zone", issue->dns_zone,
                "Zone to update (default: found by asking the server for SOA records)");
  i->add_option("--dns-resolver", issue->dns_resolvers,
                "Authoritative nameserver IP:PORT to poll until the TXT record is visible "
                "(repeat)");
  i->add_option("--http-port", issue->http_port, "Port of the built-in http-01 listener (80)");
  i->add_option("--http-address", issue->http_address,
                "Address of the http-01 listener (default: all, IPv4 and IPv6)");
  i->add_option("--webroot", issue->webroot,
                "Write http-01 tokens under DIR/.well-known/acme-challenge instead of listening");
  i->add_option("--key-type", issue->key_type,
                "Certificate key: ecdsa-p256 (default), ecdsa-p384, rsa2048, rsa3072, rsa4096, "
                "ed25519");
  i->add_option("--out", issue->out,
                "Directory for cert.pem, chain.pem, fullchain.pem, privkey.pem")
      ->required();
  i->add_option("--preferred-chain", issue->preferred_chain,
                "Common name of the top issuer to prefer among alternate chains");
  i->add_option("--profile", issue->profile, "ACME profile (when the CA offers profiles)");
  i->add_option("--name", issue->name, "Certificate name for logs and the store");
  i->add_flag("--reuse-key", issue->reuse_key,
              "Keep the private key already in --out DIR (a new one is made if there is none)");
  i->callback(
      [&env, issue_common, issue] { env.exit_code = RunIssue(env, *issue_common, *issue); });

  auto revoke_common = std::make_shared<AcmeCommon>();
  auto revoke = std::make_shared<RevokeFlags>();
  CLI::App* v = acme->add_subcommand("revoke", "Revoke a certificate");
  AddCommon(v, *revoke_common);
  v->add_option("CERT", revoke->cert_file, "PEM certificate to revoke")->required();
  v->add_option("--reason", revoke->reason,
                "unspecified, keyCompromise, affiliationChanged, superseded, "
                "cessationOfOperation");
  v->add_option("--key", revoke->key_file,
                "Sign with the certificate's private key instead of the account key");
  v->callback(
      [&env, revoke_common, revoke] { env.exit_code = RunRevoke(env, *revoke_common, *revoke); });

  auto roll_common = std::make_shared<AcmeCommon>();
  auto roll = std::make_shared<RolloverFlags>();
  CLI::App* o = acme->add_subcommand("rollover", "Replace the account key (RFC 8555 §7.3.5)");
  AddCommon(o, *roll_common);
  o->add_option("--key-type", roll->key_type, "New account key type (ecdsa-p256)");
  o->callback([&env, roll_common, roll] { env.exit_code = RunRollover(env, *roll_common, *roll); });
}

}  // namespace ck::cli
