// The webhook target against the example receiver shipped in tests/webhook_receiver (accepts a
// signed push; rejects tampered, replayed and stale ones) and against a cpp-httplib server that
// fails first (retry with backoff).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/clock.hpp"
#include "daemon/deploy/webhook_deployer.hpp"
#include "tests/daemon/deploy_test_util.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::deploy {
namespace {

namespace fs = std::filesystem;

std::string ReceiverScript() {
  if (const char* src = std::getenv("CK_SOURCE_DIR")) {
    return std::string(src) + "/tests/webhook_receiver/receiver.py";
  }
  // Run outside CTest: this file is tests/daemon/deploy_webhook_test.cpp.
  return (fs::path(__FILE__).parent_path().parent_path() / "webhook_receiver/receiver.py").string();
}

const char kSecret[] = "s3cr3t-for-tests";

class Receiver {
 public:
  explicit Receiver(const testing::TempDir& tmp) : tmp_(tmp) {
    secret_file_ = tmp.WriteFile("secret", std::string(kSecret) + "\n", 0600);
    out_dir_ = tmp.Path("pushes");
    started_ = proc_.Start({"/usr/bin/python3", ReceiverScript(), "--port", "0", "--secret-file",
                            secret_file_, "--out", out_dir_},
                           {}, /*merge_stderr=*/false);
    if (started_ && proc_.WaitForOutput("\n", std::chrono::seconds(20))) {
      port_ = std::atoi(proc_.output().c_str());
    }
  }
  bool ok() const { return started_ && port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  const std::string& secret_file() const { return secret_file_; }
  std::vector<nlohmann::json> Accepted() const {
    std::vector<nlohmann::json> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out_dir_, ec)) {
      if (e.path().extension() != ".json") continue;
      out.push_back(nlohmann::json::parse(
          tmp_.ReadFile(fs::relative(e.path(), tmp_.path()).string()), nullptr, false));
    }
    return out;
  }

 private:
  const testing::TempDir& tmp_;
  testing::Subprocess proc_;
  bool started_ = false;
  int port_ = 0;
  std::string secret_file_, out_dir_;
};

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
    auto issuer = testutil::MakeIssuer();
    ASSERT_OK(issuer);
    auto m = testutil::Issue(*issuer, "web", {"web.test", "www.web.test"});
    ASSERT_OK(m);
    material_.emplace(std::move(*m));
  }

  std::unique_ptr<Deployer> Webhook(const std::string& url, const std::string& secret_file,
                                    bool include_key = false) {
    nlohmann::json j = {{"type", "webhook"},
                        {"url", url},
                        {"secret_file", secret_file},
                        {"include_key", include_key},
                        {"retries", 0}};
    DeployEnv env;
    env.clock = &clock_;
    auto d = MakeDeployer(j, env);
    EXPECT_OK(d);
    return d.ok() ? std::move(*d) : nullptr;
  }

  testing::TempDir tmp_;
  SystemClock clock_;
  std::optional<Material> material_;
};

TEST_F(WebhookTest, ReceiverAcceptsSignedPush) {
  Receiver r(tmp_);
  ASSERT_TRUE(r.ok()) << "receiver did not start";
  auto d = Webhook(r.url(), r.secret_file());
  ASSERT_OK(d->Validate(*material_));
  ASSERT_OK(d->Commit(*material_));
  EXPECT_OK(d->Verify(*material_));
  auto got = r.Accepted();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["name"], "web");
  EXPECT_EQ(got[0]["serial"], material_->serial_hex);
  EXPECT_EQ(got[0]["domains"], nlohmann::json({"web.test", "www.web.test"}));
  EXPECT_EQ(got[0]["cert"], material_->cert_pem);
  EXPECT_EQ(got[0]["chain"], material_->chain_pem);
  EXPECT_EQ(got[0]["fullchain"], material_->cert_pem + material_->chain_pem);
  EXPECT_EQ(got[0]["not_after"], FormatRfc3339(material_->not_after));
  EXPECT_FALSE(got[0].contains("privkey")) << "the key is sent only with include_key";

  auto with_key = Webhook(r.url(), r.secret_file(), /*include_key=*/true);
  ASSERT_OK(with_key->Commit(*material_));
  got = r.Accepted();
  ASSERT_EQ(got.size(), 2u);
  int keys = 0;
  for (const auto& g : got)
    keys += g.contains("privkey") && g["privkey"] == material_->key_pem.view();
  EXPECT_EQ(keys, 1);
}

TEST_F(WebhookTest, WrongSecretIsRefusedAsFinal) {
  Receiver r(tmp_);
  ASSERT_TRUE(r.ok());
  std::string wrong = tmp_.WriteFile("wrong-secret", "not-the-secret", 0600);
  auto d = Webhook(r.url(), wrong);
  Status s = d->Commit(*material_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("HTTP 401"), std::string::npos) << s.message();
  EXPECT_TRUE(r.Accepted().empty());
}

// Sends what certkeeper would send, then tampers with it, replays it, or makes it stale.
TEST_F(WebhookTest, ReceiverRejectsTamperedReplayedAndStalePushes) {
  Receiver r(tmp_);
  ASSERT_TRUE(r.ok());
  WebhookOptions o;
  o.url = r.url();
  o.secret_file = r.secret_file();
  WebhookDeployer d(o, DeployEnv{});
  const std::string body = d.Body(*material_);
  httplib::Client client("127.0.0.1", r.port());
  auto post = [&](const std::string& ts, const std::string& signed_body,
                  const std::string& sent_body) {
    httplib::Headers h = {
        {"X-Certkeeper-Timestamp", ts},
        {"X-Certkeeper-Signature", "sha256=" + WebhookSignature(kSecret, ts, signed_body)}};
    auto res = client.Post("/hook", h, sent_body, "application/json");
    return res ? res->status : -1;
  };
  const std::string now = std::to_string(ToUnixSeconds(clock_.Now()));
  std::string tampered = body;
  tampered.replace(tampered.find(material_->serial_hex), 2, "FF");
  EXPECT_EQ(post(now, body, tampered), 401) << "tampered body accepted";
  EXPECT_EQ(post(now, body, body), 200);
  EXPECT_EQ(post(now, body, body), 409) << "replay accepted";
  const std::string stale = std::to_string(ToUnixSeconds(clock_.Now()) - 1000);
  EXPECT_EQ(post(stale, body, body), 401) << "stale timestamp accepted";
  const std::string future = std::to_string(ToUnixSeconds(clock_.Now()) + 1000);
  EXPECT_EQ(post(future, body, body), 401) << "future timestamp accepted";
  EXPECT_EQ(r.Accepted().size(), 1u);
}

TEST_F(WebhookTest, SecretFileReadableByOthersIsRefused) {
  std::string secret = tmp_.WriteFile("loose-secret", kSecret, 0644);
  auto d = Webhook("http://127.0.0.1:9/hook", secret);
  EXPECT_EQ(d->Validate(*material_).code(), StatusCode::kPermissionDenied);
}

// A scripted server: answers each POST with the next status of `statuses` (the last repeats).
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    server_.Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
      size_t n = count_++;
      res.status = statuses_[std::min(n, statuses_.size() - 1)];
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~ScriptedServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  size_t count() const { return count_; }

 private:
  std::vector<int> statuses_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<size_t> count_{0};
};

TEST_F(WebhookTest, RetriesServerErrorsWithBackoff) {
  ScriptedServer server({503, 429, 200});
  WebhookOptions o;
  o.url = server.url();
  o.secret_file = tmp_.WriteFile("secret", kSecret, 0600);
  o.retries = 3;
  o.initial_backoff = std::chrono::milliseconds(100);
  DeployEnv env;
  env.clock = &clock_;
  WebhookDeployer d(o, env);
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK(d.Commit(*material_));
  EXPECT_EQ(server.count(), 3u);
  // 100 ms then 200 ms of backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(WebhookTest, GivesUpAfterRetriesAndDoesNotRetryClientErrors) {
  std::string secret = tmp_.WriteFile("secret", kSecret, 0600);
  DeployEnv env;
  env.clock = &clock_;
  {
    ScriptedServer server({500});
    WebhookOptions o;
    o.url = server.url();
    o.secret_file = secret;
    o.retries = 2;
    o.initial_backoff = std::chrono::milliseconds(10);
    WebhookDeployer d(o, env);
    Status s = d.Commit(*material_);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
    EXPECT_EQ(server.count(), 3u);
  }
  {
    ScriptedServer server({400, 200});
    WebhookOptions o;
    o.url = server.url();
    o.secret_file = secret;
    o.retries = 3;
    o.initial_backoff = std::chrono::milliseconds(10);
    WebhookDeployer d(o, env);
    EXPECT_EQ(d.Commit(*material_).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(server.count(), 1u);
  }
  {
    // Nothing listens: network errors are retried too, then reported.
    WebhookOptions o;
    o.url = "http://127.0.0.1:1/hook";
    o.secret_file = secret;
    o.retries = 1;
    o.initial_backoff = std::chrono::milliseconds(10);
    WebhookDeployer d(o, env);
    EXPECT_EQ(d.Commit(*material_).code(), StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace ck::deploy
