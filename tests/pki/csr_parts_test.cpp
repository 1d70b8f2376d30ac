// VerifiedEcCsrParts (the sign API's fast CSR path) against pki::Csr: the same key, SPKI,
// common name and SANs for every request it takes, and Unimplemented (so that pki::Csr
// decides) for everything else, tampered requests included.
#include "pki/csr_parts.hpp"

#include <gtest/gtest.h>

#include "pki/csr.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::pki {
namespace {

Csr Build(KeyType type, const CsrRequest& request) {
  auto key = PrivateKey::Generate(type);
  EXPECT_OK(key);
  auto csr = BuildCsr(request, *key);
  EXPECT_OK(csr);
  return std::move(*csr);
}

void ExpectSameAsCsr(const Csr& csr) {
  auto parts = VerifiedEcCsrParts(csr.ToDer());
  ASSERT_OK(parts);
  EXPECT_EQ(HexEncode(parts->spki_der), HexEncode(csr.GetPublicKey().SpkiDer()));
  EXPECT_TRUE(parts->public_key.Equals(csr.GetPublicKey()));
  const CsrInfo info = csr.Inspect();
  EXPECT_EQ(parts->common_name, info.common_name);
  ASSERT_EQ(parts->sans.size(), info.sans.size());
  for (size_t i = 0; i < info.sans.size(); ++i) {
    EXPECT_EQ(FormatSan(parts->sans[i]), FormatSan(info.sans[i]));
  }
}

TEST(CsrPartsTest, TakesApartWhatCsrParsesTheSame) {
  CsrRequest full;
  full.common_name = "api.svc.internal";
  full.dns_names = {"api.svc.internal", "api2.svc.internal"};
  full.ip_addresses = {"10.1.2.3", "2001:db8::1"};
  full.uris = {"spiffe://example.org/ns/default/sa/api"};
  full.emails = {"ops@example.org"};
  ExpectSameAsCsr(Build(KeyType::kEcdsaP256, full));
  ExpectSameAsCsr(Build(KeyType::kEcdsaP384, full));
  CsrRequest cn_only;
  cn_only.common_name = "only-cn.svc.internal";
  ExpectSameAsCsr(Build(KeyType::kEcdsaP256, cn_only));
  CsrRequest sans_only;
  sans_only.dns_names = {"a.svc.internal"};
  ExpectSameAsCsr(Build(KeyType::kEcdsaP256, sans_only));
}

TEST(CsrPartsTest, LeavesEverythingElseToCsr) {
  CsrRequest r;
  r.dns_names = {"a.svc.internal"};
  EXPECT_EQ(VerifiedEcCsrParts(Build(KeyType::kRsa2048, r).ToDer()).status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(VerifiedEcCsrParts(Build(KeyType::kEd25519, r).ToDer()).status().code(),
            StatusCode::kUnimplemented);
  const Bytes good = Build(KeyType::kEcdsaP256, r).ToDer();
  ASSERT_OK(VerifiedEcCsrParts(good));
  // Every truncation, every single-bit flip and trailing garbage: never OK unless the result
  // still verifies and parses the same (a flip inside the signature's DER never does).
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(VerifiedEcCsrParts(Bytes(good.begin(), good.begin() + cut)).ok()) << cut;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes flipped = good;
      flipped[i] ^= static_cast<uint8_t>(1 << bit);
      auto parts = VerifiedEcCsrParts(flipped);
      if (!parts.ok()) {
        EXPECT_EQ(parts.status().code(), StatusCode::kUnimplemented);
        continue;
      }
      // Accepted: then OpenSSL must accept it too, with a valid signature.
      auto csr = Csr::FromDer(flipped);
      ASSERT_TRUE(csr.ok()) << "byte " << i << " bit " << bit;
      EXPECT_OK(csr->VerifySignature()) << "byte " << i << " bit " << bit;
    }
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(VerifiedEcCsrParts(trailing).ok());
}

}  // namespace
}  // namespace ck::pki
