// The admin API over HTTPS with mTLS identities from the internal CA, end to end with the real
// binary and curl: admin and viewer roles from the SPIFFE URI, a revoked client certificate
// locked out at once, no credentials → 401, a foreign CA refused at the handshake.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <regex>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;
using ck::testing::TempDir;

class AdminMtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.WriteFile("c.toml", "[ca]\ntrust_domain = \"prod.internal\"\n");
    ASSERT_TRUE(daemon_.Start(Cmd({"serve", "--dev", "--listen", "127.0.0.1:0"})));
    ASSERT_TRUE(daemon_.WaitForOutput("Stop with Ctrl-C")) << daemon_.output();
    std::smatch m;
    std::string banner = daemon_.output();
    ASSERT_TRUE(
        std::regex_search(banner, m, std::regex(R"(admin API +https://127\.0\.0\.1:([0-9]+))")))
        << banner;
    url_ = "https://localhost:" + std::string(m[1]);
    bundle_ = dir_.Path("state/ca-bundle.pem");
  }
  void TearDown() override {
    daemon_.Signal(SIGTERM);
    EXPECT_EQ(daemon_.Wait().value_or(-1), 0) << daemon_.output();
  }

  std::vector<std::string> Cmd(std::vector<std::string> args) {
    args.insert(args.begin(), ck::testing::CertkeeperBinary());
    args.insert(args.end(), {"--state-dir", dir_.Path("state"), "--config", config_});
    return args;
  }

  // Issues a client certificate for `spiffe_path` with the CLI; returns its directory.
  std::string IssueClient(const std::string& name, const std::string& spiffe) {
    std::string out_dir = dir_.Path(name);
    auto [rc, out] =
        RunCommand(Cmd({"ca", "issue", "--profile", "client", "--uri", spiffe, "--out", out_dir}));
    EXPECT_EQ(rc, 0) << out;
    return out_dir;
  }

  // curl's HTTP status for GET path with the client certificate in `cert_dir` (or none).
  std::string Status(const std::string& path, const std::string& cert_dir) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s",       "-o",   "/dev/null", "-w",
                                     "%{http_code}",  "--cacert", bundle_};
    if (!cert_dir.empty()) {
      argv.insert(argv.end(),
                  {"--cert", cert_dir + "/fullchain.pem", "--key", cert_dir + "/privkey.pem"});
    }
    argv.push_back(url_ + path);
    return RunCommand(argv).second;
  }

  TempDir dir_;
  std::string config_;
  Subprocess daemon_;
  std::string url_;
  std::string bundle_;
};

TEST_F(AdminMtlsTest, RolesFromSpiffeIdsAndRevocation) {
  std::string admin = IssueClient("admin", "spiffe://prod.internal/certkeeper/admin/ops");
  std::string viewer = IssueClient("viewer", "spiffe://prod.internal/certkeeper/viewer/dash");
  EXPECT_EQ(Status("/healthz", ""), "200");
  EXPECT_EQ(Status("/v1/tokens", ""), "401");
  EXPECT_EQ(Status("/v1/tokens", admin), "200");
  EXPECT_EQ(Status("/v1/tokens", viewer), "403");

  // Revoke the admin's certificate: the next request is refused, without a restart.
  auto serial =
      RunCommand({"/usr/bin/openssl", "x509", "-in", admin + "/cert.pem", "-noout", "-serial"});
  ASSERT_EQ(serial.first, 0);
  std::string hex = serial.second.substr(serial.second.find('=') + 1);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto [rc, out] = RunCommand(Cmd({"ca", "revoke", hex, "--reason", "keyCompromise"}));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Status("/v1/tokens", admin), "401");
}

TEST_F(AdminMtlsTest, ForeignCaIsRefusedAtTheHandshake) {
  auto rogue_root = ck::testing::TestCa::CreateRoot(ck::testing::CaSpec("Rogue"));
  ASSERT_TRUE(rogue_root.ok());
  ck::testing::CertSpec spec;
  spec.uris = {"spiffe://prod.internal/certkeeper/admin/evil"};
  spec.ekus = {"clientAuth"};
  auto rogue = rogue_root->Issue(spec);
  ASSERT_TRUE(rogue.ok());
  std::string d = dir_.Path("rogue");
  dir_.WriteFile("rogue/fullchain.pem", rogue->CertPem());
  dir_.WriteFile("rogue/privkey.pem", rogue->KeyPem(), 0600);
  EXPECT_EQ(Status("/v1/tokens", d), "000");  // no HTTP exchange at all
}

TEST_F(AdminMtlsTest, OtherTrustDomainIsForbidden) {
  // The CA itself refuses a SPIFFE ID outside its trust domain (exit 5), so nothing exists
  // that could reach the API with that identity.
  auto [rc, out] =
      RunCommand(Cmd({"ca", "issue", "--profile", "client", "--uri",
                      "spiffe://dev.internal/certkeeper/admin/ops", "--out", dir_.Path("other")}));
  EXPECT_EQ(rc, 5) << out;
  EXPECT_NE(out.find("trust domain"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.Path("other/cert.pem")));
}

}  // namespace
}  // namespace ck
