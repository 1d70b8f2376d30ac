// End to end: the real binary's main job. `certkeeper serve --dev` creates its state, answers
// /healthz on loopback, refuses a second daemon on the same state, and stops cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "tests/testing/child_process.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

class ServeDevTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ck-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts the daemon on a free port and returns the port from its banner.
  void StartDaemon(Subprocess& p, const std::string& state_dir) {
    EXPECT_TRUE(p.Start({Binary(), "serve", "--dev", "--state-dir", state_dir, "--listen",
                         "127.0.0.1:0", "--config", dir_ + "/none.toml"},
                        {"CERTKEEPER_CONFIG="}))
        << "cannot start " << Binary();
  }

  static int PortFromBanner(const std::string& out) {
    std::smatch m;
    std::regex re("admin API +https://127\\.0\\.0\\.1:([0-9]+)");
    if (!std::regex_search(out, m, re)) return -1;
    return std::stoi(m[1]);
  }

  std::string dir_;
};

TEST_F(ServeDevTest, StartsAnswersHealthzAndStopsOnSigterm) {
  // An empty config file: the defaults must work.
  ASSERT_EQ(std::system(("touch " + dir_ + "/none.toml").c_str()), 0);
  const std::string state = dir_ + "/state";
  Subprocess daemon;
  StartDaemon(daemon, state);
  ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
  const std::string banner = daemon.output();
  int port = PortFromBanner(banner);
  ASSERT_GT(port, 0) << banner;
  EXPECT_NE(banner.find(state + "/certkeeper.db"), std::string::npos) << banner;
  EXPECT_NE(banner.find("/healthz"), std::string::npos);

  // State was created with safe modes.
  struct stat st {};
  ASSERT_EQ(stat((state + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((state + "/certkeeper.db").c_str(), &st), 0);
  ASSERT_EQ(stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << "state dir must not be group/other accessible";

  // HTTPS with a certificate from the internal CA the daemon created; the bundle it wrote
  // is all a client needs to trust it.
  EXPECT_NE(banner.find("https://127.0.0.1:"), std::string::npos) << banner;
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path((state + "/ca-bundle.pem").c_str());
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res) << "no answer on port " << port;
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("\"status\":\"ok\""), std::string::npos) << res->body;

  // A second daemon on the same state must refuse with a clear error, not corrupt anything.
  auto [rc2, out2] = RunCommand({Binary(), "serve", "--dev", "--state-dir", state, "--listen",
                                 "127.0.0.1:0", "--config", dir_ + "/none.toml"});
  EXPECT_EQ(rc2, 4) << out2;
  EXPECT_NE(out2.find("already running"), std::string::npos) << out2;

  daemon.Signal(SIGTERM);
  auto rc = daemon.Wait(std::chrono::seconds(15));
  ASSERT_TRUE(rc.has_value()) << "daemon did not stop on SIGTERM";
  EXPECT_EQ(*rc, 0) << daemon.output();
  EXPECT_NE(daemon.output().find("stopped cleanly"), std::string::npos) << daemon.output();

  // Restart on the same state reuses the master key and database.
  Subprocess again;
  StartDaemon(again, state);
  ASSERT_TRUE(again.WaitForOutput("Stop with Ctrl-C")) << again.output();
  again.Signal(SIGINT);
  EXPECT_EQ(again.Wait().value_or(-1), 0) << again.output();
}

TEST_F(ServeDevTest, InvalidConfigExitsWithConfigError) {
  ASSERT_EQ(std::system(("printf 'listen = 42\\n' > " + dir_ + "/none.toml").c_str()), 0);
  Subprocess daemon;
  StartDaemon(daemon, dir_ + "/state");
  auto rc = daemon.Wait();
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 3);
  EXPECT_NE(daemon.output().find("none.toml:1: listen"), std::string::npos) << daemon.output();
}

TEST_F(ServeDevTest, NonDevModeWithoutMasterKeyExplainsTheOptions) {
  ASSERT_EQ(std::system(("touch " + dir_ + "/none.toml").c_str()), 0);
  auto [rc, out] = RunCommand({Binary(), "serve", "--state-dir", dir_ + "/state", "--listen",
                               "127.0.0.1:0", "--config", dir_ + "/none.toml"},
                              {"CREDENTIALS_DIRECTORY="});
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("master key"), std::string::npos) << out;
}

}  // namespace
}  // namespace ck

namespace ck {
namespace {

// Type=notify: READY=1 once the API listens, WATCHDOG=1 pings, STOPPING=1 on SIGTERM — read
// from a real AF_UNIX datagram socket standing in for systemd's.
TEST(SystemdNotifyTest, ReadyWatchdogStopping) {
  char tmpl[] = "/tmp/ck-notify-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string sock_path = dir + "/notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(std::system(("touch " + dir + "/c.toml").c_str()), 0);

  Subprocess daemon;
  ASSERT_TRUE(daemon.Start({Binary(), "serve", "--dev", "--state-dir", dir + "/state", "--listen",
                            "127.0.0.1:0", "--config", dir + "/c.toml"},
                           {"NOTIFY_SOCKET=" + sock_path, "WATCHDOG_USEC=200000"}));
  auto receive = [&]() -> std::string {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  std::string first = receive();
  EXPECT_EQ(first.rfind("READY=1\nSTATUS=admin API on https://", 0), 0u) << first;
  // The scheduler reports its summary as STATUS (issue 5: "STATUS with next renewal").
  std::string msg;
  bool saw_status = false;
  for (int i = 0; i < 10 && msg != "WATCHDOG=1"; ++i) {
    msg = receive();
    if (msg.rfind("STATUS=", 0) == 0 && msg.find("certificate(s)") != std::string::npos) {
      saw_status = true;
    }
  }
  EXPECT_EQ(msg, "WATCHDOG=1");
  EXPECT_TRUE(saw_status);
  daemon.Signal(SIGTERM);
  for (int i = 0; i < 10 && msg != "STOPPING=1"; ++i) msg = receive();
  EXPECT_EQ(msg, "STOPPING=1");
  EXPECT_EQ(daemon.Wait().value_or(-1), 0) << daemon.output();
  ::close(fd);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ck
