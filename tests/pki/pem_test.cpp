#include "pki/pem.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/pki/pki_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::pki {
namespace {

using ::ck::testing::CaSpec;
using ::ck::testing::CertSpec;
using ::ck::testing::IssuedCert;
using ::ck::testing::TestCa;
using ::testing::HasSubstr;

constexpr char kNotPki[] = "not a PEM or DER certificate, CSR or key";

class LoadPkiObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCa::CreateRoot(CaSpec("Loader Root"));
    ASSERT_OK(ca);
    CertSpec spec;
    spec.dns_names = {"load.example.test"};
    auto leaf = ca->Issue(spec);
    ASSERT_OK(leaf);
    leaf_.emplace(std::move(leaf).value());
    root_.emplace(ca->cert());
    CsrRequest req;
    req.dns_names = {"load.example.test"};
    auto csr = BuildCsr(req, leaf_->key);
    ASSERT_OK(csr);
    csr_der_ = csr->ToDer();
    csr_pem_ = csr->ToPem();
  }

  std::optional<IssuedCert> leaf_;
  std::optional<Certificate> root_;
  Bytes csr_der_;
  std::string csr_pem_;
};

TEST_F(LoadPkiObjectTest, DetectsEachKindInPemAndDer) {
  struct Case {
    std::string input;
    PkiObjectKind kind;
    PkiEncoding encoding;
  } cases[] = {
      {leaf_->cert.ToPem() + root_->ToPem(), PkiObjectKind::kCertificates, PkiEncoding::kPem},
      {ToString(leaf_->cert.ToDer()), PkiObjectKind::kCertificates, PkiEncoding::kDer},
      {csr_pem_, PkiObjectKind::kCsr, PkiEncoding::kPem},
      {ToString(csr_der_), PkiObjectKind::kCsr, PkiEncoding::kDer},
      {leaf_->key.ToPem(), PkiObjectKind::kPrivateKey, PkiEncoding::kPem},
      {ToString(leaf_->key.ToDer()), PkiObjectKind::kPrivateKey, PkiEncoding::kDer},
      {leaf_->key.PublicKeyPem(), PkiObjectKind::kPublicKey, PkiEncoding::kPem},
      {ToString(leaf_->key.SpkiDer()), PkiObjectKind::kPublicKey, PkiEncoding::kDer},
  };
  for (const auto& c : cases) {
    auto got = LoadPkiObject(c.input);
    ASSERT_OK(got) << PkiObjectKindName(c.kind);
    EXPECT_EQ(got->kind, c.kind) << PkiObjectKindName(c.kind);
    EXPECT_EQ(got->encoding, c.encoding) << PkiObjectKindName(c.kind);
  }
  ASSERT_OK_AND_ASSIGN(PkiObject chain, LoadPkiObject(leaf_->cert.ToPem() + root_->ToPem()));
  ASSERT_EQ(chain.certificates.size(), 2u);
  EXPECT_TRUE(chain.certificates[0] == leaf_->cert);
}

TEST_F(LoadPkiObjectTest, CombinedFileKeepsEverything) {
  const std::string combined = leaf_->cert.ToPem() + leaf_->key.ToPem() +
                               "-----BEGIN X509 CRL-----\nAQID\n-----END X509 CRL-----\n";
  ASSERT_OK_AND_ASSIGN(PkiObject obj, LoadPkiObject(combined));
  EXPECT_EQ(obj.kind, PkiObjectKind::kCertificates);
  ASSERT_EQ(obj.private_keys.size(), 1u);
  EXPECT_TRUE(KeyMatches(obj.certificates[0], obj.private_keys[0]));
  EXPECT_THAT(obj.skipped_labels, ::testing::ElementsAre("X509 CRL"));
}

TEST_F(LoadPkiObjectTest, GarbageIsRejectedClearly) {
  struct Case {
    std::string input;
    std::string want;
  } cases[] = {
      {"", "input is empty"},
      {"hello, world", kNotPki},
      {std::string("\x30\x03\x02\x01\x01", 5), kNotPki},  // valid DER, just not PKI
      {std::string("\x30\x82\xff\xff", 4), kNotPki},
      {"-----BEGIN X509 CRL-----\nAQID\n-----END X509 CRL-----\n",
       "no certificate, CSR or key (found: X509 CRL)"},
      {"-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n", "PEM block 1"},
      {"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAQID\n-----END ENCRYPTED PRIVATE KEY-----\n",
       "encrypted"},
      {leaf_->cert.ToPem().substr(0, 300), "truncated"},
  };
  for (const auto& c : cases) {
    auto got = LoadPkiObject(c.input);
    ASSERT_FALSE(got.ok()) << c.want;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(c.want));
  }
}

TEST_F(LoadPkiObjectTest, TruncatedDerOfEveryKindIsRejected) {
  for (const Bytes& der : {leaf_->cert.ToDer(), csr_der_, leaf_->key.ToDer()}) {
    for (size_t len = 1; len < der.size(); ++len) {
      auto got = LoadPkiObject(std::string_view(reinterpret_cast<const char*>(der.data()), len));
      ASSERT_FALSE(got.ok()) << "length " << len;
      EXPECT_EQ(got.status().message(), kNotPki);
    }
  }
}

TEST_F(LoadPkiObjectTest, RandomMutationsNeverCrash) {
  std::mt19937 rng(99);
  const std::string inputs[] = {leaf_->cert.ToPem(), ToString(leaf_->cert.ToDer()), csr_pem_,
                                leaf_->key.ToPem()};
  for (int i = 0; i < 3000; ++i) {
    std::string s = inputs[i % 4];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
    if (rng() % 4 == 0) s.resize(rng() % s.size());
    auto got = LoadPkiObject(s);
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      EXPECT_FALSE(got.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace ck::pki
