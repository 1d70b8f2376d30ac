// LeafSigner: the issuance fast path. Encodes a leaf certificate's DER directly and signs it
// with a signing context prepared once per intermediate, so an issuance costs little more than
// the one signature `openssl speed` measures.
//
// Why not SignCertificate (cert_builder): going through OpenSSL's X509 structures costs, per
// certificate, a provider lookup and a new signing context (OpenSSL 3 takes several locks for
// each), the ASN.1 template encoder for every extension, and a re-parse of the result; in
// callgrind that was about 25 times the signature itself. Everything that is the same for every
// leaf of an intermediate (issuer name, signature algorithm, authority key identifier) is
// encoded here once.
//
// The output is byte-for-byte what SignCertificate produces for the same template (the
// unit test compares the two), so relying parties cannot tell which path issued a certificate.
// Inputs this encoder does not handle (a non-ASCII name, an Ed25519 or RSA-PSS intermediate)
// get Unimplemented, and the caller takes the general path.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ca/cert_builder.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/handles.hpp"
#include "pki/key.hpp"

namespace ck::ca {

class LeafSigner {
 public:
  // `issuer` and `key` must be a matching pair (checked: a probe certificate is signed and
  // verified against the issuer's public key). Unimplemented for key types this path does not
  // sign with.
  static Result<std::unique_ptr<LeafSigner>> Create(const pki::Certificate& issuer,
                                                    const pki::PrivateKey& key);
  ~LeafSigner() = default;
  LeafSigner(const LeafSigner&) = delete;
  LeafSigner& operator=(const LeafSigner&) = delete;

  // The DER certificate for a CertKind::kLeaf template `t` and the subject's
  // SubjectPublicKeyInfo DER. Validates the names as SignCertificate does. Thread-safe.
  Result<Bytes> Sign(const CertTemplate& t, const Bytes& subject_spki_der) const;

 private:
  LeafSigner() = default;
  pki::EvpPkeyCtxPtr TakeContext() const;
  void ReturnContext(pki::EvpPkeyCtxPtr ctx) const;

  pki::EvpPkeyPtr key_;
  // Fetched once: an implicit fetch (EVP_sha256()) looks the provider up on every use.
  pki::EvpMdPtr digest_;
  pki::EvpMdPtr sha1_;  // for the subject key identifier
  Bytes signature_algorithm_der_;
  Bytes issuer_name_der_;
  Bytes authority_key_id_der_;  // the whole extension
  // Signing contexts already initialised with the key and digest: one per concurrent signer.
  mutable std::mutex pool_mu_;
  mutable std::vector<pki::EvpPkeyCtxPtr> pool_;
};

}  // namespace ck::ca
