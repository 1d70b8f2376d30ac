// TestCa: mints roots, intermediates and leaves with any validity window, names, key type and
// EKU, so tests can build the certificates real life produces (expired, not yet valid, wrong
// host, unknown CA, SHA-1 signed, CN-only, ...). It builds extensions with OpenSSL's own config
// syntax rather than through pki/, so pki/ tests check pki/ against an independent path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"

namespace ck::testing {

// A UTC instant from calendar fields, for readable test tables.
TimePoint UtcTime(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                  int second = 0);

struct CertSpec {
  std::string common_name = "leaf.test";  // empty = no CN in the subject
  std::string organization;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;
  std::vector<std::string> emails;
  // Extra subjectAltName entries in OpenSSL config syntax, unvalidated, e.g.
  // "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com" or "RID:1.2.3.4" or
  // "DNS:f*.example.com" (a partial wildcard pki/ would refuse to put in a CSR).
  std::vector<std::string> raw_sans;

  pki::KeyType key_type = pki::KeyType::kEcdsaP256;
  std::optional<pki::PrivateKey> key;  // reuse this key instead of generating one

  // Defaults: one hour ago until 90 days from now (wall clock).
  std::optional<TimePoint> not_before;
  std::optional<TimePoint> not_after;

  std::vector<std::string> ekus = {"serverAuth"};  // OpenSSL names; empty = no EKU extension
  // Default: CA "keyCertSign, cRLSign, digitalSignature"; leaf "digitalSignature" plus
  // "keyEncipherment" for RSA. An empty vector omits the extension.
  std::optional<std::vector<std::string>> key_usage;
  bool is_ca = false;
  std::optional<int> path_length;

  std::string serial_hex;         // empty = random positive 128-bit serial
  std::string digest = "sha256";  // "sha1", "sha384", "sha512"; ignored for Ed25519 issuers
  bool subject_key_id = true;
  bool authority_key_id = true;
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuer_urls;
  std::vector<std::string> crl_urls;
};

// A CA certificate spec with sensible CA defaults (no EKU, 10 years around now).
CertSpec CaSpec(std::string common_name);

struct IssuedCert {
  pki::Certificate cert;
  pki::PrivateKey key;
  // What a server should serve: the certificate, then the intermediates up to (not
  // including) the root.
  std::vector<pki::Certificate> chain;

  std::string CertPem() const { return cert.ToPem(); }
  std::string ChainPem() const { return pki::ChainToPem(chain); }
  std::string KeyPem() const { return key.ToPem(); }
};

class TestCa {
 public:
  // A self-signed root. spec.is_ca is forced on.
  static Result<TestCa> CreateRoot(CertSpec spec = CaSpec("Test Root CA"));
  // A subordinate CA signed by this one. spec.is_ca is forced on.
  Result<TestCa> CreateIntermediate(CertSpec spec = CaSpec("Test Intermediate CA")) const;
  // An end-entity (or anything else spec describes) signed by this CA.
  Result<IssuedCert> Issue(CertSpec spec) const;
  // Signs the CSR's public key. Names come from `spec` (not the CSR) so tests decide exactly
  // what the certificate says; spec.key/key_type are ignored.
  Result<pki::Certificate> IssueForCsr(const pki::Csr& csr, CertSpec spec) const;

  const pki::Certificate& cert() const { return cert_; }
  const pki::PrivateKey& key() const { return key_; }
  const pki::Certificate& root() const { return root_; }
  // This CA and its parents below the root, nearest first (empty for a root): the
  // intermediates a server must send after a leaf this CA issued.
  const std::vector<pki::Certificate>& intermediates() const { return intermediates_; }

 private:
  TestCa(pki::Certificate cert, pki::PrivateKey key, pki::Certificate root,
         std::vector<pki::Certificate> intermediates)
      : cert_(std::move(cert)),
        key_(std::move(key)),
        root_(std::move(root)),
        intermediates_(std::move(intermediates)) {}

  pki::Certificate cert_;
  pki::PrivateKey key_;
  pki::Certificate root_;
  std::vector<pki::Certificate> intermediates_;
};

}  // namespace ck::testing
