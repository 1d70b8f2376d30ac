#include "pki/pem.hpp"

#include <openssl/x509.h>

#include "pki/der_util.hpp"
#include "pki/openssl_error.hpp"
#include "pki/pem_armor.hpp"

namespace ck::pki {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void SetKind(PkiObject* obj) {
  if (!obj->certificates.empty()) {
    obj->kind = PkiObjectKind::kCertificates;
  } else if (!obj->csrs.empty()) {
    obj->kind = PkiObjectKind::kCsr;
  } else if (!obj->private_keys.empty()) {
    obj->kind = PkiObjectKind::kPrivateKey;
  } else {
    obj->kind = PkiObjectKind::kPublicKey;
  }
}

Result<PkiObject> LoadPem(std::string_view text) {
  ASSIGN_OR_RETURN(auto blocks, ParsePemBlocks(text));
  PkiObject obj;
  obj.encoding = PkiEncoding::kPem;
  for (const auto& block : blocks) {
    const std::string where = "PEM block " + std::to_string(block.index);
    if (block.label == "CERTIFICATE" || block.label == "X509 CERTIFICATE") {
      auto cert = Certificate::FromDer(block.der);
      if (!cert.ok()) return cert.status().WithContext(where);
      obj.certificates.push_back(std::move(cert).value());
    } else if (block.label == "CERTIFICATE REQUEST" || block.label == "NEW CERTIFICATE REQUEST") {
      auto csr = Csr::FromDer(block.der);
      if (!csr.ok()) return csr.status().WithContext(where);
      obj.csrs.push_back(std::move(csr).value());
    } else if (EndsWith(block.label, "PRIVATE KEY")) {
      ASSIGN_OR_RETURN(auto key, PrivateKey::FromPemBlock(block));
      obj.private_keys.push_back(std::move(key));
    } else if (block.label == "PUBLIC KEY") {
      auto key = PublicKey::FromDer(block.der);
      if (!key.ok()) return key.status().WithContext(where);
      obj.public_keys.push_back(std::move(key).value());
    } else {
      obj.skipped_labels.push_back(block.label);
    }
  }
  if (obj.certificates.empty() && obj.csrs.empty() && obj.private_keys.empty() &&
      obj.public_keys.empty()) {
    std::string labels;
    for (const auto& l : obj.skipped_labels) labels += (labels.empty() ? "" : ", ") + l;
    return InvalidArgumentError("PEM input holds no certificate, CSR or key (found: " + labels +
                                ")");
  }
  SetKind(&obj);
  return obj;
}

// DER carries no label, so try each structure in turn; DecodeDerExact's whole-input rule keeps
// one type from being mistaken for another.
Result<PkiObject> LoadDer(const Bytes& der) {
  ScopedOpenSslErrorClear clear;  // the failed attempts' errors are expected noise
  PkiObject obj;
  obj.encoding = PkiEncoding::kDer;
  if (auto cert = Certificate::FromDer(der); cert.ok()) {
    obj.certificates.push_back(std::move(cert).value());
  } else if (auto csr = Csr::FromDer(der); csr.ok()) {
    obj.csrs.push_back(std::move(csr).value());
  } else if (auto key = PrivateKey::FromDer(der); key.ok()) {
    obj.private_keys.push_back(std::move(key).value());
  } else if (auto pub = PublicKey::FromDer(der); pub.ok()) {
    obj.public_keys.push_back(std::move(pub).value());
  } else {
    return InvalidArgumentError("not a PEM or DER certificate, CSR or key");
  }
  SetKind(&obj);
  return obj;
}

}  // namespace

std::string_view PkiObjectKindName(PkiObjectKind kind) {
  switch (kind) {
    case PkiObjectKind::kCertificates: return "certificates";
    case PkiObjectKind::kCsr: return "csr";
    case PkiObjectKind::kPrivateKey: return "private key";
    case PkiObjectKind::kPublicKey: return "public key";
  }
  return "unknown";
}

Result<PkiObject> LoadPkiObject(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgumentError("input is empty");
  if (LooksLikePem(bytes)) return LoadPem(bytes);
  // DER always starts with a SEQUENCE tag; anything else is text or junk.
  if (static_cast<unsigned char>(bytes[0]) != 0x30) {
    return InvalidArgumentError("not a PEM or DER certificate, CSR or key");
  }
  return LoadDer(ToBytes(bytes));
}

}  // namespace ck::pki
