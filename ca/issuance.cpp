// Authority: issuing leaf certificates from a CSR or with a server-side key.
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "ca/ca_metrics.hpp"
#include "ca/cert_builder.hpp"
#include "ca/name_policy.hpp"
#include "ca/serial.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "pki/digest.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {

struct Authority::Leaf {
  pki::PublicKey public_key;
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
  Leaf leaf{std::move(public_key),
            csr.SubjectAltNames(),
            pki::CommonNameOf(X509_REQ_get_subject_name(csr.get())),
            options,
            std::nullopt,
            false};
  RETURN_IF_ERROR(FoldCommonName(leaf.common_name, leaf.sans));
  return IssueLeaf(leaf, now);
}

Result<Issued> Authority::IssueWithKey(const KeyIssueRequest& request, TimePoint now) {
  ASSIGN_OR_RETURN(const Profile* profile, settings_.FindProfile(request.options.profile));
  Leaf leaf{pki::PublicKey::Share(nullptr),
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
  leaf.key = std::move(key);
  return IssueLeaf(leaf, now);
}

Result<Issued> Authority::IssueLeaf(const Leaf& leaf, TimePoint now) {
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
  if (now < issuer->cert.NotBefore() || now >= issuer->cert.NotAfter()) {
    return FailedPreconditionError(
        "the active intermediate '" + issuer->record.name + "' is not valid at " +
        FormatRfc3339(now) + " (valid until " + FormatRfc3339(issuer->cert.NotAfter()) +
        "); rotate it with `certkeeper ca rotate-intermediate --activate`");
  }
  for (const auto& ca : cas) {
    if (ca.cert.GetPublicKey().Equals(leaf.public_key)) {
      return InvalidArgumentError("the request carries the public key of CA '" + ca.record.name +
                                  "'");
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
  t.not_before = now - kBackdate;
  t.not_after = now + lifetime;
  const bool capped = t.not_after > issuer->cert.NotAfter();
  if (capped) t.not_after = issuer->cert.NotAfter();
  t.ekus = profile->ekus;
  t.sans = leaf.sans;
  const std::string& ca_name = issuer->record.name;
  if (!settings_.crl_url.empty()) t.crl_url = ExpandCaUrl(settings_.crl_url, ca_name);
  if (!settings_.ocsp_url.empty()) t.ocsp_url = ExpandCaUrl(settings_.ocsp_url, ca_name);
  if (!settings_.ca_issuers_url.empty()) {
    t.ca_issuers_url = ExpandCaUrl(settings_.ca_issuers_url, ca_name);
  }
  ASSIGN_OR_RETURN(pki::Certificate cert,
                   SignCertificate(t, leaf.public_key, &issuer->cert, *issuer->key));
  // What a verifier would refuse, the CA refuses: the chain's name constraints.
  RETURN_IF_ERROR(CheckNameConstraints(cert, {issuer->cert, root->cert}));

  Issued out{cert,          {issuer->cert}, root->cert, leaf.key,     SerialToHex(t.serial),
             profile->name, ca_name,        0,          std::nullopt, capped};
  store::CertificateRecord rec;
  rec.name = !o.name.empty()             ? o.name
             : !leaf.common_name.empty() ? leaf.common_name
                                         : leaf.sans.front().value;
  rec.source = kSourceCa;
  rec.issuer = cert.Issuer();
  rec.serial_hex = out.serial_hex;
  for (const auto& san : leaf.sans) rec.sans.push_back(pki::FormatSan(san));
  rec.not_before = cert.NotBefore();
  rec.not_after = cert.NotAfter();
  rec.cert_pem = cert.ToPem();
  rec.chain_pem = issuer->cert.ToPem();
  rec.fingerprint_sha256 = cert.Sha256Fingerprint();
  rec.created_at = now;
  nlohmann::json details = {
      {"source", kSourceCa},
      {"ca", ca_name},
      {"profile", profile->name},
      {"serial", out.serial_hex},
      {"sans", rec.sans},
      {"not_after", FormatRfc3339(rec.not_after)},
      {"key", leaf.key ? (leaf.store_key ? "generated, stored" : "generated") : "from CSR"}};
  RETURN_IF_ERROR(issuance_commits_.Run([&](store::Store& tx) -> Status {
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
  }));
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
