// `certkeeper ls|status|renew|pins|events` end to end: the real binary against a real
// AdminServer over HTTPS (in this process, fake lifecycle backend, test CA). Covers the
// output, --json, exit codes, problem details on stderr, and where the connection settings
// come from (flags, environment, the daemon's state dir).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/web/fake_lifecycle_backend.hpp"
#include "tests/web/tls_test_server.hpp"

namespace ck::web {
namespace {

using nlohmann::json;
using testing::RunCommand;

class LifecycleCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const TimePoint now = SystemClock().Now();
    ManagedCertificateView web;
    web.name = "web";
    web.domains = {"example.com", "www.example.com", "api.example.com"};
    web.issuer = "acme:le";
    web.status = "valid";
    web.serial_hex = "0a1b";
    web.not_after = now + std::chrono::hours(24 * 60 + 1);
    web.next_renewal_at = now + std::chrono::hours(24 * 30);
    ManagedCertificateView soon;
    soon.name = "short";
    soon.domains = {"short.internal"};
    soon.issuer = "ca:server";
    soon.status = "renewal_due";
    soon.serial_hex = "0c";
    soon.not_after = now + std::chrono::hours(36) + std::chrono::minutes(5);
    ManagedCertificateView missing;
    missing.name = "new";
    missing.domains = {"new.example.com"};
    missing.issuer = "acme:le";
    missing.status = "missing";
    backend_.managed = {web, soon, missing};
    backend_.status.version = "9.9.9";
    backend_.status.started_at = now - std::chrono::hours(2);
    backend_.status.now = now;
    backend_.status.managed = 3;
    backend_.status.next_renewal_at = now + std::chrono::hours(1);
    backend_.status.next_renewal_name = "short";
    PinSetView pins;
    pins.name = "web";
    pins.hosts = {"example.com"};
    pins.pins = {{"AAAA", "active", now - std::chrono::hours(24 * 40), now, std::nullopt},
                 {"BBBB", "backup", now, std::nullopt, std::nullopt}};
    pins.pin_sha256_header = R"(pin-sha256="AAAA"; pin-sha256="BBBB")";
    pins.okhttp = ".add(\"example.com\", \"sha256/AAAA\")\n.add(\"example.com\", \"sha256/BBBB\")";
    pins.android =
        "<pin-set expiration=\"2027-01-01\"><pin digest=\"SHA-256\">AAAA</pin></pin-set>";
    backend_.pins["web"] = pins;
    backend_.events = {{1, now - std::chrono::hours(3), "web", "issued", "issued 0a1b", ""},
                       {2, now - std::chrono::hours(2), "short", "renew_failed", "CA down", ""},
                       {3, now - std::chrono::hours(1), "web", "deployed", "files ok", ""}};
    server_ = std::make_unique<TlsTestServer>(backend_);
    ASSERT_TRUE(server_->ok()) << server_->error();
    config_ = dir_.WriteFile("empty.toml", "");
  }

  // certkeeper ARGS --server URL --token TOKEN --cacert ROOT (flags after the subcommand).
  std::pair<int, std::string> Run(std::vector<std::string> args,
                                  const std::string& token = "admin-token",
                                  std::vector<std::string> env = {"NO_COLOR=1"}) {
    args.insert(args.begin(), testing::CertkeeperBinary());
    args.insert(args.end(), {"--config", config_, "--state-dir", dir_.Path("nostate")});
    args.insert(args.end(), {"--server", server_->url(), "--cacert", server_->root_pem_path()});
    if (!token.empty()) args.insert(args.end(), {"--token", token});
    return RunCommand(args, env);
  }

  FakeLifecycleBackend backend_;
  std::unique_ptr<TlsTestServer> server_;
  testing::TempDir dir_;
  std::string config_;
};

TEST_F(LifecycleCliTest, LsTableIsSortedByTimeLeft) {
  auto [rc, out] = Run({"ls"});
  ASSERT_EQ(rc, 0) << out;
  auto header = out.find("NAME");
  ASSERT_NE(header, std::string::npos) << out;
  for (const char* column :
       {"DOMAINS", "ISSUER", "STATUS", "DAYS LEFT", "NOT AFTER", "NEXT RENEWAL"}) {
    EXPECT_NE(out.find(column), std::string::npos) << column << "\n" << out;
  }
  auto new_row = out.find("new ");
  auto short_row = out.find("short ");
  auto web_row = out.find("web ");
  ASSERT_NE(new_row, std::string::npos) << out;
  ASSERT_NE(short_row, std::string::npos) << out;
  ASSERT_NE(web_row, std::string::npos) << out;
  EXPECT_LT(new_row, short_row) << out;
  EXPECT_LT(short_row, web_row) << out;
  EXPECT_NE(out.find("example.com +2"), std::string::npos) << out;
  EXPECT_NE(out.find(" 1.5 "), std::string::npos) << "one decimal under 2 days\n" << out;
  EXPECT_NE(out.find(" 60 "), std::string::npos) << out;
  EXPECT_NE(out.find("renewal_due"), std::string::npos) << out;
  EXPECT_EQ(out.find("\033["), std::string::npos) << "no colour when not a tty";
}

TEST_F(LifecycleCliTest, LsColoursOnlyOnATtyWithoutNoColor) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "needs script(1) for a pty";
  std::string cmd = testing::CertkeeperBinary() + " ls --config " + config_ + " --server " +
                    server_->url() + " --cacert " + server_->root_pem_path() +
                    " --token admin-token";
  auto [rc, out] = RunCommand({"/usr/bin/script", "-qec", cmd, "/dev/null"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\033[31mnew"), std::string::npos) << "missing: red\n" << out;
  EXPECT_NE(out.find("\033[31mshort"), std::string::npos) << "<7 days: red\n" << out;
  EXPECT_NE(out.find("\033[32mweb"), std::string::npos) << "60 days: green\n" << out;
  auto [rc_nc, out_nc] = RunCommand({"/usr/bin/script", "-qec", cmd, "/dev/null"}, {"NO_COLOR=1"});
  ASSERT_EQ(rc_nc, 0) << out_nc;
  EXPECT_EQ(out_nc.find("\033["), std::string::npos) << out_nc;
}

TEST_F(LifecycleCliTest, LsJson) {
  auto [rc, out] = Run({"ls", "--json"});
  ASSERT_EQ(rc, 0) << out;
  auto j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j["certificates"].size(), 3u);
  EXPECT_EQ(j["certificates"][0]["name"], "new");
  EXPECT_EQ(j["certificates"][2]["domains"].size(), 3u);
}

TEST_F(LifecycleCliTest, StatusExitsOneWhenSomethingFails) {
  auto [rc, out] = Run({"status"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("certkeeper 9.9.9"), std::string::npos) << out;
  EXPECT_NE(out.find("up 2h 0m"), std::string::npos) << out;
  EXPECT_NE(out.find("3 managed, 0 failing, 0 expired"), std::string::npos) << out;
  EXPECT_NE(out.find("next renewal: short"), std::string::npos) << out;
  EXPECT_NE(out.find("(in 1h 0m)"), std::string::npos) << out;

  backend_.status.failing = 1;
  auto [rc_fail, out_fail] = Run({"status"});
  EXPECT_EQ(rc_fail, 1) << out_fail;
  EXPECT_NE(out_fail.find("1 failing"), std::string::npos) << out_fail;
  auto [rc_json, out_json] = Run({"status", "--json"});
  EXPECT_EQ(rc_json, 1) << out_json;
  EXPECT_EQ(json::parse(out_json, nullptr, false)["failing"], 1) << out_json;
}

TEST_F(LifecycleCliTest, RenewAndItsExitCodes) {
  auto [rc, out] = Run({"renew", "short"}, "operator-token");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("renewal of 'short' queued"), std::string::npos) << out;
  auto [rc_nf, out_nf] = Run({"renew", "web"}, "operator-token");
  EXPECT_EQ(rc_nf, 4) << out_nf;  // FailedPrecondition: not due
  EXPECT_NE(out_nf.find("certkeeper: error: 'web' is not due for renewal; use --force"),
            std::string::npos)
      << out_nf;
  auto [rc_f, out_f] = Run({"renew", "web", "--force", "--json"}, "operator-token");
  EXPECT_EQ(rc_f, 0) << out_f;
  EXPECT_EQ(json::parse(out_f, nullptr, false)["name"], "web") << out_f;
  ASSERT_EQ(backend_.renew_calls.size(), 2u);
  EXPECT_EQ(backend_.renew_calls[1], std::make_pair(std::string("web"), true));

  auto [rc_404, out_404] = Run({"renew", "nope"}, "operator-token");
  EXPECT_EQ(rc_404, 2) << out_404;
  EXPECT_NE(out_404.find("no managed certificate named 'nope'"), std::string::npos) << out_404;
  auto [rc_403, out_403] = Run({"renew", "short"}, "viewer-token");
  EXPECT_EQ(rc_403, 5) << out_403;
  EXPECT_NE(out_403.find("viewer:looker (token) lacks the operator or admin role"),
            std::string::npos)
      << out_403;
  auto [rc_401, out_401] = Run({"renew", "short"}, "wrong-token");
  EXPECT_EQ(rc_401, 5) << out_401;
  auto [rc_usage, out_usage] = Run({"renew"});
  EXPECT_EQ(rc_usage, 2) << out_usage;
}

TEST_F(LifecycleCliTest, PinsInEveryFormat) {
  auto [rc, out] = Run({"pins", "web"}, "viewer-token");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("pin set of web (example.com)"), std::string::npos) << out;
  EXPECT_NE(out.find("sha256/AAAA"), std::string::npos) << out;
  EXPECT_NE(out.find("backup"), std::string::npos) << out;
  auto [rc_h, out_h] = Run({"pins", "web", "--format", "pin-sha256"});
  EXPECT_EQ(rc_h, 0);
  EXPECT_EQ(out_h, "pin-sha256=\"AAAA\"; pin-sha256=\"BBBB\"\n");
  auto [rc_o, out_o] = Run({"pins", "web", "--format", "okhttp"});
  EXPECT_EQ(rc_o, 0);
  EXPECT_EQ(out_o, backend_.pins["web"].okhttp + "\n");
  auto [rc_a, out_a] = Run({"pins", "web", "--format", "android"});
  EXPECT_EQ(rc_a, 0);
  EXPECT_EQ(out_a, backend_.pins["web"].android + "\n");
  auto [rc_j, out_j] = Run({"pins", "web", "--format", "json"});
  EXPECT_EQ(rc_j, 0);
  EXPECT_EQ(json::parse(out_j, nullptr, false)["pins"].size(), 2u) << out_j;
  // The consumer of "web" may read its pins, another consumer may not.
  EXPECT_EQ(Run({"pins", "web"}, "consumer-token").first, 0);
  EXPECT_EQ(Run({"pins", "web"}, "other-consumer-token").first, 5);
  auto [rc_none, out_none] = Run({"pins", "short"});
  EXPECT_EQ(rc_none, 2) << out_none;
  EXPECT_NE(out_none.find("'short' has no pin policy"), std::string::npos) << out_none;
  EXPECT_EQ(Run({"pins", "web", "--format", "xml"}).first, 2);
}

TEST_F(LifecycleCliTest, EventsNewestFirstWithFilters) {
  auto [rc, out] = Run({"events"}, "viewer-token");
  ASSERT_EQ(rc, 0) << out;
  auto deployed = out.find("deployed");
  auto issued = out.find("issued 0a1b");
  ASSERT_NE(deployed, std::string::npos) << out;
  ASSERT_NE(issued, std::string::npos) << out;
  EXPECT_LT(deployed, issued) << out;
  EXPECT_NE(out.find("TIME"), std::string::npos);

  auto [rc_f, out_f] = Run({"events", "--certificate", "short", "--limit", "1"});
  EXPECT_EQ(rc_f, 0) << out_f;
  EXPECT_NE(out_f.find("CA down"), std::string::npos) << out_f;
  EXPECT_EQ(out_f.find("issued 0a1b"), std::string::npos) << out_f;
  EXPECT_EQ(backend_.last_events_query.certificate, "short");
  EXPECT_EQ(backend_.last_events_query.limit, 1);
  EXPECT_NE(out_f.find("(older events: --before 2)"), std::string::npos) << out_f;

  auto [rc_j, out_j] = Run({"events", "--json", "--limit", "2"});
  EXPECT_EQ(rc_j, 0);
  auto j = json::parse(out_j, nullptr, false);
  EXPECT_EQ(j["events"].size(), 2u) << out_j;
  EXPECT_EQ(j["next_before"], 2) << out_j;
  EXPECT_EQ(Run({"events", "--limit", "0"}).first, 2);
}

TEST_F(LifecycleCliTest, ConnectionProblemsAreClear) {
  // Nothing listens there.
  const uint16_t port = testing::PickFreePort();
  auto [rc, out] = RunCommand(
      {testing::CertkeeperBinary(), "ls", "--config", config_, "--state-dir", dir_.Path("nostate"),
       "--server", "https://127.0.0.1:" + std::to_string(port), "--token", "admin-token"});
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("is certkeeper serve running at https://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << out;
  // A server the CA bundle does not vouch for.
  auto other = testing::TestCa::CreateRoot(testing::CaSpec("Other Root"));
  ASSERT_TRUE(other.ok());
  std::string other_pem = dir_.WriteFile("other.pem", other->cert().ToPem());
  auto [rc_tls, out_tls] = RunCommand(
      {testing::CertkeeperBinary(), "ls", "--config", config_, "--state-dir", dir_.Path("nostate"),
       "--server", server_->url(), "--cacert", other_pem, "--token", "admin-token"});
  EXPECT_EQ(rc_tls, 4) << out_tls;
  EXPECT_NE(out_tls.find("not trusted"), std::string::npos) << out_tls;
  // Plain HTTP is refused before anything is sent.
  auto [rc_http, out_http] =
      RunCommand({testing::CertkeeperBinary(), "ls", "--config", config_, "--server",
                  "http://127.0.0.1:" + std::to_string(server_->port()), "--token", "x"});
  EXPECT_EQ(rc_http, 2) << out_http;
  // Missing credentials.
  auto [rc_tok, out_tok] = Run({"ls"}, "");
  EXPECT_EQ(rc_tok, 5) << out_tok;
  EXPECT_NE(out_tok.find("no credentials"), std::string::npos) << out_tok;
}

TEST_F(LifecycleCliTest, ConnectionFromEnvironmentAndStateDir) {
  // Environment: CERTKEEPER_SERVER + CERTKEEPER_TOKEN.
  auto [rc_env, out_env] =
      RunCommand({testing::CertkeeperBinary(), "status", "--config", config_, "--state-dir",
                  dir_.Path("nostate"), "--cacert", server_->root_pem_path()},
                 {"CERTKEEPER_SERVER=" + server_->url(), "CERTKEEPER_TOKEN=viewer-token"});
  EXPECT_EQ(rc_env, 0) << out_env;
  EXPECT_NE(out_env.find("certkeeper 9.9.9"), std::string::npos) << out_env;

  // The daemon's state dir: admin.url, cli-token (0600) and ca-bundle.pem; no flags at all.
  std::string state = dir_.Path("state");
  dir_.WriteFile("state/admin.url", server_->url() + "\n");
  dir_.WriteFile("state/cli-token", "admin-token\n", 0600);
  dir_.WriteFile("state/ca-bundle.pem", server_->root().cert().ToPem());
  auto [rc, out] =
      RunCommand({testing::CertkeeperBinary(), "--config", config_, "--state-dir", state, "ls"},
                 {"NO_COLOR=1"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("example.com +2"), std::string::npos) << out;
  auto [rc_sd, out_sd] =
      RunCommand({testing::CertkeeperBinary(), "renew", "short", "--config", config_},
                 {"CERTKEEPER_STATE_DIR=" + state});
  EXPECT_EQ(rc_sd, 0) << out_sd;

  // A token file others can read is refused, as ssh refuses such a key.
  ASSERT_EQ(::chmod(dir_.Path("state/cli-token").c_str(), 0644), 0);
  auto [rc_mode, out_mode] =
      RunCommand({testing::CertkeeperBinary(), "ls", "--config", config_, "--state-dir", state});
  EXPECT_EQ(rc_mode, 5) << out_mode;
  ASSERT_EQ(::chmod(dir_.Path("state/cli-token").c_str(), 0600), 0);

  // The local admin token never goes to a server named elsewhere.
  dir_.WriteFile("state/admin.url", "https://127.0.0.1:1\n");
  auto [rc_other, out_other] =
      RunCommand({testing::CertkeeperBinary(), "ls", "--config", config_, "--state-dir", state,
                  "--server", server_->url(), "--cacert", server_->root_pem_path()});
  EXPECT_EQ(rc_other, 5) << out_other;
  EXPECT_NE(out_other.find("no credentials"), std::string::npos) << out_other;

  // No daemon state at all: a hint instead of a mystery.
  auto [rc_none, out_none] = RunCommand({testing::CertkeeperBinary(), "ls", "--config", config_,
                                         "--state-dir", dir_.Path("nostate")});
  EXPECT_EQ(rc_none, 4) << out_none;
  EXPECT_NE(out_none.find("admin.url does not exist"), std::string::npos) << out_none;
}

TEST_F(LifecycleCliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"ls", "status", "renew", "pins", "events"}) {
    auto [rc, out] = RunCommand({testing::CertkeeperBinary(), cmd, "--help"});
    EXPECT_EQ(rc, 0) << cmd << "\n" << out;
    EXPECT_NE(out.find("--json"), std::string::npos) << cmd << "\n" << out;
    EXPECT_NE(out.find("--server"), std::string::npos) << cmd << "\n" << out;
  }
}

}  // namespace
}  // namespace ck::web
