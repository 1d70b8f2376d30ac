#include "pki/csr.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/der_util.hpp"
#include "pki/openssl_error.hpp"
#include "pki/pem_armor.hpp"
#include "pki/x509_util.hpp"

namespace ck::pki {
namespace {

// RFC 5280 Appendix A: ub-common-name INTEGER ::= 64
constexpr size_t kMaxCommonName = 64;

}  // namespace

Result<Csr> Csr::FromDer(const Bytes& der) {
  ASSIGN_OR_RETURN(X509ReqPtr req,
                   DecodeDerExact<X509ReqPtr>(der.data(), der.size(), "certificate signing request",
                                              [](const unsigned char** p, long len) {
                                                return d2i_X509_REQ(nullptr, p, len);
                                              }));
  if (X509_REQ_get0_pubkey(req.get()) == nullptr) {
    ERR_clear_error();
    return InvalidArgumentError("CSR public key cannot be decoded (corrupt or unsupported)");
  }
  return Csr(std::move(req));
}

Result<Bytes> CsrDerFromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  std::string labels;
  for (auto& block : blocks) {
    if (block.label == "CERTIFICATE REQUEST" || block.label == "NEW CERTIFICATE REQUEST") {
      return std::move(block.der);
    }
    if (!labels.empty()) labels += ", ";
    labels += block.label;
  }
  return InvalidArgumentError("no certificate request in the PEM input (found: " + labels + ")");
}

Result<Csr> Csr::FromPem(std::string_view pem) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(pem));
  for (const auto& block : blocks) {
    if (block.label == "CERTIFICATE REQUEST" || block.label == "NEW CERTIFICATE REQUEST") {
      auto csr = FromDer(block.der);
      if (!csr.ok()) return csr.status().WithContext("PEM block " + std::to_string(block.index));
      return csr;
    }
  }
  return CsrDerFromPem(pem).status();  // the "no certificate request" error
}

Bytes Csr::ToDer() const {
  return EncodeDer([&](unsigned char** out) { return i2d_X509_REQ(req_.get(), out); });
}

std::string Csr::ToPem() const { return EncodePem("CERTIFICATE REQUEST", ToDer()); }

Status Csr::VerifySignature() const {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
  if (key == nullptr || X509_REQ_verify(req_.get(), key) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "CSR signature does not verify with the CSR's own public key (proof of "
                        "possession failed: corrupt or tampered request)");
  }
  return OkStatus();
}

PublicKey Csr::GetPublicKey() const { return PublicKey::Share(X509_REQ_get0_pubkey(req_.get())); }

std::vector<SubjectAltName> Csr::SubjectAltNames() const {
  ScopedOpenSslErrorClear clear;
  StackOfX509ExtensionPtr exts(X509_REQ_get_extensions(req_.get()));
  if (!exts) return {};
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
  return DecodeGeneralNames(names.get());
}

CsrInfo Csr::Inspect() const {
  ScopedOpenSslErrorClear clear;
  CsrInfo info;
  const X509_NAME* subject = X509_REQ_get_subject_name(req_.get());
  info.subject = NameToString(subject);
  info.common_name = CommonNameOf(subject);
  info.sans = SubjectAltNames();
  KeyInfo key = DescribeKey(X509_REQ_get0_pubkey(req_.get()));
  info.key_algorithm = key.algorithm;
  info.key_bits = key.bits;
  info.key_type = key.type;
  const X509_ALGOR* alg = nullptr;
  X509_REQ_get0_signature(req_.get(), nullptr, &alg);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
  info.signature_algorithm = ObjectName(oid, /*prefer_long_name=*/true);
  info.signature_valid = VerifySignature().ok();
  info.spki_sha256_pin = GetPublicKey().SpkiSha256Pin();
  return info;
}

Result<Csr> BuildCsr(const CsrRequest& request, const PrivateKey& key) {
  const bool no_sans = request.dns_names.empty() && request.ip_addresses.empty() &&
                       request.uris.empty() && request.emails.empty();
  if (request.common_name.empty() && no_sans) {
    return InvalidArgumentError("CSR needs a common name or at least one subject alternative name");
  }
  if (request.common_name.size() > kMaxCommonName) {
    return InvalidArgumentError("common name '" + request.common_name.substr(0, 80) +
                                "...' is longer than 64 characters (RFC 5280); put long names "
                                "only in the DNS names");
  }
  for (unsigned char c : request.common_name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError("common name contains control characters");
    }
  }
  if (key.get() == nullptr) return InvalidArgumentError("CSR: no private key");

  X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) {  // 0 = v1, the only PKCS#10 version
    return OpenSslError(StatusCode::kInternal, "cannot create CSR");
  }
  if (!request.common_name.empty()) {
    X509_NAME* name = X509_REQ_get_subject_name(req.get());  // owned by req
    if (X509_NAME_add_entry_by_NID(
            name, NID_commonName, MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(request.common_name.data()),
            static_cast<int>(request.common_name.size()), -1, 0) != 1) {
      return OpenSslError(StatusCode::kInvalidArgument, "invalid common name");
    }
  }
  if (!no_sans) {
    ASSIGN_OR_RETURN(GeneralNamesPtr names,
                     BuildGeneralNames(SanRequest{request.dns_names, request.ip_addresses,
                                                  request.uris, request.emails}));
    // RFC 5280 §4.2.1.6: the SAN must be critical when the subject is empty.
    const int critical = request.common_name.empty() ? 1 : 0;
    X509ExtensionPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, critical, names.get()));
    StackOfX509ExtensionPtr exts(sk_X509_EXTENSION_new_null());
    if (!ext || !exts || sk_X509_EXTENSION_push(exts.get(), ext.get()) <= 0) {
      return OpenSslError(StatusCode::kInternal, "cannot encode subjectAltName");
    }
    static_cast<void>(ext.release());  // owned by exts
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return OpenSslError(StatusCode::kInternal, "cannot add extensionRequest");
    }
  }
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot set CSR public key");
  }
  // EdDSA hashes internally (RFC 8032) and must be given no digest.
  const int id = EVP_PKEY_get_base_id(key.get());
  const bool eddsa = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
  const EVP_MD* md = eddsa ? nullptr : EVP_sha256();
  if (X509_REQ_sign(req.get(), key.get(), md) <= 0) {
    return OpenSslError(StatusCode::kInternal, "signing the CSR failed");
  }
  return Csr(std::move(req));
}

}  // namespace ck::pki
