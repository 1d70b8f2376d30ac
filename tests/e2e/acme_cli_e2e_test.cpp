// `certkeeper acme ...` end to end against the real Pebble: one-shot issue on a fresh state dir
// (registers on first use), progress per authorization, output files and modes, account reuse,
// revoke (checked on Pebble), rollover then issue with the new key, webroot, and a failing
// challenge with a clear error and exit code.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "acme/curl_transport.hpp"
#include "common/clock.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/verify.hpp"
#include "tests/testing/bind_fixture.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/pebble_fixture.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::PebbleFixture;
using ck::testing::RunCommand;
using ck::testing::TempDir;

std::string Binary() {
  const char* b = std::getenv("CK_BINARY");
  return b != nullptr ? b : "certkeeper";
}

class AcmeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PebbleFixture::Installed()) GTEST_SKIP() << "pebble not installed";
    auto p = PebbleFixture::Start();
    ASSERT_OK(p);
    pebble_ = std::move(*p);
    acme::CurlTransportOptions t;
    t.ca_bundle = pebble_->ca_bundle();
    transport_ = std::make_unique<acme::CurlTransport>(t);
  }

  std::pair<int, std::string> Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {Binary(), "acme"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--dev", "--state-dir", tmp_.Path("state"), "--server",
                             pebble_->directory_url(), "--ca-bundle", pebble_->ca_bundle()});
    return RunCommand(argv, {"CERTKEEPER_CONFIG=/dev/null"}, std::chrono::seconds(60));
  }

  std::vector<std::string> IssueArgs(const std::string& out, std::vector<std::string> names) {
    std::vector<std::string> a = {"issue",
                                  "--out",
                                  out,
                                  "--http-address",
                                  "127.0.0.1",
                                  "--http-port",
                                  std::to_string(pebble_->http_port()),
                                  "--email",
                                  "ops@example.test"};
    for (const auto& n : names) a.insert(a.end(), {"-d", n});
    return a;
  }

  std::string Manage(const std::string& path) {
    acme::HttpRequest r;
    r.url = pebble_->management_url() + path;
    auto resp = transport_->Do(r);
    return resp.ok() ? resp->body : "";
  }

  void ExpectIssued(const std::string& out, size_t names) {
    struct stat st {};
    ASSERT_EQ(::stat((out + "/privkey.pem").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_OK_AND_ASSIGN(auto leaf, pki::Certificate::FromPem(tmp_ReadAbs(out + "/cert.pem")));
    ASSERT_OK_AND_ASSIGN(auto key, pki::PrivateKey::FromPem(tmp_ReadAbs(out + "/privkey.pem")));
    EXPECT_TRUE(pki::KeyMatches(leaf, key));
    EXPECT_EQ(leaf.Inspect().DnsNames().size(), names);
    ASSERT_OK_AND_ASSIGN(auto full,
                         pki::ParseCertificateChain(tmp_ReadAbs(out + "/fullchain.pem")));
    ASSERT_OK_AND_ASSIGN(auto chain, pki::ParseCertificateChain(tmp_ReadAbs(out + "/chain.pem")));
    EXPECT_EQ(full.size(), chain.size() + 1);
    ASSERT_OK_AND_ASSIGN(auto roots, pki::ParseCertificateChain(Manage("/roots/0")));
    pki::VerifyOptions vo;
    vo.at = SystemClock().Now();
    auto verdict = pki::VerifyChain(full, roots, vo);
    EXPECT_TRUE(verdict.ok) << verdict.message;
  }

  static std::string tmp_ReadAbs(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return "";
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
  }

  TempDir tmp_;
  std::unique_ptr<PebbleFixture> pebble_;
  std::unique_ptr<acme::CurlTransport> transport_;
};

TEST_F(AcmeCliTest, IssueOnFreshStateRegistersAndWritesFiles) {
  std::string out = tmp_.Path("out1");
  auto [rc, output] = Run(IssueArgs(out, {"cli.example.test", "www.cli.example.test"}));
  ASSERT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("registered ACME account"), std::string::npos) << output;
  EXPECT_NE(output.find("cli.example.test: valid"), std::string::npos) << output;
  EXPECT_NE(output.find("www.cli.example.test: valid"), std::string::npos) << output;
  ExpectIssued(out, 2);

  // --reuse-key keeps the key already in --out.
  std::string key_before = tmp_ReadAbs(out + "/privkey.pem");
  auto [rck, outk] = Run([&] {
    auto a = IssueArgs(out, {"cli.example.test"});
    a.push_back("--reuse-key");
    return a;
  }());
  ASSERT_EQ(rck, 0) << outk;
  EXPECT_EQ(tmp_ReadAbs(out + "/privkey.pem"), key_before);
  ExpectIssued(out, 1);

  // Second run: the stored account is reused.
  std::string out2 = tmp_.Path("out2");
  auto [rc2, output2] = Run(IssueArgs(out2, {"again.example.test"}));
  ASSERT_EQ(rc2, 0) << output2;
  EXPECT_EQ(output2.find("registered ACME account"), std::string::npos) << output2;
  ExpectIssued(out2, 1);

  auto [rc3, output3] = Run({"register", "--email", "ops@example.test"});
  EXPECT_EQ(rc3, 0) << output3;
  EXPECT_NE(output3.find("already registered"), std::string::npos) << output3;
}

TEST_F(AcmeCliTest, RevokeThenRolloverThenIssueWithNewKey) {
  auto [rc0, o0] = Run({"register", "--email", "ops@example.test"});
  ASSERT_EQ(rc0, 0) << o0;
  std::string out = tmp_.Path("out");
  auto [rc, output] = Run(IssueArgs(out, {"rev.example.test"}));
  ASSERT_EQ(rc, 0) << output;
  auto [rc2, output2] = Run({"revoke", out + "/cert.pem", "--reason", "keyCompromise"});
  ASSERT_EQ(rc2, 0) << output2;
  ASSERT_OK_AND_ASSIGN(auto leaf, pki::Certificate::FromPem(tmp_ReadAbs(out + "/cert.pem")));
  std::string serial = leaf.SerialHex();
  for (char& c : serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  serial.erase(0, serial.find_first_not_of('0'));
  auto status = nlohmann::json::parse(Manage("/cert-status-by-serial/" + serial), nullptr, false);
  EXPECT_EQ(status.value("Status", ""), "Revoked");
  EXPECT_EQ(status.value("Reason", -1), 1);

  auto [rc3, output3] = Run({"rollover"});
  ASSERT_EQ(rc3, 0) << output3;
  EXPECT_NE(output3.find("now uses a new"), std::string::npos);
  std::string out2 = tmp_.Path("out2");
  auto [rc4, output4] = Run(IssueArgs(out2, {"after-rollover.example.test"}));
  ASSERT_EQ(rc4, 0) << output4;
  EXPECT_EQ(output4.find("registered ACME account"), std::string::npos) << output4;
  ExpectIssued(out2, 1);

  // Revocation with the certificate's own key needs no account.
  auto [rc5, output5] = Run({"revoke", out2 + "/cert.pem", "--key", out2 + "/privkey.pem"});
  EXPECT_EQ(rc5, 0) << output5;
}

TEST_F(AcmeCliTest, FailingChallengeGivesClearErrorAndExitCode) {
  // The listener is on a port Pebble's VA does not use: validation cannot succeed.
  std::string out = tmp_.Path("out");
  std::vector<std::string> args = {"issue",
                                   "--out",
                                   out,
                                   "--http-address",
                                   "127.0.0.1",
                                   "--http-port",
                                   std::to_string(ck::testing::PickFreePort()),
                                   "-d",
                                   "unreachable.example.test"};
  auto [rc, output] = Run(args);
  EXPECT_NE(rc, 0) << output;
  EXPECT_NE(output.find("unreachable.example.test: http-01 validation failed"), std::string::npos)
      << output;
  EXPECT_NE(output.find("connection"), std::string::npos) << output;
  EXPECT_NE(::access((out + "/privkey.pem").c_str(), F_OK), 0) << "no files on failure";
}

TEST_F(AcmeCliTest, TlsAlpn01AndDns01Solvers) {
  std::string out = tmp_.Path("alpn");
  auto [rc, output] =
      Run({"issue", "--solver", "tls-alpn-01", "--tls-address", "127.0.0.1", "--tls-port",
           std::to_string(pebble_->tls_port()), "--out", out, "-d", "alpn-cli.example.test"});
  ASSERT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("alpn-cli.example.test: valid tls-alpn-01"), std::string::npos) << output;
  ExpectIssued(out, 1);

  std::string hook = tmp_.WriteFile(
      "hook.sh",
      "#!/bin/sh\ncase \"$1\" in\n"
      "  present) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}\" " +
          pebble_->challtestsrv_url() +
          "/set-txt ;;\n"
          "  cleanup) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\"}\" " +
          pebble_->challtestsrv_url() + "/clear-txt ;;\nesac\n",
      0755);
  std::string out2 = tmp_.Path("dns");
  auto [rc2, output2] =
      Run({"issue", "--solver", "dns-01", "--dns-exec", hook, "--dns-resolver",
           "127.0.0.1:" + std::to_string(pebble_->dns_port()), "--out", out2, "-d",
           "*.dns-cli.example.test", "-d", "dns-cli.example.test", "--key-type", "rsa2048"});
  ASSERT_EQ(rc2, 0) << output2;
  ExpectIssued(out2, 2);
}

TEST_F(AcmeCliTest, SigintDuringDnsPropagationCleansUpAndExits) {
  // The hook publishes nothing, so the propagation check waits; SIGINT must end the wait,
  // run the cleanup hook and exit non-zero promptly.
  std::string log = tmp_.Path("hook.log");
  std::string hook = tmp_.WriteFile("noop.sh", "#!/bin/sh\necho \"$1 $2\" >> " + log + "\n", 0755);
  ck::testing::Subprocess p;
  ASSERT_TRUE(p.Start({Binary(),
                       "acme",
                       "issue",
                       "--dev",
                       "--state-dir",
                       tmp_.Path("state"),
                       "--server",
                       pebble_->directory_url(),
                       "--ca-bundle",
                       pebble_->ca_bundle(),
                       "--solver",
                       "dns-01",
                       "--dns-exec",
                       hook,
                       "--dns-resolver",
                       "127.0.0.1:" + std::to_string(pebble_->dns_port()),
                       "-d",
                       "sigint.example.test",
                       "--out",
                       tmp_.Path("out")},
                      {"CERTKEEPER_CONFIG=/dev/null"}));
  ASSERT_TRUE(p.WaitForOutput("presented", std::chrono::seconds(30))) << p.output();
  auto sent = std::chrono::steady_clock::now();
  p.Signal(SIGINT);
  auto rc = p.Wait(std::chrono::seconds(20));
  ASSERT_TRUE(rc.has_value()) << p.output();
  EXPECT_NE(*rc, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(10));
  EXPECT_NE(p.output().find("cancelled"), std::string::npos) << p.output();
  EXPECT_NE(tmp_.ReadFile("hook.log").find("cleanup _acme-challenge.sigint.example.test."),
            std::string::npos)
      << tmp_.ReadFile("hook.log");
}

TEST(AcmeCliBindTest, Dns01Rfc2136WithTsigKeyFile) {
  if (!PebbleFixture::Installed() || !ck::testing::BindFixture::Installed()) {
    GTEST_SKIP() << "pebble or bind9 not installed";
  }
  ASSERT_OK_AND_ASSIGN(auto bind, ck::testing::BindFixture::Start("example.test"));
  ck::testing::PebbleOptions o;
  o.dns_server = bind->address();
  ASSERT_OK_AND_ASSIGN(auto pebble, PebbleFixture::Start(o));
  TempDir tmp;
  std::string out = tmp.Path("out");
  auto [rc, output] = RunCommand({Binary(),
                                  "acme",
                                  "issue",
                                  "--dev",
                                  "--state-dir",
                                  tmp.Path("state"),
                                  "--server",
                                  pebble->directory_url(),
                                  "--ca-bundle",
                                  pebble->ca_bundle(),
                                  "--solver",
                                  "dns-01",
                                  "--dns-rfc2136",
                                  bind->address(),
                                  "--tsig-key",
                                  bind->key_file(),
                                  "-d",
                                  "*.cli2136.example.test",
                                  "--out",
                                  out},
                                 {"CERTKEEPER_CONFIG=/dev/null"}, std::chrono::seconds(60));
  ASSERT_EQ(rc, 0) << output << bind->Log();
  EXPECT_NE(output.find("cli2136.example.test: valid dns-01"), std::string::npos) << output;
  EXPECT_EQ(::access((out + "/fullchain.pem").c_str(), R_OK), 0);
}

}  // namespace
}  // namespace ck
