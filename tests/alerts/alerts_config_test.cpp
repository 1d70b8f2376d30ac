// [alerts] parsing: defaults, every key, and errors that name file:line:key.
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::config {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST(AlertsConfigTest, DefaultsWithoutTable) {
  ASSERT_OK_AND_ASSIGN(Config cfg, ParseConfig("", "c.toml"));
  const auto& a = cfg.alerts;
  EXPECT_EQ(a.thresholds, (std::vector<seconds>{hours(24 * 30), hours(24 * 14), hours(24 * 7),
                                                hours(24 * 3), hours(24)}));
  EXPECT_EQ(a.failure_streak, 3);
  EXPECT_EQ(a.overdue_grace, hours(1));
  EXPECT_EQ(a.ca_warn_before, hours(24 * 60));
  EXPECT_EQ(a.interval, std::chrono::minutes(1));
  EXPECT_EQ(a.repeat_interval, hours(24));
  EXPECT_TRUE(a.channels.empty());
  auto eff = a.EffectiveChannels();
  ASSERT_EQ(eff.size(), 1u);
  EXPECT_EQ(eff[0].type, "log");
}

TEST(AlertsConfigTest, ParsesEveryKey) {
  ASSERT_OK_AND_ASSIGN(Config cfg, ParseConfig(R"(
[alerts]
thresholds = ["7d", "21d", "12h"]
failure_streak = 5
overdue_grace = "2h"
ca_warn_before = "90d"
interval = "30s"
repeat_interval = "4h"
  [[alerts.channel]]
  type = "email"
  smtp = "smtp://127.0.0.1:2525"
  from = "certkeeper@example.com"
  to = ["ops@example.com", "oncall@example.com"]
  starttls = "none"
  username = "ck"
  password_file = "/etc/certkeeper/smtp-password"
  ca_bundle = "/etc/ssl/smtp-ca.pem"
  timeout = "20s"
  min_severity = "warning"
  [[alerts.channel]]
  type = "webhook"
  url = "https://hooks.example.com/certs"
  secret_file = "/etc/certkeeper/hook-secret"
  [[alerts.channel]]
  type = "webhook"
  url = "http://127.0.0.1:9000/x"
  [[alerts.channel]]
  name = "chat"
  type = "slack"
  url = "https://hooks.slack.com/services/T/B/X"
  min_severity = "critical"
  [[alerts.channel]]
  type = "log"
)",
                                               "c.toml"));
  const auto& a = cfg.alerts;
  EXPECT_EQ(a.thresholds, (std::vector<seconds>{hours(24 * 21), hours(24 * 7), hours(12)}))
      << "sorted loosest first";
  EXPECT_EQ(a.failure_streak, 5);
  EXPECT_EQ(a.overdue_grace, hours(2));
  EXPECT_EQ(a.ca_warn_before, hours(24 * 90));
  EXPECT_EQ(a.interval, seconds(30));
  EXPECT_EQ(a.repeat_interval, hours(4));
  ASSERT_EQ(a.channels.size(), 5u);
  const auto& mail = a.channels[0];
  EXPECT_EQ(mail.name, "email");
  EXPECT_EQ(mail.smtp, "smtp://127.0.0.1:2525");
  EXPECT_FALSE(mail.starttls_required);
  EXPECT_EQ(mail.to, (std::vector<std::string>{"ops@example.com", "oncall@example.com"}));
  EXPECT_EQ(mail.username, "ck");
  EXPECT_EQ(mail.password_file, "/etc/certkeeper/smtp-password");
  EXPECT_EQ(mail.ca_bundle, "/etc/ssl/smtp-ca.pem");
  EXPECT_EQ(mail.timeout, seconds(20));
  EXPECT_EQ(mail.min_severity, AlertSeverity::kWarning);
  EXPECT_EQ(a.channels[1].name, "webhook");
  EXPECT_EQ(a.channels[1].secret_file, "/etc/certkeeper/hook-secret");
  EXPECT_EQ(a.channels[2].name, "webhook-2") << "unnamed channels of one type get numbered";
  EXPECT_EQ(a.channels[3].name, "chat");
  EXPECT_EQ(a.channels[3].min_severity, AlertSeverity::kCritical);
  EXPECT_EQ(a.channels[4].type, "log");
  EXPECT_EQ(a.EffectiveChannels().size(), 5u);
}

TEST(AlertsConfigTest, StarttlsRequiredByDefault) {
  ASSERT_OK_AND_ASSIGN(Config cfg, ParseConfig(R"([alerts]
[[alerts.channel]]
type = "email"
smtp = "smtp://mail.example.com:587"
from = "a@example.com"
to = ["b@example.com"]
)",
                                               "c.toml"));
  EXPECT_TRUE(cfg.alerts.channels[0].starttls_required);
  EXPECT_EQ(cfg.alerts.channels[0].timeout, seconds(10));
}

struct BadCase {
  const char* toml;
  const char* expected;  // substring: file:line: key: reason
};

TEST(AlertsConfigTest, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"[alerts]\nthresholds = [\"30\"]\n", "c.toml:2: alerts.thresholds:"},
      {"[alerts]\nthresholds = [\"7d\", \"1w\"]\n",
       "c.toml:2: alerts.thresholds: thresholds must differ"},
      {"[alerts]\nfailure_streak = 0\n", "c.toml:2: alerts.failure_streak: must be between"},
      {"[alerts]\ninterval = \"0s\"\n", "c.toml:2: alerts.interval: must be at least"},
      {"[alerts]\nrepeat_interval = \"daily\"\n", "c.toml:2: alerts.repeat_interval: "},
      {"[alerts]\ninterval = \"5m\"\nrepeat_interval = \"1m\"\n",
       "c.toml:3: alerts.repeat_interval: must be \"0s\" (no reminders) or at least"},
      {"[alerts]\nintreval = \"1m\"\n",
       "c.toml:2: alerts.intreval: unknown key (did you mean 'interval'?"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"pager\"\n",
       "c.toml:3: alerts.channel[0].type: unknown channel type 'pager'"},
      {"[alerts]\n[[alerts.channel]]\nurl = \"https://x\"\n",
       "c.toml:2: alerts.channel[0].type: required"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n",
       "c.toml:2: alerts.channel[0].smtp: required"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nsmtp = \"http://x\"\nfrom = \"a@b.c\"\nto "
       "= [\"d@e.f\"]\n",
       "c.toml:4: alerts.channel[0].smtp: 'http://x' must start with smtp://, smtps://"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nsmtp = \"smtp://mail.example.com\"\n"
       "starttls = \"none\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n",
       "c.toml:5: alerts.channel[0].starttls: \"none\" is only allowed for an smtp:// server on "
       "loopback"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nsmtp = \"smtp://127.0.0.1\"\nfrom = "
       "\"a@b.c\"\n"
       "to = [\"not-an-address\"]\n",
       "c.toml:6: alerts.channel[0].to: 'not-an-address' is not an email address"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nsmtp = \"smtp://127.0.0.1\"\nfrom = "
       "\"a@b.c\"\nto = []\n",
       "c.toml:6: alerts.channel[0].to: needs at least one address"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"email\"\nsmtp = \"smtp://u:p@127.0.0.1\"\nfrom = "
       "\"a@b.c\"\nto = [\"d@e.f\"]\n",
       "c.toml:4: alerts.channel[0].smtp: user info is not allowed"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"webhook\"\nurl = \"http://hooks.example.com/\"\n",
       "c.toml:4: alerts.channel[0].url: must be https://"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"slack\"\nurl = \"https://x.test/\"\nsecret_file = "
       "\"/s\"\n",
       "c.toml:5: alerts.channel[0].secret_file: unknown key"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"log\"\nmin_severity = \"loud\"\n",
       "c.toml:4: alerts.channel[0].min_severity: unknown severity 'loud'"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"log\"\n[[alerts.channel]]\ntype = \"log\"\nname = "
       "\"log\"\n",
       "c.toml:4: alerts.channel[1].name: duplicate channel name 'log'"},
      {"[alerts]\n[[alerts.channel]]\ntype = \"webhook\"\nurl = \"https://x.test/\"\nsecret_file = "
       "\"rel\"\n",
       "c.toml:5: alerts.channel[0].secret_file: must be an absolute path"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseConfig(c.toml, "c.toml");
    ASSERT_FALSE(cfg.ok()) << c.toml;
    EXPECT_NE(cfg.status().message().find(c.expected), std::string::npos)
        << "got: " << cfg.status().message() << "\nwant: " << c.expected;
  }
}

TEST(AlertsConfigTest, ReferencedFilesChecked) {
  testing::TempDir tmp;
  const std::string loose = tmp.WriteFile("secret", "s3cret\n", 0644);
  const std::string toml =
      "[alerts]\n[[alerts.channel]]\ntype = \"webhook\"\nurl = "
      "\"https://x.test/\"\nsecret_file = \"" +
      loose + "\"\n";
  ASSERT_OK_AND_ASSIGN(Config cfg, ParseConfig(toml, "c.toml"));
  Status st = CheckReferencedFiles(cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("c.toml:2: alerts.channel[0].secret_file"), std::string::npos)
      << st.message();
  const std::string tight = tmp.WriteFile("secret2", "s3cret\n", 0600);
  ASSERT_OK_AND_ASSIGN(Config ok_cfg,
                       ParseConfig("[alerts]\n[[alerts.channel]]\ntype = \"webhook\"\nurl = "
                                   "\"https://x.test/\"\nsecret_file = \"" +
                                       tight + "\"\n",
                                   "c.toml"));
  EXPECT_OK(CheckReferencedFiles(ok_cfg));
}

}  // namespace
}  // namespace ck::config
