// Deploy target config validation: every mistake names the target type and the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/target_config.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::deploy {
namespace {

using nlohmann::json;

struct BadCase {
  json target;
  std::string expect;  // substring of the message
};

TEST(DeployConfigTest, RejectsBadTargetsNamingTheKey) {
  const std::vector<BadCase> cases = {
      {json::array(), "must be a table"},
      {{{"dir", "/x"}}, "'type' is required"},
      {{{"type", 3}}, "'type' is required"},
      {{{"type", "ftp"}}, "unknown value \"ftp\""},
      {{{"type", "files"}}, "'dir' is required"},
      {{{"type", "files"}, {"dir", ""}}, "'dir' must not be empty"},
      {{{"type", "files"}, {"dir", "relative/path"}}, "'dir' must be an absolute path"},
      {{{"type", "files"}, {"dir", "/x"}, {"diir", "/y"}}, "key 'diir' is not a known key"},
      {{{"type", "files"}, {"dir", "/x"}, {"key_mode", 384}}, "'key_mode' must be an octal"},
      {{{"type", "files"}, {"dir", "/x"}, {"key_mode", "0698"}}, "'key_mode' must be an octal"},
      {{{"type", "files"}, {"dir", "/x"}, {"key_mode", "0644"}}, "'key_mode' must not give"},
      {{{"type", "files"}, {"dir", "/x"}, {"cert_mode", "0200"}}, "'cert_mode' must let"},
      {{{"type", "files"}, {"dir", "/x"}, {"owner", "no-such-user-ck"}}, "'owner' names no such"},
      {{{"type", "files"}, {"dir", "/x"}, {"group", "no-such-group-ck"}}, "'group' names no such"},
      {{{"type", "exec"}}, "'command' is required"},
      {{{"type", "exec"}, {"command", "true"}, {"timeout", "60"}}, "'timeout'"},
      {{{"type", "exec"}, {"command", "true"}, {"timeout", 60}}, "'timeout' must be a duration"},
      {{{"type", "nginx"}, {"verify_addr", "127.0.0.1"}}, "'verify_addr'"},
      {{{"type", "nginx"}, {"verify_addr", "127.0.0.1:99999"}}, "'verify_addr'"},
      {{{"type", "nginx"}, {"verfy_addr", "127.0.0.1:443"}}, "'verfy_addr' is not a known key"},
      {{{"type", "nginx"}, {"binary", ""}}, "'binary' must not be empty"},
      {{{"type", "haproxy"}, {"cert_path", "/x.pem"}}, "'socket' is required"},
      {{{"type", "haproxy"}, {"socket", "/s"}}, "'cert_path' is required"},
      {{{"type", "haproxy"}, {"socket", "/s"}, {"cert_path", "x.pem"}}, "'cert_path' must be"},
      {{{"type", "webhook"}, {"secret_file", "/s"}}, "'url' is required"},
      {{{"type", "webhook"}, {"url", "ftp://x"}, {"secret_file", "/s"}}, "'url' must start"},
      {{{"type", "webhook"}, {"url", "https://x"}}, "'secret_file' is required"},
      {{{"type", "webhook"}, {"url", "https://x"}, {"secret_file", "/s"}, {"retries", -1}},
       "'retries' must be an integer"},
      {{{"type", "webhook"}, {"url", "https://x"}, {"secret_file", "/s"}, {"include_key", "yes"}},
       "'include_key' must be true or false"},
  };
  for (const auto& c : cases) {
    Status s = ValidateTargetConfig(c.target);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.target.dump();
    EXPECT_NE(s.message().find(c.expect), std::string::npos)
        << c.target.dump() << " -> " << s.message();
    EXPECT_EQ(MakeDeployer(c.target, DeployEnv{}).status().code(), StatusCode::kInvalidArgument)
        << c.target.dump();
  }
}

TEST(DeployConfigTest, AcceptsTheIssueExample) {
  const std::vector<json> good = {
      {{"type", "files"}, {"dir", "/etc/certkeeper"}},
      {{"type", "files"},
       {"dir", "/etc/certkeeper"},
       {"owner", "root"},
       {"group", "0"},
       {"key_mode", "0640"},
       {"cert_mode", "0644"}},
      {{"type", "exec"}, {"command", "systemctl reload postfix"}, {"timeout", "2m"}},
      {{"type", "nginx"}, {"conf", "/etc/nginx/nginx.conf"}, {"verify_addr", "127.0.0.1:443"}},
      {{"type", "nginx"}, {"verify_addr", "[::1]:443"}, {"verify_sni", "example.com"}},
      {{"type", "haproxy"},
       {"socket", "/run/haproxy/admin.sock"},
       {"cert_path", "/etc/haproxy/certs/web.pem"},
       {"verify_addr", "127.0.0.1:8443"}},
      {{"type", "webhook"},
       {"url", "https://hooks.example/cert"},
       {"secret_file", "/etc/certkeeper/hook.secret"},
       {"include_key", true},
       {"timeout", "10s"},
       {"retries", 5},
       {"ca_bundle", "/etc/ssl/certs/ca-certificates.crt"}},
  };
  for (const auto& g : good) {
    EXPECT_OK(ValidateTargetConfig(g)) << g.dump();
    auto d = MakeDeployer(g, DeployEnv{});
    ASSERT_OK(d) << g.dump();
    EXPECT_EQ((*d)->type(), g["type"].get<std::string>());
  }
  auto nginx = MakeDeployer(good[3], DeployEnv{});
  EXPECT_EQ((*nginx)->Describe(), "nginx /etc/nginx/nginx.conf 127.0.0.1:443");
}

TEST(DeployConfigTest, HostPortAndNames) {
  ASSERT_OK_AND_ASSIGN(HostPort v6, ParseHostPort("[::1]:8443"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(v6.ToString(), "[::1]:8443");
  EXPECT_FALSE(ParseHostPort("::1:8443").ok());
  EXPECT_FALSE(ParseHostPort(":443").ok());
  EXPECT_FALSE(ParseHostPort("host:0").ok());
  EXPECT_OK(CheckCertificateName("web-1.example_x"));
  EXPECT_FALSE(CheckCertificateName("..").ok());
  EXPECT_FALSE(CheckCertificateName("Web").ok());
  EXPECT_FALSE(CheckCertificateName("a/b").ok());
  EXPECT_FALSE(CheckCertificateName("").ok());
}

}  // namespace
}  // namespace ck::deploy
