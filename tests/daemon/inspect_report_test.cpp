// The inspect verdicts as pure functions: no sockets, no files, a fixed check time.
#include "daemon/inspect/inspect_report.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "daemon/inspect/inspect_render.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::inspect {
namespace {

using ck::testing::CaSpec;
using ck::testing::CertSpec;
using ck::testing::TestCa;
using ck::testing::UtcTime;

class InspectReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CertSpec spec = CaSpec("Report Root");
    spec.not_before = UtcTime(2020, 1, 1);
    spec.not_after = UtcTime(2040, 1, 1);
    auto root = TestCa::CreateRoot(spec);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_.emplace(std::move(*root));
  }

  pki::Certificate Leaf(CertSpec spec) {
    if (!spec.not_before) spec.not_before = UtcTime(2030, 1, 1);
    if (!spec.not_after) spec.not_after = UtcTime(2030, 4, 1);
    auto issued = root_->Issue(std::move(spec));
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued->cert;
  }

  InspectOptions At(TimePoint t) {
    InspectOptions o;
    o.at = t;
    o.roots = {root_->cert()};
    return o;
  }

  static pki::TlsProbeResult Probe(std::vector<pki::Certificate> chain, std::string protocol) {
    pki::TlsProbeResult p;
    p.chain = std::move(chain);
    p.protocol = std::move(protocol);
    p.cipher = "TLS_AES_128_GCM_SHA256";
    p.peer_address = "127.0.0.1:443";
    return p;
  }

  std::optional<TestCa> root_;
};

TEST_F(InspectReportTest, HealthyLeafIsOk) {
  CertSpec spec;
  spec.dns_names = {"www.example.test"};
  auto r = InspectTls("www.example.test:443", Probe({Leaf(spec)}, "TLSv1.3"), [&] {
    auto o = At(UtcTime(2030, 2, 1));
    o.hostname = "www.example.test";
    return o;
  }());
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.problems);
  ASSERT_EQ(r.certificates.size(), 1u);
  EXPECT_NEAR(r.certificates[0].days_left, 59, 0.01);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(InspectReportTest, ExpiresSoonIsAWarningNotAProblem) {
  CertSpec spec;
  spec.dns_names = {"a.test"};
  auto r = InspectTls("a.test:443", Probe({Leaf(spec)}, "TLSv1.2"), At(UtcTime(2030, 3, 20)));
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("expires in 12 days"), std::string::npos) << r.warnings[0];
}

TEST_F(InspectReportTest, OldProtocolAndSha1AreProblems) {
  CertSpec spec;
  spec.dns_names = {"legacy.test"};
  spec.key_type = pki::KeyType::kRsa2048;
  spec.digest = "sha1";
  auto r = InspectTls("legacy.test:443", Probe({Leaf(spec)}, "TLSv1"), At(UtcTime(2030, 2, 1)));
  EXPECT_FALSE(r.ok());
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  EXPECT_NE(all.find("negotiated TLSv1;"), std::string::npos) << all;
  EXPECT_NE(all.find("signed with ecdsa-with-SHA1"), std::string::npos) << all;
}

TEST_F(InspectReportTest, NoCertificateServed) {
  auto r = InspectTls("x.test:443", Probe({}, "TLSv1.3"), At(UtcTime(2030, 2, 1)));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], "server sent no certificate");
}

TEST_F(InspectReportTest, TamperedCsrIsAProblem) {
  auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
  ASSERT_TRUE(key.ok());
  pki::CsrRequest req;
  req.common_name = "svc.test";
  req.dns_names = {"svc.test"};
  auto csr = pki::BuildCsr(req, *key);
  ASSERT_TRUE(csr.ok());
  Bytes der = csr->ToDer();
  der[der.size() - 3] ^= 0x01;  // inside the signature
  auto object = pki::LoadPkiObject(std::string(der.begin(), der.end()));
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  auto r = InspectObject("req.der", *object, At(UtcTime(2030, 2, 1)));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].find("CSR signature does not verify"), std::string::npos);
  // Rendering never includes key material and names the verdict.
  std::string text = RenderText(r, false);
  EXPECT_NE(text.find("INVALID"), std::string::npos) << text;
  EXPECT_EQ(RenderJson(r)["csr"]["signature_valid"], false);
}

TEST_F(InspectReportTest, FileWithoutCaIsNotTrustChecked) {
  CertSpec spec;
  spec.dns_names = {"a.test"};
  pki::PkiObject object;
  object.certificates = {Leaf(spec)};
  InspectOptions o;
  o.at = UtcTime(2030, 2, 1);
  auto r = InspectObject("a.pem", object, o);
  EXPECT_TRUE(r.ok());
  ASSERT_TRUE(r.verification.has_value());
  EXPECT_FALSE(r.verification->checked);
  EXPECT_EQ(RenderJson(r)["verification"]["checked"], false);
}

// Every problem and warning also carries a stable code (what the watcher and alerts act on).
TEST_F(InspectReportTest, FindingsCarryCodesAndSeverities) {
  CertSpec spec;
  spec.dns_names = {"legacy.test"};
  spec.digest = "sha1";
  auto r = InspectTls("other.test:443", Probe({Leaf(spec)}, "TLSv1.1"), [&] {
    auto o = At(UtcTime(2030, 3, 20));
    o.hostname = "other.test";
    return o;
  }());
  std::vector<std::string> codes;
  for (const auto& f : r.findings) codes.push_back(f.code + "/" + f.severity);
  EXPECT_EQ(codes,
            (std::vector<std::string>{"legacy_tls/critical", "expiring/warning",
                                      "weak_signature/critical", "hostname_mismatch/critical"}));
  EXPECT_EQ(r.problems.size(), 3u);
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(r.HasFinding("expiring"));
  EXPECT_FALSE(r.HasFinding("expired"));
  EXPECT_EQ(RenderJson(r)["findings"][1]["code"], "expiring");
}

TEST_F(InspectReportTest, SmallEcKeyIsWeakAndUnknownIssuerIsUnknownAuthority) {
  pki::EvpPkeyPtr raw(EVP_EC_gen("secp224r1"));
  ASSERT_NE(raw, nullptr);
  auto key = pki::PrivateKey::Adopt(std::move(raw));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  CertSpec spec;
  spec.dns_names = {"small.test"};
  spec.key = std::move(*key);
  auto options = At(UtcTime(2030, 2, 1));
  auto other = TestCa::CreateRoot(CaSpec("Some Other Root"));
  ASSERT_TRUE(other.ok());
  options.roots = {other->cert()};
  auto r = InspectTls("small.test:443", Probe({Leaf(spec)}, "TLSv1.3"), options);
  std::vector<std::string> codes;
  for (const auto& f : r.findings) codes.push_back(f.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"weak_key", "unknown_authority"}));
  EXPECT_NE(r.problems[0].find("224-bit EC key"), std::string::npos) << r.problems[0];
}

}  // namespace
}  // namespace ck::inspect
