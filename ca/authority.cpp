// Authority: initialisation (generate or import), CRL writing, chain and listing.
#include "ca/authority.hpp"

#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "ca/cert_builder.hpp"
#include "ca/serial.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "pki/openssl_error.hpp"
#include "pki/verify.hpp"

namespace ck::ca {
namespace {

// Certificates start a minute early so a relying party whose clock lags slightly does not
// reject a fresh certificate as "not yet valid".
constexpr seconds kBackdate{60};

std::string Tag(const std::string& ca_name) { return ca_name.substr(ca_name.find('-') + 1); }

Status CheckValidAt(const pki::Certificate& cert, std::string_view what, TimePoint now) {
  if (now < cert.NotBefore() || now >= cert.NotAfter()) {
    return InvalidArgumentError(std::string(what) + " is not valid now (valid from " +
                                FormatRfc3339(cert.NotBefore()) + " to " +
                                FormatRfc3339(cert.NotAfter()) + ")");
  }
  return OkStatus();
}

Status CheckIsCa(const pki::Certificate& cert, std::string_view what) {
  pki::ScopedOpenSslErrorClear clear;
  // 1 = a v3 CA (basicConstraints CA:TRUE and keyCertSign when keyUsage is present).
  if (X509_check_ca(cert.get()) != 1) {
    return InvalidArgumentError(std::string(what) +
                                " is not a CA certificate (needs basicConstraints CA:TRUE and "
                                "keyUsage keyCertSign)");
  }
  return OkStatus();
}

// Puts the key (when one is given) into `e` after checking it belongs to e.cert.
Status ImportKey(const std::string& key_pem, std::string_view what, CaEntity& e) {
  if (key_pem.empty()) return OkStatus();
  auto key = pki::PrivateKey::FromPem(key_pem);
  if (!key.ok()) return key.status().WithContext(std::string(what) + " key");
  if (!pki::KeyMatches(e.cert, *key)) {
    return InvalidArgumentError(std::string(what) + " key does not belong to its certificate");
  }
  e.key = std::move(*key);
  return OkStatus();
}

Result<CaEntity> ImportRoot(const PemPair& pem, TimePoint now) {
  auto cert = pki::Certificate::FromPem(pem.cert_pem);
  if (!cert.ok()) return cert.status().WithContext("imported root certificate");
  RETURN_IF_ERROR(CheckIsCa(*cert, "the imported root"));
  if (!cert->IsSelfSigned()) {
    return InvalidArgumentError(
        "the imported root is not self-signed (issuer '" + cert->Issuer() +
        "'); import the top of the hierarchy as root and the CA below it as intermediate");
  }
  RETURN_IF_ERROR(CheckValidAt(*cert, "the imported root", now));
  CaEntity e{{}, *cert, std::nullopt};
  RETURN_IF_ERROR(ImportKey(pem.key_pem, "the imported root", e));
  e.record.name = CaNameFor(kRoleRoot, cert->GetPublicKey());
  return e;
}

Result<CaEntity> ImportIntermediate(const PemPair& pem, const CaEntity& root, TimePoint now) {
  auto cert = pki::Certificate::FromPem(pem.cert_pem);
  if (!cert.ok()) return cert.status().WithContext("imported intermediate certificate");
  RETURN_IF_ERROR(CheckIsCa(*cert, "the imported intermediate"));
  RETURN_IF_ERROR(CheckValidAt(*cert, "the imported intermediate", now));
  if (FindIssuerOf({root}, *cert) == nullptr) {
    return InvalidArgumentError("the imported intermediate ('" + cert->Subject() +
                                "') was not issued by the imported root ('" + root.cert.Subject() +
                                "')");
  }
  pki::VerifyOptions vo;
  vo.at = now;
  vo.purpose = "";
  pki::VerifyResult vr = pki::VerifyChain({*cert}, {root.cert}, vo);
  if (!vr.ok) {
    return InvalidArgumentError("the imported intermediate does not verify against the root: " +
                                vr.message);
  }
  if (pem.key_pem.empty()) {
    return InvalidArgumentError("the imported intermediate needs its private key: it signs");
  }
  CaEntity e{{}, *cert, std::nullopt};
  RETURN_IF_ERROR(ImportKey(pem.key_pem, "the imported intermediate", e));
  e.record.name = CaNameFor(kRoleIntermediate, cert->GetPublicKey());
  return e;
}

std::string EventDetails(const CaEntity& ca) {
  nlohmann::json j = {{"ca", ca.record.name},
                      {"role", ca.record.role},
                      {"subject", ca.cert.Subject()},
                      {"serial", ca.cert.SerialHex()},
                      {"not_after", FormatRfc3339(ca.cert.NotAfter())},
                      {"key_online", ca.key.has_value()}};
  return j.dump();
}

}  // namespace

Authority::Authority(store::Store& store, CaSettings settings)
    : store_(store), settings_(std::move(settings)), issuance_commits_(store) {}

Result<bool> Authority::Initialized() {
  ASSIGN_OR_RETURN(std::vector<store::CaRecord> rows, store_.ListCas());
  return !rows.empty();
}

seconds Authority::CrlLifetime(const CaEntity& ca) const {
  return ca.IsRoot() ? settings_.root_crl_lifetime : settings_.crl_lifetime;
}

Status Authority::WriteCrl(store::Store& tx, const CaEntity& ca, TimePoint now) {
  if (!ca.key) {
    return FailedPreconditionError("the key of CA '" + ca.record.name +
                                   "' is offline: its CRL cannot be signed");
  }
  int64_t number = 1;
  auto current = tx.GetCrl(ca.record.id);
  if (current.ok()) {
    number = current->crl_number + 1;
  } else if (current.status().code() != StatusCode::kNotFound) {
    return current.status();
  }
  ASSIGN_OR_RETURN(std::vector<store::RevocationRecord> revoked, tx.ListRevocations(ca.record.id));
  CrlSpec spec;
  spec.crl_number = number;
  spec.this_update = now;
  spec.next_update = now + CrlLifetime(ca);
  for (const auto& r : revoked) {
    // RFC 5280 §3.3: an entry may be removed once the certificate has expired.
    if (r.not_after <= now) continue;
    spec.entries.push_back({r.serial_hex, r.revoked_at, static_cast<RevocationReason>(r.reason)});
  }
  ASSIGN_OR_RETURN(std::string pem, BuildCrlPem(spec, ca.cert, *ca.key));
  return tx.PutCrl({ca.record.id, number, spec.this_update, spec.next_update, std::move(pem)});
}

Result<CaEntity> Authority::GenerateRoot(const InitOptions& o, const NameConstraints& nc,
                                         ConstraintTarget target, TimePoint now) {
  ASSIGN_OR_RETURN(pki::PrivateKey key,
                   pki::PrivateKey::Generate(o.root_key_type.value_or(settings_.root_key_type)));
  const std::string name = CaNameFor(kRoleRoot, key.GetPublicKey());
  CertTemplate t;
  t.kind = CertKind::kRoot;
  t.organization = settings_.organization;
  t.common_name = settings_.organization + " Root CA " + Tag(name);
  ASSIGN_OR_RETURN(t.serial, NewSerial());
  t.not_before = now - kBackdate;
  t.not_after = now + o.root_lifetime.value_or(settings_.root_lifetime);
  t.path_length = 1;
  if (target != ConstraintTarget::kIntermediate && !nc.empty()) t.name_constraints = nc;
  ASSIGN_OR_RETURN(pki::Certificate cert, SignCertificate(t, key.GetPublicKey(), nullptr, key));
  CaEntity e{{}, std::move(cert), std::move(key)};
  e.record.name = name;
  return e;
}

Result<CaEntity> Authority::NewIntermediate(const CaEntity& root, const pki::PrivateKey& root_key,
                                            const InitOptions& o, TimePoint now) {
  ASSIGN_OR_RETURN(
      pki::PrivateKey key,
      pki::PrivateKey::Generate(o.intermediate_key_type.value_or(settings_.intermediate_key_type)));
  const std::string name = CaNameFor(kRoleIntermediate, key.GetPublicKey());
  const NameConstraints nc = o.name_constraints.value_or(settings_.name_constraints);
  const ConstraintTarget target = o.constraint_target.value_or(settings_.constraint_target);
  CertTemplate t;
  t.kind = CertKind::kIntermediate;
  t.organization = settings_.organization;
  t.common_name = settings_.organization + " Intermediate CA " + Tag(name);
  ASSIGN_OR_RETURN(t.serial, NewSerial());
  t.not_before = now - kBackdate;
  t.not_after = std::min(now + o.intermediate_lifetime.value_or(settings_.intermediate_lifetime),
                         root.cert.NotAfter());
  t.path_length = 0;
  if (target != ConstraintTarget::kRoot && !nc.empty()) t.name_constraints = nc;
  // No OCSP URL: answers about an intermediate would need the (possibly offline) root key; the
  // root's long-lived CRL covers it.
  if (!settings_.crl_url.empty()) t.crl_url = ExpandCaUrl(settings_.crl_url, root.record.name);
  if (!settings_.ca_issuers_url.empty()) {
    t.ca_issuers_url = ExpandCaUrl(settings_.ca_issuers_url, root.record.name);
  }
  ASSIGN_OR_RETURN(pki::Certificate cert,
                   SignCertificate(t, key.GetPublicKey(), &root.cert, root_key));
  CaEntity e{{}, std::move(cert), std::move(key)};
  e.record.name = name;
  return e;
}

Status Authority::Init(const InitOptions& o, TimePoint now) {
  ASSIGN_OR_RETURN(std::vector<store::CaRecord> existing, store_.ListCas());
  if (!existing.empty()) {
    return FailedPreconditionError("the CA is already initialised (root '" + existing.front().name +
                                   "'); see `certkeeper ca ls`");
  }
  if (o.import_intermediate && !o.import_root) {
    return InvalidArgumentError("importing an intermediate needs its root too (--import-root)");
  }
  if (o.name_constraints) RETURN_IF_ERROR(ValidateNameConstraints(*o.name_constraints));
  const NameConstraints nc = o.name_constraints.value_or(settings_.name_constraints);
  const ConstraintTarget target = o.constraint_target.value_or(settings_.constraint_target);

  auto root_or = o.import_root ? ImportRoot(*o.import_root, now) : GenerateRoot(o, nc, target, now);
  if (!root_or.ok()) return root_or.status();
  CaEntity root = std::move(*root_or);
  Result<CaEntity> inter_or =
      o.import_intermediate ? ImportIntermediate(*o.import_intermediate, root, now)
      : root.key
          ? NewIntermediate(root, *root.key, o, now)
          : Result<CaEntity>(InvalidArgumentError(
                "the imported root has no key, so no intermediate can be made: import one as "
                "well (--import-intermediate CERT KEY) or give the root key"));
  if (!inter_or.ok()) return inter_or.status();
  CaEntity inter = std::move(*inter_or);

  for (CaEntity* e : {&root, &inter}) {
    e->record.role = e == &root ? kRoleRoot : kRoleIntermediate;
    e->record.cert_pem = e->cert.ToPem();
    e->record.status = kCaActive;
    e->record.not_after = e->cert.NotAfter();
    e->record.created_at = now;
  }
  RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
    for (CaEntity* e : {&root, &inter}) {
      if (e->key) {
        ASSIGN_OR_RETURN(e->record.key_id, PutCaKey(tx, CaKeyLabel(e->record.name), *e->key, now));
      }
      ASSIGN_OR_RETURN(e->record.id, tx.PutCa(e->record));
      if (e->key) RETURN_IF_ERROR(WriteCrl(tx, *e, now));
      const bool imported =
          e == &root ? o.import_root.has_value() : o.import_intermediate.has_value();
      RETURN_IF_ERROR(
          tx.AppendEvent({0, now, "", imported ? "ca_imported" : "ca_created",
                          std::string(imported ? "imported " : "created ") + e->record.role +
                              " CA " + e->record.name + " (" + e->cert.Subject() + ")",
                          EventDetails(*e)}));
    }
    return OkStatus();
  }));
  log::Info("internal CA initialised", {{"root", root.record.name},
                                        {"intermediate", inter.record.name},
                                        {"root_key", root.key ? "online" : "offline"}});
  return OkStatus();
}

Result<std::vector<pki::Certificate>> Authority::ChainBundle() {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
  std::vector<pki::Certificate> out;
  for (const char* status : {kCaActive, kCaPending, kCaRetired}) {
    for (auto it = cas.rbegin(); it != cas.rend(); ++it) {
      if (it->record.role == kRoleIntermediate && it->record.status == status) {
        out.push_back(it->cert);
      }
    }
  }
  const CaEntity* root = FindRoot(cas);
  if (root == nullptr) {
    return FailedPreconditionError("the internal CA is not initialised: run `certkeeper ca init`");
  }
  out.push_back(root->cert);
  return out;
}

Result<std::vector<CaView>> Authority::ListCas() {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
  std::vector<CaView> out;
  for (auto& ca : cas) {
    CaView v{ca.record, ca.cert.Inspect(), ca.record.key_id.has_value(), std::nullopt};
    auto crl = store_.GetCrl(ca.record.id);
    if (crl.ok()) {
      v.crl = std::move(*crl);
    } else if (crl.status().code() != StatusCode::kNotFound) {
      return crl.status();
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ck::ca
