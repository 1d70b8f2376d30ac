// PKCS#10 certificate signing requests (RFC 2986): building them for ACME finalize and the
// internal CA, and parsing/inspecting CSRs handed to us.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/general_names.hpp"
#include "pki/handles.hpp"
#include "pki/key.hpp"

namespace ck::pki {

struct CsrRequest {
  std::string common_name;  // optional; at most 64 characters (RFC 5280 ub-common-name)
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;
  std::vector<std::string> emails;
};

struct CsrInfo {
  std::string subject;  // RFC 2253
  std::string common_name;
  std::vector<SubjectAltName> sans;
  std::string key_algorithm;
  int key_bits = 0;
  std::optional<KeyType> key_type;
  std::string signature_algorithm;
  bool signature_valid = false;  // proof of possession of the private key
  std::string spki_sha256_pin;
};

class Csr {
 public:
  // "CERTIFICATE REQUEST" (or legacy "NEW CERTIFICATE REQUEST") PEM; the first such block.
  static Result<Csr> FromPem(std::string_view pem);
  static Result<Csr> FromDer(const Bytes& der);

  std::string ToPem() const;
  Bytes ToDer() const;
  CsrInfo Inspect() const;
  // OK when the CSR is signed by the key it carries; InvalidArgument otherwise.
  Status VerifySignature() const;
  PublicKey GetPublicKey() const;
  std::vector<SubjectAltName> SubjectAltNames() const;

  X509_REQ* get() const { return req_.get(); }

 private:
  explicit Csr(X509ReqPtr req) : req_(std::move(req)) {}
  X509ReqPtr req_;
  friend Result<Csr> BuildCsr(const CsrRequest& request, const PrivateKey& key);
};

// The DER of the first "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") PEM block.
Result<Bytes> CsrDerFromPem(std::string_view pem);

// SANs go into an extensionRequest attribute. Signed with SHA-256 for ECDSA and RSA, without
// a separate digest for Ed25519. InvalidArgument for malformed names or when neither a
// common name nor any SAN is given.
Result<Csr> BuildCsr(const CsrRequest& request, const PrivateKey& key);

}  // namespace ck::pki
