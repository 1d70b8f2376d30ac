// ARI (RFC 9773) and ACME profiles against the scripted ACME server over real HTTP on
// 127.0.0.1:0 (Debian's Pebble 2.4 has neither), plus the pure parts: certificate IDs (the
// RFC's own example), renewal-info parsing with garbage, and the uniform pick in the window.
#include "acme/ari.hpp"

#include <gtest/gtest.h>

#include "acme/curl_transport.hpp"
#include "acme/order_flow.hpp"
#include "tests/acme/scripted_acme_server.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::acme {
namespace {

using std::chrono::hours;

TEST(AriTest, CertificateIdMatchesRfc9773Example) {
  // RFC 9773 §4.1: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial
  // 0x87654321 -> "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
  ASSERT_OK_AND_ASSIGN(Bytes aki, HexDecode("69885B6B87464041E1B37B847BA0AE2CDE01C8D4"));
  ASSERT_OK_AND_ASSIGN(Bytes serial, HexDecode("87654321"));
  EXPECT_EQ(AriCertificateId(aki, serial), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  ASSERT_OK_AND_ASSIGN(Bytes small, HexDecode("1234"));
  EXPECT_EQ(AriCertificateId(aki, small), "aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjQ");
}

TEST(AriTest, CertificateIdFromACertificate) {
  ASSERT_OK_AND_ASSIGN(auto ca, ck::testing::TestCa::CreateRoot());
  ck::testing::CertSpec spec;
  spec.dns_names = {"a.example.test"};
  spec.serial_hex = "87654321";
  ASSERT_OK_AND_ASSIGN(auto leaf, ca.Issue(spec));
  ASSERT_OK_AND_ASSIGN(std::string id, AriCertificateId(leaf.cert));
  ASSERT_OK_AND_ASSIGN(Bytes aki, HexDecode(leaf.cert.Inspect().authority_key_id));
  EXPECT_EQ(id, Base64UrlEncode(aki) + ".AIdlQyE");
  spec.authority_key_id = false;
  ASSERT_OK_AND_ASSIGN(auto no_aki, ca.Issue(spec));
  EXPECT_EQ(AriCertificateId(no_aki.cert).status().code(), StatusCode::kFailedPrecondition);
}

TEST(AriTest, ParseRenewalInfo) {
  ASSERT_OK_AND_ASSIGN(RenewalInfo info, ParseRenewalInfo(R"({"suggestedWindow":{
      "start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},
      "explanationURL":"https://ca.test/why"})"));
  EXPECT_EQ(info.window_end - info.window_start, hours(24));
  EXPECT_EQ(info.explanation_url, "https://ca.test/why");
  for (const char* bad :
       {"", "[]", "{}", R"({"suggestedWindow":1})",
        R"({"suggestedWindow":{"start":"x","end":"y"}})",
        R"({"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-02T04:00:00Z"}})",
        R"({"suggestedWindow":{"start":"2025-01-03T04:00:00Z"}})"}) {
    EXPECT_FALSE(ParseRenewalInfo(bad).ok()) << bad;
  }
}

TEST(AriTest, PickIsUniformInsideTheWindowAndNowWhenItHasPassed) {
  RenewalInfo info;
  TimePoint now = FromUnixSeconds(1'700'000'000);
  info.window_start = now + hours(10);
  info.window_end = now + hours(20);
  SeededRng rng(1);
  int buckets[10] = {};
  for (int i = 0; i < 10000; ++i) {
    TimePoint t = PickRenewalTime(info, now, rng);
    ASSERT_GE(t, info.window_start);
    ASSERT_LE(t, info.window_end);
    buckets[std::chrono::duration_cast<hours>(t - info.window_start).count() % 10]++;
  }
  for (int b : buckets) EXPECT_NEAR(b, 1000, 150);
  info.window_start = now - hours(5);
  info.window_end = now - hours(1);
  EXPECT_EQ(PickRenewalTime(info, now, rng), now) << "a window in the past means renew now";
}

class AriScriptedTest : public ::testing::Test {
 protected:
  void Start(testing::ScriptedAcmeServer::Options o = {}) {
    server_ = std::make_unique<testing::ScriptedAcmeServer>(o);
    ClientOptions c;
    c.directory_url = server_->directory_url();
    client_ = std::make_unique<Client>(transport_, clock_, rng_, c);
    ASSERT_OK_AND_ASSIGN(auto k, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
    ASSERT_OK_AND_ASSIGN(JwsKey key, JwsKey::Create(k));
    ASSERT_OK(client_->NewAccount(key, {}));
  }
  Result<IssuedCertificate> Issue(const std::string& profile, const std::string& replaces = "") {
    OrderFlow flow(*client_, {});
    OrderRequest req;
    req.names = {"ari.example.test"};
    req.profile = profile;
    req.replaces = replaces;
    return flow.Obtain(req);
  }

  // Destroyed in reverse: the client's pooled connections close before the server stops.
  std::unique_ptr<testing::ScriptedAcmeServer> server_;
  CurlTransport transport_{CurlTransportOptions{}};
  SystemClock clock_;
  SeededRng rng_{3};
  std::unique_ptr<Client> client_;
};

TEST_F(AriScriptedTest, WindowThenReplacingOrderThenAlreadyReplacedOrderedAgainWithout) {
  Start();
  ASSERT_OK_AND_ASSIGN(IssuedCertificate first, Issue(""));
  ASSERT_OK_AND_ASSIGN(pki::Certificate cert, pki::Certificate::FromPem(first.cert_pem));
  ASSERT_OK_AND_ASSIGN(RenewalInfo info, GetRenewalInfo(*client_, cert));
  // The scripted CA suggests the middle third of the 90-day validity.
  EXPECT_GT(info.window_start, cert.NotBefore());
  EXPECT_LT(info.window_end, cert.NotAfter());
  EXPECT_EQ(info.explanation_url, "https://ca.test/ari-explained");
  ASSERT_TRUE(info.next_check.has_value());
  EXPECT_NEAR(
      std::chrono::duration_cast<std::chrono::seconds>(*info.next_check - clock_.Now()).count(),
      21600, 5);
  TimePoint when = PickRenewalTime(info, clock_.Now(), rng_);
  EXPECT_GE(when, info.window_start);
  EXPECT_LE(when, info.window_end);

  // The renewal order says which certificate it replaces (RFC 9773 §5).
  ASSERT_OK_AND_ASSIGN(std::string id, AriCertificateId(cert));
  ASSERT_OK(Issue("", id));
  EXPECT_EQ(server_->new_orders().back().value("replaces", ""), id);
  // Replacing it a second time: the CA answers alreadyReplaced (409). The hint is dropped and
  // the order placed again, so the certificate is still obtained.
  const size_t orders_before = server_->new_orders().size();
  ASSERT_OK(Issue("", id));
  const auto orders = server_->new_orders();
  ASSERT_EQ(orders.size(), orders_before + 2);
  EXPECT_EQ(orders[orders_before].value("replaces", ""), id) << "refused with alreadyReplaced";
  EXPECT_FALSE(orders[orders_before + 1].contains("replaces"));
}

TEST_F(AriScriptedTest, RevokedCertificateWindowInThePastMeansRenewNow) {
  Start();
  ASSERT_OK_AND_ASSIGN(IssuedCertificate first, Issue(""));
  ASSERT_OK_AND_ASSIGN(pki::Certificate cert, pki::Certificate::FromPem(first.cert_pem));
  ASSERT_OK_AND_ASSIGN(std::string id, AriCertificateId(cert));
  TimePoint now = clock_.Now();
  server_->SetWindow(id, now - hours(48), now - hours(24));
  server_->retry_after_seconds = 1;  // clamped up to a minute
  ASSERT_OK_AND_ASSIGN(RenewalInfo info, GetRenewalInfo(*client_, cert));
  EXPECT_GE(*info.next_check - now, std::chrono::minutes(1));
  TimePoint t = PickRenewalTime(info, clock_.Now(), rng_);
  EXPECT_LE(t - clock_.Now(), std::chrono::seconds(1));
}

TEST_F(AriScriptedTest, ProfilesAreSentAndShapeTheCertificate) {
  Start();
  ASSERT_OK_AND_ASSIGN(Directory dir, client_->GetDirectory());
  EXPECT_EQ(dir.meta.profiles.count("shortlived"), 1u);
  ASSERT_OK_AND_ASSIGN(IssuedCertificate shortlived, Issue("shortlived"));
  EXPECT_EQ(server_->new_orders().back().value("profile", ""), "shortlived");
  ASSERT_OK_AND_ASSIGN(pki::Certificate c, pki::Certificate::FromPem(shortlived.cert_pem));
  EXPECT_LE(c.NotAfter() - c.NotBefore(), hours(24 * 7));
  ASSERT_OK_AND_ASSIGN(IssuedCertificate classic, Issue("classic"));
  ASSERT_OK_AND_ASSIGN(pki::Certificate c2, pki::Certificate::FromPem(classic.cert_pem));
  EXPECT_GE(c2.NotAfter() - c2.NotBefore(), hours(24 * 89));
  // Not offered: refused before anything is sent.
  size_t before = server_->new_orders().size();
  EXPECT_EQ(Issue("tlsserver").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->new_orders().size(), before);
}

TEST_F(AriScriptedTest, NoRenewalInfoInTheDirectoryIsUnimplemented) {
  testing::ScriptedAcmeServer::Options o;
  o.renewal_info = false;
  o.profiles.clear();
  Start(o);
  ASSERT_OK_AND_ASSIGN(IssuedCertificate first, Issue(""));
  ASSERT_OK_AND_ASSIGN(pki::Certificate cert, pki::Certificate::FromPem(first.cert_pem));
  EXPECT_EQ(GetRenewalInfo(*client_, cert).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace ck::acme
