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

TEST(ConfigTest, CaSectionDefaults) {
  auto cfg = ParseConfig("", "empty.toml");
  ASSERT_TRUE(cfg.ok());
  ASSERT_EQ(cfg->ca.profiles.size(), 3u);  // server, client, peer as step-ca
  EXPECT_EQ(cfg->ca.profiles[0].name, "server");
  EXPECT_EQ(cfg->ca.profiles[0].lifetime, std::chrono::hours(24));
  EXPECT_EQ(cfg->ca.root_key_type, pki::KeyType::kEcdsaP384);
  EXPECT_TRUE(cfg->ca.crl_url.empty());
}

TEST(ConfigTest, CaSectionParsesEveryKey) {
  auto cfg = ParseConfig(R"(
[ca]
organization = "Example Corp"
trust_domain = "example.org"
crl_url = "http://ca.internal/crl/{ca}.crl"
ocsp_url = "http://ca.internal/ocsp"
ca_issuers_url = "http://ca.internal/ca/{ca}.crt"
root_key_type = "ed25519"
intermediate_key_type = "rsa3072"
root_lifetime = "3650d"
intermediate_lifetime = "90d"
crl_lifetime = "12h"
root_crl_lifetime = "180d"
ocsp_lifetime = "1h"

[ca.name_constraints]
apply_to = "both"
permitted_dns = ["svc.internal", ".corp.example"]
excluded_dns = ["secret.svc.internal"]
permitted_ip = ["10.0.0.0/8", "fd00::/8"]
excluded_ip = ["10.255.0.0/16"]
permitted_uri = ["example.org"]
excluded_uri = [".evil.example"]
permitted_email = ["example.com"]
excluded_email = ["ceo@example.com"]

[ca.profiles.server]
max_lifetime = "7d"
allow_dns = ["**.svc.internal"]
deny_dns = ["*.admin.svc.internal"]
allow_ip = ["10.0.0.0/8"]
deny_ip = ["10.0.0.1"]
allow_wildcards = true

[ca.profiles.workload]
lifetime = "1h"
max_lifetime = "12h"
ekus = ["clientAuth", "serverAuth"]
san_types = ["uri"]
allow_uri = ["spiffe://example.org/ns/*/sa/*"]
deny_uri = ["spiffe://example.org/ns/kube-system/**"]
allow_email = ["@example.com"]
deny_email = ["root@example.com"]
key_type = "ecdsa-p384"
)",
                         "ca.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const ca::CaSettings& c = cfg->ca;
  EXPECT_EQ(c.organization, "Example Corp");
  EXPECT_EQ(c.trust_domain, "example.org");
  EXPECT_EQ(c.crl_url, "http://ca.internal/crl/{ca}.crl");
  EXPECT_EQ(c.ocsp_url, "http://ca.internal/ocsp");
  EXPECT_EQ(c.ca_issuers_url, "http://ca.internal/ca/{ca}.crt");
  EXPECT_EQ(c.root_key_type, pki::KeyType::kEd25519);
  EXPECT_EQ(c.intermediate_key_type, pki::KeyType::kRsa3072);
  EXPECT_EQ(c.intermediate_lifetime, std::chrono::hours(24 * 90));
  EXPECT_EQ(c.crl_lifetime, std::chrono::hours(12));
  EXPECT_EQ(c.root_crl_lifetime, std::chrono::hours(24 * 180));
  EXPECT_EQ(c.ocsp_lifetime, std::chrono::hours(1));
  EXPECT_EQ(c.constraint_target, ca::ConstraintTarget::kBoth);
  EXPECT_EQ(c.name_constraints.permitted_dns,
            (std::vector<std::string>{"svc.internal", ".corp.example"}));
  EXPECT_EQ(c.name_constraints.excluded_ip, std::vector<std::string>{"10.255.0.0/16"});
  EXPECT_EQ(c.name_constraints.excluded_email, std::vector<std::string>{"ceo@example.com"});
  // Once profiles are configured, exactly those exist; a built-in name keeps its defaults.
  ASSERT_EQ(c.profiles.size(), 2u);
  auto server = c.FindProfile("server");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->ekus, std::vector<ca::ExtendedKeyUsage>{ca::ExtendedKeyUsage::kServerAuth});
  EXPECT_EQ((*server)->lifetime, std::chrono::hours(24));
  EXPECT_EQ((*server)->max_lifetime, std::chrono::hours(24 * 7));
  EXPECT_TRUE((*server)->allow_wildcards);
  EXPECT_EQ((*server)->policy.deny_ip, std::vector<std::string>{"10.0.0.1"});
  auto workload = c.FindProfile("workload");
  ASSERT_TRUE(workload.ok());
  EXPECT_EQ((*workload)->ekus.size(), 2u);
  EXPECT_EQ((*workload)->san_types, std::vector<pki::SanType>{pki::SanType::kUri});
  EXPECT_EQ((*workload)->key_type, pki::KeyType::kEcdsaP384);
  EXPECT_EQ((*workload)->policy.allow_uri,
            std::vector<std::string>{"spiffe://example.org/ns/*/sa/*"});
  EXPECT_FALSE(c.FindProfile("client").ok());
}

TEST(ConfigTest, CaErrorsNameLineAndKey) {
  const BadCase cases[] = {
      {"[ca]\ncrl_ur = \"http://x\"\n",
       "c.toml:2: ca.crl_ur: unknown key (did you mean 'crl_url'?"},
      {"[ca]\ncrl_url = \"ftp://x/crl\"\n",
       "c.toml:2: ca.crl_url: 'ftp://x/crl' is not an http(s) URL"},
      {"[ca]\nroot_key_type = \"dsa\"\n", "c.toml:2: ca.root_key_type:"},
      {"[ca]\ncrl_lifetime = \"24\"\n", "c.toml:2: ca.crl_lifetime:"},
      {"[ca]\ntrust_domain = \"Example.org\"\n", "c.toml:2: ca.trust_domain:"},
      {"[ca]\nintermediate_lifetime = \"4000d\"\n",
       "c.toml:1: ca: ca.intermediate_lifetime exceeds"},
      {"ca = 1\n", "c.toml:1: ca: expected a table"},
      {"[ca.name_constraints]\napply_to = \"leaf\"\n", "c.toml:2: ca.name_constraints.apply_to:"},
      {"[ca.name_constraints]\npermitted_ip = [\n  \"10.0.0.0/8\",\n  \"10.0.0.1/8\",\n]\n",
       "c.toml:4: ca.name_constraints.permitted_ip: IP range '10.0.0.1/8'"},
      {"[ca.name_constraints]\npermitted_dns = \"svc.internal\"\n",
       "c.toml:2: ca.name_constraints.permitted_dns: expected an array of strings, got a string"},
      {"[ca.name_constraints]\npermitted_dns = [\"*.svc\"]\n",
       "c.toml:2: ca.name_constraints.permitted_dns:"},
      {"[ca.profiles.server]\nmax_lifetim = \"1d\"\n",
       "c.toml:2: ca.profiles.server.max_lifetim: unknown key (did you mean 'max_lifetime'?"},
      {"[ca.profiles.server]\nlifetime = \"2d\"\n",
       "c.toml:1: ca.profiles.server: profile 'server': lifetime 2d exceeds max_lifetime 1d"},
      {"[ca.profiles.custom]\nsan_types = [\"dns\"]\n",
       "c.toml:1: ca.profiles.custom: profile 'custom': needs at least one EKU"},
      {"[ca.profiles.server]\nekus = [\"codeSigning\"]\n",
       "c.toml:2: ca.profiles.server.ekus: unknown extended key usage 'codeSigning'"},
      {"[ca.profiles.server]\nsan_types = [\"dns\", \"rid\"]\n",
       "c.toml:2: ca.profiles.server.san_types: unknown SAN type 'rid'"},
      {"[ca.profiles.server]\nallow_dns = [\"a.*.b\"]\n",
       "c.toml:2: ca.profiles.server.allow_dns: DNS pattern 'a.*.b'"},
      {"[ca.profiles.server]\nallow_uri = [\"not a uri\"]\n",
       "c.toml:2: ca.profiles.server.allow_uri: URI pattern"},
      {"[ca.profiles.server]\nallow_wildcards = \"yes\"\n",
       "c.toml:2: ca.profiles.server.allow_wildcards: expected true or false"},
      {"[ca.profiles.Bad]\nekus = [\"serverAuth\"]\n", "ca.profiles.Bad: profile names are"},
      {"[ca.profiles]\nserver = 1\n", "c.toml:2: ca.profiles.server: expected a table"},
  };
  for (const auto& c : cases) {
    auto cfg = ParseConfig(c.toml, "c.toml");
    ASSERT_FALSE(cfg.ok()) << c.toml;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cfg.status().message().find(c.expected), std::string::npos)
        << "got: " << cfg.status().message() << "\nwant: " << c.expected;
  }
}

// RFC 6960 §4.2.2.2 delegated OCSP responders: off by default, a bool and a duration.
TEST(ConfigTest, CaDelegatedOcspResponder) {
  auto defaults = ParseConfig("[ca]\n", "c.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->ca.ocsp_delegated);
  EXPECT_EQ(defaults->ca.ocsp_responder_lifetime, std::chrono::hours(24 * 7));

  auto cfg =
      ParseConfig("[ca]\nocsp_delegated = true\nocsp_responder_lifetime = \"2d\"\n", "c.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->ca.ocsp_delegated);
  EXPECT_EQ(cfg->ca.ocsp_responder_lifetime, std::chrono::hours(48));

  const BadCase cases[] = {
      {"[ca]\nocsp_delegated = \"yes\"\n", "c.toml:2: ca.ocsp_delegated: expected true or false"},
      {"[ca]\nocsp_responder_lifetime = 7\n", "c.toml:2: ca.ocsp_responder_lifetime:"},
      {"[ca]\nocsp_responder_lifetime = \"30m\"\n",
       "c.toml:1: ca: ca.ocsp_responder_lifetime must be between 1h and"},
      {"[ca]\nocsp_delegated = true\nintermediate_lifetime = \"3d\"\n",
       "c.toml:1: ca: ca.ocsp_responder_lifetime must be between 1h and "
       "ca.intermediate_lifetime (3d)"},
      {"[ca]\nocsp_delegate = true\n", "did you mean 'ocsp_delegated'?"},
  };
  for (const auto& c : cases) {
    auto bad = ParseConfig(c.toml, "c.toml");
    ASSERT_FALSE(bad.ok()) << c.toml;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find(c.expected), std::string::npos)
        << "got: " << bad.status().message() << "\nwant: " << c.expected;
  }
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto cfg = LoadConfigFile("/nonexistent/certkeeper.toml");
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ck::config
