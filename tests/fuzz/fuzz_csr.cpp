// Fuzz target: CSRs handed to us (internal CA issuance, the admin API): Csr::FromPem when the
// input looks like PEM, Csr::FromDer otherwise, then VerifySignature (proof of possession),
// Inspect and the round trips of pki_checks.hpp. The sign API's fast path, VerifiedEcCsrParts,
// must never accept what Csr refuses or fails to verify.
#include <cstddef>
#include <cstdint>

#include "pki/csr.hpp"
#include "pki/csr_parts.hpp"
#include "pki/pem_armor.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/pki_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ck;        // NOLINT(google-build-using-namespace)
  using namespace ck::fuzz;  // NOLINT(google-build-using-namespace)
  const std::string_view text = AsText(data, size);
  const bool pem = pki::LooksLikePem(text);
  auto csr = pem ? pki::Csr::FromPem(text) : pki::Csr::FromDer(AsBytes(data, size));
  FUZZ_CLEAN(pem ? "Csr::FromPem" : "Csr::FromDer");
  if (!pem) {
    auto parts = pki::VerifiedEcCsrParts(AsBytes(data, size));
    FUZZ_CLEAN("VerifiedEcCsrParts");
    if (parts.ok()) {
      FUZZ_CHECK(csr.ok() && csr->VerifySignature().ok());
      FUZZ_CHECK(parts->spki_der == csr->GetPublicKey().SpkiDer());
      FUZZ_CHECK(parts->sans.size() == csr->SubjectAltNames().size());
    } else {
      FUZZ_CHECK(parts.status().code() == StatusCode::kUnimplemented);
    }
  }
  if (!csr.ok()) {
    FUZZ_CHECK(csr.status().code() == StatusCode::kInvalidArgument);
    return 0;
  }
  CheckCsr(*csr);
  // The signature check must not depend on having inspected first (OpenSSL caches).
  auto fresh = pki::Csr::FromDer(csr->ToDer());
  FUZZ_CHECK(fresh.ok());
  FUZZ_CHECK(fresh->VerifySignature().ok() == csr->Inspect().signature_valid);
  FUZZ_CLEAN("CSR checks");
  return 0;
}
