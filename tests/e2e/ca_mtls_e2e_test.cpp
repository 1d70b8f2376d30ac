// A real mTLS handshake with certificates from the internal CA: `openssl s_server -Verify 2`
// serving an issued server certificate and requiring client certificates chained to our root;
// `curl --cert` and `openssl s_client` with an issued client certificate succeed, and expired,
// revoked (CRL checked), wrong-CA and wrong-EKU client certificates are refused, each for the
// reason the server names.
#include <gtest/gtest.h>

#include "tests/e2e/ca_e2e_util.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::ca::e2e {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;
using std::chrono::hours;

constexpr char kHost[] = "a.svc.internal";

class CaMtlsTest : public CaE2eFixture {
 protected:
  void SetUp() override {
    // The CA exists since two days ago, so it could issue a certificate that has expired.
    const TimePoint then = Now() - hours(48);
    InitCa(then);
    pki::SanRequest client_names;
    client_names.dns_names = {"client.svc.internal"};
    client_names.uris = {"spiffe://example.org/ns/prod/sa/web"};
    expired_ = Write("expired", Issue("client", client_names, then, hours(1)));
    // Today's CRLs (the ones from two days ago are past their nextUpdate).
    ASSERT_OK(authority_->RefreshCrlIfDue(Now()));

    pki::SanRequest server_names;
    server_names.dns_names = {kHost};
    server_names.ip_addresses = {"127.0.0.1"};
    server_ = Write("server", Issue("server", server_names, Now()));
    client_ = Write("client", Issue("client", client_names, Now()));
    Issued revoked = Issue("client", client_names, Now());
    revoked_ = Write("revoked", revoked);
    ASSERT_OK(authority_->Revoke(revoked.serial_hex, RevocationReason::kKeyCompromise, Now()));
    // A server-profile certificate: serverAuth only.
    wrong_eku_ = Write("wrong-eku", Issue("server", server_names, Now()));
    crl_ = WriteCrl("inter.crl");

    // Same names, another CA.
    auto other = ck::testing::TestCa::CreateRoot(ck::testing::CaSpec("Other Root"));
    ASSERT_OK(other);
    ck::testing::CertSpec spec;
    spec.dns_names = {"client.svc.internal"};
    spec.ekus = {"clientAuth"};
    auto foreign = other->Issue(spec);
    ASSERT_OK(foreign);
    foreign_.cert = dir_.WriteFile("foreign.crt", foreign->CertPem());
    foreign_.key = dir_.WriteFile("foreign.key", foreign->KeyPem(), 0600);
    foreign_.fullchain = foreign_.cert;
  }

  // Starts `openssl s_server` on a free port, requiring a client certificate; `crl_check`
  // adds the CRL. Retries with a fresh port if another process took it.
  void StartServer(bool crl_check) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = ck::testing::PickFreePort();
      std::vector<std::string> args = {"/usr/bin/openssl",
                                       "s_server",
                                       "-accept",
                                       std::to_string(port_),
                                       "-cert",
                                       server_.cert,
                                       "-key",
                                       server_.key,
                                       "-cert_chain",
                                       inter_pem_,
                                       "-CAfile",
                                       root_pem_,
                                       "-Verify",
                                       "2",
                                       "-verify_return_error",
                                       "-www"};
      if (crl_check) args.insert(args.end(), {"-crl_check", "-CRL", crl_});
      server_process_ = std::make_unique<Subprocess>();
      ASSERT_TRUE(server_process_->Start(args));
      if (server_process_->WaitForOutput("ACCEPT", std::chrono::seconds(10))) return;
    }
    FAIL() << "s_server did not start: " << server_process_->output();
  }

  // curl over mTLS; returns {exit code, output}.
  std::pair<int, std::string> Curl(const Files& client) {
    const std::string port = std::to_string(port_);
    return RunCommand({"/usr/bin/curl", "-sS", "--max-time", "20", "--cacert", root_pem_, "--cert",
                       client.fullchain, "--key", client.key, "--resolve",
                       std::string(kHost) + ":" + port + ":127.0.0.1",
                       "https://" + std::string(kHost) + ":" + port + "/"});
  }

  // Expects the handshake to be refused and the server to say why.
  void ExpectRefused(const Files& client, const std::string& reason) {
    auto [rc, out] = Curl(client);
    EXPECT_NE(rc, 0) << out;
    EXPECT_EQ(out.find("Ciphers supported"), std::string::npos) << out;
    EXPECT_TRUE(server_process_->WaitForOutput(reason, std::chrono::seconds(10)))
        << "server output: " << server_process_->output();
  }

  Files server_, client_, expired_, revoked_, wrong_eku_, foreign_;
  std::string crl_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> server_process_;
};

TEST_F(CaMtlsTest, IssuedClientCertificateIsAccepted) {
  StartServer(/*crl_check=*/true);
  auto [rc, out] = Curl(client_);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Ciphers supported"), std::string::npos) << out;  // s_server's -www page

  // The same with openssl s_client, verifying the server's name and chain too.
  const std::string cmd =
      "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /usr/bin/openssl s_client -connect 127.0.0.1:" +
      std::to_string(port_) + " -servername " + kHost + " -verify_hostname " + kHost + " -CAfile " +
      root_pem_ + " -cert " + client_.cert + " -key " + client_.key + " -cert_chain " + inter_pem_ +
      " -verify_return_error -ign_eof 2>&1";
  std::tie(rc, out) = RunCommand({"/bin/sh", "-c", cmd});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.0 200 ok"), std::string::npos) << out;
}

TEST_F(CaMtlsTest, ExpiredClientIsRefused) {
  StartServer(true);
  ExpectRefused(expired_, "certificate has expired");
}

TEST_F(CaMtlsTest, RevokedClientIsRefusedWhenTheCrlIsChecked) {
  StartServer(true);
  ExpectRefused(revoked_, "certificate revoked");
}

TEST_F(CaMtlsTest, RevokedClientPassesWithoutTheCrl) {
  // The control for the test above: it is the CRL that refuses it.
  StartServer(false);
  auto [rc, out] = Curl(revoked_);
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(CaMtlsTest, ClientFromAnotherCaIsRefused) {
  StartServer(true);
  ExpectRefused(foreign_, "unable to get local issuer certificate");
}

TEST_F(CaMtlsTest, ServerOnlyCertificateIsRefusedAsClient) {
  StartServer(true);
  ExpectRefused(wrong_eku_, "unsuitable certificate purpose");
}

}  // namespace
}  // namespace ck::ca::e2e
