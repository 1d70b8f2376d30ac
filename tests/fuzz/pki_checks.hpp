// Invariants every certificate, CSR and key that pki/ accepted from untrusted bytes must keep,
// shared by the PKI fuzz targets. Each Check* re-encodes the object, parses it again and
// compares, and inspects it the way `certkeeper inspect` and the renewal code would.
#pragma once

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/digest.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#define FUZZ_CLEAN(what) ::ck::fuzz::CheckOpenSslQueueEmpty(what, __FILE__, __LINE__)

namespace ck::fuzz {

// pki/ promises that "a later failure never reports this one's stale errors": every call leaves
// OpenSSL's thread-local error queue empty, whether it succeeded or failed. FUZZ_CLEAN(what)
// checks that after the call named `what`. With CK_FUZZ_OPENSSL_QUEUE=warn in the environment
// a leftover is reported once per call site and cleared instead, so a fuzzing session can list
// every offending call instead of stopping at the first.
inline void CheckOpenSslQueueEmpty(const char* after, const char* file, int line) {
  if (ERR_peek_error() == 0) return;
  static const bool warn_only = [] {
    const char* mode = std::getenv("CK_FUZZ_OPENSSL_QUEUE");
    return mode != nullptr && std::string_view(mode) == "warn";
  }();
  static std::set<std::string> reported;
  const std::string site = std::string(after) + " (" + file + ":" + std::to_string(line) + ")";
  if (!warn_only || reported.insert(site).second) {
    std::fprintf(stderr, "OpenSSL error queue not empty after %s:\n", site.c_str());
    ERR_print_errors_fp(stderr);
  }
  if (!warn_only) Fail("OpenSSL error queue is empty", file, line);
  ERR_clear_error();
}

inline bool SameSans(const std::vector<pki::SubjectAltName>& a,
                     const std::vector<pki::SubjectAltName>& b) {
  return a == b;
}

inline bool SameInfo(const pki::CertificateInfo& a, const pki::CertificateInfo& b) {
  return a.version == b.version && a.subject == b.subject && a.issuer == b.issuer &&
         a.common_name == b.common_name && a.serial_hex == b.serial_hex &&
         a.not_before == b.not_before && a.not_after == b.not_after && SameSans(a.sans, b.sans) &&
         a.key_algorithm == b.key_algorithm && a.key_bits == b.key_bits &&
         a.key_type == b.key_type && a.signature_algorithm == b.signature_algorithm &&
         a.subject_key_id == b.subject_key_id && a.authority_key_id == b.authority_key_id &&
         a.extended_key_usages == b.extended_key_usages && a.key_usages == b.key_usages &&
         a.is_ca == b.is_ca && a.path_length == b.path_length &&
         a.spki_sha256_pin == b.spki_sha256_pin && a.sha256_fingerprint == b.sha256_fingerprint &&
         a.self_signed == b.self_signed && a.ocsp_urls == b.ocsp_urls &&
         a.ca_issuer_urls == b.ca_issuer_urls && a.crl_urls == b.crl_urls;
}

inline bool SameInfo(const pki::CsrInfo& a, const pki::CsrInfo& b) {
  return a.subject == b.subject && a.common_name == b.common_name && SameSans(a.sans, b.sans) &&
         a.key_algorithm == b.key_algorithm && a.key_bits == b.key_bits &&
         a.key_type == b.key_type && a.signature_algorithm == b.signature_algorithm &&
         a.signature_valid == b.signature_valid && a.spki_sha256_pin == b.spki_sha256_pin;
}

// The instant an ASN.1 time names, computed without TimePoint (so without its range limit).
inline std::chrono::sys_seconds Asn1Instant(const ASN1_TIME* t) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace)
  std::tm tm{};
  FUZZ_CHECK(ASN1_TIME_to_tm(t, &tm) == 1);  // Certificate::FromDer checked that it decodes
  const year_month_day ymd{year{tm.tm_year + 1900}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                           day{static_cast<unsigned>(tm.tm_mday)}};
  FUZZ_CHECK(ymd.ok());
  return sys_days{ymd} + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

// A pin is base64 of a SHA-256: always 44 characters.
inline bool IsPin(const std::string& pin) { return pin.size() == 44 && pin.back() == '='; }

inline void CheckPublicKey(const pki::PublicKey& key) {
  const Bytes spki = key.SpkiDer();
  FUZZ_CLEAN("PublicKey::SpkiDer");
  FUZZ_CHECK(!spki.empty());
  FUZZ_CHECK(IsPin(key.SpkiSha256Pin()));
  FUZZ_CLEAN("PublicKey::SpkiSha256Pin");
  auto again = pki::PublicKey::FromDer(spki);
  FUZZ_CLEAN("PublicKey::FromDer");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->Equals(key));
  FUZZ_CLEAN("PublicKey::Equals");
  FUZZ_CHECK(again->SpkiDer() == spki);
  auto from_pem = pki::PublicKey::FromPem(key.ToPem());
  FUZZ_CLEAN("PublicKey::FromPem(ToPem())");
  FUZZ_CHECK(from_pem.ok());
  FUZZ_CHECK(from_pem->SpkiDer() == spki);
  const pki::KeyInfo info = key.Info();
  FUZZ_CLEAN("PublicKey::Info");
  FUZZ_CHECK(!info.algorithm.empty());
  auto type = key.Type();
  FUZZ_CLEAN("PublicKey::Type");
  FUZZ_CHECK(type.ok() == info.type.has_value());
  if (type.ok()) {
    // Every supported key must be expressible as a JWK (ACME account keys, JWS).
    auto components = key.Components();
    FUZZ_CLEAN("PublicKey::Components");
    FUZZ_CHECK(components.ok());
    FUZZ_CHECK(!components->kty.empty());
  }
}

inline void CheckPrivateKey(const pki::PrivateKey& key) {
  const Bytes der = key.ToDer();
  FUZZ_CLEAN("PrivateKey::ToDer");
  FUZZ_CHECK(!der.empty());  // an accepted key must be storable (unencrypted PKCS#8)
  auto again = pki::PrivateKey::FromDer(der);
  FUZZ_CLEAN("PrivateKey::FromDer(ToDer())");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->ToDer() == der);
  FUZZ_CHECK(again->GetPublicKey().Equals(key.GetPublicKey()));
  FUZZ_CLEAN("PrivateKey::GetPublicKey");
  FUZZ_CHECK(again->SpkiSha256Pin() == key.SpkiSha256Pin());
  FUZZ_CLEAN("PrivateKey::SpkiSha256Pin");
  auto from_pem = pki::PrivateKey::FromPem(key.ToPem());
  FUZZ_CLEAN("PrivateKey::FromPem(ToPem())");
  FUZZ_CHECK(from_pem.ok());
  FUZZ_CHECK(from_pem->ToDer() == der);
  CheckPublicKey(key.GetPublicKey());
  auto type = key.Type();
  FUZZ_CLEAN("PrivateKey::Type");
  if (type.ok()) {
    // A supported key that parsed and passed the pairwise check must be able to sign, and
    // its own public half must accept the signature.
    const Bytes message = ToBytes("certkeeper fuzz");
    const pki::DigestAlgorithm digest = pki::DefaultDigestFor(*type);
    auto sig = key.Sign(message, digest);
    FUZZ_CLEAN("PrivateKey::Sign");
    FUZZ_CHECK(sig.ok());
    FUZZ_CHECK(key.GetPublicKey().Verify(message, *sig, digest).ok());
    FUZZ_CLEAN("PublicKey::Verify");
  }
}

inline void CheckCertificate(const pki::Certificate& cert) {
  const Bytes der = cert.ToDer();
  FUZZ_CLEAN("Certificate::ToDer");
  FUZZ_CHECK(!der.empty());
  auto again = pki::Certificate::FromDer(der);
  FUZZ_CLEAN("Certificate::FromDer(ToDer())");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->ToDer() == der);
  FUZZ_CHECK(*again == cert);
  FUZZ_CLEAN("Certificate::operator==");
  auto from_pem = pki::Certificate::FromPem(cert.ToPem());
  FUZZ_CLEAN("Certificate::FromPem(ToPem())");
  FUZZ_CHECK(from_pem.ok());
  FUZZ_CHECK(from_pem->ToDer() == der);

  const pki::CertificateInfo info = cert.Inspect();
  FUZZ_CLEAN("Certificate::Inspect");
  FUZZ_CHECK(info.version >= 1 && info.version <= 3);
  FUZZ_CHECK(IsPin(info.spki_sha256_pin));
  FUZZ_CHECK(info.sha256_fingerprint == HexEncode(pki::Sha256(der), /*upper=*/true));
  FUZZ_CHECK(info.not_before == cert.NotBefore() && info.not_after == cert.NotAfter());
  FUZZ_CLEAN("Certificate::NotBefore/NotAfter");
  // The validity dates are the ones in the certificate (UTCTime or GeneralizedTime, years
  // 0000..9999), saturated where a TimePoint cannot hold them.
  FUZZ_CHECK(HoldsInstant(info.not_before, Asn1Instant(X509_get0_notBefore(cert.get()))));
  FUZZ_CHECK(HoldsInstant(info.not_after, Asn1Instant(X509_get0_notAfter(cert.get()))));
  FUZZ_CHECK(info.self_signed == cert.IsSelfSigned());
  FUZZ_CLEAN("Certificate::IsSelfSigned");
  FUZZ_CHECK(info.sans == cert.SubjectAltNames());
  FUZZ_CLEAN("Certificate::SubjectAltNames");
  // Inspection depends on the certificate only, not on how it was encoded or loaded.
  FUZZ_CHECK(SameInfo(info, again->Inspect()));
  FUZZ_CLEAN("Certificate::Inspect");
  for (const auto& san : info.sans) {
    static_cast<void>(pki::FormatSan(san));
    // A certificate must match every plain name it lists (RFC 6125 §6.4.1) and every IP.
    if (san.type == pki::SanType::kDns && san.value.find('*') == std::string::npos &&
        pki::ValidateDnsName(san.value).ok()) {
      FUZZ_CHECK(pki::MatchesHostname(cert, san.value));
    }
    if (san.type == pki::SanType::kIp && pki::IsIpLiteral(san.value)) {
      FUZZ_CHECK(pki::MatchesHostname(cert, san.value));
    }
    FUZZ_CLEAN("MatchesHostname");
  }
  static_cast<void>(pki::MatchesHostname(cert, "example.com"));
  FUZZ_CLEAN("MatchesHostname");
  CheckPublicKey(cert.GetPublicKey());
}

inline void CheckCsr(const pki::Csr& csr) {
  const Bytes der = csr.ToDer();
  FUZZ_CLEAN("Csr::ToDer");
  FUZZ_CHECK(!der.empty());
  auto again = pki::Csr::FromDer(der);
  FUZZ_CLEAN("Csr::FromDer(ToDer())");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->ToDer() == der);
  auto from_pem = pki::Csr::FromPem(csr.ToPem());
  FUZZ_CLEAN("Csr::FromPem(ToPem())");
  FUZZ_CHECK(from_pem.ok());
  FUZZ_CHECK(from_pem->ToDer() == der);

  const pki::CsrInfo info = csr.Inspect();
  FUZZ_CLEAN("Csr::Inspect");
  const Status verified = csr.VerifySignature();
  FUZZ_CLEAN("Csr::VerifySignature");
  FUZZ_CHECK(info.signature_valid == verified.ok());
  FUZZ_CHECK(verified.ok() || verified.code() == StatusCode::kInvalidArgument);
  FUZZ_CHECK(IsPin(info.spki_sha256_pin));
  FUZZ_CHECK(info.spki_sha256_pin == csr.GetPublicKey().SpkiSha256Pin());
  FUZZ_CHECK(info.sans == csr.SubjectAltNames());
  FUZZ_CLEAN("Csr::SubjectAltNames");
  FUZZ_CHECK(SameInfo(info, again->Inspect()));
  FUZZ_CLEAN("Csr::Inspect");
  for (const auto& san : info.sans) static_cast<void>(pki::FormatSan(san));
  CheckPublicKey(csr.GetPublicKey());
}

}  // namespace ck::fuzz
