// [acme], [acme.accounts.*] and [[certificate]] parsing, and the shipped examples.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.hpp"
#include "common/file_util.hpp"
#include "daemon/config/config.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::config {
namespace {

// An account and the default CA profiles, so certificates have something to refer to.
constexpr const char* kBase = R"(
[acme.accounts.le]
server = "https://acme.example/directory"
)";

Result<Config> Parse(const std::string& certs) {
  return ParseConfig(std::string(kBase) + certs, "c.toml");
}

TEST(ConfigCertificatesTest, NoAcmeOrCertificatesByDefault) {
  auto cfg = ParseConfig("", "empty.toml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->acme.accounts.empty());
  EXPECT_TRUE(cfg->acme.ca_bundle.empty());
  EXPECT_EQ(cfg->acme.http_listen, "0.0.0.0:80");
  EXPECT_EQ(cfg->acme.tls_listen, "0.0.0.0:443");
  EXPECT_TRUE(cfg->certificates.empty());
}

TEST(ConfigCertificatesTest, ParsesFullConfig) {
  auto cfg = ParseConfig(R"(listen = "127.0.0.1:8443"

[acme]
ca_bundle = "/etc/certkeeper/pebble.minica.pem"
http_listen = "0.0.0.0:5002"
tls_listen = "[::]:5001"
dns_resolvers = ["127.0.0.1:8053", "192.0.2.53"]

[acme.accounts.le]
server = "https://acme-v02.api.letsencrypt.org/directory"
email = "mailto:ops@example.com"

[acme.accounts.pebble]
server = "http://127.0.0.1:14000/dir"
ca_bundle = "/tmp/pebble.pem"
eab_kid = "kid-1"
eab_hmac_file = "/etc/certkeeper/eab.hmac"
key = "RSA-2048"

[ca.profiles.server]
lifetime = "24h"
max_lifetime = "7d"

[ca.profiles.workload]
ekus = ["clientAuth"]
san_types = ["uri"]
lifetime = "1h"

[[certificate]]
name = "web"
domains = ["Example.COM", "www.example.com", "192.0.2.7"]
issuer = "acme:le"
fallback_issuer = "ca:server"
failover_after = 5
solver = "http-01"
webroot = "/var/www"
profile = "tlsserver"
preferred_chain = "ISRG Root X1"
key = "p384"
key_policy = "reuse"
lifetime = "2d"
renew_before = "30d"
jitter = "5%"
  [[certificate.freeze]]
  start = "2026-11-27T00:00:00Z"
  end = "2026-12-01T00:00:00Z"
  name = "black-friday"
  [[certificate.freeze]]
  start = 2026-12-24T00:00:00+01:00
  end = 2026-12-27
  [[certificate.deploy]]
  type = "files"
  dir = "/etc/certkeeper"
  mode = 416
  [[certificate.deploy]]
  type = "nginx"
  conf = "/etc/nginx/nginx.conf"
  verify_addr = "127.0.0.1:443"
  [[certificate.deploy]]
  type = "exec"
  command = ["/bin/reload", "--now"]
  quiet = true
  [certificate.deploy.env]
  FOO = "bar"
  [certificate.pins]
  overlap = "45d"

[[certificate]]
name = "star"
domains = ["*.example.com"]
issuer = "acme:pebble"
solver = "dns-01"
dns_rfc2136 = "127.0.0.1:5353"
tsig_key = "/etc/certkeeper/tsig.key"
dns_zone = "Example.com."

[[certificate]]
name = "exec-dns"
domains = ["a.example.com"]
issuer = "acme:le"
solver = "dns-01"
dns_exec = "/usr/local/bin/hook"

[[certificate]]
name = "svc"
uris = ["spiffe://example.org/ns/a/sa/b"]
issuer = "ca:workload"
lifetime = "2h"
jitter = 0
  [certificate.pins]
)",
                         "full.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const AcmeConfig& acme = cfg->acme;
  EXPECT_EQ(acme.ca_bundle, "/etc/certkeeper/pebble.minica.pem");
  EXPECT_EQ(acme.http_listen, "0.0.0.0:5002");
  EXPECT_EQ(acme.tls_listen, "[::]:5001");
  EXPECT_EQ(acme.dns_resolvers, (std::vector<std::string>{"127.0.0.1:8053", "192.0.2.53"}));
  ASSERT_EQ(acme.accounts.size(), 2u);
  const AcmeAccountConfig& le = acme.accounts.at("le");
  EXPECT_EQ(le.name, "le");
  EXPECT_EQ(le.server, "https://acme-v02.api.letsencrypt.org/directory");
  EXPECT_EQ(le.email, "ops@example.com");
  EXPECT_EQ(le.key, "ecdsa-p256");
  EXPECT_TRUE(le.eab_kid.empty());
  EXPECT_EQ(le.line, 9);
  const AcmeAccountConfig& pebble = acme.accounts.at("pebble");
  EXPECT_EQ(pebble.server, "http://127.0.0.1:14000/dir");
  EXPECT_EQ(pebble.ca_bundle, "/tmp/pebble.pem");
  EXPECT_EQ(pebble.eab_kid, "kid-1");
  EXPECT_EQ(pebble.eab_hmac_file, "/etc/certkeeper/eab.hmac");
  EXPECT_EQ(pebble.key, "rsa2048");
  EXPECT_TRUE(pebble.email.empty());

  ASSERT_EQ(cfg->certificates.size(), 4u);
  const CertificateConfig& web = cfg->certificates[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.line, 29);
  EXPECT_EQ(web.domains, (std::vector<std::string>{"example.com", "www.example.com", "192.0.2.7"}));
  EXPECT_TRUE(web.uris.empty());
  EXPECT_EQ(web.issuer, "acme:le");
  EXPECT_EQ(web.fallback_issuer, "ca:server");
  EXPECT_EQ(web.failover_after, 5);
  EXPECT_EQ(web.solver, "http-01");
  EXPECT_EQ(web.webroot, "/var/www");
  EXPECT_EQ(web.profile, "tlsserver");
  EXPECT_EQ(web.preferred_chain, "ISRG Root X1");
  EXPECT_EQ(web.key, "ecdsa-p384");
  EXPECT_TRUE(web.reuse_key);
  EXPECT_EQ(web.lifetime, std::chrono::seconds(2 * 86400));
  EXPECT_EQ(web.renewal.renew_before, std::chrono::hours(24 * 30));
  EXPECT_DOUBLE_EQ(web.renewal.jitter_fraction, 0.05);
  ASSERT_EQ(web.renewal.freezes.size(), 2u);
  EXPECT_EQ(web.renewal.freezes[0].name, "black-friday");
  EXPECT_EQ(web.renewal.freezes[0].start, *ParseRfc3339("2026-11-27T00:00:00Z"));
  EXPECT_EQ(web.renewal.freezes[0].end, *ParseRfc3339("2026-12-01T00:00:00Z"));
  EXPECT_EQ(web.renewal.freezes[1].start, *ParseRfc3339("2026-12-23T23:00:00Z"));
  EXPECT_EQ(web.renewal.freezes[1].end, *ParseRfc3339("2026-12-27T00:00:00Z"));
  ASSERT_EQ(web.deploy.size(), 3u);
  EXPECT_EQ(web.deploy[0],
            nlohmann::json::parse(R"({"type":"files","dir":"/etc/certkeeper","mode":416})"));
  EXPECT_EQ(web.deploy[1]["verify_addr"], "127.0.0.1:443");
  EXPECT_EQ(web.deploy[2], nlohmann::json::parse(R"({"type":"exec","quiet":true,
      "command":["/bin/reload","--now"],"env":{"FOO":"bar"}})"));
  EXPECT_EQ(web.deploy_lines, (std::vector<int>{51, 55, 59}));
  ASSERT_TRUE(web.pins.has_value());
  EXPECT_EQ(web.pins->overlap, std::chrono::hours(24 * 45));

  const CertificateConfig& star = cfg->certificates[1];
  EXPECT_EQ(star.domains, std::vector<std::string>{"*.example.com"});
  EXPECT_EQ(star.solver, "dns-01");
  EXPECT_EQ(star.dns_rfc2136, "127.0.0.1:5353");
  EXPECT_EQ(star.tsig_key, "/etc/certkeeper/tsig.key");
  EXPECT_EQ(star.dns_zone, "example.com");
  EXPECT_FALSE(star.reuse_key);
  EXPECT_EQ(star.key, "ecdsa-p256");
  EXPECT_FALSE(star.lifetime.has_value());
  EXPECT_FALSE(star.pins.has_value());
  EXPECT_TRUE(star.deploy.empty());
  EXPECT_FALSE(star.renewal.renew_before.has_value());
  EXPECT_DOUBLE_EQ(star.renewal.jitter_fraction, 0.02);
  EXPECT_EQ(star.failover_after, 3);

  EXPECT_EQ(cfg->certificates[2].dns_exec, "/usr/local/bin/hook");

  const CertificateConfig& svc = cfg->certificates[3];
  EXPECT_TRUE(svc.domains.empty());
  EXPECT_EQ(svc.uris, std::vector<std::string>{"spiffe://example.org/ns/a/sa/b"});
  EXPECT_EQ(svc.lifetime, std::chrono::hours(2));
  EXPECT_DOUBLE_EQ(svc.renewal.jitter_fraction, 0.0);
  ASSERT_TRUE(svc.pins.has_value());
  EXPECT_EQ(svc.pins->overlap, std::chrono::hours(24 * 30));

  EXPECT_EQ(cfg->FindCertificate("svc"), &cfg->certificates[3]);
  EXPECT_EQ(cfg->FindCertificate("nope"), nullptr);
}

// Certificates may come before the accounts and profiles they name.
TEST(ConfigCertificatesTest, ReferencesDoNotDependOnOrder) {
  auto cfg = ParseConfig(R"(
[[certificate]]
name = "web"
domains = ["example.com"]
issuer = "acme:le"

[acme.accounts.le]
server = "https://acme.example/directory"
)",
                         "c.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->certificates.at(0).issuer, "acme:le");
}

struct BadCase {
  const char* toml;
  const char* expected;  // substring of the error: file:line: key: reason
};

void ExpectErrors(const BadCase* begin, const BadCase* end, bool with_base) {
  for (const BadCase* c = begin; c != end; ++c) {
    auto cfg = with_base ? Parse(c->toml) : ParseConfig(c->toml, "c.toml");
    ASSERT_FALSE(cfg.ok()) << c->toml;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument) << c->toml;
    EXPECT_NE(cfg.status().message().find(c->expected), std::string::npos)
        << "got: " << cfg.status().message() << "\nwant: " << c->expected;
  }
}

TEST(ConfigCertificatesTest, AcmeErrorsNameLineAndKey) {
  const BadCase cases[] = {
      {"acme = 1\n", "c.toml:1: acme: expected a table"},
      {"[acme]\nca_bundel = \"/x\"\n",
       "c.toml:2: acme.ca_bundel: unknown key (did you mean "
       "'ca_bundle'?"},
      {"[acme]\nca_bundle = \"pebble.pem\"\n", "c.toml:2: acme.ca_bundle: must be an absolute"},
      {"[acme]\nhttp_listen = \"80\"\n", "c.toml:2: acme.http_listen: invalid listen address"},
      {"[acme]\ntls_listen = 443\n", "c.toml:2: acme.tls_listen: expected a string"},
      {"[acme]\ndns_resolvers = [\"ns1.example.com\"]\n",
       "c.toml:2: acme.dns_resolvers: 'ns1.example.com' is not an IPv4 address"},
      {"[acme]\ndns_resolvers = [\"127.0.0.1:0\"]\n", "c.toml:2: acme.dns_resolvers:"},
      {"[acme]\naccounts = 1\n", "c.toml:2: acme.accounts: expected tables"},
      {"[acme.accounts.LE]\nserver = \"https://a/d\"\n",
       "c.toml:1: acme.accounts.LE: account names are"},
      {"[acme.accounts.le]\nemail = \"a@b.example\"\n",
       "c.toml:1: acme.accounts.le.server: required"},
      {"[acme.accounts.le]\nserver = \"http://acme.example/dir\"\n",
       "c.toml:2: acme.accounts.le.server: 'http://acme.example/dir': ACME needs https://"},
      {"[acme.accounts.le]\nserver = \"ftp://acme.example/dir\"\n",
       "c.toml:2: acme.accounts.le.server: 'ftp://acme.example/dir' is not an https:// URL"},
      {"[acme.accounts.le]\nserver = \"https:///dir\"\n",
       "c.toml:2: acme.accounts.le.server: 'https:///dir' has no host"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\nemail = \"not-an-email\"\n",
       "c.toml:3: acme.accounts.le.email:"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\nkey = \"dsa\"\n",
       "c.toml:3: acme.accounts.le.key: unknown key type 'dsa'"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\neab_kid = \"k\"\n",
       "c.toml:3: acme.accounts.le.eab_kid: needs eab_hmac_file"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\neab_hmac_file = \"/k\"\n",
       "c.toml:3: acme.accounts.le.eab_hmac_file: needs eab_kid"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\neab_kid = \"k\"\neab_hmac_file = \"k\"\n",
       "c.toml:4: acme.accounts.le.eab_hmac_file: must be an absolute path"},
      {"[acme.accounts.le]\nserver = \"https://a/d\"\nemial = \"a@b.c\"\n",
       "c.toml:3: acme.accounts.le.emial: unknown key (did you mean 'email'?"},
  };
  ExpectErrors(std::begin(cases), std::end(cases), /*with_base=*/false);
}

TEST(ConfigCertificatesTest, LoopbackAcmeServersMayUseHttp) {
  for (const char* url : {"http://127.0.0.1:14000/dir", "http://localhost/dir", "http://[::1]:1/d",
                          "https://[2001:db8::1]/dir"}) {
    auto cfg = ParseConfig("[acme.accounts.t]\nserver = \"" + std::string(url) + "\"\n", "c.toml");
    EXPECT_TRUE(cfg.ok()) << url << ": " << cfg.status().ToString();
  }
}

TEST(ConfigCertificatesTest, CertificateErrorsNameLineAndKey) {
  // kBase is 3 lines (a blank one, the table header, server), so certificates start at line 4.
  const BadCase cases[] = {
      {"[certificate]\nname = \"web\"\n", "c.toml:4: certificate: expected [[certificate]] tables"},
      {"[[certificate]]\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n",
       "c.toml:4: certificate.name: required"},
      {"[[certificate]]\nname = \"Web\"\n", "c.toml:5: certificate.name: 'Web': names are"},
      {"[[certificate]]\nname = \"-web\"\n", "c.toml:5: certificate.name: '-web': names are"},
      {"[[certificate]]\nname = \"a/b\"\n", "c.toml:5: certificate.name: 'a/b': names are"},
      {"[[certificate]]\nname = 7\n", "c.toml:5: certificate.name: expected a string"},
      {"[[certificate]]\nname = \"web\"\ndomain = [\"a.example\"]\n",
       "c.toml:6: certificate.domain: unknown key (did you mean 'domains'?"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate]]\nname = \"web\"\ndomains = [\"b.example\"]\nissuer = \"acme:le\"\n",
       "c.toml:9: certificate.name: 'web' is already used by the certificate on line 4"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\n",
       "c.toml:4: certificate[web].issuer: required"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"le\"\n",
       "c.toml:7: certificate[web].issuer: 'le' is not an issuer (expected \"acme:ACCOUNT\""},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:zerossl\"\n",
       "c.toml:7: certificate[web].issuer: no ACME account 'zerossl' (accounts: le)"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:workload\"\n",
       "c.toml:7: certificate[web].issuer: no internal CA profile 'workload' (profiles: server, "
       "client, peer)"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "fallback_issuer = \"acme:le\"\n",
       "c.toml:8: certificate[web].fallback_issuer: is the same as issuer"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "fallback_issuer = \"ca:nope\"\n",
       "c.toml:8: certificate[web].fallback_issuer: no internal CA profile 'nope'"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "failover_after = 2\n",
       "c.toml:8: certificate[web].failover_after: has no effect without fallback_issuer"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "fallback_issuer = \"ca:server\"\nfailover_after = 0\n",
       "c.toml:9: certificate[web].failover_after: must be 1..1000"},
      {"[[certificate]]\nname = \"web\"\nissuer = \"acme:le\"\n",
       "c.toml:4: certificate[web].domains: required"},
      {"[[certificate]]\nname = \"web\"\ndomains = []\nissuer = \"acme:le\"\n",
       "c.toml:6: certificate[web].domains: must not be empty"},
      {"[[certificate]]\nname = \"web\"\nuris = []\nissuer = \"ca:client\"\n",
       "c.toml:6: certificate[web].uris: must not be empty"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a..example\"]\nissuer = \"acme:le\"\n",
       "c.toml:6: certificate[web].domains:"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\", \"A.example\"]\n"
       "issuer = \"acme:le\"\n",
       "c.toml:6: certificate[web].domains: 'a.example' is listed twice"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\n"
       "uris = [\"spiffe://example.org/x\"]\nissuer = \"acme:le\"\n",
       "c.toml:7: certificate[web].uris: URI SANs can only come from a ca: issuer"},
      {"[[certificate]]\nname = \"web\"\nuris = [\"not a uri\"]\nissuer = \"ca:client\"\n",
       "c.toml:6: certificate[web].uris:"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:server\"\n"
       "solver = \"dns-01\"\n",
       "c.toml:8: certificate[web].solver: only applies to acme: issuers"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:server\"\n"
       "profile = \"shortlived\"\n",
       "c.toml:8: certificate[web].profile: only applies to acme: issuers"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"http01\"\n",
       "c.toml:8: certificate[web].solver: unknown solver 'http01'"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"*.a.example\"]\nissuer = \"acme:le\"\n",
       "c.toml:6: certificate[web].domains: wildcard '*.a.example' needs solver = \"dns-01\""},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\", \"192.0.2.1\"]\n"
       "issuer = \"acme:le\"\nsolver = \"dns-01\"\ndns_exec = \"/bin/hook\"\n",
       "c.toml:6: certificate[web].domains: IP address '192.0.2.1' cannot be validated by "
       "dns-01"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\n",
       "c.toml:4: certificate[web].solver: dns-01 needs dns_exec"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\ndns_exec = \"/bin/hook\"\ndns_rfc2136 = \"127.0.0.1:53\"\n"
       "tsig_key = \"/k\"\n",
       "certificate[web].solver: dns-01 takes dns_exec or dns_rfc2136, not both"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\ndns_rfc2136 = \"127.0.0.1:53\"\n",
       "c.toml:9: certificate[web].dns_rfc2136: needs tsig_key"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\ndns_rfc2136 = \"ns1.example:53\"\ntsig_key = \"/k\"\n",
       "c.toml:9: certificate[web].dns_rfc2136: 'ns1.example:53' is not an IPv4 address"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\ndns_exec = \"/bin/hook\"\ntsig_key = \"/k\"\n",
       "c.toml:10: certificate[web].tsig_key: only applies with dns_rfc2136"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"dns-01\"\ndns_exec = \"hook.sh\"\n",
       "c.toml:9: certificate[web].dns_exec: must be an absolute path"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "dns_exec = \"/bin/hook\"\n",
       "c.toml:8: certificate[web].dns_exec: only applies to solver = \"dns-01\" (solver is "
       "\"http-01\")"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "solver = \"tls-alpn-01\"\nwebroot = \"/var/www\"\n",
       "c.toml:9: certificate[web].webroot: only applies to solver = \"http-01\""},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "key = \"rsa1024\"\n",
       "c.toml:8: certificate[web].key: unknown key type 'rsa1024'"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "key_policy = \"keep\"\n",
       "c.toml:8: certificate[web].key_policy: expected \"new\""},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "lifetime = \"1d\"\n",
       "c.toml:8: certificate[web].lifetime: only applies to ca: issuers"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:server\"\n"
       "lifetime = \"2d\"\n",
       "c.toml:8: certificate[web].lifetime: 2d exceeds the max_lifetime 1d of CA profile "
       "'server'"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:server\"\n"
       "lifetime = \"1s\"\n",
       "c.toml:8: certificate[web].lifetime: is below the internal CA's minimum"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"ca:server\"\n"
       "lifetime = \"24\"\n",
       "c.toml:8: certificate[web].lifetime:"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"*.a.example\"]\nissuer = \"ca:server\"\n",
       "c.toml:6: certificate[web].domains: CA profile 'server':"},
      {"[[certificate]]\nname = \"web\"\nuris = [\"spiffe://example.org/x\"]\n"
       "issuer = \"ca:server\"\n",
       "c.toml:6: certificate[web].uris: CA profile 'server':"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "renew_before = \"0s\"\n",
       "c.toml:8: certificate[web].renew_before: must be longer than 0s"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "renew_before = 30\n",
       "c.toml:8: certificate[web].renew_before: expected a string, got an integer"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "jitter = 0.5\n",
       "c.toml:8: certificate[web].jitter: must be between 0 and 0.1"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "jitter = \"2\"\n",
       "c.toml:8: certificate[web].jitter: expected a fraction"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.freeze]]\nstart = \"2026-11-27T00:00:00Z\"\n",
       "c.toml:8: certificate[web].freeze: needs end"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.freeze]]\nstart = \"2026-11-27T00:00:00Z\"\nend = \"2026-11-26\"\n",
       "c.toml:10: certificate[web].freeze.end: must be after start (2026-11-27T00:00:00Z)"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.freeze]]\nstart = \"tomorrow\"\nend = \"2026-11-26\"\n",
       "c.toml:9: certificate[web].freeze.start:"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.freeze]]\nstart = 2026-11-27T00:00:00\nend = \"2026-11-28\"\n",
       "c.toml:9: certificate[web].freeze.start: a date-time needs a UTC offset"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.freeze]]\nstart = \"2026-11-27\"\nend = \"2026-11-28\"\nwhy = \"x\"\n",
       "c.toml:11: certificate[web].freeze.why: unknown key"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "freeze = \"2026-11-27\"\n",
       "c.toml:8: certificate[web].freeze: expected [[certificate.freeze]] tables"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.deploy]]\ndir = \"/etc/x\"\n",
       "c.toml:8: certificate[web].deploy.type: required (one of files, exec, nginx, haproxy, "
       "webhook, pull)"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.deploy]]\ntype = \"ngnix\"\n",
       "c.toml:9: certificate[web].deploy.type: unknown deploy type 'ngnix' (did you mean "
       "'nginx'?"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.deploy]]\ntype = 1\n",
       "c.toml:9: certificate[web].deploy.type: expected a string, got an integer"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.deploy]]\ntype = \"webhook\"\ntimeout = 1.5\n",
       "c.toml:10: certificate[web].deploy.timeout: floats are not supported"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[[certificate.deploy]]\ntype = \"exec\"\nargs = [\"a\", 2026-01-01]\n",
       "c.toml:10: certificate[web].deploy.args[1]: dates and times are not supported"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "deploy = {type = \"files\"}\n",
       "c.toml:8: certificate[web].deploy: expected [[certificate.deploy]] tables"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[certificate.pins]\noverlap = \"soon\"\n",
       "c.toml:9: certificate[web].pins.overlap:"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "[certificate.pins]\noverlpa = \"30d\"\n",
       "c.toml:9: certificate[web].pins.overlpa: unknown key (did you mean 'overlap'?"},
      {"[[certificate]]\nname = \"web\"\ndomains = [\"a.example\"]\nissuer = \"acme:le\"\n"
       "pins = true\n",
       "c.toml:8: certificate[web].pins: expected a table"},
  };
  ExpectErrors(std::begin(cases), std::end(cases), /*with_base=*/true);
  const BadCase top_level[] = {
      {"certificate = [1]\n", "c.toml:1: certificate: expected [[certificate]] tables, got an"},
      {"certificate = \"web\"\n", "c.toml:1: certificate: expected [[certificate]] tables"},
  };
  ExpectErrors(std::begin(top_level), std::end(top_level), /*with_base=*/false);
}

TEST(ConfigCertificatesTest, WildcardsAndIpsPerIssuer) {
  // A CA profile that allows wildcards takes them without dns-01 (there is no challenge).
  auto ca = ParseConfig(R"(
[ca.profiles.server]
allow_wildcards = true
[[certificate]]
name = "star"
domains = ["*.svc.internal", "10.0.0.1"]
issuer = "ca:server"
)",
                        "c.toml");
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  // IP identifiers with http-01 and tls-alpn-01 (RFC 8738).
  for (const char* solver : {"http-01", "tls-alpn-01"}) {
    auto cfg = Parse(std::string("[[certificate]]\nname = \"ip\"\ndomains = [\"192.0.2.1\", "
                                 "\"2001:db8::1\"]\nissuer = \"acme:le\"\nsolver = \"") +
                     solver + "\"\n");
    EXPECT_TRUE(cfg.ok()) << solver << ": " << cfg.status().ToString();
  }
}

TEST(ConfigCertificatesTest, CheckReferencedFiles) {
  ck::testing::TempDir dir;
  const std::string hmac = dir.path() + "/eab.hmac";
  const std::string hook = dir.path() + "/hook";
  ASSERT_TRUE(WriteFileAtomic(hmac, "c2VjcmV0", 0644).ok());
  ASSERT_TRUE(WriteFileAtomic(hook, "#!/bin/sh\n", 0755).ok());
  const std::string text =
      "[acme.accounts.z]\nserver = \"https://a/d\"\neab_kid = \"k\"\n"
      "eab_hmac_file = \"" +
      hmac +
      "\"\n"
      "[[certificate]]\nname = \"w\"\ndomains = [\"a.example\"]\n"
      "issuer = \"acme:z\"\nsolver = \"dns-01\"\ndns_exec = \"" +
      hook + "\"\n";
  auto cfg = ParseConfig(text, "c.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  Status st = CheckReferencedFiles(*cfg);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("c.toml:1: acme.accounts.z.eab_hmac_file: refusing to use"),
            std::string::npos)
      << st.message();
  ASSERT_EQ(::chmod(hmac.c_str(), 0600), 0);
  EXPECT_TRUE(CheckReferencedFiles(*cfg).ok()) << CheckReferencedFiles(*cfg).message();
  ASSERT_EQ(::chmod(hook.c_str(), 0644), 0);
  st = CheckReferencedFiles(*cfg);
  EXPECT_NE(st.message().find("c.toml:5: certificate[w].dns_exec:"), std::string::npos)
      << st.message();

  cfg->acme.ca_bundle = dir.path() + "/missing.pem";
  st = CheckReferencedFiles(*cfg);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("acme.ca_bundle:"), std::string::npos) << st.message();
}

std::filesystem::path ExamplesDir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "examples";
}

TEST(ConfigCertificatesTest, ExampleTextParses) {
  auto cfg = ParseConfig(ExampleConfigText(), "example.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->certificates.empty());
  EXPECT_FALSE(cfg->acme.accounts.empty());
}

TEST(ConfigCertificatesTest, EveryShippedExampleParses) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ExamplesDir())) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    auto cfg = LoadConfigFile(entry.path().string());
    EXPECT_TRUE(cfg.ok()) << entry.path() << ": " << cfg.status().ToString();
  }
  EXPECT_GE(files, 1);
}

TEST(ConfigCertificatesTest, ExampleFileIsWhatConfigExamplePrints) {
  std::ifstream in(ExamplesDir() / "certkeeper.toml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), ExampleConfigText())
      << "examples/certkeeper.toml and daemon/config/example_config.cpp differ";
}

}  // namespace
}  // namespace ck::config
