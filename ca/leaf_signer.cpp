#include "ca/leaf_signer.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <set>

#include "pki/der_util.hpp"
#include "pki/der_writer.hpp"
#include "pki/general_names.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {
namespace {

using namespace pki::der;  // NOLINT: the DER vocabulary, used throughout

// Object identifier contents (without tag and length).
const Bytes kOidCommonName = {0x55, 0x04, 0x03};
const Bytes kOidBasicConstraints = {0x55, 0x1d, 0x13};
const Bytes kOidKeyUsage = {0x55, 0x1d, 0x0f};
const Bytes kOidExtKeyUsage = {0x55, 0x1d, 0x25};
const Bytes kOidSubjectKeyId = {0x55, 0x1d, 0x0e};
const Bytes kOidAuthorityKeyId = {0x55, 0x1d, 0x23};
const Bytes kOidSubjectAltName = {0x55, 0x1d, 0x11};
const Bytes kOidCrlDistributionPoints = {0x55, 0x1d, 0x1f};
const Bytes kOidAuthorityInfoAccess = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
const Bytes kOidServerAuth = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
const Bytes kOidClientAuth = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
const Bytes kOidAdOcsp = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01};
const Bytes kOidAdCaIssuers = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02};

// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
void AppendExtension(Bytes& out, const Bytes& oid, bool critical, const Bytes& value) {
  Bytes ext;
  AppendTlv(ext, kOid, oid);
  if (critical) ext.insert(ext.end(), {kBoolean, 0x01, 0xff});
  AppendTlv(ext, kOctetString, value);
  AppendTlv(out, kSequence, ext);
}

// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in seconds, Z.
Result<Bytes> Time(TimePoint t) {
  const time_t secs = pki::ToTimeT(t);
  struct tm tm {};
  if (gmtime_r(&secs, &tm) == nullptr) return InvalidArgumentError("time out of range");
  const int year = tm.tm_year + 1900;
  if (year < 1950 || year > 9999) return InvalidArgumentError("time out of range");
  char buf[64];
  if (year < 2050) {
    std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return Tlv(kUtcTime, ToBytes(buf));
  }
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return Tlv(kGeneralizedTime, ToBytes(buf));
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == 0) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// GeneralNames in BuildGeneralNames' order and with its de-duplication: DNS names (case-
// insensitive), IP addresses (by value), URIs, emails.
Result<Bytes> SubjectAltNames(const std::vector<pki::SubjectAltName>& sans) {
  Bytes names;
  std::set<std::string> seen;
  for (pki::SanType type :
       {pki::SanType::kDns, pki::SanType::kIp, pki::SanType::kUri, pki::SanType::kEmail}) {
    for (const auto& san : sans) {
      if (san.type != type) continue;
      if (!IsAscii(san.value)) return UnimplementedError("non-ASCII name");
      switch (type) {
        case pki::SanType::kDns:
          RETURN_IF_ERROR(pki::ValidateDnsName(san.value));
          if (seen.insert("DNS:" + Lower(san.value)).second) {
            AppendTlv(names, Implicit(2), san.value);
          }
          break;
        case pki::SanType::kIp: {
          RETURN_IF_ERROR(pki::ValidateIpAddress(san.value));
          uint8_t addr[16];
          size_t len = 0;
          if (inet_pton(AF_INET, san.value.c_str(), addr) == 1) {
            len = 4;
          } else if (inet_pton(AF_INET6, san.value.c_str(), addr) == 1) {
            len = 16;
          } else {
            return InvalidArgumentError("bad IP address '" + san.value + "'");
          }
          if (seen.insert("IP:" + std::string(reinterpret_cast<char*>(addr), len)).second) {
            AppendTlv(names, Implicit(7), addr, len);
          }
          break;
        }
        case pki::SanType::kUri:
          RETURN_IF_ERROR(pki::ValidateUri(san.value));
          if (seen.insert("URI:" + san.value).second) AppendTlv(names, Implicit(6), san.value);
          break;
        case pki::SanType::kEmail:
          RETURN_IF_ERROR(pki::ValidateEmail(san.value));
          if (seen.insert("email:" + san.value).second) AppendTlv(names, Implicit(1), san.value);
          break;
        default: break;
      }
    }
  }
  for (const auto& san : sans) {
    if (san.type != pki::SanType::kDns && san.type != pki::SanType::kIp &&
        san.type != pki::SanType::kUri && san.type != pki::SanType::kEmail) {
      return InvalidArgumentError("SAN type " + std::string(pki::SanTypeName(san.type)) +
                                  " cannot be issued");
    }
  }
  return Tlv(kSequence, names);
}

// The parts of an SPKI DER the encoder needs: SEQUENCE { AlgorithmIdentifier SEQUENCE
// { algorithm OID, ... }, subjectPublicKey BIT STRING }.
struct SpkiParts {
  bool rsa = false;               // algorithm rsaEncryption
  const uint8_t* bits = nullptr;  // subjectPublicKey contents after the unused-bits octet
  size_t bits_len = 0;
};

Result<SpkiParts> ParseSpki(const Bytes& spki) {
  auto bad = [] { return InvalidArgumentError("subject public key info does not parse"); };
  const unsigned char* p = spki.data();
  const unsigned char* const end = spki.data() + spki.size();
  long len = 0;
  int tag = 0, cls = 0;
  auto next = [&](int want) {
    const unsigned char* start = p;
    return !(ASN1_get_object(&p, &len, &tag, &cls, end - start) & 0x80) && tag == want &&
           cls == V_ASN1_UNIVERSAL && len <= end - p;
  };
  if (!next(V_ASN1_SEQUENCE) || p + len != end) return bad();
  if (!next(V_ASN1_SEQUENCE)) return bad();
  const unsigned char* after_alg = p + len;
  if (!next(V_ASN1_OBJECT)) return bad();
  static const uint8_t kRsaEncryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
  SpkiParts parts;
  parts.rsa = len == sizeof kRsaEncryption && std::memcmp(p, kRsaEncryption, len) == 0;
  p = after_alg;
  if (!next(V_ASN1_BIT_STRING) || len < 1 || p + len != end) return bad();
  parts.bits = p + 1;
  parts.bits_len = static_cast<size_t>(len - 1);
  return parts;
}

}  // namespace

Result<std::unique_ptr<LeafSigner>> LeafSigner::Create(const pki::Certificate& issuer,
                                                       const pki::PrivateKey& key) {
  pki::ScopedOpenSslErrorClear clear;
  const int id = EVP_PKEY_get_id(key.get());
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA) {
    return UnimplementedError("the fast issuance path signs with ECDSA and RSA keys only");
  }
  std::unique_ptr<LeafSigner> s(new LeafSigner());
  EVP_PKEY_up_ref(key.get());
  s->key_.reset(key.get());
  const EVP_MD* digest = SigningDigest(key);
  s->digest_.reset(EVP_MD_fetch(nullptr, EVP_MD_get0_name(digest), nullptr));
  s->sha1_.reset(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  if (!s->digest_ || !s->sha1_) {
    return pki::OpenSslError(StatusCode::kInternal, "fetch digests");
  }
  s->issuer_name_der_ = pki::EncodeDer(
      [&](unsigned char** out) { return i2d_X509_NAME(X509_get_subject_name(issuer.get()), out); });
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }, from the
  // issuer's subject key identifier as SignCertificate takes it.
  Bytes key_id;
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer.get())) {
    key_id.assign(ASN1_STRING_get0_data(ski), ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
  } else {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_pubkey_digest(issuer.get(), EVP_sha1(), md, &len) != 1) {
      return pki::OpenSslError(StatusCode::kInternal, "issuer key identifier");
    }
    key_id.assign(md, md + len);
  }
  Bytes aki_value;
  AppendTlv(aki_value, Implicit(0), key_id);
  AppendExtension(s->authority_key_id_der_, kOidAuthorityKeyId, false, Tlv(kSequence, aki_value));
  // The AlgorithmIdentifier OpenSSL writes for this key and digest, taken from a probe it
  // signs (parameters differ between algorithms: absent for ECDSA, NULL for RSA).
  pki::X509Ptr probe(X509_new());
  if (!probe || X509_set_pubkey(probe.get(), X509_get0_pubkey(issuer.get())) != 1 ||
      X509_sign(probe.get(), key.get(), digest) <= 0) {
    return pki::OpenSslError(StatusCode::kInternal, "probe signature");
  }
  s->signature_algorithm_der_ = pki::EncodeDer(
      [&](unsigned char** out) { return i2d_X509_ALGOR(X509_get0_tbs_sigalg(probe.get()), out); });
  if (s->issuer_name_der_.empty() || s->signature_algorithm_der_.empty()) {
    return pki::OpenSslError(StatusCode::kInternal, "encode issuer");
  }
  // Prove the pair: a leaf signed on this path verifies under the issuer's public key.
  CertTemplate t;
  t.kind = CertKind::kLeaf;
  t.serial = {0x01};
  t.not_before = FromUnixSeconds(ToUnixSeconds(std::chrono::system_clock::now()));
  t.not_after = t.not_before + std::chrono::hours(1);
  t.sans = {{pki::SanType::kDns, "probe.invalid"}};
  const Bytes spki = pki::EncodeDer(
      [&](unsigned char** out) { return i2d_PUBKEY(X509_get0_pubkey(issuer.get()), out); });
  ASSIGN_OR_RETURN(Bytes der, s->Sign(t, spki));
  ASSIGN_OR_RETURN(pki::Certificate signed_probe, pki::Certificate::FromDer(der));
  if (X509_verify(signed_probe.get(), X509_get0_pubkey(issuer.get())) != 1) {
    return pki::OpenSslError(StatusCode::kFailedPrecondition,
                             "the intermediate's key does not match its certificate");
  }
  return s;
}

pki::EvpPkeyCtxPtr LeafSigner::TakeContext() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      pki::EvpPkeyCtxPtr ctx = std::move(pool_.back());
      pool_.pop_back();
      return ctx;
    }
  }
  pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), digest_.get()) != 1) {
    return nullptr;
  }
  return ctx;
}

void LeafSigner::ReturnContext(pki::EvpPkeyCtxPtr ctx) const {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(ctx));
}

Result<Bytes> LeafSigner::Sign(const CertTemplate& t, const Bytes& subject_spki_der) const {
  if (t.kind != CertKind::kLeaf) return UnimplementedError("the fast path signs leaves only");
  if (t.serial.empty()) return InvalidArgumentError("certificate template has no serial");
  if (t.not_after <= t.not_before) {
    return InvalidArgumentError("certificate validity ends before it begins");
  }
  if (!IsAscii(t.common_name)) return UnimplementedError("non-ASCII common name");
  ASSIGN_OR_RETURN(SpkiParts spki, ParseSpki(subject_spki_der));

  Bytes tbs;
  tbs.reserve(1024);
  tbs.insert(tbs.end(), {Explicit(0), 0x03, kInteger, 0x01, 0x02});  // version v3
  const Bytes serial = UnsignedInteger(t.serial);
  tbs.insert(tbs.end(), serial.begin(), serial.end());
  tbs.insert(tbs.end(), signature_algorithm_der_.begin(), signature_algorithm_der_.end());
  tbs.insert(tbs.end(), issuer_name_der_.begin(), issuer_name_der_.end());
  ASSIGN_OR_RETURN(Bytes not_before, Time(t.not_before));
  ASSIGN_OR_RETURN(Bytes not_after, Time(t.not_after));
  not_before.insert(not_before.end(), not_after.begin(), not_after.end());
  AppendTlv(tbs, kSequence, not_before);
  // Subject: at most a commonName, as a UTF8String (OpenSSL's default string mask).
  Bytes rdns;
  if (!t.common_name.empty()) {
    Bytes atv;
    AppendTlv(atv, kOid, kOidCommonName);
    AppendTlv(atv, kUtf8String, t.common_name);
    AppendTlv(rdns, kSet, Tlv(kSequence, atv));
  }
  AppendTlv(tbs, kSequence, rdns);
  tbs.insert(tbs.end(), subject_spki_der.begin(), subject_spki_der.end());

  // Extensions, in SignCertificate's order.
  Bytes exts;
  AppendExtension(exts, kOidBasicConstraints, true, {kSequence, 0x00});  // cA FALSE
  // keyUsage: digitalSignature, plus keyEncipherment for RSA subjects (TLS 1.2 RSA key
  // exchange); a named BIT STRING drops its trailing zero bits.
  AppendExtension(
      exts, kOidKeyUsage, true,
      spki.rsa ? Bytes{kBitString, 0x02, 0x05, 0xa0} : Bytes{kBitString, 0x02, 0x07, 0x80});
  if (!t.ekus.empty()) {
    Bytes ekus;
    for (ExtendedKeyUsage e : t.ekus) {
      AppendTlv(ekus, kOid, e == ExtendedKeyUsage::kServerAuth ? kOidServerAuth : kOidClientAuth);
    }
    AppendExtension(exts, kOidExtKeyUsage, false, Tlv(kSequence, ekus));
  }
  // subjectKeyIdentifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1).
  uint8_t ski[EVP_MAX_MD_SIZE];
  unsigned int ski_len = 0;
  if (EVP_Digest(spki.bits, spki.bits_len, ski, &ski_len, sha1_.get(), nullptr) != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "subject key identifier");
  }
  Bytes ski_value;
  AppendTlv(ski_value, kOctetString, ski, ski_len);
  AppendExtension(exts, kOidSubjectKeyId, false, ski_value);
  exts.insert(exts.end(), authority_key_id_der_.begin(), authority_key_id_der_.end());
  if (!t.sans.empty()) {
    ASSIGN_OR_RETURN(Bytes names, SubjectAltNames(t.sans));
    // RFC 5280 §4.2.1.6: critical when the subject is empty.
    AppendExtension(exts, kOidSubjectAltName, t.common_name.empty(), names);
  }
  if (!t.crl_url.empty()) {
    if (!IsAscii(t.crl_url)) return UnimplementedError("non-ASCII URL");
    // CRLDistributionPoints ::= SEQUENCE OF DistributionPoint { distributionPoint [0]
    // DistributionPointName ::= CHOICE { fullName [0] GeneralNames } }
    Bytes uri;
    AppendTlv(uri, Implicit(6), t.crl_url);
    AppendExtension(exts, kOidCrlDistributionPoints, false,
                    Tlv(kSequence, Tlv(kSequence, Tlv(Explicit(0), Tlv(Explicit(0), uri)))));
  }
  if (!t.ocsp_url.empty() || !t.ca_issuers_url.empty()) {
    Bytes access;
    for (auto [oid, url] :
         {std::pair{&kOidAdOcsp, &t.ocsp_url}, std::pair{&kOidAdCaIssuers, &t.ca_issuers_url}}) {
      if (url->empty()) continue;
      if (!IsAscii(*url)) return UnimplementedError("non-ASCII URL");
      Bytes description;
      AppendTlv(description, kOid, *oid);
      AppendTlv(description, Implicit(6), *url);
      AppendTlv(access, kSequence, description);
    }
    AppendExtension(exts, kOidAuthorityInfoAccess, false, Tlv(kSequence, access));
  }
  AppendTlv(tbs, Explicit(3), Tlv(kSequence, exts));
  const Bytes tbs_der = Tlv(kSequence, tbs);

  // Sign the digest of the TBSCertificate.
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(tbs_der.data(), tbs_der.size(), md, &md_len, digest_.get(), nullptr) != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "digest certificate");
  }
  pki::EvpPkeyCtxPtr ctx = TakeContext();
  if (!ctx) return pki::OpenSslError(StatusCode::kInternal, "signing context");
  size_t sig_len = 0;
  Bytes sig;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &sig_len, md, md_len) != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "sign certificate");
  }
  sig.resize(sig_len + 1);
  sig[0] = 0;  // BIT STRING: no unused bits
  if (EVP_PKEY_sign(ctx.get(), sig.data() + 1, &sig_len, md, md_len) != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "sign certificate");
  }
  ReturnContext(std::move(ctx));
  sig.resize(sig_len + 1);

  Bytes cert = tbs_der;
  cert.insert(cert.end(), signature_algorithm_der_.begin(), signature_algorithm_der_.end());
  AppendTlv(cert, kBitString, sig);
  return Tlv(kSequence, cert);
}

}  // namespace ck::ca
