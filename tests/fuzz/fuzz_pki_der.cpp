// Fuzz target: the DER decoders on their own (Certificate, Csr, PrivateKey, PublicKey
// ::FromDer), without the PEM layer and its base64 in the way, so mutations reach ASN.1
// directly. Whatever decodes must survive pki_checks.hpp, and LoadPkiObject's DER detection
// must pick the first decoder that accepts (certificate > CSR > private key > public key).
#include <cstddef>
#include <cstdint>

#include "pki/pem.hpp"
#include "pki/pem_armor.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/pki_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ck;        // NOLINT(google-build-using-namespace)
  using namespace ck::fuzz;  // NOLINT(google-build-using-namespace)
  const Bytes der = AsBytes(data, size);

  auto cert = pki::Certificate::FromDer(data, size);
  FUZZ_CLEAN("Certificate::FromDer");
  auto csr = pki::Csr::FromDer(der);
  FUZZ_CLEAN("Csr::FromDer");
  auto key = pki::PrivateKey::FromDer(der);
  FUZZ_CLEAN("PrivateKey::FromDer");
  auto pub = pki::PublicKey::FromDer(der);
  FUZZ_CLEAN("PublicKey::FromDer");

  for (const Status* s : {&cert.status(), &csr.status(), &pub.status()}) {
    FUZZ_CHECK(s->ok() || s->code() == StatusCode::kInvalidArgument);
  }
  // Every structure here is a SEQUENCE: nothing else may decode.
  if (size == 0 || data[0] != 0x30) FUZZ_CHECK(!cert.ok() && !csr.ok() && !key.ok() && !pub.ok());

  if (cert.ok()) CheckCertificate(*cert);
  if (csr.ok()) CheckCsr(*csr);
  if (key.ok()) CheckPrivateKey(*key);
  if (pub.ok()) CheckPublicKey(*pub);

  // LoadPkiObject must take what one of the decoders took, as the first of them that did.
  // (Bytes holding a PEM BEGIN line are read as PEM. When nothing decoded, LoadPkiObject runs
  // the same four decoders and fails; that is not worth another 4 ms of OpenSSL 3's private
  // key decoder per input.)
  if ((cert.ok() || csr.ok() || key.ok() || pub.ok()) && !pki::LooksLikePem(AsText(data, size))) {
    auto obj = pki::LoadPkiObject(AsText(data, size));
    FUZZ_CLEAN("LoadPkiObject(DER)");
    FUZZ_CHECK(obj.ok());
    FUZZ_CHECK(obj->encoding == pki::PkiEncoding::kDer);
    if (cert.ok()) {
      FUZZ_CHECK(obj->kind == pki::PkiObjectKind::kCertificates);
      FUZZ_CHECK(obj->certificates.size() == 1 && obj->certificates[0] == *cert);
      FUZZ_CLEAN("Certificate::operator==");
    } else if (csr.ok()) {
      FUZZ_CHECK(obj->kind == pki::PkiObjectKind::kCsr);
      FUZZ_CHECK(obj->csrs.size() == 1 && obj->csrs[0].ToDer() == csr->ToDer());
    } else if (key.ok()) {
      FUZZ_CHECK(obj->kind == pki::PkiObjectKind::kPrivateKey);
      FUZZ_CHECK(obj->private_keys.size() == 1 && obj->private_keys[0].ToDer() == key->ToDer());
    } else {
      FUZZ_CHECK(obj->kind == pki::PkiObjectKind::kPublicKey);
      FUZZ_CHECK(obj->public_keys.size() == 1 && obj->public_keys[0].Equals(*pub));
    }
  }
  FUZZ_CLEAN("the DER checks");
  return 0;
}
