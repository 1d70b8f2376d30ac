#include "pki/certificate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/pki/pki_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::pki {
namespace {

using ::ck::testing::CaSpec;
using ::ck::testing::CertSpec;
using ::ck::testing::IssuedCert;
using ::ck::testing::TestCa;
using ::ck::testing::UtcTime;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot(CaSpec("Example Root"));
    ASSERT_OK(root);
    root_.emplace(std::move(root).value());
    CertSpec inter_spec = CaSpec("Example Intermediate");
    inter_spec.path_length = 0;
    auto inter = root_->CreateIntermediate(inter_spec);
    ASSERT_OK(inter);
    inter_.emplace(std::move(inter).value());

    CertSpec spec;
    spec.common_name = "www.example.test";
    spec.organization = "Example";
    spec.dns_names = {"www.example.test", "*.api.example.test"};
    spec.ip_addresses = {"192.0.2.10", "2001:db8:0:0::1"};
    spec.uris = {"spiffe://example.test/web"};
    spec.emails = {"ops@example.test"};
    spec.raw_sans = {"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.test", "RID:1.2.3.4"};
    spec.ekus = {"serverAuth", "clientAuth"};
    spec.not_before = UtcTime(2025, 1, 1);
    spec.not_after = UtcTime(2025, 4, 1, 12, 30, 5);
    spec.serial_hex = "0A1B2C3D4E";
    spec.ocsp_urls = {"http://ocsp.example.test"};
    spec.ca_issuer_urls = {"http://ca.example.test/inter.der"};
    spec.crl_urls = {"http://crl.example.test/inter.crl"};
    auto leaf = inter_->Issue(spec);
    ASSERT_OK(leaf);
    leaf_.emplace(std::move(leaf).value());
  }

  std::optional<TestCa> root_;
  std::optional<TestCa> inter_;
  std::optional<IssuedCert> leaf_;
};

TEST_F(CertificateTest, InspectReportsEveryField) {
  const CertificateInfo info = leaf_->cert.Inspect();
  EXPECT_EQ(info.version, 3);
  EXPECT_EQ(info.subject, "CN=www.example.test,O=Example");
  EXPECT_EQ(info.issuer, "CN=Example Intermediate,O=certkeeper tests");
  EXPECT_EQ(info.common_name, "www.example.test");
  EXPECT_EQ(info.serial_hex, "0A1B2C3D4E");
  EXPECT_EQ(info.not_before, UtcTime(2025, 1, 1));
  EXPECT_EQ(info.not_after, UtcTime(2025, 4, 1, 12, 30, 5));
  EXPECT_THAT(info.sans, ElementsAre(SubjectAltName{SanType::kDns, "www.example.test"},
                                     SubjectAltName{SanType::kDns, "*.api.example.test"},
                                     SubjectAltName{SanType::kIp, "192.0.2.10"},
                                     SubjectAltName{SanType::kIp, "2001:db8::1"},
                                     SubjectAltName{SanType::kUri, "spiffe://example.test/web"},
                                     SubjectAltName{SanType::kEmail, "ops@example.test"},
                                     SubjectAltName{SanType::kOtherName, "msUPN;user@example.test"},
                                     SubjectAltName{SanType::kRegisteredId, "1.2.3.4"}));
  EXPECT_THAT(info.DnsNames(), ElementsAre("www.example.test", "*.api.example.test"));
  EXPECT_EQ(info.key_algorithm, "ECDSA P-256");
  EXPECT_EQ(info.key_bits, 256);
  EXPECT_EQ(info.key_type, KeyType::kEcdsaP256);
  EXPECT_EQ(info.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_EQ(info.subject_key_id.size(), 40u);  // SHA-1 "hash" method, RFC 5280 §4.2.1.2
  EXPECT_EQ(info.authority_key_id, inter_->cert().Inspect().subject_key_id);
  EXPECT_NE(info.subject_key_id, info.authority_key_id);
  EXPECT_THAT(info.extended_key_usages, ElementsAre("serverAuth", "clientAuth"));
  EXPECT_THAT(info.key_usages, ElementsAre("digitalSignature"));
  EXPECT_FALSE(info.is_ca);
  EXPECT_FALSE(info.path_length.has_value());
  EXPECT_EQ(info.spki_sha256_pin, testutil::IndependentPin(leaf_->key.get()));
  EXPECT_EQ(info.spki_sha256_pin, leaf_->key.SpkiSha256Pin());
  EXPECT_EQ(info.sha256_fingerprint, testutil::IndependentFingerprint(leaf_->cert.get()));
  EXPECT_FALSE(info.self_signed);
  EXPECT_THAT(info.ocsp_urls, ElementsAre("http://ocsp.example.test"));
  EXPECT_THAT(info.ca_issuer_urls, ElementsAre("http://ca.example.test/inter.der"));
  EXPECT_THAT(info.crl_urls, ElementsAre("http://crl.example.test/inter.crl"));
}

TEST_F(CertificateTest, InspectReportsCaFields) {
  const CertificateInfo inter = inter_->cert().Inspect();
  EXPECT_TRUE(inter.is_ca);
  EXPECT_EQ(inter.path_length, 0);
  EXPECT_THAT(inter.key_usages, ElementsAre("digitalSignature", "keyCertSign", "cRLSign"));
  EXPECT_TRUE(inter.extended_key_usages.empty());
  EXPECT_FALSE(inter.self_signed);
  const CertificateInfo root = root_->cert().Inspect();
  EXPECT_TRUE(root.is_ca);
  EXPECT_FALSE(root.path_length.has_value());
  EXPECT_TRUE(root.self_signed);
  EXPECT_EQ(root.subject, root.issuer);
}

TEST(CertificateAlgorithmsTest, ReportsKeyAndSignatureAlgorithms) {
  struct Case {
    KeyType ca_key;
    std::string digest;
    KeyType leaf_key;
    std::string want_sig;
    std::string want_key;
    int want_bits;
  } cases[] = {
      {KeyType::kRsa2048, "sha1", KeyType::kRsa2048, "sha1WithRSAEncryption", "RSA", 2048},
      {KeyType::kRsa2048, "sha256", KeyType::kEcdsaP384, "sha256WithRSAEncryption", "ECDSA P-384",
       384},
      {KeyType::kEcdsaP384, "sha384", KeyType::kRsa3072, "ecdsa-with-SHA384", "RSA", 3072},
      {KeyType::kEd25519, "sha256", KeyType::kEd25519, "ED25519", "Ed25519", 256},
  };
  for (const auto& c : cases) {
    CertSpec ca_spec = CaSpec("Algo CA");
    ca_spec.key_type = c.ca_key;
    ASSERT_OK_AND_ASSIGN(TestCa ca, TestCa::CreateRoot(ca_spec));
    CertSpec spec;
    spec.key_type = c.leaf_key;
    spec.digest = c.digest;
    spec.dns_names = {"algo.example.test"};
    ASSERT_OK_AND_ASSIGN(IssuedCert leaf, ca.Issue(spec));
    const CertificateInfo info = leaf.cert.Inspect();
    EXPECT_EQ(info.signature_algorithm, c.want_sig);
    EXPECT_EQ(info.key_algorithm, c.want_key);
    EXPECT_EQ(info.key_bits, c.want_bits);
    EXPECT_EQ(info.spki_sha256_pin, leaf.key.SpkiSha256Pin());
    if (c.leaf_key == KeyType::kRsa2048 || c.leaf_key == KeyType::kRsa3072) {
      EXPECT_THAT(info.key_usages, ElementsAre("digitalSignature", "keyEncipherment"));
    }
  }
}

TEST_F(CertificateTest, PemAndDerRoundTrip) {
  const std::string pem = leaf_->cert.ToPem();
  ASSERT_OK_AND_ASSIGN(Certificate from_pem, Certificate::FromPem(pem));
  EXPECT_TRUE(from_pem == leaf_->cert);
  EXPECT_EQ(from_pem.ToPem(), pem);
  ASSERT_OK_AND_ASSIGN(Certificate from_der, Certificate::FromDer(leaf_->cert.ToDer()));
  EXPECT_TRUE(from_der == leaf_->cert);
  EXPECT_FALSE(from_der == inter_->cert());
  Certificate copy = from_der;  // shares the X509
  EXPECT_EQ(copy.get(), from_der.get());
  // The openssl CLI reads what we write.
  ::ck::testing::TempDir dir;
  const std::string path = dir.WriteFile("cert.pem", pem);
  auto cli = testutil::RunShell("openssl x509 -in '" + path + "' -noout -serial");
  ASSERT_EQ(cli.exit_code, 0);
  EXPECT_EQ(testutil::Trim(cli.output), "serial=0A1B2C3D4E");
}

TEST_F(CertificateTest, ParsesChainsToleratingTextBetweenBlocks) {
  const std::string bundle = "subject=CN = www.example.test\n" + leaf_->cert.ToPem() +
                             "\r\nissuer text, ignored\n" + leaf_->key.ToPem() +
                             inter_->cert().ToPem() + "trailing words";
  ASSERT_OK_AND_ASSIGN(auto chain, ParseCertificateChain(bundle));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_TRUE(chain[0] == leaf_->cert);
  EXPECT_TRUE(chain[1] == inter_->cert());
  EXPECT_EQ(ChainToPem(chain), leaf_->cert.ToPem() + inter_->cert().ToPem());
}

TEST_F(CertificateTest, ChainErrorsAreClear) {
  struct Case {
    std::string input;
    std::string want;
  } cases[] = {
      {"", "empty"},
      {"garbage", "no PEM block"},
      {leaf_->key.ToPem(), "no certificate in the PEM input (found: PRIVATE KEY)"},
      {leaf_->cert.ToPem() + "-----BEGIN CERTIFICATE-----\nMIIB%%%\n-----END CERTIFICATE-----\n",
       "PEM block 2 'CERTIFICATE' has corrupt base64"},
      {leaf_->cert.ToPem() + "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
       "PEM block 2"},
      {leaf_->cert.ToPem().substr(0, 200), "no END line"},
  };
  for (const auto& c : cases) {
    auto got = ParseCertificateChain(c.input);
    ASSERT_FALSE(got.ok()) << c.input;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(c.want)) << c.input;
  }
}

TEST_F(CertificateTest, TruncatedPemAndDerAreRejectedAtEveryLength) {
  const std::string pem = leaf_->cert.ToPem();
  for (size_t len = 0; len + 1 < pem.size(); ++len) {
    auto got = Certificate::FromPem(pem.substr(0, len));
    ASSERT_FALSE(got.ok()) << "PEM length " << len;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
  const Bytes der = leaf_->cert.ToDer();
  for (size_t len = 0; len < der.size(); ++len) {
    auto got = Certificate::FromDer(der.data(), len);
    ASSERT_FALSE(got.ok()) << "DER length " << len;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(got.status().message().empty());
  }
  Bytes trailing = der;
  trailing.push_back(0x00);
  auto got = Certificate::FromDer(trailing);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("1 unexpected bytes after the DER structure"));
}

TEST_F(CertificateTest, RandomByteFlipsNeverCrash) {
  const Bytes der = leaf_->cert.ToDer();
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes mutated = der;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      mutated[rng() % mutated.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    auto got = Certificate::FromDer(mutated);
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++accepted;  // a flip inside a string or the signature still parses: inspect it all
    const CertificateInfo info = got->Inspect();
    EXPECT_FALSE(info.spki_sha256_pin.empty());
    (void)MatchesHostname(*got, "www.example.test");
    (void)got->ToPem();
  }
  EXPECT_GT(accepted, 0);  // the loop did exercise Inspect() on odd certificates
}

TEST_F(CertificateTest, HostnameMatchingFollowsRfc6125) {
  const Certificate& cert = leaf_->cert;
  EXPECT_TRUE(MatchesHostname(cert, "www.example.test"));
  EXPECT_TRUE(MatchesHostname(cert, "WWW.Example.TEST"));
  EXPECT_TRUE(MatchesHostname(cert, "www.example.test."));
  EXPECT_TRUE(MatchesHostname(cert, "foo.api.example.test"));
  EXPECT_FALSE(MatchesHostname(cert, "api.example.test"));      // * needs a label
  EXPECT_FALSE(MatchesHostname(cert, "a.b.api.example.test"));  // * is one label only
  EXPECT_FALSE(MatchesHostname(cert, "example.test"));
  EXPECT_FALSE(MatchesHostname(cert, "wwwexample.test"));
  EXPECT_TRUE(MatchesHostname(cert, "192.0.2.10"));
  EXPECT_FALSE(MatchesHostname(cert, "192.0.2.11"));
  EXPECT_TRUE(MatchesHostname(cert, "2001:db8::1"));
  EXPECT_TRUE(MatchesHostname(cert, "2001:0db8:0:0:0:0:0:1"));
  EXPECT_TRUE(MatchesHostname(cert, "[2001:db8::1]"));
  EXPECT_FALSE(MatchesHostname(cert, ""));
  EXPECT_FALSE(MatchesHostname(cert, std::string("www.example.test\0.evil", 22)));
}

TEST_F(CertificateTest, HostnameMatchingIgnoresCnAndPartialWildcards) {
  CertSpec cn_only;
  cn_only.common_name = "cn-only.example.test";
  ASSERT_OK_AND_ASSIGN(IssuedCert a, inter_->Issue(cn_only));
  EXPECT_FALSE(MatchesHostname(a.cert, "cn-only.example.test"));

  CertSpec partial;
  partial.raw_sans = {"DNS:f*.example.test"};
  ASSERT_OK_AND_ASSIGN(IssuedCert b, inter_->Issue(partial));
  EXPECT_FALSE(MatchesHostname(b.cert, "foo.example.test"));
}

TEST_F(CertificateTest, KeyMatches) {
  EXPECT_TRUE(KeyMatches(leaf_->cert, leaf_->key));
  EXPECT_FALSE(KeyMatches(leaf_->cert, inter_->key()));
  ASSERT_OK_AND_ASSIGN(PrivateKey ed, PrivateKey::Generate(KeyType::kEd25519));
  EXPECT_FALSE(KeyMatches(leaf_->cert, ed));
}

TEST_F(CertificateTest, AccessorsAgreeWithInspect) {
  const CertificateInfo info = leaf_->cert.Inspect();
  EXPECT_EQ(leaf_->cert.Subject(), info.subject);
  EXPECT_EQ(leaf_->cert.Issuer(), info.issuer);
  EXPECT_EQ(leaf_->cert.SerialHex(), info.serial_hex);
  EXPECT_EQ(leaf_->cert.NotAfter(), info.not_after);
  EXPECT_EQ(leaf_->cert.SpkiSha256Pin(), info.spki_sha256_pin);
  EXPECT_EQ(leaf_->cert.GetPublicKey().SpkiSha256Pin(), info.spki_sha256_pin);
  EXPECT_EQ(leaf_->cert.SubjectAltNames(), info.sans);
}

TEST(CertificateNamesTest, Utf8SubjectsStayReadableAndControlBytesAreEscaped) {
  ASSERT_OK_AND_ASSIGN(TestCa ca, TestCa::CreateRoot(CaSpec("Wurzel Zertifizierungsstelle")));
  CertSpec spec;
  spec.common_name = "M\xC3\xBCller";
  spec.raw_sans = {"DNS:bad\x01name.example.test"};
  auto leaf = ca.Issue(spec);
  ASSERT_OK(leaf);
  EXPECT_EQ(leaf->cert.Inspect().subject, "CN=M\xC3\xBCller");
  ASSERT_EQ(leaf->cert.Inspect().sans.size(), 1u);
  EXPECT_EQ(leaf->cert.Inspect().sans[0].value, "bad\\x01name.example.test");
}

}  // namespace
}  // namespace ck::pki
