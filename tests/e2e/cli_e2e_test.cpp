// The CLI surface: --help on every command, exit codes for usage and config errors, and the
// CERTKEEPER_CONFIG / CERTKEEPER_STATE_DIR environment variables.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::TempDir;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

TEST(CliTest, EveryCommandHasHelp) {
  const std::vector<std::vector<std::string>> commands = {
      {},         {"serve"},   {"config"}, {"config", "check"}, {"config", "example"},
      {"backup"}, {"restore"}, {"rekey"},  {"inspect"}};
  for (auto args : commands) {
    args.insert(args.begin(), Binary());
    args.push_back("--help");
    auto [rc, out] = RunCommand(args);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("Usage:"), std::string::npos) << out;
  }
}

TEST(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand({Binary()}).first, 2);
  EXPECT_EQ(RunCommand({Binary(), "no-such-command"}).first, 2);
  EXPECT_EQ(RunCommand({Binary(), "inspect"}).first, 2);  // missing TARGET
  EXPECT_EQ(RunCommand({Binary(), "serve", "--no-such-flag"}).first, 2);
  auto [rc, out] = RunCommand({Binary(), "--version"});
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("0."), std::string::npos) << out;
}

TEST(CliTest, ConfigCheck) {
  TempDir dir;
  std::string good =
      dir.WriteFile("good.toml", "listen = \"127.0.0.1:9443\"\n[log]\nlevel = \"debug\"\n");
  auto [rc, out] = RunCommand({Binary(), "config", "check", "--config", good});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("config OK: " + good), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.0.1:9443"), std::string::npos) << out;

  // The environment variable works like the flag.
  auto [rc_env, out_env] = RunCommand({Binary(), "config", "check"}, {"CERTKEEPER_CONFIG=" + good});
  EXPECT_EQ(rc_env, 0) << out_env;
  EXPECT_NE(out_env.find(good), std::string::npos) << out_env;

  std::string bad = dir.WriteFile("bad.toml", "listen = \"127.0.0.1:9443\"\n\n[log]\nlevle = 1\n");
  auto [rc_bad, out_bad] = RunCommand({Binary(), "config", "check", "--config", bad});
  EXPECT_EQ(rc_bad, 3) << out_bad;
  EXPECT_NE(out_bad.find("bad.toml:4: log.levle: unknown key (did you mean 'level'?"),
            std::string::npos)
      << out_bad;

  // A master key file others can read is a config error, found before the daemon starts.
  std::string key =
      dir.WriteFile("master.key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 0644);
  std::string with_key = dir.WriteFile("key.toml", "master_key_file = \"" + key + "\"\n");
  auto [rc_key, out_key] = RunCommand({Binary(), "config", "check", "--config", with_key});
  EXPECT_EQ(rc_key, 3) << out_key;
  EXPECT_NE(out_key.find("chmod 600"), std::string::npos) << out_key;

  auto [rc_missing, out_missing] =
      RunCommand({Binary(), "config", "check", "--config", dir.Path("nope.toml")});
  EXPECT_EQ(rc_missing, 3) << out_missing;
}

TEST(CliTest, ConfigExampleIsValidConfig) {
  TempDir dir;
  auto [rc, example] = RunCommand({Binary(), "config", "example"});
  ASSERT_EQ(rc, 0);
  std::string path = dir.WriteFile("example.toml", example);
  auto [rc_check, out] = RunCommand({Binary(), "config", "check", "--config", path});
  // The example names real-looking files (/etc/certkeeper/zerossl.hmac, ...) that `config
  // check` rightly wants to exist; everything before that check must pass, so the only
  // acceptable complaint is a missing referenced file.
  if (rc_check != 0) {
    EXPECT_EQ(rc_check, 3) << out;
    EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
    EXPECT_NE(out.find("/etc/certkeeper/"), std::string::npos) << out;
  }
}

TEST(CliTest, StateDirFromEnvironment) {
  TempDir dir;
  std::string cfg = dir.WriteFile("c.toml", "");
  auto [rc, out] = RunCommand({Binary(), "backup", dir.Path("b.db"), "--config", cfg},
                              {"CERTKEEPER_STATE_DIR=" + dir.Path("empty-state")});
  EXPECT_EQ(rc, 2) << out;  // NotFound: no database there yet, and it says where it looked
  EXPECT_NE(out.find(dir.Path("empty-state") + "/certkeeper.db"), std::string::npos) << out;
}

}  // namespace
}  // namespace ck
