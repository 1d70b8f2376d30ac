// End to end for [[watch]]: `certkeeper watch check` against real `openssl s_server`s and files
// (table, exit codes), and `certkeeper serve` checking the same watches on its own schedule,
// showing them at GET /v1/watch and following a SIGHUP that removes one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/daemon/watch/watch_test_servers.hpp"
#include "tests/testing/child_process.hpp"

namespace ck {
namespace {

using ck::testing::CaSpec;
using ck::testing::CertSpec;
using ck::testing::IssuedCert;
using ck::testing::RunCommand;
using ck::testing::RunningServer;
using ck::testing::Subprocess;
using ck::testing::TempDir;
using ck::testing::TestCa;
using ::testing::HasSubstr;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

class WatchE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot(CaSpec("Watch E2E Root"));
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_.emplace(std::move(*root));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
  }

  IssuedCert Leaf(bool expired) {
    CertSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    if (expired) {
      spec.not_before = ck::testing::UtcTime(2024, 1, 1);
      spec.not_after = ck::testing::UtcTime(2024, 2, 1);
    }
    auto leaf = root_->Issue(spec);
    EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
    return std::move(*leaf);
  }

  uint16_t Serve(bool expired, const std::string& name) {
    RunningServer s = ck::testing::ServeWithOpenssl(dir_, name, Leaf(expired));
    EXPECT_NE(s.process, nullptr) << s.log;
    servers_.push_back(std::move(s));
    return servers_.back().port;
  }

  std::string EndpointWatch(uint16_t port) const {
    return "[[watch]]\nendpoint = \"127.0.0.1:" + std::to_string(port) + "\"\nca_bundle = \"" +
           root_pem_ + "\"\n";
  }

  std::string FilesWatch() const {
    return "[[watch]]\nname = \"disk\"\nfiles = \"" + dir_.Path("certs/*.pem") +
           "\"\nca_bundle = \"" + root_pem_ + "\"\n";
  }

  TempDir dir_;
  std::optional<TestCa> root_;
  std::string root_pem_;
  std::vector<RunningServer> servers_;
};

TEST_F(WatchE2eTest, CheckPrintsATableAndExitsOneOnACriticalProblem) {
  const uint16_t good = Serve(false, "good");
  const uint16_t expired = Serve(true, "expired");
  dir_.WriteFile("certs/ok.pem", Leaf(false).ChainPem());
  dir_.WriteFile("certs/garbage.pem", "garbage\n");
  const std::string config =
      dir_.WriteFile("watch.toml", EndpointWatch(good) + EndpointWatch(expired) + FilesWatch() +
                                       "[monitor]\nconcurrency = 2\ntimeout = \"5s\"\n");
  auto [rc, out] = RunCommand({Binary(), "watch", "check", "--config", config});
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("TARGET"));
  EXPECT_THAT(out, HasSubstr("DAYS LEFT"));
  const std::string good_target = "127.0.0.1:" + std::to_string(good);
  const std::string expired_target = "127.0.0.1:" + std::to_string(expired);
  EXPECT_TRUE(std::regex_search(out, std::regex(good_target + " +ok +[0-9]+ +-"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(expired_target + " +problems +-[0-9]+ +expired!")))
      << out;
  EXPECT_THAT(out, HasSubstr(dir_.Path("certs/garbage.pem")));
  EXPECT_THAT(out, HasSubstr("not a PEM or DER certificate"));
  EXPECT_TRUE(std::regex_search(out, std::regex(dir_.Path("certs/ok.pem") + " +ok"))) << out;
  EXPECT_THAT(out, HasSubstr(expired_target + ": critical expired: leaf"));

  // Only good things: exit 0.
  const std::string fine = dir_.WriteFile("fine.toml", EndpointWatch(good));
  auto [rc_fine, out_fine] = RunCommand({Binary(), "watch", "check", "--config", fine});
  EXPECT_EQ(rc_fine, 0) << out_fine;

  auto [rc_help, help] = RunCommand({Binary(), "watch", "check", "--help"});
  EXPECT_EQ(rc_help, 0) << help;
  EXPECT_THAT(help, HasSubstr("Check every [[watch]]"));

  const std::string bad = dir_.WriteFile("bad.toml", "[[watch]]\nendpoint = \"nohost\"\n");
  auto [rc_bad, out_bad] = RunCommand({Binary(), "watch", "check", "--config", bad});
  EXPECT_EQ(rc_bad, 3) << out_bad;
  EXPECT_THAT(out_bad, HasSubstr("bad.toml:2: watch[0].endpoint"));
}

// GET /v1/watch until `done(results)` or the timeout; returns the last results.
nlohmann::json PollWatch(const std::string& state, int port,
                         const std::function<bool(const nlohmann::json&)>& done) {
  nlohmann::json last;
  for (int i = 0; i < 100; ++i) {
    std::ifstream token_file(state + "/cli-token");
    std::string token;
    std::getline(token_file, token);
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path((state + "/ca-bundle.pem").c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Get("/v1/watch", {{"Authorization", "Bearer " + token}});
    if (res && res->status == 200) {
      last = nlohmann::json::parse(res->body, nullptr, false);
      if (last.is_object() && done(last["results"])) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

TEST_F(WatchE2eTest, ServeChecksOnItsOwnAndFollowsAReload) {
  const uint16_t good = Serve(false, "good");
  dir_.WriteFile("certs/ok.pem", Leaf(false).ChainPem());
  const std::string config = dir_.Path("serve.toml");
  dir_.WriteFile("serve.toml", EndpointWatch(good) + FilesWatch());
  const std::string state = dir_.Path("state");
  Subprocess daemon;
  ASSERT_TRUE(daemon.Start({Binary(), "serve", "--dev", "--state-dir", state, "--listen",
                            "127.0.0.1:0", "--config", config}));
  ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
  std::smatch m;
  const std::string banner = daemon.output();
  ASSERT_TRUE(
      std::regex_search(banner, m, std::regex("admin API +https://127\\.0\\.0\\.1:([0-9]+)")))
      << banner;
  const int port = std::stoi(m[1]);

  const std::string endpoint = "127.0.0.1:" + std::to_string(good);
  auto body = PollWatch(state, port, [](const nlohmann::json& r) { return r.size() == 2; });
  ASSERT_TRUE(body.is_object()) << daemon.output();
  ASSERT_EQ(body["results"].size(), 2u) << body.dump(2);
  for (const auto& r : body["results"]) {
    EXPECT_EQ(r["outcome"], "ok") << r.dump(2);
    EXPECT_EQ(r["error"], "");
    EXPECT_TRUE(r["problems"].empty());
    ASSERT_TRUE(r["leaf"].is_object()) << r.dump(2);
    EXPECT_GT(r["leaf"]["days_left"].get<double>(), 80);
    EXPECT_THAT(r["leaf"]["subject"].get<std::string>(), HasSubstr("localhost"));
    if (r["target"] == endpoint) {
      EXPECT_EQ(r["kind"], "endpoint");
      EXPECT_EQ(r["tls_version"], "TLSv1.3");
    } else {
      EXPECT_EQ(r["target"], dir_.Path("certs/ok.pem"));
      EXPECT_EQ(r["kind"], "file");
      EXPECT_EQ(r["label"], "disk");
    }
  }

  // Drop the files watch and reload: its result goes, the endpoint's stays.
  dir_.WriteFile("serve.toml", EndpointWatch(good));
  daemon.Signal(SIGHUP);
  body = PollWatch(state, port, [](const nlohmann::json& r) { return r.size() == 1; });
  ASSERT_EQ(body["results"].size(), 1u) << body.dump(2);
  EXPECT_EQ(body["results"][0]["target"], endpoint);

  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(std::chrono::seconds(20)).value_or(-1), 0) << daemon.output();
}

}  // namespace
}  // namespace ck
