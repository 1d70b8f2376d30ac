#include "daemon/config/config.hpp"

#include <gtest/gtest.h>

namespace ck::config {
namespace {

TEST(ConfigTest, EmptyFileGivesWorkingDefaults) {
  auto cfg = ParseConfig("", "empty.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->listen.ToString(), "127.0.0.1:8443");
  EXPECT_EQ(cfg->log.level, log::Level::kInfo);
  EXPECT_TRUE(cfg->state_dir.empty());
}

TEST(ConfigTest, ParsesEveryKey) {
  auto cfg = ParseConfig(R"(
state_dir = "/srv/ck"
listen = "[::1]:9443"
master_key_file = "/etc/certkeeper/master.key"
[log]
level = "debug"
format = "json"
)",
                         "full.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->state_dir, "/srv/ck");
  EXPECT_EQ(cfg->listen.host, "::1");
  EXPECT_EQ(cfg->listen.port, 9443);
  EXPECT_EQ(cfg->listen.ToString(), "[::1]:9443");
  EXPECT_EQ(cfg->master_key_file, "/etc/certkeeper/master.key");
  EXPECT_EQ(cfg->log.level, log::Level::kDebug);
  EXPECT_EQ(cfg->log.format, log::Format::kJson);
}

struct BadCase {
  const char* toml;
  const char* expected;  // substring of the error: file:line: key: reason
};

TEST(ConfigTest, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"listen = \"127.0.0.1\"\n", "c.toml:1: listen: invalid listen address"},
      {"\n\nlisten = 8443\n", "c.toml:3: listen: expected a string, got an integer"},
      {"lisen = \"127.0.0.1:1\"\n", "c.toml:1: lisen: unknown key (did you mean 'listen'?"},
      {"[log]\nlevel = \"loud\"\n", "c.toml:2: log.level: unknown log level 'loud'"},
      {"[log]\nformat = \"xml\"\n", "c.toml:2: log.format: unknown log format"},
      {"[log]\ncolour = true\n", "c.toml:2: log.colour: unknown key"},
      {"log = \"info\"\n", "c.toml:1: log: expected a table"},
      {"state_dir = \"relative/dir\"\n", "c.toml:1: state_dir: must be an absolute path"},
      {"listen = \n", "c.toml:1:"},
      {"[log\n", "c.toml:1:"},
      {"a = \"\xff\"\n", "c.toml:1:"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseConfig(c.toml, "c.toml");
    ASSERT_FALSE(cfg.ok()) << c.toml;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cfg.status().message().find(c.expected), std::string::npos)
        << "got: " << cfg.status().message() << "\nwant: " << c.expected;
  }
}

TEST(ConfigTest, ListenAddressForms) {
  EXPECT_EQ(ParseListenAddress("localhost:0")->port, 0);
  EXPECT_EQ(ParseListenAddress("[::1]:1")->host, "::1");
  EXPECT_FALSE(ParseListenAddress("::1:8443").ok());
  EXPECT_FALSE(ParseListenAddress(":8443").ok());
  EXPECT_FALSE(ParseListenAddress("host:").ok());
  EXPECT_FALSE(ParseListenAddress("host:65536").ok());
  EXPECT_FALSE(ParseListenAddress("host:12ab").ok());
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto cfg = LoadConfigFile("/nonexistent/certkeeper.toml");
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ck::config
