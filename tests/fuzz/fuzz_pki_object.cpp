// Fuzz target: ck::pki::LoadPkiObject, the "whatever this file is" loader behind
// `certkeeper inspect FILE` and the admin API's upload path, plus the single-purpose PEM
// parsers it must agree with (ParseCertificateChain, Certificate/Csr/PrivateKey/PublicKey
// ::FromPem). Every object it returns goes through the round-trip checks of pki_checks.hpp.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pki/pem.hpp"
#include "pki/pem_armor.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/pki_checks.hpp"

namespace {

using namespace ck;        // NOLINT(google-build-using-namespace)
using namespace ck::fuzz;  // NOLINT(google-build-using-namespace)

bool IsCertificateLabel(const std::string& l) {
  return l == "CERTIFICATE" || l == "X509 CERTIFICATE";
}
bool IsCsrLabel(const std::string& l) {
  return l == "CERTIFICATE REQUEST" || l == "NEW CERTIFICATE REQUEST";
}
bool IsPrivateKeyLabel(const std::string& l) {
  return l.size() >= 11 && l.compare(l.size() - 11, 11, "PRIVATE KEY") == 0;
}

// The documented kind: the first of certificates > CSR > private key > public key present.
pki::PkiObjectKind ExpectedKind(const pki::PkiObject& obj) {
  if (!obj.certificates.empty()) return pki::PkiObjectKind::kCertificates;
  if (!obj.csrs.empty()) return pki::PkiObjectKind::kCsr;
  if (!obj.private_keys.empty()) return pki::PkiObjectKind::kPrivateKey;
  return pki::PkiObjectKind::kPublicKey;
}

// A PEM input that LoadPkiObject accepted: the single-purpose parsers must see the same
// blocks and decode them to the same objects.
void CheckPemAgreement(std::string_view text, const pki::PkiObject& obj) {
  auto blocks = pki::ParsePemBlocks(text);
  FUZZ_CHECK(blocks.ok());
  size_t certs = 0, csrs = 0, keys = 0, pubs = 0, skipped = 0;
  for (const auto& b : *blocks) {
    if (IsCertificateLabel(b.label)) {
      ++certs;
    } else if (IsCsrLabel(b.label)) {
      ++csrs;
    } else if (IsPrivateKeyLabel(b.label)) {
      ++keys;
    } else if (b.label == "PUBLIC KEY") {
      ++pubs;
    } else {
      FUZZ_CHECK(skipped < obj.skipped_labels.size() && obj.skipped_labels[skipped] == b.label);
      ++skipped;
    }
  }
  FUZZ_CHECK(certs == obj.certificates.size() && csrs == obj.csrs.size());
  FUZZ_CHECK(keys == obj.private_keys.size() && pubs == obj.public_keys.size());
  FUZZ_CHECK(skipped == obj.skipped_labels.size());

  auto chain = pki::ParseCertificateChain(text);
  FUZZ_CLEAN("ParseCertificateChain");
  FUZZ_CHECK(chain.ok() == !obj.certificates.empty());
  if (chain.ok()) {
    FUZZ_CHECK(chain->size() == obj.certificates.size());
    for (size_t i = 0; i < chain->size(); ++i) FUZZ_CHECK((*chain)[i] == obj.certificates[i]);
    FUZZ_CLEAN("Certificate::operator==");
    auto first = pki::Certificate::FromPem(text);
    FUZZ_CLEAN("Certificate::FromPem");
    FUZZ_CHECK(first.ok() && *first == obj.certificates.front());
    FUZZ_CLEAN("Certificate::operator==");
  }
  auto csr = pki::Csr::FromPem(text);
  FUZZ_CLEAN("Csr::FromPem");
  FUZZ_CHECK(csr.ok() == !obj.csrs.empty());
  if (csr.ok()) FUZZ_CHECK(csr->ToDer() == obj.csrs.front().ToDer());
  // PrivateKey::FromPem wants exactly one key block.
  auto key = pki::PrivateKey::FromPem(text);
  FUZZ_CLEAN("PrivateKey::FromPem");
  FUZZ_CHECK(key.ok() == (obj.private_keys.size() == 1));
  if (key.ok()) FUZZ_CHECK(key->ToDer() == obj.private_keys.front().ToDer());
  auto pub = pki::PublicKey::FromPem(text);
  FUZZ_CLEAN("PublicKey::FromPem");
  FUZZ_CHECK(pub.ok() == !obj.public_keys.empty());
  if (pub.ok()) FUZZ_CHECK(pub->Equals(obj.public_keys.front()));
  FUZZ_CLEAN("PublicKey::Equals");
}

// What the object re-encodes to (all PEM) must load to the same object.
void CheckReencoding(const pki::PkiObject& obj) {
  std::string pem;
  for (const auto& c : obj.certificates) pem += c.ToPem();
  for (const auto& c : obj.csrs) pem += c.ToPem();
  for (const auto& k : obj.private_keys) pem += k.ToPem();
  for (const auto& k : obj.public_keys) pem += k.ToPem();
  auto again = pki::LoadPkiObject(pem);
  FUZZ_CLEAN("LoadPkiObject(re-encoded)");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->kind == obj.kind);
  FUZZ_CHECK(again->encoding == pki::PkiEncoding::kPem);
  FUZZ_CHECK(again->certificates.size() == obj.certificates.size());
  FUZZ_CHECK(again->csrs.size() == obj.csrs.size());
  FUZZ_CHECK(again->private_keys.size() == obj.private_keys.size());
  FUZZ_CHECK(again->public_keys.size() == obj.public_keys.size());
  for (size_t i = 0; i < obj.certificates.size(); ++i) {
    FUZZ_CHECK(again->certificates[i] == obj.certificates[i]);
    FUZZ_CLEAN("Certificate::operator==");
  }
  if (!obj.certificates.empty()) {
    auto chain = pki::ParseCertificateChain(pki::ChainToPem(obj.certificates));
    FUZZ_CLEAN("ParseCertificateChain(ChainToPem())");
    FUZZ_CHECK(chain.ok() && chain->size() == obj.certificates.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = AsText(data, size);
  auto obj = pki::LoadPkiObject(text);
  FUZZ_CLEAN("LoadPkiObject");
  if (!obj.ok()) {
    FUZZ_CHECK(obj.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(!obj.status().message().empty());
    // The single-purpose parsers may accept what LoadPkiObject refuses (they skip blocks they
    // do not want), but whatever they accept must still be sound.
    if (pki::LooksLikePem(text)) {
      auto chain = pki::ParseCertificateChain(text);
      FUZZ_CLEAN("ParseCertificateChain");
      if (chain.ok()) {
        for (const auto& c : *chain) CheckCertificate(c);
      }
      auto csr = pki::Csr::FromPem(text);
      FUZZ_CLEAN("Csr::FromPem");
      if (csr.ok()) CheckCsr(*csr);
      auto key = pki::PrivateKey::FromPem(text);
      FUZZ_CLEAN("PrivateKey::FromPem");
      if (key.ok()) CheckPrivateKey(*key);
      auto pub = pki::PublicKey::FromPem(text);
      FUZZ_CLEAN("PublicKey::FromPem");
      if (pub.ok()) CheckPublicKey(*pub);
    }
    return 0;
  }

  FUZZ_CHECK(obj->kind == ExpectedKind(*obj));
  FUZZ_CHECK(!pki::PkiObjectKindName(obj->kind).empty());
  const size_t total = obj->certificates.size() + obj->csrs.size() + obj->private_keys.size() +
                       obj->public_keys.size();
  FUZZ_CHECK(total > 0);
  if (pki::LooksLikePem(text)) {
    FUZZ_CHECK(obj->encoding == pki::PkiEncoding::kPem);
    CheckPemAgreement(text, *obj);
  } else {
    FUZZ_CHECK(obj->encoding == pki::PkiEncoding::kDer);
    FUZZ_CHECK(total == 1 && obj->skipped_labels.empty());
    // The DER loader and the direct decoder agree.
    if (!obj->certificates.empty()) {
      auto direct = pki::Certificate::FromDer(data, size);
      FUZZ_CHECK(direct.ok() && *direct == obj->certificates.front());
      FUZZ_CLEAN("Certificate::operator==");
    }
  }

  for (const auto& c : obj->certificates) CheckCertificate(c);
  for (const auto& c : obj->csrs) CheckCsr(c);
  for (const auto& k : obj->private_keys) CheckPrivateKey(k);
  for (const auto& k : obj->public_keys) CheckPublicKey(k);
  for (const auto& c : obj->certificates) {
    for (const auto& k : obj->private_keys) static_cast<void>(pki::KeyMatches(c, k));
    FUZZ_CLEAN("KeyMatches");
  }
  CheckReencoding(*obj);
  FUZZ_CLEAN("the object checks");
  return 0;
}
