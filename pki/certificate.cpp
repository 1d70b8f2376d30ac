#include "pki/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pki/der_util.hpp"
#include "pki/digest.hpp"
#include "pki/openssl_error.hpp"
#include "pki/pem_armor.hpp"
#include "pki/x509_util.hpp"

namespace ck::pki {
namespace {

using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, FreeWith<CRL_DIST_POINTS_free>>;

bool IsCertificateLabel(std::string_view label) {
  return label == "CERTIFICATE" || label == "X509 CERTIFICATE";
}

std::string OctetsHex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return HexEncode(ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s)), true);
}

std::vector<std::string> KeyUsageNames(uint32_t bits) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames) {
    if ((bits & bit) != 0) out.emplace_back(name);
  }
  return out;
}

void CollectAccessUrls(X509* x, CertificateInfo* info) {
  StackOfOpenSslStringPtr ocsp(X509_get1_ocsp(x));
  for (int i = 0; ocsp && i < sk_OPENSSL_STRING_num(ocsp.get()); ++i) {
    info->ocsp_urls.emplace_back(sk_OPENSSL_STRING_value(ocsp.get(), i));
  }
  AuthorityInfoAccessPtr aia(
      static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(x, NID_info_access, nullptr, nullptr)));
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
    if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI) {
      const ASN1_STRING* uri = ad->location->d.uniformResourceIdentifier;
      info->ca_issuer_urls.push_back(EscapeForDisplay(
          ASN1_STRING_get0_data(uri), static_cast<size_t>(ASN1_STRING_length(uri))));
    }
  }
  CrlDistPointsPtr dps(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(x, NID_crl_distribution_points, nullptr, nullptr)));
  for (int i = 0; dps && i < sk_DIST_POINT_num(dps.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(dps.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;  // 0 = fullName
    for (const auto& san : DecodeGeneralNames(dp->distpoint->name.fullname)) {
      if (san.type == SanType::kUri) info->crl_urls.push_back(san.value);
    }
  }
}

}  // namespace

std::vector<std::string> CertificateInfo::DnsNames() const {
  std::vector<std::string> out;
  for (const auto& san : sans) {
    if (san.type == SanType::kDns) out.push_back(san.value);
  }
  return out;
}

Result<Certificate> Certificate::FromDer(const uint8_t* data, size_t len) {
  ASSIGN_OR_RETURN(X509Ptr x509, DecodeDerExact<X509Ptr>(data, len, "certificate",
                                                         [](const unsigned char** p, long n) {
                                                           return d2i_X509(nullptr, p, n);
                                                         }));
  // Reject what the rest of the code could not reason about, once, here: a certificate whose
  // validity dates or key do not decode has no meaningful expiry or pin.
  if (!Asn1TimeToTimePoint(X509_get0_notBefore(x509.get())).ok() ||
      !Asn1TimeToTimePoint(X509_get0_notAfter(x509.get())).ok()) {
    return InvalidArgumentError("certificate has a malformed validity date");
  }
  // RFC 5280 §4.1.2.1: v1, v2 or v3 (0..2 on the wire); anything else is not a certificate
  // any relying party would accept.
  if (long version = X509_get_version(x509.get()); version < 0 || version > 2) {
    return InvalidArgumentError("certificate has an undefined version number (" +
                                std::to_string(version) + ")");
  }
  if (X509_get0_pubkey(x509.get()) == nullptr) {
    ERR_clear_error();
    return InvalidArgumentError(
        "certificate public key cannot be decoded (corrupt or unsupported algorithm)");
  }
  return Certificate(std::move(x509));
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  std::string labels;
  for (const auto& block : blocks) {
    if (IsCertificateLabel(block.label)) {
      auto cert = FromDer(block.der);
      if (!cert.ok()) return cert.status().WithContext("PEM block " + std::to_string(block.index));
      return cert;
    }
    if (!labels.empty()) labels += ", ";
    labels += block.label;
  }
  return InvalidArgumentError("no certificate in the PEM input (found: " + labels + ")");
}

Certificate Certificate::Share(X509* x509) {
  X509_up_ref(x509);
  return Certificate(X509Ptr(x509));
}

Certificate::Certificate(const Certificate& other) {
  if (other.x509_) {
    X509_up_ref(other.x509_.get());
    x509_.reset(other.x509_.get());
  }
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) *this = Certificate(other);
  return *this;
}

Bytes Certificate::ToDer() const {
  return EncodeDer([&](unsigned char** out) { return i2d_X509(x509_.get(), out); });
}

std::string Certificate::ToPem() const { return EncodePem("CERTIFICATE", ToDer()); }

std::string Certificate::Subject() const {
  return NameToString(X509_get_subject_name(x509_.get()));
}
std::string Certificate::Issuer() const { return NameToString(X509_get_issuer_name(x509_.get())); }
std::string Certificate::CommonName() const {
  return CommonNameOf(X509_get_subject_name(x509_.get()));
}
std::string Certificate::SerialHex() const {
  return Asn1IntegerToHex(X509_get0_serialNumber(x509_.get()));
}
// FromDer() proved both dates decode, so value_or never takes the fallback.
TimePoint Certificate::NotBefore() const {
  return Asn1TimeToTimePoint(X509_get0_notBefore(x509_.get())).value_or(TimePoint{});
}
TimePoint Certificate::NotAfter() const {
  return Asn1TimeToTimePoint(X509_get0_notAfter(x509_.get())).value_or(TimePoint{});
}

std::vector<SubjectAltName> Certificate::SubjectAltNames() const {
  ScopedOpenSslErrorClear clear;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x509_.get(), NID_subject_alt_name, nullptr, nullptr)));
  return DecodeGeneralNames(names.get());
}

PublicKey Certificate::GetPublicKey() const {
  return PublicKey::Share(X509_get0_pubkey(x509_.get()));
}

std::string Certificate::SpkiSha256Pin() const {
  // Hash the SPKI exactly as encoded in the certificate, the bytes RFC 7469 §2.4 pins.
  Bytes spki = EncodeDer(
      [&](unsigned char** out) { return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509_.get()), out); });
  return Base64Encode(Sha256(spki));
}

std::string Certificate::Sha256Fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(x509_.get(), EVP_sha256(), md, &len) != 1) {
    ERR_clear_error();
    return "";
  }
  return HexEncode(md, len, true);
}

bool Certificate::IsSelfSigned() const {
  ScopedOpenSslErrorClear clear;
  return X509_self_signed(x509_.get(), /*verify_signature=*/1) == 1;
}

bool Certificate::operator==(const Certificate& other) const {
  // X509_cmp fills the extension cache and queues an error for an extension that does not
  // decode; that error is not ours to report, and must not leak into a later OpenSslError().
  ScopedOpenSslErrorClear clear;
  return X509_cmp(x509_.get(), other.x509_.get()) == 0;
}

CertificateInfo Certificate::Inspect() const {
  ScopedOpenSslErrorClear clear;  // absent or odd extensions queue errors we do not report
  // Non-const: several OpenSSL 3.0 getters fill the extension cache on first use.
  X509* x = x509_.get();
  CertificateInfo info;
  info.version = static_cast<int>(X509_get_version(x)) + 1;
  info.subject = Subject();
  info.issuer = Issuer();
  info.common_name = CommonName();
  info.serial_hex = SerialHex();
  info.not_before = NotBefore();
  info.not_after = NotAfter();
  info.sans = SubjectAltNames();

  KeyInfo key = DescribeKey(X509_get0_pubkey(x));
  info.key_algorithm = key.algorithm;
  info.key_bits = key.bits;
  info.key_type = key.type;

  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(nullptr, &sig_alg, x);
  const ASN1_OBJECT* sig_oid = nullptr;
  X509_ALGOR_get0(&sig_oid, nullptr, nullptr, sig_alg);
  info.signature_algorithm = ObjectName(sig_oid, /*prefer_long_name=*/true);

  info.subject_key_id = OctetsHex(X509_get0_subject_key_id(x));
  info.authority_key_id = OctetsHex(X509_get0_authority_key_id(x));

  ExtendedKeyUsagePtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    info.extended_key_usages.push_back(ObjectName(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0) {
    info.key_usages = KeyUsageNames(X509_get_key_usage(x));
  }
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(x, NID_basic_constraints, nullptr, nullptr)));
  if (bc) {
    info.is_ca = bc->ca != 0;
    if (bc->pathlen != nullptr) info.path_length = static_cast<int>(ASN1_INTEGER_get(bc->pathlen));
  }
  info.spki_sha256_pin = SpkiSha256Pin();
  info.sha256_fingerprint = Sha256Fingerprint();
  info.self_signed = IsSelfSigned();
  CollectAccessUrls(x, &info);
  return info;
}

Result<std::vector<Certificate>> ParseCertificateChain(std::string_view pem) {
  if (pem.empty()) return InvalidArgumentError("certificate chain: input is empty");
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  std::vector<Certificate> chain;
  std::string labels;
  for (const auto& block : blocks) {
    if (!IsCertificateLabel(block.label)) {
      if (!labels.empty()) labels += ", ";
      labels += block.label;
      continue;
    }
    auto cert = Certificate::FromDer(block.der);
    if (!cert.ok()) {
      return cert.status().WithContext("certificate chain, PEM block " +
                                       std::to_string(block.index));
    }
    chain.push_back(std::move(cert).value());
  }
  if (chain.empty()) {
    return InvalidArgumentError("no certificate in the PEM input (found: " + labels + ")");
  }
  return chain;
}

std::string ChainToPem(const std::vector<Certificate>& chain) {
  std::string out;
  for (const auto& cert : chain) out += cert.ToPem();
  return out;
}

bool MatchesHostname(const Certificate& cert, std::string_view host) {
  ScopedOpenSslErrorClear clear;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // FQDN form "example.com."
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // "[2001:db8::1]" as written in URLs
  }
  if (host.empty() || host.find('\0') != std::string_view::npos) return false;
  const std::string h(host);
  if (IsIpLiteral(h)) {
    return X509_check_ip_asc(cert.get(), h.c_str(), 0) == 1;
  }
  constexpr unsigned int kFlags =
      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  return X509_check_host(cert.get(), h.data(), h.size(), kFlags, nullptr) == 1;
}

bool KeyMatches(const Certificate& cert, const PrivateKey& key) {
  ScopedOpenSslErrorClear clear;
  return EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1;
}

}  // namespace ck::pki
