// Loading "whatever this file is": PEM or DER, certificate(s), CSR, private or public key.
// This is what `certkeeper inspect FILE` and the admin API's upload path use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"

namespace ck::pki {

enum class PkiEncoding { kPem, kDer };

// What the input mainly is. A PEM bundle may hold several kinds (a HAProxy file has
// certificates and a key); the kind is then the first of certificates > CSR > private key >
// public key that is present, and every decoded object is still available.
enum class PkiObjectKind { kCertificates, kCsr, kPrivateKey, kPublicKey };
std::string_view PkiObjectKindName(PkiObjectKind kind);  // "certificates", "csr", ...

struct PkiObject {
  PkiObjectKind kind = PkiObjectKind::kCertificates;
  PkiEncoding encoding = PkiEncoding::kPem;
  std::vector<Certificate> certificates;  // in file order (leaf first for a served chain)
  std::vector<Csr> csrs;
  std::vector<PrivateKey> private_keys;
  std::vector<PublicKey> public_keys;
  std::vector<std::string> skipped_labels;  // PEM blocks we do not interpret (e.g. "X509 CRL")
};

// Auto-detects PEM vs DER and the content. InvalidArgument: "input is empty", the decoding
// error of a recognised but corrupt PEM block (naming the block), or "not a PEM or DER
// certificate, CSR or key".
Result<PkiObject> LoadPkiObject(std::string_view bytes);

}  // namespace ck::pki
