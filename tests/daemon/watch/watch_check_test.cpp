// The watch checks against real servers on loopback: `openssl s_server` serving each kind of
// broken chain (each must produce exactly its own problem code), an aiosmtpd server with
// STARTTLS, black-hole listeners for the bounded-concurrency timing, and files in a temp dir.
#include "daemon/watch/watch_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/rsa.h>

#include <chrono>
#include <functional>

#include "daemon/watch/check_pool.hpp"
#include "tests/daemon/watch/watch_test_servers.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::watch {
namespace {

using ::ck::testing::CaSpec;
using ::ck::testing::CertSpec;
using ::ck::testing::IssuedCert;
using ::ck::testing::RunningServer;
using ::ck::testing::TempDir;
using ::ck::testing::TestCa;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;

std::vector<std::string> Codes(const CheckOutcome& o) {
  std::vector<std::string> codes;
  for (const auto& p : o.problems) codes.push_back(p.code);
  return codes;
}

std::string Describe(const CheckOutcome& o) {
  std::string s = o.target + " outcome=" + o.outcome + " error=" + o.error;
  for (const auto& p : o.problems) s += "\n  " + p.severity + " " + p.code + ": " + p.message;
  return s;
}

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

class WatchCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot(CaSpec("Watch Test Root"));
    ASSERT_OK(root);
    root_.emplace(std::move(*root));
    auto inter = root_->CreateIntermediate(CaSpec("Watch Test Intermediate"));
    ASSERT_OK(inter);
    intermediate_.emplace(std::move(*inter));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
  }

  static CertSpec LocalhostSpec() {
    CertSpec s;
    s.common_name = "localhost";
    s.dns_names = {"localhost"};
    s.ip_addresses = {"127.0.0.1"};
    return s;
  }

  IssuedCert Leaf(CertSpec spec) {
    auto leaf = intermediate_->Issue(std::move(spec));
    EXPECT_OK(leaf);
    return std::move(*leaf);
  }

  uint16_t Serve(const IssuedCert& leaf, const std::string& name,
                 const std::vector<std::string>& extra = {}) {
    RunningServer server = ck::testing::ServeWithOpenssl(dir_, name, leaf, extra);
    EXPECT_NE(server.process, nullptr) << "s_server did not start: " << server.log;
    servers_.push_back(std::move(server));
    return servers_.back().port;
  }

  config::WatchConfig Endpoint(uint16_t port, const std::string& sni = "localhost") const {
    config::WatchConfig w;
    w.endpoint = "127.0.0.1:" + std::to_string(port);
    w.host = "127.0.0.1";
    w.port = port;
    w.sni = sni;
    w.ca_bundle = root_pem_;
    return w;
  }

  CheckSettings Settings(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    CheckSettings s;
    s.at = clock_.Now();
    s.timeout = timeout;
    s.warn_before = std::chrono::hours(24 * 30);
    return s;
  }

  SystemClock clock_;
  TempDir dir_;
  std::optional<TestCa> root_;
  std::optional<TestCa> intermediate_;
  std::string root_pem_;
  std::vector<RunningServer> servers_;
};

TEST_F(WatchCheckTest, GoodChainHasNoProblems) {
  const uint16_t port = Serve(Leaf(LocalhostSpec()), "good");
  CheckOutcome o = CheckEndpoint(Endpoint(port), Settings());
  EXPECT_EQ(o.outcome, "ok") << Describe(o);
  EXPECT_TRUE(o.problems.empty()) << Describe(o);
  EXPECT_EQ(o.kind, "endpoint");
  EXPECT_EQ(o.target, "127.0.0.1:" + std::to_string(port) + "/localhost");
  EXPECT_EQ(o.tls_version, "TLSv1.3");
  ASSERT_EQ(o.chain.size(), 2u);  // leaf + intermediate as served
  EXPECT_EQ(o.chain[0].CommonName(), "localhost");
  EXPECT_FALSE(o.HasCritical());
}

TEST_F(WatchCheckTest, ExpiredLeaf) {
  CertSpec spec = LocalhostSpec();
  spec.not_before = ck::testing::UtcTime(2024, 1, 1);
  spec.not_after = ck::testing::UtcTime(2024, 2, 1);
  CheckOutcome o = CheckEndpoint(Endpoint(Serve(Leaf(spec), "expired")), Settings());
  EXPECT_EQ(o.outcome, "problems");
  ASSERT_THAT(Codes(o), ElementsAre("expired")) << Describe(o);
  EXPECT_EQ(o.problems[0].severity, "critical");
  EXPECT_THAT(o.problems[0].message, HasSubstr("expired at 2024-02-01T00:00:00Z"));
}

TEST_F(WatchCheckTest, ExpiringLeafIsAWarning) {
  CertSpec spec = LocalhostSpec();
  spec.not_after = clock_.Now() + std::chrono::hours(24 * 10);
  CheckOutcome o = CheckEndpoint(Endpoint(Serve(Leaf(spec), "expiring")), Settings());
  ASSERT_THAT(Codes(o), ElementsAre("expiring")) << Describe(o);
  EXPECT_EQ(o.problems[0].severity, "warning");
  EXPECT_FALSE(o.HasCritical());
}

TEST_F(WatchCheckTest, LeafForAnotherHost) {
  CertSpec spec;
  spec.common_name = "other.example";
  spec.dns_names = {"other.example"};
  CheckOutcome o = CheckEndpoint(Endpoint(Serve(Leaf(spec), "wronghost")), Settings());
  ASSERT_THAT(Codes(o), ElementsAre("hostname_mismatch")) << Describe(o);
  EXPECT_THAT(o.problems[0].message, HasSubstr("'localhost' does not match"));
}

TEST_F(WatchCheckTest, SelfSignedIsUnknownAuthority) {
  CertSpec spec = CaSpec("localhost");
  spec.dns_names = {"localhost"};
  auto self = TestCa::CreateRoot(spec);
  ASSERT_OK(self);
  IssuedCert served{self->cert(), self->key(), {self->cert()}};
  CheckOutcome o = CheckEndpoint(Endpoint(Serve(served, "selfsigned")), Settings());
  ASSERT_THAT(Codes(o), ElementsAre("unknown_authority")) << Describe(o);
  EXPECT_EQ(o.problems[0].severity, "critical");
}

TEST_F(WatchCheckTest, Sha1SignedLeaf) {
  CertSpec spec = LocalhostSpec();
  spec.digest = "sha1";
  // s_server refuses to load a SHA-1 certificate at its default security level; level 0
  // would also enable TLS 1.0/1.1, which stay off so that only the signature is wrong.
  CheckOutcome o =
      CheckEndpoint(Endpoint(Serve(Leaf(spec), "sha1",
                                   {"-cipher", "DEFAULT@SECLEVEL=0", "-no_tls1", "-no_tls1_1"})),
                    Settings());
  ASSERT_THAT(Codes(o), ElementsAre("weak_signature")) << Describe(o);
  EXPECT_THAT(o.problems[0].message, HasSubstr("SHA1"));
}

TEST_F(WatchCheckTest, Rsa1024Leaf) {
  pki::EvpPkeyPtr raw(EVP_RSA_gen(1024));
  ASSERT_NE(raw, nullptr);
  auto key = pki::PrivateKey::Adopt(std::move(raw));
  ASSERT_OK(key);
  CertSpec spec = LocalhostSpec();
  spec.key = std::move(*key);
  // Like SHA-1, s_server refuses such a key unless at security level 0 (TLS 1.0/1.1 stay off).
  CheckOutcome o =
      CheckEndpoint(Endpoint(Serve(Leaf(spec), "rsa1024",
                                   {"-cipher", "DEFAULT@SECLEVEL=0", "-no_tls1", "-no_tls1_1"})),
                    Settings());
  ASSERT_THAT(Codes(o), ElementsAre("weak_key")) << Describe(o);
  EXPECT_THAT(o.problems[0].message, HasSubstr("1024-bit RSA key"));
}

TEST_F(WatchCheckTest, ServerStillOfferingTls11) {
  // Offers TLS 1.0..1.3: the first handshake gets TLS 1.3, the second (capped at 1.1) succeeds.
  CheckOutcome o = CheckEndpoint(
      Endpoint(Serve(Leaf(LocalhostSpec()), "tls11", {"-cipher", "DEFAULT@SECLEVEL=0"})),
      Settings());
  EXPECT_EQ(o.tls_version, "TLSv1.3");
  ASSERT_THAT(Codes(o), ElementsAre("legacy_tls")) << Describe(o);
  EXPECT_THAT(o.problems[0].message, HasSubstr("still accepts TLSv1"));
}

TEST_F(WatchCheckTest, ServerSpeakingOnlyTls11) {
  CheckOutcome o = CheckEndpoint(Endpoint(Serve(Leaf(LocalhostSpec()), "tls11only",
                                                {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"})),
                                 Settings());
  EXPECT_EQ(o.tls_version, "TLSv1.1");
  ASSERT_THAT(Codes(o), ElementsAre("legacy_tls")) << Describe(o);
  EXPECT_EQ(o.problems[0].severity, "critical");  // every client negotiates it
}

TEST_F(WatchCheckTest, WithoutCaBundleTheSystemStoreDoesNotKnowTheTestRoot) {
  config::WatchConfig w = Endpoint(Serve(Leaf(LocalhostSpec()), "system"));
  w.ca_bundle.clear();
  CheckOutcome o = CheckEndpoint(w, Settings());
  ASSERT_THAT(Codes(o), ElementsAre("unknown_authority")) << Describe(o);
}

TEST_F(WatchCheckTest, SmtpStartTlsAgainstAiosmtpd) {
  RunningServer smtp = ck::testing::ServeSmtpStartTls(dir_, Leaf(LocalhostSpec()));
  ASSERT_NE(smtp.process, nullptr) << "aiosmtpd did not start: " << smtp.log;
  config::WatchConfig w = Endpoint(smtp.port);
  w.starttls = "smtp";
  CheckOutcome o = CheckEndpoint(w, Settings());
  EXPECT_EQ(o.outcome, "ok") << Describe(o);
  ASSERT_EQ(o.chain.size(), 2u);
  EXPECT_EQ(o.chain[0].CommonName(), "localhost");
  EXPECT_TRUE(o.tls_version == "TLSv1.3" || o.tls_version == "TLSv1.2") << o.tls_version;

  // Without STARTTLS the same port speaks plaintext SMTP: the handshake fails, with a reason.
  w.starttls.clear();
  CheckOutcome plain = CheckEndpoint(w, Settings());
  EXPECT_EQ(plain.outcome, "error");
  EXPECT_THAT(plain.error, HasSubstr("TLS handshake with 127.0.0.1:"));
}

TEST_F(WatchCheckTest, ImapAndPostgresPreambles) {
  for (const std::string protocol : {"imap", "postgres"}) {
    RunningServer server = ck::testing::ServePreamble(dir_, protocol, Leaf(LocalhostSpec()));
    ASSERT_NE(server.process, nullptr) << protocol << " server did not start: " << server.log;
    config::WatchConfig w = Endpoint(server.port);
    w.starttls = protocol;
    CheckOutcome o = CheckEndpoint(w, Settings());
    EXPECT_EQ(o.outcome, "ok") << protocol << ": " << Describe(o);
    EXPECT_EQ(o.chain.size(), 2u) << protocol;
  }
  RunningServer nossl = ck::testing::ServePreamble(dir_, "postgres-nossl", Leaf(LocalhostSpec()));
  ASSERT_NE(nossl.process, nullptr) << nossl.log;
  config::WatchConfig w = Endpoint(nossl.port);
  w.starttls = "postgres";
  CheckOutcome o = CheckEndpoint(w, Settings());
  EXPECT_EQ(o.outcome, "error");
  EXPECT_THAT(o.error, HasSubstr("does not accept SSL")) << o.error;
}

TEST_F(WatchCheckTest, StartTlsAgainstAServerThatIsNotSmtpFailsClearly) {
  config::WatchConfig w = Endpoint(Serve(Leaf(LocalhostSpec()), "notsmtp"));
  w.starttls = "smtp";
  CheckOutcome o = CheckEndpoint(w, Settings(std::chrono::seconds(2)));
  EXPECT_EQ(o.outcome, "error");
  // s_server waits for a ClientHello, we wait for a greeting: the deadline ends it.
  EXPECT_THAT(o.error, HasSubstr("smtp STARTTLS with 127.0.0.1:")) << o.error;
  EXPECT_THAT(o.error, HasSubstr("timed out"));
}

TEST_F(WatchCheckTest, BlackHolesNeverStallTheGoodChecks) {
  constexpr int kBlackHoles = 4;
  constexpr int kConcurrency = 2;
  const auto kTimeout = std::chrono::seconds(1);
  std::vector<std::unique_ptr<ck::testing::BlackHole>> holes;
  std::vector<config::WatchConfig> watches;
  for (int i = 0; i < kBlackHoles; ++i) {
    holes.push_back(std::make_unique<ck::testing::BlackHole>());
    ASSERT_NE(holes.back()->port(), 0);
    watches.push_back(Endpoint(holes.back()->port()));
  }
  watches.push_back(Endpoint(Serve(Leaf(LocalhostSpec()), "good1")));
  watches.push_back(Endpoint(Serve(Leaf(LocalhostSpec()), "good2")));

  std::vector<CheckOutcome> results(watches.size());
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < watches.size(); ++i) {
    tasks.push_back([&, i] { results[i] = CheckEndpoint(watches[i], Settings(kTimeout)); });
  }
  const auto start = SteadyClock::now();
  RunBounded(std::move(tasks), kConcurrency);
  const double total = Seconds(SteadyClock::now() - start);

  for (int i = 0; i < kBlackHoles; ++i) {
    EXPECT_EQ(results[i].outcome, "error");
    EXPECT_THAT(results[i].error, HasSubstr("timed out after 1000ms")) << results[i].error;
    EXPECT_GE(results[i].duration.count(), 950);
    EXPECT_LT(results[i].duration.count(), 1500);
  }
  for (size_t i = kBlackHoles; i < results.size(); ++i) {
    EXPECT_EQ(results[i].outcome, "ok") << Describe(results[i]);
    EXPECT_LT(results[i].duration.count(), 1000);
  }
  // (black holes / concurrency) x timeout = 2 s: not 1 s (unbounded), not 4 s (one at a time).
  const double expected = static_cast<double>(kBlackHoles) / kConcurrency * 1.0;
  std::printf(
      "[ timing ] %d black holes + 2 good, concurrency %d, timeout 1s: %.3f s "
      "(expected ~%.1f s)\n",
      kBlackHoles, kConcurrency, total, expected);
  EXPECT_GE(total, expected - 0.1);
  EXPECT_LT(total, expected + 1.0);
}

TEST_F(WatchCheckTest, FilesGoodExpiredAndGarbage) {
  IssuedCert good = Leaf(LocalhostSpec());
  CertSpec expired_spec = LocalhostSpec();
  expired_spec.not_before = ck::testing::UtcTime(2024, 1, 1);
  expired_spec.not_after = ck::testing::UtcTime(2024, 2, 1);
  IssuedCert expired = Leaf(expired_spec);
  dir_.WriteFile("certs/a-good.pem", good.ChainPem());
  dir_.WriteFile("certs/b-expired.pem", expired.ChainPem());
  dir_.WriteFile("certs/c-garbage.pem", "this is not a certificate\n");
  dir_.WriteFile("certs/d-key-only.pem", good.KeyPem(), 0600);
  dir_.WriteFile("certs/ignored.txt", "not matched by the glob");

  config::WatchConfig w;
  w.files = {dir_.Path("certs/*.pem"), dir_.Path("empty/*.pem")};
  w.ca_bundle = root_pem_;
  std::vector<CheckOutcome> out = CheckFiles(w, Settings());
  ASSERT_EQ(out.size(), 5u);
  // The empty pattern first, then the files by path.
  EXPECT_EQ(out[0].target, dir_.Path("empty/*.pem"));
  EXPECT_EQ(out[0].outcome, "error");
  EXPECT_THAT(out[0].error, HasSubstr("no regular file matches"));
  EXPECT_EQ(out[1].target, dir_.Path("certs/a-good.pem"));
  EXPECT_EQ(out[1].kind, "file");
  EXPECT_EQ(out[1].outcome, "ok") << Describe(out[1]);
  EXPECT_EQ(out[1].chain.size(), 2u);
  EXPECT_THAT(Codes(out[2]), ElementsAre("expired")) << Describe(out[2]);
  EXPECT_EQ(out[3].outcome, "error");
  EXPECT_THAT(out[3].error, HasSubstr("c-garbage.pem"));
  EXPECT_THAT(out[3].error, HasSubstr("not a PEM or DER certificate"));
  EXPECT_TRUE(out[3].chain.empty());
  EXPECT_EQ(out[4].outcome, "error");
  EXPECT_THAT(out[4].error, HasSubstr("holds no certificate"));
  EXPECT_THAT(out[4].error, Not(HasSubstr("PRIVATE KEY-----")));
}

}  // namespace
}  // namespace ck::watch
