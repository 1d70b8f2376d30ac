// `certkeeper token create|ls|revoke` beside a running daemon: the token printed once works on
// the admin API, the listing never shows it, and revoking it locks it out at once.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <regex>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;
using ck::testing::TempDir;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

TEST(TokenCliTest, CreateUseListRevoke) {
  TempDir dir;
  std::string config = dir.WriteFile("c.toml", "");
  auto cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), Binary());
    args.insert(args.end(), {"--state-dir", dir.Path("state"), "--config", config});
    return args;
  };
  Subprocess daemon;
  ASSERT_TRUE(daemon.Start(cmd({"serve", "--dev", "--listen", "127.0.0.1:0"})));
  ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
  std::smatch m;
  std::string banner = daemon.output();
  ASSERT_TRUE(
      std::regex_search(banner, m, std::regex(R"(admin API +https?://127\.0\.0\.1:([0-9]+))")));
  const int port = std::stoi(m[1]);

  auto [rc, out] =
      RunCommand(cmd({"token", "create", "--role", "admin", "--ttl", "1h", "--name", "ops"}));
  ASSERT_EQ(rc, 0) << out;
  std::smatch t;
  ASSERT_TRUE(std::regex_search(out, t, std::regex(R"((ckt_[A-Za-z0-9_-]{43}))"))) << out;
  const std::string token = t[1];
  EXPECT_NE(out.find("shown only this once"), std::string::npos) << out;

  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(dir.Path("state/ca-bundle.pem").c_str());
  client.enable_server_certificate_verification(true);
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  auto res = client.Get("/v1/tokens", auth);
  ASSERT_TRUE(res) << httplib::to_string(res.error()) << " ssl error "
                   << client.get_openssl_verify_result();
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"name\":\"ops\""), std::string::npos);

  auto [rc_ls, out_ls] = RunCommand(cmd({"token", "ls"}));
  EXPECT_EQ(rc_ls, 0) << out_ls;
  EXPECT_NE(out_ls.find("ops"), std::string::npos) << out_ls;
  EXPECT_EQ(out_ls.find(token), std::string::npos) << "listing must never show the secret";

  auto [rc_rv, out_rv] = RunCommand(cmd({"token", "revoke", "ops"}));
  EXPECT_EQ(rc_rv, 0) << out_rv;
  EXPECT_EQ(client.Get("/v1/tokens", auth)->status, 401);
  auto [rc_missing, out_missing] = RunCommand(cmd({"token", "revoke", "nope"}));
  EXPECT_EQ(rc_missing, 2) << out_missing;
  auto [rc_role, out_role] = RunCommand(cmd({"token", "create", "--role", "god"}));
  EXPECT_EQ(rc_role, 2) << out_role;

  // The daemon's log names who did what, and never contains the token.
  daemon.Signal(SIGTERM);
  ASSERT_EQ(daemon.Wait().value_or(-1), 0);
  EXPECT_EQ(daemon.output().find(token), std::string::npos);
  EXPECT_NE(daemon.output().find("identity=\"admin:ops (token)\""), std::string::npos)
      << daemon.output();
}

}  // namespace
}  // namespace ck
