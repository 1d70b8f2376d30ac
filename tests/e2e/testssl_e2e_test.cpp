// The admin API's TLS, judged by an independent scanner (issue 3): testssl.sh (Debian package)
// against `certkeeper serve` must find no protocol below TLS 1.2, no non-AEAD or
// non-forward-secret suite, and no vulnerability.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

constexpr char kTestssl[] = "/usr/bin/testssl";

TEST(TestsslE2E, AdminApiTlsHasNoFindings) {
  if (::access(kTestssl, X_OK) != 0) GTEST_SKIP() << "testssl.sh is not installed";
  testing::TempDir tmp;
  const uint16_t port = testing::PickFreePort();
  const std::string log = tmp.Path("daemon.log");
  pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    const std::string cmd = "exec " + testing::CertkeeperBinary() + " serve --dev --state-dir " +
                            tmp.Path("state") + " --listen 127.0.0.1:" + std::to_string(port) +
                            " > " + log + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Stop {
    pid_t pid;
    ~Stop() {
      if (pid <= 0) return;
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } stop{daemon};
  ASSERT_TRUE(testing::WaitForTcpPort(port, std::chrono::seconds(30)))
      << tmp.ReadFile("daemon.log");

  // Protocols, standard cipher lists, forward secrecy, vulnerabilities (~30 s).
  const std::string json_path = tmp.Path("testssl.json");
  auto [rc, out] =
      testing::RunCommand({kTestssl, "--quiet", "--color", "0", "--warnings", "off",
                           "--openssl-timeout", "5", "--jsonfile", json_path, "-p", "-s", "-f",
                           "-U", "--ip", "one", "127.0.0.1:" + std::to_string(port)},
                          {}, std::chrono::seconds(600));
  auto findings = nlohmann::json::parse(tmp.ReadFile("testssl.json"), nullptr, false);
  ASSERT_TRUE(findings.is_array()) << "testssl exit " << rc << ":\n" << out;
  ASSERT_GT(findings.size(), 20u) << out;

  std::map<std::string, std::string> by_id;
  for (const auto& f : findings) {
    const std::string id = f.value("id", "");
    const std::string severity = f.value("severity", "");
    const std::string finding = f.value("finding", "");
    by_id[id] = finding;
    // testssl's own environment notes (no GOST engine in Debian's openssl) are not findings.
    if (id == "engine_problem" || id == "scanTime") continue;
    EXPECT_TRUE(severity == "OK" || severity == "INFO")
        << id << " is " << severity << ": " << finding;
  }
  for (const char* proto : {"SSLv2", "SSLv3", "TLS1", "TLS1_1"}) {
    EXPECT_NE(by_id[proto].find("not offered"), std::string::npos) << proto << ": " << by_id[proto];
  }
  EXPECT_EQ(by_id["TLS1_2"].rfind("offered", 0), 0u) << by_id["TLS1_2"];
  EXPECT_EQ(by_id["TLS1_3"].rfind("offered", 0), 0u) << by_id["TLS1_3"];
  // AVERAGE is where testssl puts CBC (non-AEAD) suites; the rest are weaker still.
  for (const char* list : {"cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
                           "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"}) {
    EXPECT_EQ(by_id[list], "not offered") << list;
  }
  std::printf("testssl.sh: %zu findings, all OK/INFO\n", findings.size());
}

}  // namespace
}  // namespace ck
