// The exec target: certbot-compatible environment, failures with stderr, timeouts that kill the
// hook's whole process group.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/run_command.hpp"
#include "tests/daemon/deploy_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::deploy {
namespace {

Material SampleMaterial() {
  Material m;
  m.name = "web";
  m.domains = {"example.test", "www.example.test"};
  m.serial_hex = "0A1B2C";
  m.not_after = FromUnixSeconds(1'800'000'000);
  return m;
}

std::unique_ptr<Deployer> Exec(const std::string& command, const std::string& timeout = "",
                               const std::string& lineage = "") {
  nlohmann::json j = {{"type", "exec"}, {"command", command}};
  if (!timeout.empty()) j["timeout"] = timeout;
  DeployEnv env;
  env.lineage_dir = lineage;
  auto d = MakeDeployer(j, env);
  EXPECT_OK(d);
  return d.ok() ? std::move(*d) : nullptr;
}

// True while `pid` exists and is not a zombie.
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(ExecDeployTest, HookSeesCertbotEnvironment) {
  testing::TempDir tmp;
  std::string out = tmp.Path("env.txt");
  auto d = Exec(
      "printf '%s\\n' \"$RENEWED_LINEAGE\" \"$RENEWED_DOMAINS\" \"$CERTKEEPER_NAME\" "
      "\"$CERTKEEPER_SERIAL\" \"$CERTKEEPER_NOT_AFTER\" > " +
          out,
      "", "/etc/certkeeper/live/web");
  Material m = SampleMaterial();
  ASSERT_OK(d->Validate(m));
  ASSERT_OK(d->Commit(m));
  EXPECT_OK(d->Verify(m));
  EXPECT_OK(d->Rollback());
  EXPECT_EQ(tmp.ReadFile("env.txt"),
            "/etc/certkeeper/live/web\nexample.test www.example.test\nweb\n0A1B2C\n"
            "2027-01-15T08:00:00Z\n");
  EXPECT_EQ(d->type(), "exec");
}

TEST(ExecDeployTest, NonZeroExitReportsCodeAndLastStderrLines) {
  auto d = Exec("echo first >&2; echo second >&2; echo on-stdout; exit 3");
  Status s = d->Commit(SampleMaterial());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("exit 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("first; second"), std::string::npos) << s.message();
}

TEST(ExecDeployTest, TimeoutKillsTheWholeProcessGroup) {
  testing::TempDir tmp;
  std::string pidfile = tmp.Path("bg.pid");
  // The background sleep keeps the pipes open; the hook must still be cut off at 1 s.
  auto d = Exec("sleep 30 & echo $! > " + pidfile + "; sleep 30", "1s");
  auto start = std::chrono::steady_clock::now();
  Status s = d->Commit(SampleMaterial());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
  pid_t bg = std::atoi(tmp.ReadFile("bg.pid").c_str());
  ASSERT_GT(bg, 0);
  for (int i = 0; i < 100 && Running(bg); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(Running(bg)) << "background child " << bg << " survived the timeout";
  if (Running(bg)) ::kill(bg, SIGKILL);
}

TEST(ExecDeployTest, BackgroundChildDoesNotDelaySuccess) {
  testing::TempDir tmp;
  std::string pidfile = tmp.Path("bg.pid");
  auto d = Exec("sleep 3 & echo $! > " + pidfile + "; exit 0", "10s");
  auto start = std::chrono::steady_clock::now();
  EXPECT_OK(d->Commit(SampleMaterial()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  pid_t bg = std::atoi(tmp.ReadFile("bg.pid").c_str());
  if (bg > 0) ::kill(bg, SIGKILL);
}

TEST(RunCommandTest, CapturesOutputAndOverridesEnvironment) {
  auto r = RunCommand({"/bin/sh", "-c", "echo \"$CK_X\"; echo err >&2; exit 0"}, {"CK_X=hello"},
                      std::chrono::seconds(10));
  ASSERT_OK(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "err\n");
  auto missing = RunCommand({"/nonexistent/binary"}, {}, std::chrono::seconds(10));
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(LastLines("a\n\nb\nc\n", 2), "b; c");
}

}  // namespace
}  // namespace ck::deploy
