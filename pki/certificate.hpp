// X.509 certificates: parsing (PEM, DER, chains), inspection, hostname and key matching.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/general_names.hpp"
#include "pki/handles.hpp"
#include "pki/key.hpp"

namespace ck::pki {

// Everything `certkeeper inspect` and the renewal/monitoring code need to know about a
// certificate, as plain values. Hex fields are uppercase without separators.
struct CertificateInfo {
  int version = 0;      // 1..3 as people count, not the 0-based wire value
  std::string subject;  // RFC 2253
  std::string issuer;   // RFC 2253
  std::string common_name;
  std::string serial_hex;
  TimePoint not_before;
  TimePoint not_after;
  std::vector<SubjectAltName> sans;
  std::string key_algorithm;  // "ECDSA P-256", "RSA", "Ed25519"
  int key_bits = 0;
  std::optional<KeyType> key_type;
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption", ...
  std::string subject_key_id;       // empty when the extension is absent
  std::string authority_key_id;     // keyIdentifier only; empty when absent
  std::vector<std::string> extended_key_usages;  // "serverAuth", "clientAuth", or dotted OID
  std::vector<std::string> key_usages;           // "digitalSignature", "keyCertSign", ...
  bool is_ca = false;
  std::optional<int> path_length;
  std::string spki_sha256_pin;     // base64, RFC 7469
  std::string sha256_fingerprint;  // of the DER certificate
  bool self_signed = false;        // subject == issuer and the signature verifies with own key
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuer_urls;
  std::vector<std::string> crl_urls;

  std::vector<std::string> DnsNames() const;
};

class Certificate {
 public:
  // First CERTIFICATE block; other blocks (keys, text) are skipped.
  static Result<Certificate> FromPem(std::string_view pem);
  static Result<Certificate> FromDer(const uint8_t* data, size_t len);
  static Result<Certificate> FromDer(const Bytes& der) { return FromDer(der.data(), der.size()); }
  // Shares `x509` (adds a reference). Skips FromDer's checks, so use it only for certificates
  // that came from a Certificate or a trust store; parse untrusted bytes with FromDer.
  static Certificate Share(X509* x509);

  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  std::string ToPem() const;
  Bytes ToDer() const;

  CertificateInfo Inspect() const;

  std::string Subject() const;
  std::string Issuer() const;
  std::string CommonName() const;
  std::string SerialHex() const;
  TimePoint NotBefore() const;
  TimePoint NotAfter() const;
  std::vector<SubjectAltName> SubjectAltNames() const;
  PublicKey GetPublicKey() const;
  std::string SpkiSha256Pin() const;
  std::string Sha256Fingerprint() const;
  bool IsSelfSigned() const;

  // Same DER encoding.
  bool operator==(const Certificate& other) const;

  X509* get() const { return x509_.get(); }

 private:
  explicit Certificate(X509Ptr x509) : x509_(std::move(x509)) {}
  X509Ptr x509_;
};

// Every CERTIFICATE block of a PEM bundle, in order; text between blocks and non-certificate
// blocks (a key in a combined HAProxy file) are skipped. InvalidArgument when there is no
// certificate or any certificate block is corrupt (naming the block).
Result<std::vector<Certificate>> ParseCertificateChain(std::string_view pem);
std::string ChainToPem(const std::vector<Certificate>& chain);

// RFC 6125 matching through OpenSSL: IP literals against IP SANs, names against DNS SANs with
// a wildcard only as the whole leftmost label. The subject CN is never consulted, as browsers
// have not done since 2017 (CA/B BR 7.1.4.2.2 makes the SAN authoritative).
bool MatchesHostname(const Certificate& cert, std::string_view host);

// True when `key` is the private half of the certificate's public key.
bool KeyMatches(const Certificate& cert, const PrivateKey& key);

}  // namespace ck::pki
