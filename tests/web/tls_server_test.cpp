// The admin server's TLS policy and certificate hot swap, checked with the real openssl CLI:
// TLS < 1.2 and non-AEAD / non-forward-secret suites are refused; a replaced certificate is
// served on the next handshake without a restart; client certificates from another CA fail.
#include <gtest/gtest.h>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"
#include "tests/web/fake_backend.hpp"
#include "web/admin_server.hpp"

namespace ck::web {
namespace {

using ck::testing::CaSpec;
using ck::testing::CertSpec;
using ck::testing::RunCommand;
using ck::testing::TempDir;
using ck::testing::TestCa;

class NullBackend : public FakeBackendBase {
 public:
  Result<Identity> AuthenticateClientCertificate(const pki::Certificate& leaf) override {
    seen_client = leaf.Subject();
    return UnauthenticatedError("no");
  }
  std::string seen_client;
};

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot(CaSpec("Admin API Test Root"));
    ASSERT_TRUE(root.ok());
    root_.emplace(std::move(*root));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
    credentials_ = std::make_shared<ServerCredentials>();
    ASSERT_TRUE(SetServerCert("first").ok());
    auto settings = std::make_shared<TlsServerSettings>();
    settings->credentials = credentials_;
    settings->client_roots = {root_->cert()};
    AdminServerOptions options;
    options.port = 0;
    options.tls = settings;
    server_ = std::make_unique<AdminServer>(options, backend_);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
  }
  void TearDown() override { server_->Stop(); }

  Status SetServerCert(const std::string& cn) {
    CertSpec spec;
    spec.common_name = cn;
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    auto leaf = root_->Issue(spec);
    if (!leaf.ok()) return leaf.status();
    return credentials_->Set({leaf->cert}, leaf->key);
  }

  // Runs s_client with extra args; returns {exit code, output}.
  std::pair<int, std::string> SClient(std::vector<std::string> extra) {
    std::vector<std::string> argv = {"/bin/sh", "-c", ""};
    std::string cmd = "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
                      " -servername localhost -CAfile " + root_pem_ + " -verify_return_error";
    for (const auto& e : extra) cmd += " " + e;
    argv[2] = cmd + " 2>&1";
    return RunCommand(argv);
  }

  TempDir dir_;
  std::optional<TestCa> root_;
  std::string root_pem_;
  std::shared_ptr<ServerCredentials> credentials_;
  NullBackend backend_;
  std::unique_ptr<AdminServer> server_;
  uint16_t port_ = 0;
};

TEST_F(TlsServerTest, ModernClientsConnect) {
  auto [rc13, out13] = SClient({"-tls1_3"});
  EXPECT_EQ(rc13, 0) << out13;
  EXPECT_NE(out13.find("TLSv1.3"), std::string::npos) << out13;
  auto [rc12, out12] = SClient({"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"});
  EXPECT_EQ(rc12, 0) << out12;
  EXPECT_NE(out12.find("ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos) << out12;
}

// Clients resume sessions (libcurl does by default); with client certificates requested this
// failed with an internal_error alert until the server set a session id context.
TEST_F(TlsServerTest, SessionsResume) {
  for (const char* version : {"-tls1_2", "-tls1_3"}) {
    auto [rc, out] = SClient({version, "-reconnect"});
    EXPECT_EQ(rc, 0) << version << ": " << out;
    EXPECT_EQ(out.find("alert"), std::string::npos) << version << ": " << out;
    // s_client's TLS 1.3 -reconnect often leaves before the ticket arrives: reuse is only
    // certain with TLS 1.2's session ids.
    if (std::string(version) == "-tls1_2") {
      EXPECT_NE(out.find("Reused"), std::string::npos) << version << ": " << out;
    }
  }
}

TEST_F(TlsServerTest, OldProtocolsAndWeakSuitesAreRefused) {
  // TLS 1.1 (OpenSSL needs security level 0 on the client to even try it).
  auto [rc11, out11] = SClient({"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  EXPECT_NE(rc11, 0) << out11;
  // TLS 1.2 CBC (non-AEAD) and static-RSA (no forward secrecy) suites.
  for (const char* suite :
       {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256"}) {
    auto [rc, out] = SClient({"-tls1_2", "-cipher", suite});
    EXPECT_NE(rc, 0) << suite << ": " << out;
  }
}

TEST_F(TlsServerTest, CertificateIsSwappedWithoutRestart) {
  auto [rc1, out1] = SClient({});
  ASSERT_EQ(rc1, 0) << out1;
  EXPECT_NE(out1.find("CN = first"), std::string::npos) << out1;
  ASSERT_TRUE(SetServerCert("second").ok());
  auto [rc2, out2] = SClient({});
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("CN = second"), std::string::npos) << out2;
  // A key that does not match its certificate is refused and the old pair stays in service.
  auto a = root_->Issue(CertSpec{});
  auto b = root_->Issue(CertSpec{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(credentials_->Set({a->cert}, b->key).ok());
  auto [rc3, out3] = SClient({});
  EXPECT_NE(out3.find("CN = second"), std::string::npos) << out3;
}

TEST_F(TlsServerTest, ClientCertificates) {
  // From the trusted CA: the handshake succeeds and the backend sees the identity.
  CertSpec client;
  client.common_name = "svc";
  client.uris = {"spiffe://test.internal/certkeeper/admin/ops"};
  client.ekus = {"clientAuth"};
  auto good = root_->Issue(client);
  ASSERT_TRUE(good.ok());
  std::string cert = dir_.WriteFile("client.pem", good->CertPem());
  std::string key = dir_.WriteFile("client.key", good->KeyPem(), 0600);
  auto [rc, out] =
      RunCommand({"/usr/bin/curl", "-sS", "--cacert", root_pem_, "--cert", cert, "--key", key,
                  "https://localhost:" + std::to_string(port_) + "/v1/tokens"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"status\":401"), std::string::npos) << out;  // backend said no
  EXPECT_EQ(backend_.seen_client, "CN=svc");

  // From another CA: the handshake itself fails.
  auto other = TestCa::CreateRoot(CaSpec("Rogue Root"));
  ASSERT_TRUE(other.ok());
  auto rogue = other->Issue(client);
  ASSERT_TRUE(rogue.ok());
  std::string rcert = dir_.WriteFile("rogue.pem", rogue->CertPem());
  std::string rkey = dir_.WriteFile("rogue.key", rogue->KeyPem(), 0600);
  auto [rc_bad, out_bad] =
      RunCommand({"/usr/bin/curl", "-sS", "--cacert", root_pem_, "--cert", rcert, "--key", rkey,
                  "https://localhost:" + std::to_string(port_) + "/v1/tokens"});
  EXPECT_NE(rc_bad, 0) << out_bad;
}

}  // namespace
}  // namespace ck::web
