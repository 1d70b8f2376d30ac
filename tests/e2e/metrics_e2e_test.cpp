// GET /metrics end to end (issue 6): the real `certkeeper serve` keeps two certificates from its
// internal CA and deploys them to files; the scrape over HTTPS (curl) shows each certificate's
// expiration equal to the issued certificate's notAfter, the counters of what happened
// (issuance, renewal attempt, deploy, verify), and passes `promtool check metrics` with no
// problem reported. A watched certificate file (the [[watch]] files target) shows up as
// source="file" with its own notAfter. Scrape access: token by default, open on loopback with
// [metrics] access.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <tuple>

#include "common/clock.hpp"
#include "pki/certificate.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/serve_process.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPromtool[] = "/usr/bin/promtool";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The value of the one sample line that starts with `series` (name{labels}), or "" if none.
std::string SampleValue(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      size_t start = pos + series.size() + 1;
      return text.substr(start, text.find('\n', start) - start);
    }
    ++pos;
  }
  return "";
}

class MetricsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = testing::CertkeeperBinary();
    api_port_ = testing::PickFreePort();
    ASSERT_EQ(::mkdir(tmp_.Path("state").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(tmp_.Path("watched").c_str(), 0700), 0);
    // A certificate some other tool put on disk, which certkeeper only watches.
    ASSERT_OK_AND_ASSIGN(auto root, testing::TestCa::CreateRoot());
    testing::CertSpec spec;
    spec.common_name = "legacy.test";
    spec.dns_names = {"legacy.test"};
    ASSERT_OK_AND_ASSIGN(auto legacy, root.Issue(spec));
    legacy_not_after_ = ToUnixSeconds(legacy.cert.NotAfter());
    tmp_.WriteFile("watched/legacy.pem", legacy.CertPem());
  }
  void TearDown() override { StopDaemon(); }

  void WriteConfig(const std::string& metrics_table) {
    std::string c = "state_dir = \"" + tmp_.Path("state") +
                    "\"\nlisten = \"127.0.0.1:" + std::to_string(api_port_) + "\"\n" +
                    metrics_table;
    for (const char* name : {"web", "api"}) {
      c += std::string("[[certificate]]\nname = \"") + name + "\"\ndomains = [\"" + name +
           ".test\"]\nissuer = \"ca:server\"\nlifetime = \"2h\"\n  [[certificate.deploy]]\n"
           "  type = \"files\"\n  dir = \"" +
           tmp_.Path("certs") + "\"\n";
    }
    c += "[[watch]]\nfiles = \"" + tmp_.Path("watched") + "/*.pem\"\n";
    config_ = tmp_.WriteFile("certkeeper.toml", c);
  }

  void StartDaemon() {
    // Each test writes its config before starting: one daemon object per start.
    daemon_.reset();
    daemon_.emplace(binary_, config_, tmp_.Path("state"), tmp_.Path("daemon.log"));
    ASSERT_OK(daemon_->Start());
  }

  void StopDaemon() {
    if (daemon_) daemon_->Stop(SIGTERM);
  }

  std::string Log() { return tmp_.ReadFile("daemon.log"); }

  // curl over HTTPS, trusting the daemon's CA bundle; {HTTP status, body}. With the daemon's
  // local CLI token when `with_token`.
  std::pair<int, std::string> Get(const std::string& path, bool with_token) {
    std::vector<std::string> argv = {
        "/usr/bin/curl",  "-s",       "-w",
        "\n%{http_code}", "--cacert", tmp_.Path("state/ca-bundle.pem")};
    if (with_token) {
      argv.insert(argv.end(),
                  {"-H", "Authorization: Bearer " + Trim(tmp_.ReadFile("state/cli-token"))});
    }
    argv.push_back("https://127.0.0.1:" + std::to_string(api_port_) + path);
    auto [rc, out] = testing::RunCommand(argv, {}, seconds(30));
    if (rc != 0) return {0, out};
    auto nl = out.rfind('\n');
    return {std::atoi(out.c_str() + nl + 1), out.substr(0, nl)};
  }

  // Until `name` has a certificate deployed to every target; returns /v1/managed/NAME.
  json WaitDeployed(const std::string& name, seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto [code, body] = Get("/v1/managed/" + name, true);
      json v = code == 200 ? json::parse(body, nullptr, false) : json();
      if (v.is_object() && !v.value("serial", "").empty()) {
        bool all = true;
        for (const auto& t : v["deploy"]) {
          if (t.value("last_deployed_serial", "") != v["serial"]) all = false;
        }
        if (all) return v;
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
    return json();
  }

  testing::TempDir tmp_;
  std::string binary_, config_;
  uint16_t api_port_ = 0;
  std::optional<testing::ServeProcess> daemon_;
  int64_t legacy_not_after_ = 0;
};

TEST_F(MetricsE2E, ScrapeShowsIssuedCertificatesAndPassesPromtool) {
  WriteConfig("");
  StartDaemon();
  if (HasFatalFailure()) return;
  json web = WaitDeployed("web", seconds(60));
  ASSERT_TRUE(web.is_object()) << Log();
  ASSERT_TRUE(WaitDeployed("api", seconds(60)).is_object()) << Log();

  // Token mode (the default): no anonymous scrapes, even from loopback.
  auto [anonymous, problem] = Get("/metrics", false);
  EXPECT_EQ(anonymous, 401) << problem;

  // The watcher checks the file at start; its row appears as source="file".
  const std::string file_series = "source=\"file\"}";
  int code = 0;
  std::string text;
  for (int i = 0; i < 100; ++i) {
    std::tie(code, text) = Get("/metrics", true);
    if (code == 200 && text.find(file_series) != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_EQ(code, 200) << text;
  ASSERT_NE(text.find(file_series), std::string::npos) << text << Log();
  {
    const std::string prefix = "certkeeper_certificate_expiration_timestamp_seconds{name=\"" +
                               tmp_.Path("watched/legacy.pem") + "\"";
    const size_t at = text.find(prefix);
    ASSERT_NE(at, std::string::npos) << text;
    const std::string line = text.substr(at, text.find('\n', at) - at);
    EXPECT_NE(line.find("source=\"file\"} " + std::to_string(legacy_not_after_)), std::string::npos)
        << line;
  }
  // Its issuer (a test root) is in no trust store: the watcher reports a critical problem, so
  // the file's check failed and its certificate is not ready, while the managed ones are.
  const std::string watched = tmp_.Path("watched/legacy.pem");
  EXPECT_EQ(SampleValue(text, "certkeeper_endpoint_check_total{result=\"problems\"}"), "1") << text;
  EXPECT_EQ(SampleValue(text, "certkeeper_endpoint_check_success{target=\"" + watched + "\"}"),
            "0");
  EXPECT_FALSE(
      SampleValue(text, "certkeeper_endpoint_check_timestamp_seconds{target=\"" + watched + "\"}")
          .empty());
  EXPECT_EQ(
      SampleValue(text, "certkeeper_certificate_ready_status{name=\"" + watched +
                            "\",issuer=\"CN=Test Root CA,O=certkeeper tests\",source=\"file\","
                            "condition=\"False\"}"),
      "1")
      << Get("/v1/watch", true).second;

  // The gauge is the notAfter of the certificate that was issued and deployed.
  ASSERT_OK_AND_ASSIGN(auto cert,
                       pki::Certificate::FromPem(tmp_.ReadFile("certs/live/web/cert.pem")));
  ASSERT_EQ(cert.SerialHex(), web.value("serial", ""));
  const int64_t not_after = ToUnixSeconds(cert.NotAfter());
  const std::string labels = "{name=\"web\",issuer=\"ca:server\",source=\"managed\"}";
  EXPECT_EQ(SampleValue(text, "certkeeper_certificate_expiration_timestamp_seconds" + labels),
            std::to_string(not_after))
      << text;
  EXPECT_EQ(SampleValue(text, "certkeeper_certificate_not_before_timestamp_seconds" + labels),
            std::to_string(ToUnixSeconds(cert.NotBefore())));
  const std::string renewal =
      SampleValue(text, "certkeeper_certificate_renewal_timestamp_seconds" + labels);
  ASSERT_FALSE(renewal.empty()) << text;
  EXPECT_LT(std::stoll(renewal), not_after);
  EXPECT_GT(std::stoll(renewal), ToUnixSeconds(cert.NotBefore()));
  EXPECT_EQ(SampleValue(text,
                        "certkeeper_certificate_ready_status{name=\"web\",issuer=\"ca:"
                        "server\",source=\"managed\",condition=\"True\"}"),
            "1");
  EXPECT_EQ(SampleValue(text,
                        "certkeeper_certificate_ready_status{name=\"web\",issuer=\"ca:"
                        "server\",source=\"managed\",condition=\"False\"}"),
            "0");

  // What happened on the way there, counted where it happened.
  EXPECT_EQ(
      SampleValue(text, "certkeeper_renewal_attempts_total{name=\"web\",issuer=\"ca:server\"}"),
      "1");
  EXPECT_EQ(SampleValue(text, "certkeeper_ca_issued_total{profile=\"server\"}").empty(), false);
  EXPECT_GE(std::stod(SampleValue(text, "certkeeper_ca_issued_total{profile=\"server\"}")), 2);
  EXPECT_NE(text.find("certkeeper_deploy_total{name=\"web\",consumer=\"files " +
                      tmp_.Path("certs") + "\",type=\"files\",result=\"success\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("certkeeper_deploy_verify_total{name=\"web\""), std::string::npos);
  EXPECT_EQ(SampleValue(text, "certkeeper_build_info{version=\"" +
                                  json::parse(Get("/healthz", false).second).value("version", "") +
                                  "\"}"),
            "1");

  if (::access(kPromtool, X_OK) != 0) {
    GTEST_SKIP() << kPromtool << " is not installed (Debian package prometheus): "
                 << "the exposition was not checked by promtool";
  }
  const std::string scraped = tmp_.WriteFile("scraped.prom", text);
  auto [rc, out] = testing::RunCommand(
      {"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + scraped}, {}, seconds(30));
  EXPECT_EQ(rc, 0) << out << "\n" << text;
  EXPECT_EQ(Trim(out), "") << "promtool reported problems:\n" << out;
}

TEST_F(MetricsE2E, LoopbackAccessNeedsNoCredentials) {
  WriteConfig("[metrics]\naccess = \"loopback\"\n");
  StartDaemon();
  if (HasFatalFailure()) return;
  auto [code, text] = Get("/metrics", false);
  EXPECT_EQ(code, 200) << text;
  EXPECT_NE(text.find("# TYPE certkeeper_build_info gauge"), std::string::npos) << text;
  // Everything else still needs credentials.
  EXPECT_EQ(Get("/v1/managed", false).first, 401);
}

}  // namespace
}  // namespace ck
