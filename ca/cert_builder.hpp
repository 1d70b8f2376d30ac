// Builds and signs X.509 v3 certificates for the internal CA: roots, intermediates and leaves,
// every extension constructed as an OpenSSL structure (never from config strings, so a name
// or URL cannot smuggle in extra extension syntax).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ca/settings.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"

namespace ck::ca {

// kOcspResponder: an end-entity certificate for a delegated OCSP responder (RFC 6960 §4.2.2.2).
enum class CertKind { kRoot, kIntermediate, kLeaf, kOcspResponder };

struct CertTemplate {
  CertKind kind = CertKind::kLeaf;
  std::string common_name;   // empty: no CN (a leaf's SANs are then marked critical)
  std::string organization;  // CA and OCSP responder certificates only
  Bytes serial;              // big-endian, positive (NewSerial)
  TimePoint not_before;
  TimePoint not_after;
  // CA certificates (RFC 5280 §4.2.1.9): the root gets pathlen 1, intermediates 0.
  std::optional<int> path_length;
  std::optional<NameConstraints> name_constraints;  // CA certificates only
  // Leaves: EKUs and names (validated again when encoded).
  std::vector<ExtendedKeyUsage> ekus;
  std::vector<pki::SubjectAltName> sans;
  // Already expanded; empty = extension left out.
  std::string crl_url;
  std::string ocsp_url;
  std::string ca_issuers_url;
};

// Signs `t` for `subject_key`. `issuer` null means self-signed (a root; `signing_key` must be
// the private half of `subject_key`). Digest: SHA-384 for P-384 issuers, none for Ed25519,
// SHA-256 otherwise.
// Extensions: basicConstraints (critical), keyUsage (critical: keyCertSign+cRLSign for CAs,
// plus digitalSignature on intermediates for OCSP; digitalSignature (+keyEncipherment for RSA)
// on leaves and OCSP responders), extendedKeyUsage (OCSP responders: id-kp-OCSPSigning only,
// plus id-pkix-ocsp-nocheck), subjectKeyIdentifier (SHA-1 of the key, RFC 5280 §4.2.1.2),
// authorityKeyIdentifier (the issuer's SKI), subjectAltName, nameConstraints (critical), CRL
// distribution point, authorityInfoAccess.
Result<pki::Certificate> SignCertificate(const CertTemplate& t, const pki::PublicKey& subject_key,
                                         const pki::Certificate* issuer,
                                         const pki::PrivateKey& signing_key);

// Encodes RFC 5280 name constraints (validated) as the OpenSSL structure's DER, for tests and
// for the builder.
Result<Bytes> EncodeNameConstraints(const NameConstraints& nc);

// OpenSSL's own name-constraint check (the one `openssl verify` runs) of `leaf` against every
// CA certificate in `issuers` that carries nameConstraints. PermissionDenied naming the first
// offending name and the CA.
Status CheckNameConstraints(const pki::Certificate& leaf,
                            const std::vector<pki::Certificate>& issuers);

// The EVP digest a key of that type signs certificates, CRLs and OCSP responses with.
const EVP_MD* SigningDigest(const pki::PrivateKey& key);

}  // namespace ck::ca
