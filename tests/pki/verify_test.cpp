#include "pki/verify.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.hpp"
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

// CAs valid 2000..2040 so only the leaf's window matters unless a test says otherwise.
CertSpec LongLivedCa(std::string cn) {
  CertSpec spec = CaSpec(std::move(cn));
  spec.not_before = UtcTime(2000, 1, 1);
  spec.not_after = UtcTime(2040, 1, 1);
  return spec;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot(LongLivedCa("Verify Root"));
    ASSERT_OK(root);
    root_.emplace(std::move(root).value());
    auto inter = root_->CreateIntermediate(LongLivedCa("Verify Intermediate"));
    ASSERT_OK(inter);
    inter_.emplace(std::move(inter).value());
    auto leaf = inter_->Issue(LeafSpec());
    ASSERT_OK(leaf);
    leaf_.emplace(std::move(leaf).value());
  }

  static CertSpec LeafSpec() {
    CertSpec spec;
    spec.common_name = "www.example.test";
    spec.dns_names = {"www.example.test"};
    spec.ip_addresses = {"192.0.2.10"};
    spec.not_before = UtcTime(2025, 1, 1);
    spec.not_after = UtcTime(2025, 4, 1);
    return spec;
  }

  VerifyResult Verify(const std::vector<Certificate>& chain, TimePoint at,
                      std::string host = "www.example.test") {
    VerifyOptions options;
    options.at = at;
    options.hostname = std::move(host);
    return VerifyChain(chain, {root_->cert()}, options);
  }

  std::optional<TestCa> root_;
  std::optional<TestCa> inter_;
  std::optional<IssuedCert> leaf_;
};

TEST_F(VerifyTest, GoodChainVerifiesInsideItsValidity) {
  VerifyResult r = Verify(leaf_->chain, UtcTime(2025, 2, 1));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.reason, VerifyReason::kOk);
  EXPECT_EQ(r.message, "");
  EXPECT_THAT(r.path, ElementsAre("CN=www.example.test", inter_->cert().Subject(),
                                  root_->cert().Subject()));
  ASSERT_EQ(r.verified_chain.size(), 3u);
  EXPECT_TRUE(r.verified_chain[2] == root_->cert());
  // Also by IP, and without a hostname.
  EXPECT_TRUE(Verify(leaf_->chain, UtcTime(2025, 2, 1), "192.0.2.10").ok);
  EXPECT_TRUE(Verify(leaf_->chain, UtcTime(2025, 2, 1), "").ok);
}

TEST_F(VerifyTest, ExpiredSaysWhenAndByHowMuch) {
  VerifyResult r = Verify(leaf_->chain, UtcTime(2025, 4, 4));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kExpired);
  EXPECT_EQ(r.failing_index, 0);
  EXPECT_EQ(r.failing_depth, 0);
  EXPECT_EQ(r.failing_subject, "CN=www.example.test");
  EXPECT_THAT(r.message, HasSubstr("certificate 'CN=www.example.test' expired at "
                                   "2025-04-01T00:00:00Z (3 days before the check time"));
  EXPECT_EQ(VerifyReasonName(r.reason), "expired");
}

TEST_F(VerifyTest, NotYetValidHintsAtClockSkew) {
  VerifyResult r = Verify(leaf_->chain, UtcTime(2024, 12, 31, 22));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kNotYetValid);
  EXPECT_EQ(r.failing_index, 0);
  EXPECT_THAT(r.message, HasSubstr("is not yet valid until 2025-01-01T00:00:00Z (2 hours after"));
  EXPECT_THAT(r.message, HasSubstr("check clock skew"));
}

TEST_F(VerifyTest, UnknownCaNamesTheMissingIssuer) {
  ASSERT_OK_AND_ASSIGN(TestCa other, TestCa::CreateRoot(LongLivedCa("Some Other Root")));
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  VerifyResult r = VerifyChain(leaf_->chain, {other.cert()}, options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kUnknownIssuer);
  EXPECT_EQ(r.missing_issuer, root_->cert().Subject());
  EXPECT_EQ(r.failing_index, 1);  // the intermediate's issuer is the one missing
  EXPECT_THAT(r.message, HasSubstr("unknown authority: issuer 'CN=Verify Root,O=certkeeper "
                                   "tests'"));
  EXPECT_THAT(r.message, HasSubstr("not found in the trust store or the served chain"));
}

TEST_F(VerifyTest, MissingIntermediateIsAnUnknownIssuer) {
  VerifyResult r = Verify({leaf_->cert}, UtcTime(2025, 2, 1));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kUnknownIssuer);
  EXPECT_EQ(r.missing_issuer, inter_->cert().Subject());
  EXPECT_EQ(r.failing_index, 0);
  EXPECT_THAT(r.message, HasSubstr("'CN=Verify Intermediate,O=certkeeper tests'"));
}

TEST_F(VerifyTest, WrongHostnameListsWhatTheCertificateNames) {
  VerifyResult r = Verify(leaf_->chain, UtcTime(2025, 2, 1), "other.example.test");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kHostnameMismatch);
  EXPECT_EQ(r.failing_index, 0);
  EXPECT_THAT(r.message, HasSubstr("not valid for 'other.example.test'"));
  EXPECT_THAT(r.message, HasSubstr("DNS:www.example.test, IP:192.0.2.10"));
  EXPECT_EQ(Verify(leaf_->chain, UtcTime(2025, 2, 1), "192.0.2.11").reason,
            VerifyReason::kHostnameMismatch);
  // A NUL cannot smuggle a matching prefix past the check.
  VerifyResult nul = Verify(leaf_->chain, UtcTime(2025, 2, 1), std::string("192.0.2.10\0x", 12));
  EXPECT_FALSE(nul.ok);
  nul = Verify(leaf_->chain, UtcTime(2025, 2, 1), std::string("www.example.test\0.evil", 23));
  EXPECT_FALSE(nul.ok);
}

TEST_F(VerifyTest, UsesTheGivenTimeNotTheWallClock) {
  CertSpec spec = LeafSpec();
  spec.not_before = UtcTime(2030, 1, 1);
  spec.not_after = UtcTime(2030, 6, 1);
  ASSERT_OK_AND_ASSIGN(IssuedCert future, inter_->Issue(spec));
  EXPECT_TRUE(Verify(future.chain, UtcTime(2030, 3, 1)).ok);
  EXPECT_EQ(Verify(future.chain, SystemClock().Now()).reason, VerifyReason::kNotYetValid);

  spec.not_before = UtcTime(2001, 1, 1);
  spec.not_after = UtcTime(2001, 2, 1);
  ASSERT_OK_AND_ASSIGN(IssuedCert past, inter_->Issue(spec));
  EXPECT_TRUE(Verify(past.chain, UtcTime(2001, 1, 15)).ok);
  EXPECT_EQ(Verify(past.chain, SystemClock().Now()).reason, VerifyReason::kExpired);
}

TEST_F(VerifyTest, ExpiredIntermediateIsNamedAsSuch) {
  CertSpec inter_spec = LongLivedCa("Short Intermediate");
  inter_spec.not_after = UtcTime(2025, 3, 1);
  ASSERT_OK_AND_ASSIGN(TestCa inter, root_->CreateIntermediate(inter_spec));
  ASSERT_OK_AND_ASSIGN(IssuedCert leaf, inter.Issue(LeafSpec()));
  VerifyResult r = Verify(leaf.chain, UtcTime(2025, 3, 15));
  EXPECT_EQ(r.reason, VerifyReason::kExpired);
  EXPECT_EQ(r.failing_index, 1);
  EXPECT_EQ(r.failing_depth, 1);
  EXPECT_THAT(r.message, HasSubstr("intermediate certificate 'CN=Short Intermediate"));
  EXPECT_THAT(r.message, HasSubstr("(14 days before"));
}

TEST_F(VerifyTest, SelfSignedNotTrusted) {
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  options.purpose = "";
  VerifyResult alone = VerifyChain({root_->cert()}, {}, options);
  EXPECT_EQ(alone.reason, VerifyReason::kSelfSignedNotTrusted);
  EXPECT_THAT(alone.message, HasSubstr("is self-signed and not in the trust store"));

  ASSERT_OK_AND_ASSIGN(TestCa other, TestCa::CreateRoot(LongLivedCa("Other Root")));
  std::vector<Certificate> with_root = leaf_->chain;
  with_root.push_back(root_->cert());
  VerifyResult served_root = VerifyChain(with_root, {other.cert()}, options);
  EXPECT_EQ(served_root.reason, VerifyReason::kSelfSignedNotTrusted);
  EXPECT_THAT(served_root.message, HasSubstr("ends at self-signed root 'CN=Verify Root"));
  EXPECT_EQ(served_root.failing_index, 2);
}

TEST_F(VerifyTest, PurposeIsChecked) {
  CertSpec spec = LeafSpec();
  spec.ekus = {"clientAuth"};
  ASSERT_OK_AND_ASSIGN(IssuedCert client, inter_->Issue(spec));
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  VerifyResult r = VerifyChain(client.chain, {root_->cert()}, options);
  EXPECT_EQ(r.reason, VerifyReason::kInvalidPurpose);
  EXPECT_THAT(r.message, HasSubstr("may not be used for serverAuth (extended key usages: "
                                   "clientAuth)"));
  options.purpose = "clientAuth";
  EXPECT_TRUE(VerifyChain(client.chain, {root_->cert()}, options).ok);
  options.purpose = "";
  EXPECT_TRUE(VerifyChain(client.chain, {root_->cert()}, options).ok);
}

TEST_F(VerifyTest, BadSignatureIsDetected) {
  // An impostor CA with the intermediate's exact name but another key signs a leaf; without
  // an AKI to tell them apart, OpenSSL picks the real intermediate and the signature fails.
  CertSpec impostor_spec = LongLivedCa("Verify Intermediate");
  ASSERT_OK_AND_ASSIGN(TestCa impostor, root_->CreateIntermediate(impostor_spec));
  CertSpec spec = LeafSpec();
  spec.authority_key_id = false;
  ASSERT_OK_AND_ASSIGN(IssuedCert forged, impostor.Issue(spec));
  VerifyResult r = Verify({forged.cert, inter_->cert()}, UtcTime(2025, 2, 1));
  EXPECT_EQ(r.reason, VerifyReason::kBadSignature);
  EXPECT_EQ(r.failing_index, 0);
  EXPECT_THAT(r.message, HasSubstr("does not verify with its issuer's key"));
}

TEST_F(VerifyTest, OutOfOrderIntermediatesStillVerifyButCheckChainOrderFlagsThem) {
  ASSERT_OK_AND_ASSIGN(TestCa second, inter_->CreateIntermediate(LongLivedCa("Second Level")));
  ASSERT_OK_AND_ASSIGN(IssuedCert leaf, second.Issue(LeafSpec()));
  ASSERT_EQ(leaf.chain.size(), 3u);
  EXPECT_OK(CheckChainOrder(leaf.chain));
  std::vector<Certificate> swapped = {leaf.chain[0], leaf.chain[2], leaf.chain[1]};
  EXPECT_TRUE(Verify(swapped, UtcTime(2025, 2, 1)).ok);
  Status order = CheckChainOrder(swapped);
  ASSERT_FALSE(order.ok());
  EXPECT_THAT(order.message(), HasSubstr("chain out of order: certificate #2 'CN=Verify "
                                         "Intermediate"));
  EXPECT_THAT(order.message(), HasSubstr("(its issuer is certificate #3)"));

  std::vector<Certificate> with_root = leaf.chain;
  with_root.push_back(root_->cert());
  EXPECT_OK(CheckChainOrder(with_root));
  EXPECT_FALSE(CheckChainOrder({}).ok());
  Status dup = CheckChainOrder({leaf.chain[0], leaf.chain[0]});
  EXPECT_THAT(dup.message(), HasSubstr("appears twice"));
}

TEST_F(VerifyTest, PartialChainTrustsAnIntermediate) {
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  EXPECT_FALSE(VerifyChain({leaf_->cert}, {inter_->cert()}, options).ok);
  options.allow_partial_chain = true;
  EXPECT_TRUE(VerifyChain({leaf_->cert}, {inter_->cert()}, options).ok);
}

TEST_F(VerifyTest, InvalidInputsAreReportedNotCrashed) {
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  EXPECT_EQ(VerifyChain({}, {root_->cert()}, options).reason, VerifyReason::kOther);
  EXPECT_THAT(VerifyChain({}, {root_->cert()}, options).message, HasSubstr("empty chain"));
  VerifyOptions no_time;
  EXPECT_THAT(VerifyChain(leaf_->chain, {root_->cert()}, no_time).message,
              HasSubstr("no verification time"));
  options.purpose = "teleportation";
  EXPECT_THAT(VerifyChain(leaf_->chain, {root_->cert()}, options).message,
              HasSubstr("unknown verification purpose 'teleportation'"));
}

TEST_F(VerifyTest, SystemTrustStoreDoesNotKnowTestRoots) {
  VerifyOptions options;
  options.at = UtcTime(2025, 2, 1);
  VerifyResult r = VerifyChainWithSystemRoots(leaf_->chain, options);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, VerifyReason::kUnknownIssuer);
}

TEST(VerifyAlgorithmsTest, RsaAndEd25519ChainsVerify) {
  for (KeyType type : {KeyType::kRsa2048, KeyType::kEd25519, KeyType::kEcdsaP384}) {
    CertSpec ca_spec = LongLivedCa("Algo Root");
    ca_spec.key_type = type;
    ASSERT_OK_AND_ASSIGN(TestCa ca, TestCa::CreateRoot(ca_spec));
    CertSpec spec;
    spec.key_type = type;
    spec.dns_names = {"algo.example.test"};
    spec.not_before = UtcTime(2025, 1, 1);
    spec.not_after = UtcTime(2026, 1, 1);
    ASSERT_OK_AND_ASSIGN(IssuedCert leaf, ca.Issue(spec));
    VerifyOptions options;
    options.at = UtcTime(2025, 6, 1);
    options.hostname = "algo.example.test";
    VerifyResult r = VerifyChain(leaf.chain, {ca.cert()}, options);
    EXPECT_TRUE(r.ok) << KeyTypeName(type) << ": " << r.message;
  }
}

TEST(HumanDurationTest, PicksTheLargestWholeUnit) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(seconds(59)), "59 seconds");
  EXPECT_EQ(HumanDuration(seconds(3600)), "1 hour");
  EXPECT_EQ(HumanDuration(seconds(86400 * 3 + 5)), "3 days");
  EXPECT_EQ(HumanDuration(seconds(-120)), "2 minutes");
}

}  // namespace
}  // namespace ck::pki
