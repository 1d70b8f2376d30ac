// A PKCS#10 request (RFC 2986) taken apart without building an X509_REQ: the fast path of the
// CA's sign API.
//
// Why: OpenSSL 3.0's d2i_X509_REQ decodes the public key through the provider decoder
// framework, whose lookup on every call cost more than checking the signature (about a quarter
// of the admin API's CPU per signed CSR, bench/). For the shape nearly every client sends, an
// ECDSA key on a NIST curve signed with ecdsa-with-SHA256/384, this reads the DER itself,
// imports the point with EVP_PKEY_fromdata and verifies the signature over the request info.
//
// It is only a fast path: anything it does not take apart, malformed input included, is
// Unimplemented, and the caller then parses with pki::Csr, which gives the error a user sees.
// The unit test holds its results (key, SPKI, common name, SANs) equal to pki::Csr's.
#pragma once

#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"

namespace ck::pki {

struct CsrParts {
  PublicKey public_key = PublicKey::Share(nullptr);
  Bytes spki_der;                    // the request's SubjectPublicKeyInfo, as sent
  std::string common_name;           // of the subject; empty when it has none
  std::vector<SubjectAltName> sans;  // from the extensionRequest attribute
};

// OK only for a well-formed EC request of that shape whose signature verifies with its key.
Result<CsrParts> VerifiedEcCsrParts(const Bytes& der);

}  // namespace ck::pki
