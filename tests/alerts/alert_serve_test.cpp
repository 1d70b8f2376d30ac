// The alert thread in the real daemon: `certkeeper serve` with an internal-CA certificate of
// one day's lifetime (inside the 1d threshold from the start) and a webhook channel. The alert
// fires once, survives a restart without a repeat, shows in `alert ls` and GET /v1/alerts, is
// acknowledged through POST /v1/alerts/{id}/ack (operator, not viewer), and a forced renewal
// resolves it with a resolved notice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "tests/alerts/alert_servers.hpp"
#include "tests/testing/serve_process.hpp"

namespace ck::alerts {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class AlertServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSystemPython()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
    if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl is not installed";
    binary_ = testing::CertkeeperBinary();
    api_port_ = testing::PickFreePort();
    receiver_ = std::make_unique<testing::HookReceiver>(tmp_, "hooks");
    ASSERT_TRUE(receiver_->ok());
    config_ = tmp_.WriteFile(
        "certkeeper.toml",
        "state_dir = \"" + tmp_.Path("state") +
            "\"\nlisten = \"127.0.0.1:" + std::to_string(api_port_) +
            "\"\n[alerts]\ninterval = \"1s\"\n[[alerts.channel]]\ntype = \"webhook\"\nurl = \"" +
            receiver_->url() +
            "\"\n[[certificate]]\nname = \"web\"\ndomains = [\"web.test\"]\nissuer = "
            "\"ca:server\"\nlifetime = \"1d\"\n  [[certificate.deploy]]\n  type = \"files\"\n  "
            "dir = \"" +
            tmp_.Path("certs") + "\"\n");
  }
  void TearDown() override { StopDaemon(); }

  void StartDaemon() {
    if (!daemon_) daemon_.emplace(binary_, config_, tmp_.Path("state"), tmp_.Path("daemon.log"));
    Status started = daemon_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  // SIGTERM; returns how long the daemon took to exit.
  milliseconds StopDaemon() {
    if (!daemon_ || !daemon_->running()) return milliseconds(0);
    auto start = std::chrono::steady_clock::now();
    daemon_->Stop(SIGTERM);
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  }

  std::pair<int, std::string> Api(const std::string& method, const std::string& path,
                                  const std::string& token) {
    std::vector<std::string> argv = {"/usr/bin/curl",
                                     "-s",
                                     "-w",
                                     "\n%{http_code}",
                                     "--cacert",
                                     tmp_.Path("state/ca-bundle.pem"),
                                     "-X",
                                     method};
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    // An empty POST still carries Content-Length: 0, as browsers send it.
    if (method == "POST") argv.insert(argv.end(), {"--data", ""});
    argv.push_back("https://127.0.0.1:" + std::to_string(api_port_) + path);
    auto [rc, out] = testing::RunCommand(argv, {}, seconds(30));
    if (rc != 0) return {0, out};
    auto nl = out.rfind('\n');
    return {std::atoi(out.c_str() + nl + 1), out.substr(0, nl)};
  }
  std::string AdminToken() { return Trim(tmp_.ReadFile("state/cli-token")); }

  // Receiver bodies with this state, waiting up to `timeout` for at least `n`.
  std::vector<json> WaitForNotices(const std::string& state, size_t n, seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::vector<json> out;
      for (const auto& b : receiver_->Bodies()) {
        if (b.value("state", "") == state) out.push_back(b);
      }
      if (out.size() >= n || std::chrono::steady_clock::now() > deadline) return out;
      std::this_thread::sleep_for(milliseconds(200));
    }
  }

  std::pair<int, std::string> Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {binary_, "--config", config_};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, {}, seconds(60));
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::HookReceiver> receiver_;
  std::string binary_, config_;
  uint16_t api_port_ = 0;
  std::optional<testing::ServeProcess> daemon_;
};

TEST_F(AlertServeTest, FiresOnceAcksAndResolvesAfterRenewal) {
  StartDaemon();
  auto firing = WaitForNotices("firing", 1, seconds(30));
  ASSERT_EQ(firing.size(), 1u) << tmp_.ReadFile("daemon.log");
  const std::string key = firing[0]["key"];
  EXPECT_EQ(firing[0]["kind"], "expiry");
  EXPECT_EQ(firing[0]["subject"], "web");
  EXPECT_EQ(key.rfind("expiry:web:", 0), 0u) << key;
  EXPECT_EQ(key.substr(key.size() - 3), ":1d") << key;
  const int64_t id = firing[0]["id"];

  // Several evaluations later: still one notice.
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(WaitForNotices("firing", 1, seconds(0)).size(), 1u);

  // Restart: the store remembers; nothing is sent again.
  auto took = StopDaemon();
  EXPECT_LT(took, seconds(10)) << "the alert thread stops promptly";
  StartDaemon();
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(WaitForNotices("firing", 1, seconds(0)).size(), 1u) << tmp_.ReadFile("daemon.log");

  // The API lists it, open, notified.
  auto [code, body] = Api("GET", "/v1/alerts", AdminToken());
  ASSERT_EQ(code, 200) << body;
  json list = json::parse(body, nullptr, false);
  ASSERT_EQ(list["alerts"].size(), 1u) << body;
  std::string notices;
  for (const auto& b : receiver_->Bodies()) notices += b.dump() + "\n";
  EXPECT_EQ(list["alerts"][0]["id"], id) << body << "\n" << notices;
  EXPECT_EQ(list["alerts"][0]["key"], key);
  EXPECT_FALSE(list["alerts"][0]["notified_at"].is_null());
  EXPECT_TRUE(list["alerts"][0]["resolved_at"].is_null());
  EXPECT_TRUE(list["next_before"].is_null());
  EXPECT_EQ(Api("GET", "/v1/alerts", "").first, 401);
  EXPECT_EQ(Api("GET", "/v1/alerts?state=bogus", AdminToken()).first, 400);

  // `alert ls` through the API.
  auto [rc, out] = Cli({"alert", "ls"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("web"), std::string::npos) << out;
  EXPECT_NE(out.find("critical"), std::string::npos) << out;

  // Acknowledge: a viewer may not, an operator (here the admin CLI token) may.
  auto [trc, tout] = Cli({"token", "create", "--role", "viewer", "--name", "looker"});
  ASSERT_EQ(trc, 0) << tout;
  auto pos = tout.find("ckt_");
  ASSERT_NE(pos, std::string::npos) << tout;
  const std::string viewer = tout.substr(pos, tout.find('\n', pos) - pos);
  EXPECT_EQ(Api("GET", "/v1/alerts", viewer).first, 200);
  EXPECT_EQ(Api("POST", "/v1/alerts/" + std::to_string(id) + "/ack", viewer).first, 403);
  auto [acode, abody] = Api("POST", "/v1/alerts/" + std::to_string(id) + "/ack", AdminToken());
  ASSERT_EQ(acode, 200) << abody;
  json acked = json::parse(abody, nullptr, false);
  EXPECT_FALSE(acked["acknowledged_at"].is_null());
  EXPECT_FALSE(acked["acknowledged_by"].get<std::string>().empty());
  EXPECT_TRUE(acked["resolved_at"].is_null()) << "acknowledging does not resolve";
  EXPECT_EQ(Api("POST", "/v1/alerts/999999/ack", AdminToken()).first, 404);

  // A forced renewal: the new serial is also inside 1d (its own alert), the old one resolves.
  auto [rrc, rout] = Cli({"renew", "web", "--force"});
  ASSERT_EQ(rrc, 0) << rout;
  auto resolved = WaitForNotices("resolved", 1, seconds(30));
  ASSERT_EQ(resolved.size(), 1u) << tmp_.ReadFile("daemon.log");
  EXPECT_EQ(resolved[0]["key"], key);
  EXPECT_FALSE(resolved[0]["resolved_at"].is_null());
  auto now_firing = WaitForNotices("firing", 2, seconds(10));
  ASSERT_EQ(now_firing.size(), 2u);
  bool new_serial = false;
  for (const auto& f : now_firing) new_serial = new_serial || f["key"] != key;
  EXPECT_TRUE(new_serial);

  auto [all_code, all_body] = Api("GET", "/v1/alerts?state=all&limit=1", AdminToken());
  ASSERT_EQ(all_code, 200) << all_body;
  json page = json::parse(all_body, nullptr, false);
  ASSERT_EQ(page["alerts"].size(), 1u);
  ASSERT_TRUE(page["next_before"].is_number_integer()) << all_body;
  auto [p2code, p2body] = Api(
      "GET", "/v1/alerts?state=all&before=" + std::to_string(page["next_before"].get<int64_t>()),
      AdminToken());
  ASSERT_EQ(p2code, 200);
  json page2 = json::parse(p2body, nullptr, false);
  ASSERT_EQ(page2["alerts"].size(), 1u) << p2body;
  EXPECT_EQ(page2["alerts"][0]["id"], id);
  EXPECT_FALSE(page2["alerts"][0]["resolved_at"].is_null());
  EXPECT_EQ(page2["alerts"][0]["acknowledged_by"], acked["acknowledged_by"]);

  // SIGHUP with a Slack-compatible channel added: the next alert reaches it too.
  std::string cfg = tmp_.ReadFile("certkeeper.toml");
  const std::string cert_table = "[[certificate]]";
  cfg.insert(cfg.find(cert_table),
             "[[alerts.channel]]\nname = \"chat\"\ntype = \"slack\"\nurl = \"" + receiver_->url() +
                 "\"\n");
  tmp_.WriteFile("certkeeper.toml", cfg);
  daemon_->Signal(SIGHUP);
  std::this_thread::sleep_for(seconds(1));
  auto [r2rc, r2out] = Cli({"renew", "web", "--force"});
  ASSERT_EQ(r2rc, 0) << r2out;
  auto deadline = std::chrono::steady_clock::now() + seconds(30);
  bool slack_seen = false;
  while (!slack_seen && std::chrono::steady_clock::now() < deadline) {
    for (const auto& b : receiver_->Bodies()) slack_seen = slack_seen || b.contains("text");
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_TRUE(slack_seen) << tmp_.ReadFile("daemon.log");

  // `alert ls --all` from the local store once the daemon is gone.
  StopDaemon();
  auto [lrc, lout] = Cli({"alert", "ls", "--all"});
  EXPECT_EQ(lrc, 0) << lout;
  EXPECT_NE(lout.find("resolved"), std::string::npos) << lout;
  EXPECT_NE(lout.find("acked"), std::string::npos) << lout;
}

}  // namespace
}  // namespace ck::alerts
