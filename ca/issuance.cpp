// Authority: issuing leaf certificates from a CSR or with a server-side key.
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "ca/ca_metrics.hpp"
#include "ca/cert_builder.hpp"
#include "ca/leaf_signer.hpp"
#include "ca/name_policy.hpp"
#include "ca/serial.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "pki/csr_parts.hpp"
#include "pki/der_util.hpp"
#include "pki/digest.hpp"
#include "pki/pem_armor.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {

struct Authority::Leaf {
  pki::PublicKey public_key;
  Bytes spki_der;  // its SubjectPublicKeyInfo
  std::vector<pki::SubjectAltName> sans;
  std::string common_name;
  IssueOptions options;
  std::optional<pki::PrivateKey> key;  // server-side generated
  bool store_key = false;
};

namespace {

constexpr seconds kBackdate{60};
// RFC 5280 Appendix A: ub-common-name INTEGER ::= 64.
constexpr size_t kMaxCommonName = 64;

bool SameName(const pki::SubjectAltName& san, std::string_view value) {
  if (san.type != pki::SanType::kDns) return san.value == value;
  if (san.value.size() != value.size()) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(san.value[i])) !=
        std::tolower(static_cast<unsigned char>(value[i]))) {
      return false;
    }
  }
  return true;
}

// The common name is only a copy of one of the SANs (CA/B BR 7.1.4.2.2): a CN that is not
// among them becomes one (and goes through the same policy), as step-ca does; a CN that is no
// kind of name at all is refused rather than silently dropped.
Status FoldCommonName(const std::string& cn, std::vector<pki::SubjectAltName>& sans) {
  if (cn.empty()) return OkStatus();
  for (const auto& san : sans) {
    if (SameName(san, cn)) return OkStatus();
  }
  if (pki::IsIpLiteral(cn)) {
    sans.push_back({pki::SanType::kIp, cn});
  } else if (pki::ValidateDnsName(cn).ok()) {
    sans.push_back({pki::SanType::kDns, cn});
  } else if (cn.find('@') != std::string::npos && pki::ValidateEmail(cn).ok()) {
    sans.push_back({pki::SanType::kEmail, cn});
  } else {
    return InvalidArgumentError("common name '" + cn +
                                "' is neither a DNS name, an IP address nor an email address; "
                                "put the certificate's names in subjectAltName");
  }
  return OkStatus();
}

std::vector<pki::SubjectAltName> FromSanRequest(const pki::SanRequest& r) {
  std::vector<pki::SubjectAltName> out;
  for (const auto& v : r.dns_names) out.push_back({pki::SanType::kDns, v});
  for (const auto& v : r.ip_addresses) out.push_back({pki::SanType::kIp, v});
  for (const auto& v : r.uris) out.push_back({pki::SanType::kUri, v});
  for (const auto& v : r.emails) out.push_back({pki::SanType::kEmail, v});
  return out;
}

}  // namespace

Result<Issued> Authority::SignCsr(const pki::Csr& csr, const IssueOptions& options, TimePoint now) {
  // RFC 2986 §3: the signature proves possession of the private key.
  RETURN_IF_ERROR(csr.VerifySignature());
  pki::PublicKey public_key = csr.GetPublicKey();
  if (auto type = public_key.Type(); !type.ok()) {
    return InvalidArgumentError("CSR key: " + type.status().message());
  }
  // The CSR's own encoding of the key: re-encoding the EVP_PKEY goes through OpenSSL 3's
  // provider encoders, a cost comparable to the signature.
  Bytes spki = pki::EncodeDer([&](unsigned char** out) {
    return i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr.get()), out);
  });
  if (spki.empty()) return InvalidArgumentError("the CSR's public key cannot be encoded");
  Leaf leaf{std::move(public_key),
            std::move(spki),
            csr.SubjectAltNames(),
            pki::CommonNameOf(X509_REQ_get_subject_name(csr.get())),
            options,
            std::nullopt,
            false};
  RETURN_IF_ERROR(FoldCommonName(leaf.common_name, leaf.sans));
  return IssueLeaf(leaf, now);
}

Result<Issued> Authority::SignCsrDer(const Bytes& der, const IssueOptions& options, TimePoint now) {
  // Announced before the signature check, the longest step: a commit starting meanwhile waits
  // for this issuance to join it.
  store::GroupCommit::Intent intent = issuance_commits_.Announce();
  auto parts = pki::VerifiedEcCsrParts(der);
  if (!parts.ok()) {
    // Not the common shape, or bad input: the full parser decides, and words the error.
    auto csr = pki::Csr::FromDer(der);
    if (!csr.ok()) return csr.status().WithContext("csr");
    return SignCsr(*csr, options, now);
  }
  Leaf leaf{std::move(parts->public_key),
            std::move(parts->spki_der),
            std::move(parts->sans),
            std::move(parts->common_name),
            options,
            std::nullopt,
            false};
  RETURN_IF_ERROR(FoldCommonName(leaf.common_name, leaf.sans));
  return IssueLeaf(leaf, now, std::move(intent));
}

Result<Issued> Authority::IssueWithKey(const KeyIssueRequest& request, TimePoint now) {
  ASSIGN_OR_RETURN(const Profile* profile, settings_.FindProfile(request.options.profile));
  Leaf leaf{pki::PublicKey::Share(nullptr),
            {},
            FromSanRequest(request.sans),
            request.common_name,
            request.options,
            std::nullopt,
            request.store_key};
  RETURN_IF_ERROR(FoldCommonName(leaf.common_name, leaf.sans));
  // Refuse before spending a key generation on names the profile does not allow.
  RETURN_IF_ERROR(CheckNames(*profile, settings_.trust_domain, leaf.sans));
  ASSIGN_OR_RETURN(pki::PrivateKey key,
                   pki::PrivateKey::Generate(request.key_type.value_or(profile->key_type)));
  leaf.public_key = key.GetPublicKey();
  leaf.spki_der = leaf.public_key.SpkiDer();
  leaf.key = std::move(key);
  return IssueLeaf(leaf, now);
}

Result<Issued> Authority::IssueForPublicKey(const pki::PublicKey& key,
                                            const KeyIssueRequest& request, TimePoint now) {
  if (auto type = key.Type(); !type.ok()) {
    return InvalidArgumentError("public key: " + type.status().message());
  }
  Leaf leaf{pki::PublicKey::Share(key.get()),
            key.SpkiDer(),
            FromSanRequest(request.sans),
            request.common_name,
            request.options,
            std::nullopt,
            false};
  if (leaf.spki_der.empty()) return InvalidArgumentError("the public key cannot be encoded");
  RETURN_IF_ERROR(FoldCommonName(leaf.common_name, leaf.sans));
  return IssueLeaf(leaf, now);
}

std::string Issued::CertificatePem() const {
  return pki::EncodePem("CERTIFICATE", certificate_der);
}

const pki::Certificate& Issued::certificate() const {
  if (!parsed_certificate) {
    auto cert = pki::Certificate::FromDer(certificate_der);
    // The DER came from this CA's own encoder, which a unit test holds byte-identical to
    // OpenSSL's; failing to parse it is a broken invariant (or no memory), not bad input.
    if (!cert.ok()) {
      log::Error("issued certificate does not parse",
                 {{"serial", serial_hex}, {"reason", cert.status().ToString()}});
      std::abort();
    }
    parsed_certificate = std::move(*cert);
  }
  return *parsed_certificate;
}

struct Authority::IssuingContext {
  CaEntity issuer;  // the active intermediate, key online
  pki::Certificate root;
  TimePoint issuer_not_before;
  TimePoint issuer_not_after;
  std::string issuer_subject;  // what the leaf's issuer field reads as text
  std::string chain_pem;       // the intermediate, the record's chain
  std::vector<std::pair<Bytes, std::string>> ca_spkis;  // every CA row: never certified for a leaf
  bool name_constrained = false;       // the intermediate or the root carries nameConstraints
  std::unique_ptr<LeafSigner> signer;  // null: this key type takes SignCertificate
  std::optional<std::string> crl_url, ocsp_url, ca_issuers_url;  // expanded for the issuer
  uint64_t generation = 0;
  std::chrono::steady_clock::time_point loaded_at;
};

Result<std::shared_ptr<const Authority::IssuingContext>> Authority::CurrentIssuingContext() {
  std::lock_guard lock(issuing_mu_);
  const auto fresh_for = std::chrono::seconds(1);
  const uint64_t generation = ca_generation_.load();
  if (issuing_ && issuing_->generation == generation &&
      std::chrono::steady_clock::now() - issuing_->loaded_at < fresh_for) {
    return issuing_;
  }
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, true));
  const CaEntity* issuer = FindByStatus(cas, kRoleIntermediate, kCaActive);
  const CaEntity* root = FindRoot(cas);
  if (issuer == nullptr || root == nullptr) {
    return FailedPreconditionError("the internal CA is not initialised: run `certkeeper ca init`");
  }
  if (!issuer->key) {
    return FailedPreconditionError("the active intermediate '" + issuer->record.name +
                                   "' has no key in the store");
  }
  auto ctx = std::make_shared<IssuingContext>(IssuingContext{*issuer,
                                                             root->cert,
                                                             issuer->cert.NotBefore(),
                                                             issuer->cert.NotAfter(),
                                                             issuer->cert.Subject(),
                                                             issuer->cert.ToPem(),
                                                             {},
                                                             false,
                                                             nullptr,
                                                             {},
                                                             {},
                                                             {},
                                                             generation,
                                                             std::chrono::steady_clock::now()});
  for (const auto& ca : cas) {
    ctx->ca_spkis.emplace_back(ca.cert.GetPublicKey().SpkiDer(), ca.record.name);
  }
  for (const pki::Certificate* c : {&issuer->cert, &root->cert}) {
    if (X509_get_ext_by_NID(c->get(), NID_name_constraints, -1) >= 0) ctx->name_constrained = true;
  }
  auto signer = LeafSigner::Create(issuer->cert, *issuer->key);
  if (signer.ok()) {
    ctx->signer = std::move(*signer);
  } else if (signer.status().code() != StatusCode::kUnimplemented) {
    return signer.status().WithContext("prepare intermediate '" + issuer->record.name + "'");
  }
  const std::string& name = issuer->record.name;
  if (!settings_.crl_url.empty()) ctx->crl_url = ExpandCaUrl(settings_.crl_url, name);
  if (!settings_.ocsp_url.empty()) ctx->ocsp_url = ExpandCaUrl(settings_.ocsp_url, name);
  if (!settings_.ca_issuers_url.empty()) {
    ctx->ca_issuers_url = ExpandCaUrl(settings_.ca_issuers_url, name);
  }
  issuing_ = std::move(ctx);
  return issuing_;
}

Result<Issued> Authority::IssueLeaf(const Leaf& leaf, TimePoint now,
                                    store::GroupCommit::Intent intent) {
  const IssueOptions& o = leaf.options;
  ASSIGN_OR_RETURN(const Profile* profile, settings_.FindProfile(o.profile));
  const seconds lifetime = o.lifetime.value_or(profile->lifetime);
  if (lifetime > profile->max_lifetime) {
    return InvalidArgumentError("requested lifetime " + FormatDuration(lifetime) +
                                " exceeds the maximum of profile '" + profile->name + "' (" +
                                FormatDuration(profile->max_lifetime) + ")");
  }
  if (lifetime < kMinLifetime) {
    return InvalidArgumentError("requested lifetime " + FormatDuration(lifetime) +
                                " is below the minimum " + FormatDuration(kMinLifetime));
  }
  RETURN_IF_ERROR(CheckNames(*profile, settings_.trust_domain, leaf.sans));

  if (!intent.held()) intent = issuance_commits_.Announce();
  ASSIGN_OR_RETURN(std::shared_ptr<const IssuingContext> ctx, CurrentIssuingContext());
  const CaEntity* issuer = &ctx->issuer;
  if (now < ctx->issuer_not_before || now >= ctx->issuer_not_after) {
    return FailedPreconditionError(
        "the active intermediate '" + issuer->record.name + "' is not valid at " +
        FormatRfc3339(now) + " (valid until " + FormatRfc3339(ctx->issuer_not_after) +
        "); rotate it with `certkeeper ca rotate-intermediate --activate`");
  }
  const Bytes& spki = leaf.spki_der;
  for (const auto& [ca_spki, name] : ctx->ca_spkis) {
    if (ca_spki == spki) {
      return InvalidArgumentError("the request carries the public key of CA '" + name + "'");
    }
  }

  CertTemplate t;
  t.kind = CertKind::kLeaf;
  if (leaf.common_name.size() <= kMaxCommonName) t.common_name = leaf.common_name;
  if (t.common_name.empty()) {
    for (const auto& san : leaf.sans) {
      if (san.type == pki::SanType::kDns && san.value.size() <= kMaxCommonName) {
        t.common_name = san.value;
        break;
      }
    }
  }
  ASSIGN_OR_RETURN(t.serial, NewSerial());
  // Whole seconds: what the certificate can say, and so what the record says.
  t.not_before = FromUnixSeconds(ToUnixSeconds(now - kBackdate));
  t.not_after = FromUnixSeconds(ToUnixSeconds(now + lifetime));
  const bool capped = t.not_after > ctx->issuer_not_after;
  if (capped) t.not_after = ctx->issuer_not_after;
  t.ekus = profile->ekus;
  t.sans = leaf.sans;
  const std::string& ca_name = issuer->record.name;
  t.crl_url = ctx->crl_url.value_or("");
  t.ocsp_url = ctx->ocsp_url.value_or("");
  t.ca_issuers_url = ctx->ca_issuers_url.value_or("");
  Bytes der;
  if (ctx->signer) {
    auto fast = ctx->signer->Sign(t, spki);
    if (fast.ok()) {
      der = std::move(*fast);
    } else if (fast.status().code() != StatusCode::kUnimplemented) {
      return fast.status();
    }
  }
  std::optional<pki::Certificate> slow;
  if (der.empty()) {
    ASSIGN_OR_RETURN(slow, SignCertificate(t, leaf.public_key, &issuer->cert, *issuer->key));
    der = slow->ToDer();
  }
  std::optional<pki::Certificate> parsed = std::move(slow);
  // What a verifier would refuse, the CA refuses: the chain's name constraints.
  if (ctx->name_constrained) {
    if (!parsed) {
      ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::FromDer(der));
      parsed = std::move(cert);
    }
    RETURN_IF_ERROR(CheckNameConstraints(*parsed, {issuer->cert, ctx->root}));
  }

  Issued out{der,
             t.not_before,
             t.not_after,
             {issuer->cert},
             ctx->root,
             leaf.key,
             SerialToHex(t.serial),
             profile->name,
             ca_name,
             0,
             std::nullopt,
             capped,
             std::move(parsed)};
  store::CertificateRecord rec;
  rec.name = !o.name.empty()             ? o.name
             : !leaf.common_name.empty() ? leaf.common_name
                                         : leaf.sans.front().value;
  rec.source = kSourceCa;
  rec.issuer = ctx->issuer_subject;
  rec.serial_hex = out.serial_hex;
  for (const auto& san : leaf.sans) rec.sans.push_back(pki::FormatSan(san));
  rec.not_before = t.not_before;
  rec.not_after = t.not_after;
  rec.cert_pem = out.CertificatePem();
  rec.chain_pem = ctx->chain_pem;
  const Bytes fingerprint = pki::Sha256(der);
  rec.fingerprint_sha256 = HexEncode(fingerprint.data(), fingerprint.size(), true);
  rec.created_at = now;
  nlohmann::json details = {
      {"source", kSourceCa},
      {"ca", ca_name},
      {"profile", profile->name},
      {"serial", out.serial_hex},
      {"sans", rec.sans},
      {"not_after", FormatRfc3339(rec.not_after)},
      {"key", leaf.key ? (leaf.store_key ? "generated, stored" : "generated") : "from CSR"}};
  RETURN_IF_ERROR(issuance_commits_.Run(
      [&](store::Store& tx) -> Status {
        if (leaf.key && leaf.store_key) {
          store::KeyRecord meta;
          meta.label = "ca-issued/" + out.serial_hex;
          auto type = leaf.key->Type();
          meta.algorithm = type.ok() ? std::string(pki::KeyTypeName(*type)) : "";
          meta.public_pin = leaf.key->SpkiSha256Pin();
          meta.created_at = now;
          ASSIGN_OR_RETURN(rec.key_id, tx.PutPrivateKey(meta, leaf.key->ToPem()));
        }
        if (!rec.key_id && o.key_id) rec.key_id = o.key_id;
        ASSIGN_OR_RETURN(out.record_id, tx.PutCertificate(rec));
        return tx
            .AppendEvent({0, now, rec.name, "issued",
                          "issued by internal CA " + ca_name + " (profile " + profile->name +
                              "), serial " + out.serial_hex + ", expires " +
                              FormatRfc3339(rec.not_after),
                          details.dump()})
            .status();
      },
      intent));
  out.key_id = rec.key_id;
  CountIssued(profile->name);
  log::Info("certificate issued", {{"name", rec.name},
                                   {"serial", out.serial_hex},
                                   {"profile", profile->name},
                                   {"ca", ca_name},
                                   {"not_after", FormatRfc3339(rec.not_after)}});
  return out;
}

}  // namespace ck::ca
