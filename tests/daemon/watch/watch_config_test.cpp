// [[watch]] and [monitor] parsing: every key, defaults, and errors that name file:line:key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::config {
namespace {

using ::testing::HasSubstr;

TEST(WatchConfigTest, ParsesEndpointsFilesAndMonitor) {
  auto cfg = ParseConfig(R"(
[[watch]]
endpoint = "mail.example.com:465"
sni = "mail.example.com"
[[watch]]
name = "smtp submission"
endpoint = "mx.example.com:25"
starttls = "smtp"
ca_bundle = "/etc/ssl/corp-root.pem"
timeout = "3s"
[[watch]]
endpoint = "[2001:db8::1]:5432"
sni = "db.example.com"
starttls = "postgres"
[[watch]]
files = "/etc/ssl/certs/legacy-*.pem"
[[watch]]
files = ["/srv/a/*.pem", "/srv/b/*.crt"]
[monitor]
interval = "15m"
concurrency = 3
timeout = "4s"
warn_before = "21d"
)",
                         "w.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->watches.size(), 5u);
  const WatchConfig& a = cfg->watches[0];
  EXPECT_TRUE(a.is_endpoint());
  EXPECT_EQ(a.host, "mail.example.com");
  EXPECT_EQ(a.port, 465);
  EXPECT_EQ(a.EndpointTarget(), "mail.example.com:465");  // SNI = host: not repeated
  EXPECT_EQ(a.line, 2);
  const WatchConfig& b = cfg->watches[1];
  EXPECT_EQ(b.name, "smtp submission");
  EXPECT_EQ(b.starttls, "smtp");
  EXPECT_EQ(b.ca_bundle, "/etc/ssl/corp-root.pem");
  ASSERT_TRUE(b.timeout.has_value());
  EXPECT_EQ(b.timeout->count(), 3);
  EXPECT_EQ(b.EndpointTarget(), "mx.example.com:25");
  const WatchConfig& c = cfg->watches[2];
  EXPECT_EQ(c.host, "2001:db8::1");
  EXPECT_EQ(c.port, 5432);
  EXPECT_EQ(c.EndpointTarget(), "[2001:db8::1]:5432/db.example.com");
  EXPECT_FALSE(cfg->watches[3].is_endpoint());
  EXPECT_EQ(cfg->watches[3].files, std::vector<std::string>{"/etc/ssl/certs/legacy-*.pem"});
  EXPECT_EQ(cfg->watches[4].files, (std::vector<std::string>{"/srv/a/*.pem", "/srv/b/*.crt"}));
  EXPECT_EQ(cfg->watches[4].EndpointTarget(), "");
  EXPECT_EQ(cfg->monitor.interval, std::chrono::minutes(15));
  EXPECT_EQ(cfg->monitor.concurrency, 3);
  EXPECT_EQ(cfg->monitor.timeout, std::chrono::seconds(4));
  EXPECT_EQ(cfg->monitor.warn_before, std::chrono::hours(24 * 21));
}

TEST(WatchConfigTest, MonitorDefaults) {
  auto cfg = ParseConfig("", "d.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->watches.empty());
  EXPECT_EQ(cfg->monitor.interval, std::chrono::hours(1));
  EXPECT_EQ(cfg->monitor.concurrency, 8);
  EXPECT_EQ(cfg->monitor.timeout, std::chrono::seconds(10));
  EXPECT_EQ(cfg->monitor.warn_before, std::chrono::hours(24 * 30));
}

struct BadCase {
  const char* toml;
  const char* expected;
};

TEST(WatchConfigTest, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"[[watch]]\nname = \"x\"\n", "w.toml:1: watch[0]: needs exactly one of endpoint"},
      {"[[watch]]\nendpoint = \"a:1\"\nfiles = \"/x\"\n",
       "w.toml:1: watch[0]: needs exactly one of endpoint"},
      {"[[watch]]\nendpoint = \"mail.example.com\"\n",
       "w.toml:2: watch[0].endpoint: 'mail.example.com': missing port"},
      {"[[watch]]\nendpoint = \"a.example:0\"\n",
       "w.toml:2: watch[0].endpoint: 'a.example:0': port"},
      {"[[watch]]\nendpoint = \"a.example:70000\"\n", "watch[0].endpoint"},
      {"[[watch]]\nendpoint = \"2001:db8::1:443\"\n", "IPv6 addresses need brackets"},
      {"[[watch]]\nendpoint = \"[example.com]:443\"\n", "brackets are only for IPv6"},
      {"[[watch]]\nendpoint = \"bad host:443\"\n", "not a host name or address"},
      {"[[watch]]\nendpoint = 443\n", "w.toml:2: watch[0].endpoint: expected a string"},
      {"[[watch]]\nendpoint = \"a.example:1\"\nstarttls = \"pop3\"\n",
       "w.toml:3: watch[0].starttls: unknown protocol 'pop3' (expected smtp, imap or postgres)"},
      {"[[watch]]\nfiles = \"/x/*.pem\"\nsni = \"a\"\n",
       "w.toml:3: watch[0].sni: only applies to an endpoint"},
      {"[[watch]]\nfiles = \"/x/*.pem\"\nstarttls = \"smtp\"\n",
       "w.toml:3: watch[0].starttls: only applies to an endpoint"},
      {"[[watch]]\nfiles = \"certs/*.pem\"\n",
       "w.toml:2: watch[0].files: 'certs/*.pem' must be an absolute path or glob"},
      {"[[watch]]\nfiles = []\n", "w.toml:2: watch[0].files: needs at least one pattern"},
      {"[[watch]]\nfiles = [1]\n", "w.toml:2: watch[0].files: expected strings"},
      {"[[watch]]\nendpoint = \"a.example:1\"\nsni = \"not a name\"\n",
       "w.toml:3: watch[0].sni: 'not a name' is not a DNS name"},
      {"[[watch]]\nendpoint = \"a.example:1\"\nca_bundle = \"roots.pem\"\n",
       "w.toml:3: watch[0].ca_bundle: must be an absolute path"},
      {"[[watch]]\nendpoint = \"a.example:1\"\ntimeout = \"10\"\n", "w.toml:3: watch[0].timeout:"},
      {"[[watch]]\nendpoint = \"a.example:1\"\ntimeout = \"1h\"\n",
       "w.toml:3: watch[0].timeout: must be between 1s and 5m"},
      {"[[watch]]\nendpoint = \"a.example:1\"\nendpiont = \"b:2\"\n",
       "w.toml:3: watch[0].endpiont: unknown key (did you mean 'endpoint'?"},
      {"[[watch]]\nendpoint = \"a.example:1\"\n[[watch]]\nendpoint = \"a.example:1\"\n",
       "w.toml:3: watch[1]: endpoint a.example:1 is already watched (line 1)"},
      {"[watch]\nendpoint = \"a.example:1\"\n", "w.toml:1: watch: expected [[watch]] tables"},
      {"[monitor]\nconcurrency = 0\n", "w.toml:2: monitor.concurrency: must be between 1 and 256"},
      {"[monitor]\nconcurrency = \"8\"\n", "w.toml:2: monitor.concurrency: expected an integer"},
      {"[monitor]\ninterval = \"1s\"\n", "w.toml:2: monitor.interval: must be between 10s and 7d"},
      {"[monitor]\ntimeout = \"soon\"\n", "w.toml:2: monitor.timeout:"},
      {"[monitor]\nwarn_before = \"0s\"\n", "w.toml:2: monitor.warn_before: must be between"},
      {"[monitor]\nintervall = \"1h\"\n", "w.toml:2: monitor.intervall: unknown key (did you mean"},
      {"monitor = 1\n", "w.toml:1: monitor: expected a table"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseConfig(c.toml, "w.toml");
    ASSERT_FALSE(cfg.ok()) << "accepted:\n" << c.toml;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(cfg.status().message(), HasSubstr(c.expected)) << c.toml;
  }
}

TEST(WatchConfigTest, UnreadableCaBundleIsAReferencedFileError) {
  testing::TempDir dir;
  const std::string present = dir.WriteFile("roots.pem", "x");
  auto cfg = ParseConfig("[[watch]]\nendpoint = \"a.example:1\"\nca_bundle = \"" + present +
                             "\"\n[[watch]]\nendpoint = \"b.example:1\"\nca_bundle = \"" +
                             dir.Path("missing.pem") + "\"\n",
                         "w.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  Status s = CheckReferencedFiles(*cfg);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("w.toml:4: watch[1].ca_bundle: "));
  EXPECT_THAT(s.message(), HasSubstr("missing.pem cannot be read"));
}

}  // namespace
}  // namespace ck::config
