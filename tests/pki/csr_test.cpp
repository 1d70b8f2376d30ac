#include "pki/csr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <algorithm>
#include <random>

#include "tests/pki/pki_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CsrRequest FullRequest() {
  CsrRequest r;
  r.common_name = "example.test";
  r.dns_names = {"example.test", "www.example.test", "*.api.example.test"};
  r.ip_addresses = {"192.0.2.1", "2001:db8::5"};
  r.uris = {"spiffe://example.test/ns/web"};
  r.emails = {"admin@example.test"};
  return r;
}

class CsrKeyTypes : public ::testing::TestWithParam<KeyType> {};

TEST_P(CsrKeyTypes, BuildParseInspectRoundTrip) {
  ASSERT_OK_AND_ASSIGN(PrivateKey key, PrivateKey::Generate(GetParam()));
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(FullRequest(), key));
  EXPECT_OK(csr.VerifySignature());

  ASSERT_OK_AND_ASSIGN(Csr parsed, Csr::FromPem(csr.ToPem()));
  EXPECT_EQ(parsed.ToDer(), csr.ToDer());
  const CsrInfo info = parsed.Inspect();
  EXPECT_EQ(info.subject, "CN=example.test");
  EXPECT_EQ(info.common_name, "example.test");
  EXPECT_THAT(info.sans, ElementsAre(SubjectAltName{SanType::kDns, "example.test"},
                                     SubjectAltName{SanType::kDns, "www.example.test"},
                                     SubjectAltName{SanType::kDns, "*.api.example.test"},
                                     SubjectAltName{SanType::kIp, "192.0.2.1"},
                                     SubjectAltName{SanType::kIp, "2001:db8::5"},
                                     SubjectAltName{SanType::kUri, "spiffe://example.test/ns/web"},
                                     SubjectAltName{SanType::kEmail, "admin@example.test"}));
  EXPECT_EQ(info.key_type, GetParam());
  EXPECT_TRUE(info.signature_valid);
  EXPECT_EQ(info.spki_sha256_pin, testutil::IndependentPin(key.get()));
  switch (GetParam()) {
    case KeyType::kEd25519: EXPECT_EQ(info.signature_algorithm, "ED25519"); break;
    case KeyType::kRsa2048: EXPECT_EQ(info.signature_algorithm, "sha256WithRSAEncryption"); break;
    default: EXPECT_EQ(info.signature_algorithm, "ecdsa-with-SHA256");
  }
  ASSERT_OK_AND_ASSIGN(Csr from_der, Csr::FromDer(csr.ToDer()));
  EXPECT_TRUE(from_der.Inspect().signature_valid);

  // Second opinion: the openssl CLI verifies the proof of possession and sees the SANs.
  ::ck::testing::TempDir dir;
  const std::string path = dir.WriteFile("req.pem", csr.ToPem());
  auto cli = testutil::RunShell("openssl req -in '" + path + "' -verify -noout -text 2>&1");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_THAT(cli.output, HasSubstr("verify OK"));
  EXPECT_THAT(cli.output, HasSubstr("DNS:*.api.example.test"));
  EXPECT_THAT(cli.output, HasSubstr("IP Address:2001:DB8:0:0:0:0:0:5"));
}

INSTANTIATE_TEST_SUITE_P(Keys, CsrKeyTypes,
                         ::testing::Values(KeyType::kEcdsaP256, KeyType::kEcdsaP384,
                                           KeyType::kEd25519, KeyType::kRsa2048),
                         [](const auto& info) {
                           std::string name(KeyTypeName(info.param));
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

class CsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = PrivateKey::Generate(KeyType::kEcdsaP256);
    ASSERT_OK(key);
    key_.emplace(std::move(key).value());
  }
  std::optional<PrivateKey> key_;
};

TEST_F(CsrTest, FlippedSignatureByteIsDetected) {
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(FullRequest(), *key_));
  Bytes der = csr.ToDer();
  der.back() ^= 0x01;  // last byte of the signature's s value
  ASSERT_OK_AND_ASSIGN(Csr tampered, Csr::FromDer(der));
  EXPECT_FALSE(tampered.Inspect().signature_valid);
  Status st = tampered.VerifySignature();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("does not verify"));
}

TEST_F(CsrTest, AlteredSanIsDetected) {
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(FullRequest(), *key_));
  Bytes der = csr.ToDer();
  const std::string needle = "www.example.test";
  auto it = std::search(der.begin(), der.end(), needle.begin(), needle.end());
  ASSERT_NE(it, der.end());
  *it = 'x';  // "xww.example.test": well-formed, but not what was signed
  ASSERT_OK_AND_ASSIGN(Csr tampered, Csr::FromDer(der));
  const CsrInfo info = tampered.Inspect();
  EXPECT_EQ(info.sans[1].value, "xww.example.test");
  EXPECT_FALSE(info.signature_valid);
}

TEST_F(CsrTest, CommonNameOnlyAndSanOnly) {
  CsrRequest cn_only;
  cn_only.common_name = "only-cn.example.test";
  ASSERT_OK_AND_ASSIGN(Csr a, BuildCsr(cn_only, *key_));
  EXPECT_TRUE(a.Inspect().sans.empty());
  EXPECT_EQ(a.Inspect().subject, "CN=only-cn.example.test");

  CsrRequest san_only;
  san_only.dns_names = {"only-san.example.test"};
  ASSERT_OK_AND_ASSIGN(Csr b, BuildCsr(san_only, *key_));
  EXPECT_EQ(b.Inspect().subject, "");
  EXPECT_THAT(b.SubjectAltNames(),
              ElementsAre(SubjectAltName{SanType::kDns, "only-san.example.test"}));
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension is critical.
  StackOfX509ExtensionPtr exts(X509_REQ_get_extensions(b.get()));
  ASSERT_TRUE(exts);
  ASSERT_EQ(sk_X509_EXTENSION_num(exts.get()), 1);
  EXPECT_EQ(X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts.get(), 0)), 1);
}

TEST_F(CsrTest, DuplicatesAreDropped) {
  CsrRequest r;
  r.dns_names = {"a.example.test", "A.Example.Test", "b.example.test", "a.example.test"};
  r.ip_addresses = {"::1", "0:0::1", "127.0.0.1"};
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(r, *key_));
  EXPECT_THAT(csr.SubjectAltNames(), ElementsAre(SubjectAltName{SanType::kDns, "a.example.test"},
                                                 SubjectAltName{SanType::kDns, "b.example.test"},
                                                 SubjectAltName{SanType::kIp, "::1"},
                                                 SubjectAltName{SanType::kIp, "127.0.0.1"}));
}

TEST_F(CsrTest, InvalidRequestsAreRejectedNamingTheValue) {
  struct Case {
    CsrRequest request;
    std::string want;
  };
  auto dns = [](std::string n) {
    CsrRequest r;
    r.dns_names = {std::move(n)};
    return r;
  };
  auto ip = [](std::string n) {
    CsrRequest r;
    r.ip_addresses = {std::move(n)};
    return r;
  };
  auto uri = [](std::string n) {
    CsrRequest r;
    r.uris = {std::move(n)};
    return r;
  };
  auto email = [](std::string n) {
    CsrRequest r;
    r.emails = {std::move(n)};
    return r;
  };
  CsrRequest long_cn;
  long_cn.common_name = std::string(65, 'a');
  const Case cases[] = {
      {CsrRequest{}, "common name or at least one subject alternative name"},
      {long_cn, "longer than 64"},
      {dns(""), "DNS name is empty"},
      {dns("exa mple.test"), "'exa mple.test' contains ' '"},
      {dns("-bad.example.test"), "starting or ending with '-'"},
      {dns("a..example.test"), "empty label"},
      {dns("example.test."), "must not end with a dot"},
      {dns("foo.*.example.test"), "wildcard must be the entire leftmost label"},
      {dns("f*.example.test"), "wildcard must be the entire leftmost label"},
      {dns("*.test"), "at least two labels"},
      {dns("*"), "at least two labels"},
      {dns("m\xC3\xBCller.example.test"), "xn--"},
      {dns("192.0.2.1"), "is an IP address"},
      {dns(std::string(64, 'a') + ".example.test"), "longer than 63"},
      {dns(std::string(250, 'a') + ".test"), "longer than 253"},
      {dns("under_score.example.test"), "contains '_'"},
      {ip("1.2.3"), "'1.2.3' is not an IPv4 or IPv6 address"},
      {ip("::g"), "not an IPv4 or IPv6 address"},
      {ip("fe80::1%eth0"), "not an IPv4 or IPv6 address"},
      {ip(""), "IP address is empty"},
      {uri("no-scheme"), "has no scheme"},
      {uri("1http://x"), "must start with a letter"},
      {uri("https://a b"), "whitespace"},
      {uri("https:"), "empty after the scheme"},
      {email("no-at-sign"), "local@domain"},
      {email("@example.test"), "local@domain"},
      {email("a@"), "local@domain"},
      {email("a b@example.test"), "invalid character"},
      {email("a@bad_domain.test"), "invalid domain"},
  };
  for (const auto& c : cases) {
    auto got = BuildCsr(c.request, *key_);
    ASSERT_FALSE(got.ok()) << c.want;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << c.want;
    EXPECT_THAT(got.status().message(), HasSubstr(c.want));
  }
}

TEST_F(CsrTest, GarbageCsrInputsAreRejected) {
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(FullRequest(), *key_));
  const Bytes der = csr.ToDer();
  for (size_t len = 0; len < der.size(); ++len) {
    auto got = Csr::FromDer(Bytes(der.begin(), der.begin() + len));
    ASSERT_FALSE(got.ok()) << "length " << len;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
  const std::string pem = csr.ToPem();
  for (size_t len = 0; len + 1 < pem.size(); ++len) {
    ASSERT_FALSE(Csr::FromPem(pem.substr(0, len)).ok()) << "PEM length " << len;
  }
  auto wrong = Csr::FromPem(key_->ToPem());
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("no certificate request"));
  EXPECT_FALSE(Csr::FromDer(key_->ToDer()).ok());
  EXPECT_FALSE(Csr::FromPem("").ok());

  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes mutated = der;
    mutated[rng() % mutated.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto got = Csr::FromDer(mutated);
    if (got.ok()) (void)got->Inspect();  // must not crash on odd-but-parseable requests
  }
}

TEST_F(CsrTest, AcceptsLegacyPemLabel) {
  ASSERT_OK_AND_ASSIGN(Csr csr, BuildCsr(FullRequest(), *key_));
  std::string pem = csr.ToPem();
  std::string legacy = EncodePem("NEW CERTIFICATE REQUEST", csr.ToDer());
  ASSERT_OK_AND_ASSIGN(Csr parsed, Csr::FromPem(legacy));
  EXPECT_EQ(parsed.ToDer(), csr.ToDer());
}

}  // namespace
}  // namespace ck::pki
