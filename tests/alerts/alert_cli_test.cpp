// `certkeeper alert test` end to end: the real binary, a config file naming an email channel
// (aiosmtpd sink with STARTTLS), a generic webhook and a Slack-compatible hook (webhook
// receiver); exit code and per-channel output.
#include <gtest/gtest.h>

#include "tests/alerts/alert_servers.hpp"

namespace ck::alerts {
namespace {

using testing::HookReceiver;
using testing::LoopbackTls;
using testing::SmtpSink;

class AlertCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSystemPython()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  }
  std::string WriteConfig(const std::string& smtp_url, const std::string& ca_file,
                          const std::string& hook_url) {
    return tmp_.WriteFile("certkeeper.toml", "state_dir = \"" + tmp_.Path("state") +
                                                 "\"\n"
                                                 "[alerts]\n"
                                                 "[[alerts.channel]]\n"
                                                 "type = \"email\"\n"
                                                 "smtp = \"" +
                                                 smtp_url +
                                                 "\"\n"
                                                 "ca_bundle = \"" +
                                                 ca_file +
                                                 "\"\n"
                                                 "from = \"certkeeper@example.com\"\n"
                                                 "to = [\"ops@example.com\"]\n"
                                                 "[[alerts.channel]]\n"
                                                 "type = \"webhook\"\n"
                                                 "url = \"" +
                                                 hook_url +
                                                 "\"\n"
                                                 "[[alerts.channel]]\n"
                                                 "name = \"chat\"\n"
                                                 "type = \"slack\"\n"
                                                 "url = \"" +
                                                 hook_url + "\"\n");
  }
  std::pair<int, std::string> Run(const std::string& config, std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::CertkeeperBinary(), "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, {}, std::chrono::seconds(60));
  }

  testing::TempDir tmp_;
};

TEST_F(AlertCliTest, TestNoticeReachesEveryChannel) {
  auto tls = LoopbackTls::Create(tmp_, "smtp");
  ASSERT_TRUE(tls.has_value());
  SmtpSink sink(tmp_, "mail", tls);
  ASSERT_TRUE(sink.ok()) << sink.log();
  HookReceiver hooks(tmp_, "hooks");
  ASSERT_TRUE(hooks.ok());
  const std::string config = WriteConfig(sink.url(), tls->ca_file, hooks.url());

  auto [rc, out] = Run(config, {"alert", "test"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("email (email): ok"), std::string::npos) << out;
  EXPECT_NE(out.find("webhook (webhook): ok"), std::string::npos) << out;
  EXPECT_NE(out.find("chat (slack): ok"), std::string::npos) << out;

  auto mail = sink.Messages();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_NE(mail[0].find("Subject: [certkeeper] TEST: Test notice from certkeeper"),
            std::string::npos)
      << mail[0];
  EXPECT_NE(mail[0].find("TEST NOTICE"), std::string::npos);
  auto bodies = hooks.Bodies();
  ASSERT_EQ(bodies.size(), 2u);
  bool saw_webhook = false, saw_slack = false;
  for (const auto& b : bodies) {
    if (b.contains("state")) {
      saw_webhook = true;
      EXPECT_EQ(b["state"], "test");
      EXPECT_EQ(b["kind"], "test");
    } else {
      saw_slack = true;
      EXPECT_EQ(std::string(b["text"]).rfind("[certkeeper] TEST: ", 0), 0u) << b.dump();
    }
  }
  EXPECT_TRUE(saw_webhook && saw_slack);

  // One channel only.
  auto [rc1, out1] = Run(config, {"alert", "test", "--channel", "chat"});
  EXPECT_EQ(rc1, 0) << out1;
  EXPECT_NE(out1.find("chat (slack): ok"), std::string::npos) << out1;
  EXPECT_EQ(out1.find("email"), std::string::npos) << out1;
  EXPECT_EQ(hooks.Bodies().size(), 3u);
  EXPECT_EQ(sink.Messages().size(), 1u);

  auto [rc2, out2] = Run(config, {"alert", "test", "--channel", "pager"});
  EXPECT_EQ(rc2, 2) << out2;
  EXPECT_NE(out2.find("no alert channel named 'pager' (configured: email, webhook, chat)"),
            std::string::npos)
      << out2;
}

TEST_F(AlertCliTest, FailingChannelGivesNonZeroExit) {
  SmtpSink plain(tmp_, "plain", std::nullopt);  // no STARTTLS: the email channel must refuse
  ASSERT_TRUE(plain.ok()) << plain.log();
  HookReceiver hooks(tmp_, "hooks");
  ASSERT_TRUE(hooks.ok());
  auto tls = LoopbackTls::Create(tmp_, "unused");
  ASSERT_TRUE(tls.has_value());
  const std::string config = WriteConfig(plain.url(), tls->ca_file, hooks.url());
  auto [rc, out] = Run(config, {"alert", "test"});
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("email (email): error:"), std::string::npos) << out;
  EXPECT_NE(out.find("STARTTLS"), std::string::npos) << out;
  EXPECT_NE(out.find("webhook (webhook): ok"), std::string::npos) << out;
  EXPECT_NE(out.find("chat (slack): ok"), std::string::npos) << out;
  EXPECT_TRUE(plain.Messages().empty());
}

TEST_F(AlertCliTest, HelpDescribesTheCommands) {
  auto [rc, out] = testing::RunCommand({testing::CertkeeperBinary(), "alert", "test", "--help"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("--channel"), std::string::npos) << out;
  auto [rc2, out2] = testing::RunCommand({testing::CertkeeperBinary(), "alert", "ls", "--help"});
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("--all"), std::string::npos) << out2;
}

}  // namespace
}  // namespace ck::alerts
