// `certkeeper ca ...`: the internal CA on the local store (run on the daemon's host with access
// to its state dir). Works beside a running daemon: short store transactions; only creating
// or migrating the database takes the writer lock. With --server, issue/sign/revoke/ls/chain/
// crl go through that daemon's admin API instead (ca_remote.cpp).
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "ca/serial.hpp"
#include "common/duration.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/cli/ca_remote.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/state.hpp"
#include "pki/pem.hpp"
#include "store/migrations.hpp"

namespace ck::cli {
namespace {

struct CaFlags {
  // init
  std::string root_key_type, intermediate_key_type, root_lifetime, intermediate_lifetime;
  std::vector<std::string> permit_dns, exclude_dns, permit_ip, exclude_ip, permit_uri, exclude_uri,
      permit_email, exclude_email;
  std::string constrain;
  std::vector<std::string> import_root, import_intermediate;
  // issue / sign
  std::string profile = "server";
  std::vector<std::string> dns, ip, uri, email;
  std::string cn, ttl, key_type, name, out, csr;
  bool store_key = false;
  // revoke, ls, crl, rotation, export
  std::string serial, reason = "unspecified", ca_name, root_key;
  bool json = false, all = false, refresh = false, activate = false, do_delete = false;
  // --server & co.: through the admin API
  ApiFlags api;
  bool Remote() const { return !api.server.empty(); }
  RemoteIssue AsRemote() const {
    return RemoteIssue{profile, dns, ip, uri, email, ttl, key_type, name, out, csr};
  }
};

// Flags that only the local store can honour.
Status CheckRemoteFlags(const CaFlags& f) {
  if (!f.cn.empty()) return InvalidArgumentError("--cn is not available with --server");
  if (f.store_key) return InvalidArgumentError("--store-key is not available with --server");
  if (f.refresh) return InvalidArgumentError("--refresh is not available with --server");
  if (!f.ca_name.empty()) return InvalidArgumentError("--ca is not available with --server");
  return OkStatus();
}

// The CA and the store it lives in, for one command.
struct Session {
  Context ctx;
  daemon::State state;
  std::unique_ptr<ca::Authority> authority;
};

Result<daemon::State> OpenCaState(const Context& ctx, bool create) {
  daemon::OpenStateOptions shared;
  shared.take_writer_lock = false;
  shared.create_if_missing = false;
  shared.migrate = false;
  auto state = daemon::OpenState(ctx, shared);
  if (state.ok()) {
    auto version = state->store->SchemaVersion();
    if (version.ok() && *version == store::kCurrentSchemaVersion) return state;
    state->store.reset();  // an older schema: migrate below, which needs the writer lock
  } else if (state.status().code() != StatusCode::kNotFound || !create) {
    return state.status();
  }
  daemon::OpenStateOptions owner;
  owner.create_if_missing = create;
  return daemon::OpenState(ctx, owner);
}

// Loads the config and opens the store; on failure prints why and returns the exit code
// (kExitConfig for configuration errors, as every command does).
int Open(const CommandEnv& env, Session& s, bool create = false) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  s.ctx = std::move(*ctx);
  if (Status st = ApplyLogging(env.global, s.ctx.config); !st.ok()) return ReportError(st);
  auto state = OpenCaState(s.ctx, create);
  if (!state.ok()) return ReportError(state.status());
  s.state = std::move(*state);
  s.authority = std::make_unique<ca::Authority>(*s.state.store, s.ctx.config.ca);
  return kExitOk;
}

int Fail(const Status& s) { return ReportError(s); }

// CSRs and keys are a few KiB; anything near this is not one.
constexpr size_t kMaxInputBytes = size_t{1} << 20;

// Reads a file holding a private key, refusing one others can read (as ssh does).
Result<std::string> ReadKeyFile(const std::string& path) {
  RETURN_IF_ERROR(CheckSecretFileMode(path));
  return ReadFile(path, kMaxInputBytes);
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  return ReadFile(path, kMaxInputBytes);
}

// --- init ---

Result<ca::InitOptions> InitOptionsFrom(const CaFlags& f) {
  ca::InitOptions o;
  if (!f.root_key_type.empty()) {
    ASSIGN_OR_RETURN(o.root_key_type, pki::ParseKeyType(f.root_key_type));
  }
  if (!f.intermediate_key_type.empty()) {
    ASSIGN_OR_RETURN(o.intermediate_key_type, pki::ParseKeyType(f.intermediate_key_type));
  }
  if (!f.root_lifetime.empty()) {
    ASSIGN_OR_RETURN(o.root_lifetime, ParseDuration(f.root_lifetime));
  }
  if (!f.intermediate_lifetime.empty()) {
    ASSIGN_OR_RETURN(o.intermediate_lifetime, ParseDuration(f.intermediate_lifetime));
  }
  ca::NameConstraints nc;
  nc.permitted_dns = f.permit_dns;
  nc.excluded_dns = f.exclude_dns;
  nc.permitted_ip = f.permit_ip;
  nc.excluded_ip = f.exclude_ip;
  nc.permitted_uri = f.permit_uri;
  nc.excluded_uri = f.exclude_uri;
  nc.permitted_email = f.permit_email;
  nc.excluded_email = f.exclude_email;
  if (!nc.empty()) {
    RETURN_IF_ERROR(ca::ValidateNameConstraints(nc));
    o.name_constraints = nc;
  }
  if (!f.constrain.empty()) {
    ASSIGN_OR_RETURN(o.constraint_target, ca::ParseConstraintTarget(f.constrain));
  }
  if (!f.import_root.empty()) {
    ca::PemPair p;
    ASSIGN_OR_RETURN(p.cert_pem, ReadFile(f.import_root[0]));
    if (f.import_root.size() > 1) {
      ASSIGN_OR_RETURN(p.key_pem, ReadKeyFile(f.import_root[1]));
    }
    o.import_root = std::move(p);
  }
  if (!f.import_intermediate.empty()) {
    if (f.import_intermediate.size() != 2) {
      return InvalidArgumentError("--import-intermediate takes CERT and KEY");
    }
    ca::PemPair p;
    ASSIGN_OR_RETURN(p.cert_pem, ReadFile(f.import_intermediate[0]));
    ASSIGN_OR_RETURN(p.key_pem, ReadKeyFile(f.import_intermediate[1]));
    o.import_intermediate = std::move(p);
  }
  return o;
}

int RunInit(const CommandEnv& env, const CaFlags& f) {
  auto options = InitOptionsFrom(f);
  if (!options.ok()) return Fail(options.status());
  Session s;
  if (int rc = Open(env, s, /*create=*/true); rc != kExitOk) return rc;
  SystemClock clock;
  if (Status st = s.authority->Init(*options, clock.Now()); !st.ok()) return Fail(st);
  auto cas = s.authority->ListCas();
  if (!cas.ok()) return Fail(cas.status());
  std::printf("internal CA initialised in %s\n", s.ctx.state_dir.c_str());
  for (const auto& v : *cas) {
    std::printf("  %-13s %-24s %s, key %s, valid until %s\n", v.record.role.c_str(),
                v.record.name.c_str(), v.info.subject.c_str(), v.key_online ? "online" : "offline",
                FormatRfc3339(v.info.not_after).c_str());
  }
  std::printf("distribute the root (`certkeeper ca chain`) to relying parties.\n");
  return kExitOk;
}

// --- issue / sign ---

Result<ca::IssueOptions> IssueOptionsFrom(const CaFlags& f) {
  ca::IssueOptions o;
  o.profile = f.profile;
  o.name = f.name;
  if (!f.ttl.empty()) {
    auto ttl = ParseDuration(f.ttl);
    if (!ttl.ok()) return ttl.status().WithContext("--ttl");
    o.lifetime = *ttl;
  }
  return o;
}

void PrintIssued(const ca::Issued& issued, const std::string& where) {
  std::fprintf(stderr, "issued serial %s (profile %s, by %s), valid until %s%s\n%s",
               issued.serial_hex.c_str(), issued.profile.c_str(), issued.ca_name.c_str(),
               FormatRfc3339(issued.not_after).c_str(),
               issued.lifetime_capped ? " (capped at the intermediate's expiry)" : "",
               where.c_str());
}

int RunIssue(const CommandEnv& env, const CaFlags& f) {
  if (f.Remote()) {
    if (Status st = CheckRemoteFlags(f); !st.ok()) return Fail(st);
    return RunRemoteIssue(env, f.api, f.AsRemote());
  }
  auto options = IssueOptionsFrom(f);
  if (!options.ok()) return Fail(options.status());
  ca::KeyIssueRequest req;
  req.options = *options;
  req.sans.dns_names = f.dns;
  req.sans.ip_addresses = f.ip;
  req.sans.uris = f.uri;
  req.sans.emails = f.email;
  req.common_name = f.cn;
  req.store_key = f.store_key;
  if (!f.key_type.empty()) {
    auto type = pki::ParseKeyType(f.key_type);
    if (!type.ok()) return Fail(type.status().WithContext("--key-type"));
    req.key_type = *type;
  }
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  SystemClock clock;
  auto issued = s.authority->IssueWithKey(req, clock.Now());
  if (!issued.ok()) return Fail(issued.status());
  // The key is written first: if a later write fails, the key is not lost with it.
  const std::string cert = issued->CertificatePem();
  const std::string chain = pki::ChainToPem(issued->chain);
  Status st = EnsureDirectory(f.out, 0700);
  if (st.ok()) st = WriteFileAtomic(f.out + "/privkey.pem", issued->key->ToPem(), 0600);
  if (st.ok()) st = WriteFileAtomic(f.out + "/cert.pem", cert, 0644);
  if (st.ok()) st = WriteFileAtomic(f.out + "/chain.pem", chain, 0644);
  if (st.ok()) st = WriteFileAtomic(f.out + "/fullchain.pem", cert + chain, 0644);
  if (!st.ok()) {
    return Fail(st.WithContext("certificate " + issued->serial_hex +
                               " was issued but could not be written"));
  }
  PrintIssued(*issued, "wrote " + f.out + "/{cert,chain,fullchain,privkey}.pem (privkey 0600)" +
                           (f.store_key ? "; the key is also sealed in the store\n" : "\n"));
  return kExitOk;
}

int RunSign(const CommandEnv& env, const CaFlags& f) {
  if (f.Remote()) return RunRemoteSign(env, f.api, f.AsRemote());
  auto options = IssueOptionsFrom(f);
  if (!options.ok()) return Fail(options.status());
  auto input = ReadInput(f.csr);
  if (!input.ok()) return Fail(input.status());
  auto object = pki::LoadPkiObject(*input);
  if (!object.ok()) return Fail(object.status().WithContext(f.csr));
  if (object->csrs.empty()) {
    return Fail(InvalidArgumentError(f.csr + ": holds no certificate signing request (found " +
                                     std::string(pki::PkiObjectKindName(object->kind)) + ")"));
  }
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  SystemClock clock;
  auto issued = s.authority->SignCsr(object->csrs.front(), *options, clock.Now());
  if (!issued.ok()) return Fail(issued.status());
  // The certificate followed by its issuing intermediate: what a TLS server serves.
  const std::string pem = issued->CertificatePem() + pki::ChainToPem(issued->chain);
  if (f.out.empty()) {
    std::fputs(pem.c_str(), stdout);
    PrintIssued(*issued, "");
    return kExitOk;
  }
  if (Status st = WriteFileAtomic(f.out, pem, 0644); !st.ok()) return Fail(st);
  PrintIssued(*issued, "wrote " + f.out + " (certificate, then the intermediate)\n");
  return kExitOk;
}

// --- revoke ---

int RunRevoke(const CommandEnv& env, const CaFlags& f) {
  auto reason = ca::ParseRevocationReason(f.reason);
  if (!reason.ok()) return Fail(reason.status().WithContext("--reason"));
  if (f.Remote()) return RunRemoteRevoke(env, f.api, f.serial, f.reason);
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  SystemClock clock;
  auto revoked = s.authority->Revoke(f.serial, *reason, clock.Now());
  if (!revoked.ok()) return Fail(revoked.status());
  auto crl = s.state.store->GetCrl(revoked->ca_id);
  std::printf("revoked %s (%s); CRL #%lld re-signed, next update %s\n", revoked->serial_hex.c_str(),
              std::string(ca::RevocationReasonName(*reason)).c_str(),
              crl.ok() ? static_cast<long long>(crl->crl_number) : 0LL,
              crl.ok() ? FormatRfc3339(crl->next_update).c_str() : "?");
  return kExitOk;
}

// --- ls ---

int RunLs(const CommandEnv& env, const CaFlags& f) {
  if (f.Remote()) return RunRemoteLs(env, f.api, f.json, f.all);
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  const TimePoint now = SystemClock().Now();
  auto cas = s.authority->ListCas();
  if (!cas.ok()) return Fail(cas.status());
  store::CertificateQuery q;
  q.source = ca::kSourceCa;
  auto certs = s.state.store->ListCertificates(q);
  if (!certs.ok()) return Fail(certs.status());
  auto shown = [&](const store::CertificateRecord& c) {
    return f.all || (c.not_after > now && c.status != store::kCertRevoked);
  };
  if (f.json) {
    nlohmann::json j = {{"cas", nlohmann::json::array()},
                        {"certificates", nlohmann::json::array()}};
    for (const auto& v : *cas) {
      nlohmann::json c = {{"name", v.record.name},
                          {"role", v.record.role},
                          {"status", v.record.status},
                          {"key_online", v.key_online},
                          {"subject", v.info.subject},
                          {"serial", v.info.serial_hex},
                          {"not_before", FormatRfc3339(v.info.not_before)},
                          {"not_after", FormatRfc3339(v.info.not_after)},
                          {"spki_sha256", v.info.spki_sha256_pin}};
      if (v.crl) {
        c["crl"] = {{"number", v.crl->crl_number},
                    {"this_update", FormatRfc3339(v.crl->this_update)},
                    {"next_update", FormatRfc3339(v.crl->next_update)}};
      }
      j["cas"].push_back(std::move(c));
    }
    for (const auto& c : *certs) {
      if (!shown(c)) continue;
      j["certificates"].push_back({{"id", c.id},
                                   {"name", c.name},
                                   {"serial", c.serial_hex},
                                   {"status", c.status},
                                   {"expired", c.not_after <= now},
                                   {"issuer", c.issuer},
                                   {"sans", c.sans},
                                   {"not_before", FormatRfc3339(c.not_before)},
                                   {"not_after", FormatRfc3339(c.not_after)},
                                   {"key_stored", c.key_id.has_value()}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-24s %-14s %-15s %-8s %-21s %s\n", "CA", "ROLE", "STATUS", "KEY", "NOT AFTER",
              "CRL");
  for (const auto& v : *cas) {
    std::string crl = v.crl ? "#" + std::to_string(v.crl->crl_number) + " until " +
                                  FormatRfc3339(v.crl->next_update)
                            : "-";
    std::printf("%-24s %-14s %-15s %-8s %-21s %s\n", v.record.name.c_str(), v.record.role.c_str(),
                v.record.status.c_str(), v.key_online ? "online" : "offline",
                FormatRfc3339(v.info.not_after).c_str(), crl.c_str());
  }
  std::printf("\n%-34s %-9s %-21s %-24s %s\n", "SERIAL", "STATUS", "NOT AFTER", "NAME", "SANS");
  int hidden = 0;
  for (const auto& c : *certs) {
    if (!shown(c)) {
      ++hidden;
      continue;
    }
    std::string sans;
    for (const auto& san : c.sans) sans += (sans.empty() ? "" : ",") + san;
    std::printf("%-34s %-9s %-21s %-24s %s\n", c.serial_hex.c_str(), c.status.c_str(),
                FormatRfc3339(c.not_after).c_str(), c.name.c_str(), sans.c_str());
  }
  if (hidden > 0) std::printf("(%d expired or revoked not shown; --all shows them)\n", hidden);
  return kExitOk;
}

// --- chain / crl ---

int WriteOrPrint(const std::string& out, const std::string& pem) {
  if (out.empty()) {
    std::fputs(pem.c_str(), stdout);
    return kExitOk;
  }
  if (Status st = WriteFileAtomic(out, pem, 0644); !st.ok()) return Fail(st);
  return kExitOk;
}

int RunChain(const CommandEnv& env, const CaFlags& f) {
  if (f.Remote()) return RunRemoteChain(env, f.api, f.out);
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  auto chain = s.authority->ChainBundle();
  if (!chain.ok()) return Fail(chain.status());
  return WriteOrPrint(f.out, pki::ChainToPem(*chain));
}

int RunCrl(const CommandEnv& env, const CaFlags& f) {
  if (f.Remote()) {
    if (Status st = CheckRemoteFlags(f); !st.ok()) return Fail(st);
    return RunRemoteCrl(env, f.api, f.out);
  }
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  const TimePoint now = SystemClock().Now();
  if (f.refresh) {
    auto refreshed = s.authority->RefreshCrlIfDue(now);
    if (!refreshed.ok()) return Fail(refreshed.status());
    for (const auto& name : refreshed->refreshed) {
      std::fprintf(stderr, "re-signed the CRL of %s\n", name.c_str());
    }
  }
  auto crl = s.authority->CurrentCrl(f.ca_name);
  if (!crl.ok()) return Fail(crl.status());
  if (crl->next_update <= now) {
    std::fprintf(stderr,
                 "certkeeper: warning: this CRL expired at %s; the daemon re-signs it, or run "
                 "`certkeeper ca crl --refresh`\n",
                 FormatRfc3339(crl->next_update).c_str());
  }
  return WriteOrPrint(f.out, crl->crl_pem);
}

// --- offline root, rotation ---

int RunExportRootKey(const CommandEnv& env, const CaFlags& f) {
  if (::access(f.out.c_str(), F_OK) == 0) {
    return Fail(AlreadyExistsError(f.out + " exists; choose a new file for the root key"));
  }
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  auto pem = s.authority->ExportRootKeyPem();
  if (!pem.ok()) return Fail(pem.status());
  if (Status st = WriteFileAtomic(f.out, pem->view(), 0600); !st.ok()) return Fail(st);
  // Read it back before anything is deleted: the export must be usable.
  auto back = ReadKeyFile(f.out);
  auto chain = s.authority->ChainBundle();
  if (!back.ok() || !chain.ok()) return Fail(!back.ok() ? back.status() : chain.status());
  auto key = pki::PrivateKey::FromPem(*back);
  if (!key.ok() || !pki::KeyMatches(chain->back(), *key)) {
    return Fail(DataLossError("the exported key in " + f.out +
                              " does not read back as the root key; nothing was deleted"));
  }
  std::printf("root key written to %s (mode 0600)\n", f.out.c_str());
  if (!f.do_delete) return kExitOk;
  if (Status st = s.authority->DeleteRootKey(SystemClock().Now()); !st.ok()) return Fail(st);
  std::printf(
      "root key deleted from the store: the root is offline. Keep %s safe and off this host;\n"
      "a new intermediate needs it back: `certkeeper ca rotate-intermediate --root-key %s`\n",
      f.out.c_str(), f.out.c_str());
  return kExitOk;
}

int RunRotate(const CommandEnv& env, const CaFlags& f) {
  std::optional<pki::PrivateKey> root_key;
  if (!f.root_key.empty()) {
    auto text = ReadKeyFile(f.root_key);
    if (!text.ok()) return Fail(text.status().WithContext("--root-key"));
    auto key = pki::PrivateKey::FromPem(*text);
    if (!key.ok()) return Fail(key.status().WithContext("--root-key"));
    root_key = std::move(*key);
  }
  Session s;
  if (int rc = Open(env, s); rc != kExitOk) return rc;
  const TimePoint now = SystemClock().Now();
  auto cas = s.authority->ListCas();
  if (!cas.ok()) return Fail(cas.status());
  bool pending = false;
  for (const auto& v : *cas) pending = pending || v.record.status == ca::kCaPending;
  if (!pending) {
    auto prepared = s.authority->PrepareIntermediate(now, root_key);
    if (!prepared.ok()) return Fail(prepared.status());
    std::printf("prepared intermediate %s (valid until %s); it is in `certkeeper ca chain` now\n",
                prepared->name.c_str(), FormatRfc3339(prepared->not_after).c_str());
    if (!f.activate) {
      std::printf(
          "once relying parties have the new chain: certkeeper ca rotate-intermediate "
          "--activate\n");
      return kExitOk;
    }
  } else if (!f.activate) {
    return Fail(FailedPreconditionError(
        "an intermediate is already prepared; activate it with --activate"));
  }
  auto active = s.authority->ActivateIntermediate(now);
  if (!active.ok()) return Fail(active.status());
  std::printf(
      "intermediate %s now signs; the previous one keeps serving its CRL and OCSP "
      "until its last certificate expires\n",
      active->name.c_str());
  return kExitOk;
}

}  // namespace

void RegisterCaCommands(CLI::App& app, CommandEnv& env) {
  auto f = std::make_shared<CaFlags>();
  CLI::App* ca = app.add_subcommand("ca", "Internal CA for mTLS: init, issue, sign, revoke, CRL");
  ca->require_subcommand(1);
  auto run = [&env, f](int (*fn)(const CommandEnv&, const CaFlags&)) {
    return [&env, f, fn] { env.exit_code = fn(env, *f); };
  };

  CLI::App* init = ca->add_subcommand("init", "Create (or import) the root and intermediate CA");
  init->add_option("--root-key-type", f->root_key_type, "Root key (default ecdsa-p384)");
  init->add_option("--intermediate-key-type", f->intermediate_key_type,
                   "Intermediate key (default ecdsa-p256)");
  init->add_option("--root-lifetime", f->root_lifetime, "Root validity (default 3650d)");
  init->add_option("--intermediate-lifetime", f->intermediate_lifetime,
                   "Intermediate validity (default 365d)");
  init->add_option("--permit-dns", f->permit_dns, "Name constraint: permitted DNS domain");
  init->add_option("--exclude-dns", f->exclude_dns, "Name constraint: excluded DNS domain");
  init->add_option("--permit-ip", f->permit_ip, "Name constraint: permitted IP range (CIDR)");
  init->add_option("--exclude-ip", f->exclude_ip, "Name constraint: excluded IP range (CIDR)");
  init->add_option("--permit-uri", f->permit_uri, "Name constraint: permitted URI host/domain");
  init->add_option("--exclude-uri", f->exclude_uri, "Name constraint: excluded URI host/domain");
  init->add_option("--permit-email", f->permit_email, "Name constraint: permitted email domain");
  init->add_option("--exclude-email", f->exclude_email, "Name constraint: excluded email domain");
  init->add_option("--constrain", f->constrain,
                   "Which CA carries the name constraints: intermediate (default), root, both");
  init->add_option("--import-root", f->import_root,
                   "Import the root: CERT [KEY] (PEM; without KEY the root starts offline)")
      ->expected(1, 2);
  init->add_option("--import-intermediate", f->import_intermediate,
                   "Import the intermediate: CERT KEY (PEM; needs --import-root)")
      ->expected(2);
  init->callback(run(RunInit));

  CLI::App* issue = ca->add_subcommand(
      "issue",
      "Issue a certificate with a key generated here; writes cert.pem, chain.pem, "
      "fullchain.pem and privkey.pem (0600) to --out DIR");
  issue->add_option("--profile", f->profile, "Issuance profile (default server)");
  issue->add_option("--dns", f->dns, "DNS name (repeatable)");
  issue->add_option("--ip", f->ip, "IP address (repeatable)");
  issue->add_option("--uri", f->uri, "URI, e.g. spiffe://trust-domain/path (repeatable)");
  issue->add_option("--email", f->email, "Email address (repeatable)");
  issue->add_option("--cn", f->cn, "Common name (default: the first DNS name)");
  issue->add_option("--ttl", f->ttl, "Lifetime, e.g. 24h (default: the profile's)");
  issue->add_option("--key-type", f->key_type, "Key type (default: the profile's)");
  issue->add_option("--name", f->name, "Name in the store (default: the CN or first name)");
  issue->add_flag("--store-key", f->store_key, "Also keep the key, sealed, in the store");
  issue->add_option("--out", f->out, "Output directory (created 0700)")->required();
  AddApiFlags(*issue, f->api);
  issue->callback(run(RunIssue));

  CLI::App* sign = ca->add_subcommand("sign", "Sign a CSR (PEM or DER file, '-' for stdin)");
  sign->add_option("CSR", f->csr, "The certificate signing request")->required();
  sign->add_option("--profile", f->profile, "Issuance profile (default server)");
  sign->add_option("--ttl", f->ttl, "Lifetime, e.g. 24h (default: the profile's)");
  sign->add_option("--name", f->name, "Name in the store (default: the CN or first name)");
  sign->add_option("--out", f->out, "Write certificate + intermediate here (default: stdout)");
  AddApiFlags(*sign, f->api);
  sign->callback(run(RunSign));

  CLI::App* revoke =
      ca->add_subcommand("revoke", "Revoke a certificate by serial; re-signs the CRL");
  revoke->add_option("SERIAL", f->serial, "Serial number in hex (colons allowed)")->required();
  revoke->add_option("--reason", f->reason, "RFC 5280 reason: " + ca::RevocationReasonNames());
  AddApiFlags(*revoke, f->api);
  revoke->callback(run(RunRevoke));

  CLI::App* ls = ca->add_subcommand("ls", "List the CAs and the certificates they issued");
  ls->add_flag("--json", f->json, "Machine-readable output");
  ls->add_flag("--all", f->all, "Include expired and revoked certificates");
  AddApiFlags(*ls, f->api);
  ls->callback(run(RunLs));

  CLI::App* chain = ca->add_subcommand("chain", "Print the CA bundle: intermediate(s), then root");
  chain->add_option("--out", f->out, "Write to this file instead of stdout");
  AddApiFlags(*chain, f->api);
  chain->callback(run(RunChain));

  CLI::App* crl = ca->add_subcommand("crl", "Print the current CRL (PEM)");
  crl->add_option("--ca", f->ca_name, "Which CA (default: the active intermediate)");
  crl->add_flag("--refresh", f->refresh, "Re-sign CRLs that are due first");
  crl->add_option("--out", f->out, "Write to this file instead of stdout");
  AddApiFlags(*crl, f->api);
  crl->callback(run(RunCrl));

  CLI::App* exp = ca->add_subcommand(
      "export-root-key", "Write the root key to a file; with --delete, take it off this host");
  exp->add_option("--out", f->out, "New file for the key (mode 0600)")->required();
  exp->add_flag("--delete", f->do_delete, "Delete the root key from the store (offline root)");
  exp->callback(run(RunExportRootKey));

  CLI::App* rotate = ca->add_subcommand(
      "rotate-intermediate",
      "Prepare a new intermediate (published in the chain, not signing); --activate makes it "
      "sign");
  rotate->add_flag("--activate", f->activate, "Activate the prepared intermediate");
  rotate->add_option("--root-key", f->root_key, "The root key file, when the root is offline");
  rotate->callback(run(RunRotate));
}

}  // namespace ck::cli
