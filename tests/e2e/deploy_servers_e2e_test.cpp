// Deploy end to end against real servers on loopback: nginx reading the files target's live dir
// (validated with `nginx -t`, reloaded by signal) and HAProxy updated over its runtime API with
// no reload. What is served is checked with the real `openssl s_client`, not with our own probe.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/file_util.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/files_deployer.hpp"
#include "daemon/deploy/haproxy_deployer.hpp"
#include "tests/daemon/deploy_test_util.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/tls_servers.hpp"

namespace ck::deploy {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kHaproxy[] = "/usr/sbin/haproxy";
constexpr char kOpenssl[] = "/usr/bin/openssl";

// What `openssl s_client` sees on 127.0.0.1:port with SNI web.test ("" on failure).
std::string ServedSerial(uint16_t port) { return testing::OpensslServedSerial(port, "web.test"); }

std::string WaitServed(uint16_t port, const std::string& serial, milliseconds timeout) {
  return testing::WaitForServedSerial(port, "web.test", serial, timeout);
}

class DeployServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* bin : {kNginx, kHaproxy, kOpenssl}) {
      if (::access(bin, X_OK) != 0) GTEST_SKIP() << bin << " is not installed";
    }
    auto issuer = testutil::MakeIssuer();
    ASSERT_OK(issuer);
    for (const char* serial : {"1001", "1002", "1003"}) {
      auto m = testutil::Issue(*issuer, "web", {"web.test"}, serial);
      ASSERT_OK(m);
      ASSERT_EQ(m->serial_hex, serial);
      v_.push_back(std::move(*m));
    }
    nginx_port_ = testing::PickFreePort();
    haproxy_port_ = testing::PickFreePort();
    certs_dir_ = tmp_.Path("certs");
    cert_path_ = tmp_.Path("haproxy/web.pem");
    socket_ = tmp_.Path("admin.sock");
    WriteNginxConf();
    WriteHaproxyConf();

    // Version 1 in place before the servers start, as an operator's first deploy would be.
    auto files = MakeDeployer(FilesTarget(), DeployEnv{});
    ASSERT_OK(files);
    ASSERT_OK(DeployAll({files->get()}, v_[0]).status);
    ASSERT_OK(EnsureDirectory(tmp_.Path("haproxy")));
    store::SecretString combined(v_[0].FullchainPem() + std::string(v_[0].key_pem.view()));
    ASSERT_OK(WriteFileAtomic(cert_path_, combined.view(), 0600));
    v1_haproxy_file_ = std::string(combined.view());

    ASSERT_TRUE(nginx_.Start({kNginx, "-e", tmp_.Path("nginx-error.log"), "-c", nginx_conf_}));
    ASSERT_TRUE(testing::WaitForTcpPort(nginx_port_, seconds(15)))
        << "nginx did not start: " << nginx_.output() << tmp_.ReadFile("nginx-error.log");
    ASSERT_TRUE(haproxy_.Start({kHaproxy, "-db", "-f", haproxy_cfg_}));
    ASSERT_TRUE(testing::WaitForTcpPort(haproxy_port_, seconds(15)))
        << "haproxy did not start: " << haproxy_.output();
    ASSERT_EQ(ServedSerial(nginx_port_), "1001");
    ASSERT_EQ(ServedSerial(haproxy_port_), "1001");
    haproxy_pid_ = HaproxyPid();
    ASSERT_EQ(haproxy_pid_, haproxy_.pid());
  }

  void TearDown() override {
    // Graceful stop first so nginx removes its pid file; the Subprocess destructors SIGKILL
    // whatever is left.
    nginx_.Signal(SIGQUIT);
    (void)nginx_.Wait(seconds(5));
  }

  void WriteNginxConf() {
    const std::string t = tmp_.path();
    nginx_conf_ = tmp_.WriteFile("nginx.conf",
                                 "daemon off;\n"
                                 "master_process on;\n"
                                 "worker_processes 1;\n"
                                 "pid " +
                                     t +
                                     "/nginx.pid;\n"
                                     "error_log " +
                                     t +
                                     "/nginx-error.log info;\n"
                                     "events { worker_connections 64; }\n"
                                     "http {\n"
                                     "  access_log off;\n"
                                     "  client_body_temp_path " +
                                     t +
                                     "/body;\n"
                                     "  proxy_temp_path " +
                                     t +
                                     "/proxy;\n"
                                     "  fastcgi_temp_path " +
                                     t +
                                     "/fastcgi;\n"
                                     "  uwsgi_temp_path " +
                                     t +
                                     "/uwsgi;\n"
                                     "  scgi_temp_path " +
                                     t +
                                     "/scgi;\n"
                                     "  server {\n"
                                     "    listen 127.0.0.1:" +
                                     std::to_string(nginx_port_) +
                                     " ssl;\n"
                                     "    server_name web.test;\n"
                                     "    ssl_certificate " +
                                     certs_dir_ +
                                     "/live/web/fullchain.pem;\n"
                                     "    ssl_certificate_key " +
                                     certs_dir_ +
                                     "/live/web/privkey.pem;\n"
                                     "    location / { return 200 \"ok\\n\"; }\n"
                                     "  }\n"
                                     "}\n");
  }

  void WriteHaproxyConf() {
    haproxy_cfg_ =
        tmp_.WriteFile("haproxy.cfg",
                       "global\n"
                       "  stats socket " +
                           socket_ +
                           " level admin\n"
                           "defaults\n"
                           "  mode http\n"
                           "  timeout connect 5s\n"
                           "  timeout client 10s\n"
                           "  timeout server 10s\n"
                           "frontend fe\n"
                           "  bind 127.0.0.1:" +
                           std::to_string(haproxy_port_) + " ssl crt " + cert_path_ +
                           "\n"
                           "  http-request return status 200 content-type text/plain string ok\n");
  }

  json FilesTarget() const { return {{"type", "files"}, {"dir", certs_dir_}}; }
  json NginxTarget(uint16_t verify_port) const {
    return {{"type", "nginx"},
            {"conf", nginx_conf_},
            {"binary", kNginx},
            {"verify_addr", "127.0.0.1:" + std::to_string(verify_port)},
            {"verify_sni", "web.test"}};
  }
  json HaproxyTarget() const {
    return {{"type", "haproxy"},
            {"socket", socket_},
            {"cert_path", cert_path_},
            {"verify_addr", "127.0.0.1:" + std::to_string(haproxy_port_)}};
  }

  // Builds the targets as the daemon would: from config tables, with the files lineage.
  std::vector<std::unique_ptr<Deployer>> Build(const std::vector<json>& tables,
                                               milliseconds verify_timeout) {
    DeployEnv env;
    env.lineage_dir = LineageDir(tables, "web");
    env.verify_timeout = verify_timeout;
    std::vector<std::unique_ptr<Deployer>> out;
    for (const auto& t : tables) {
      auto d = MakeDeployer(t, env);
      EXPECT_OK(d) << t.dump();
      if (d.ok()) out.push_back(std::move(*d));
    }
    return out;
  }
  static std::vector<Deployer*> Ptrs(const std::vector<std::unique_ptr<Deployer>>& v) {
    std::vector<Deployer*> out;
    for (const auto& d : v) out.push_back(d.get());
    return out;
  }

  int HaproxyPid() {
    auto info = HaproxyCommand(socket_, "show info\n", seconds(5));
    if (!info.ok()) return -1;
    auto pos = info->find("\nPid: ");
    return pos == std::string::npos ? -1 : std::atoi(info->c_str() + pos + 6);
  }

  Status FilesOnDiskAre(const Material& m) {
    FilesOptions o;
    o.dir = certs_dir_;
    return FilesDeployer(o).Verify(m);
  }

  testing::TempDir tmp_;
  std::vector<Material> v_;
  uint16_t nginx_port_ = 0, haproxy_port_ = 0;
  std::string certs_dir_, cert_path_, socket_, nginx_conf_, haproxy_cfg_, v1_haproxy_file_;
  testing::Subprocess nginx_, haproxy_;
  int haproxy_pid_ = -1;
};

TEST_F(DeployServersTest, NewSerialServedByNginxAndHaproxyWithoutHaproxyReload) {
  auto targets = Build({FilesTarget(), NginxTarget(nginx_port_), HaproxyTarget()}, seconds(20));
  ASSERT_EQ(targets.size(), 3u);
  auto start = std::chrono::steady_clock::now();
  DeployReport r = DeployAll(Ptrs(targets), v_[1]);
  ASSERT_OK(r.status);
  std::cout
      << "deploy of 3 targets took "
      << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count()
      << " ms\n";
  EXPECT_EQ(ServedSerial(nginx_port_), "1002");
  EXPECT_EQ(ServedSerial(haproxy_port_), "1002");
  EXPECT_OK(FilesOnDiskAre(v_[1]));
  EXPECT_EQ(tmp_.ReadFile("haproxy/web.pem"),
            v_[1].FullchainPem() + std::string(v_[1].key_pem.view()));
  // No reload, no restart: the same HAProxy process serves the new certificate.
  EXPECT_EQ(HaproxyPid(), haproxy_pid_);
  EXPECT_EQ(::kill(haproxy_.pid(), 0), 0);
  EXPECT_EQ(::kill(nginx_.pid(), 0), 0) << "nginx master must survive a reload";

  // And once more, so the second rotation is not special.
  ASSERT_OK(DeployAll(Ptrs(targets), v_[2]).status);
  EXPECT_EQ(ServedSerial(nginx_port_), "1003");
  EXPECT_EQ(ServedSerial(haproxy_port_), "1003");
  EXPECT_EQ(HaproxyPid(), haproxy_pid_);
}

// nginx's closed-loop check looks at a port that serves something else, so it never sees the
// new serial: the files go back to version 1 and nginx is reloaded onto them.
TEST_F(DeployServersTest, FailedVerifyRollsBackFilesAndNginx) {
  auto targets = Build({FilesTarget(), NginxTarget(/*verify_port=*/haproxy_port_)}, seconds(3));
  DeployReport r = DeployAll(Ptrs(targets), v_[2]);
  ASSERT_EQ(r.status.code(), StatusCode::kDeadlineExceeded) << r.status.ToString();
  EXPECT_NE(r.status.message().find("does not serve serial 1003"), std::string::npos)
      << r.status.message();
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_TRUE(r.targets[0].rolled_back);
  EXPECT_TRUE(r.targets[1].rolled_back) << r.targets[1].status.ToString();
  EXPECT_OK(FilesOnDiskAre(v_[0]));
  EXPECT_EQ(WaitServed(nginx_port_, "1001", seconds(15)), "1001");
  // Stays there (no late worker with the new pair).
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(ServedSerial(nginx_port_), "1001");
}

// A hook after the consumers fails: HAProxy gets version 1 back over the runtime API (and in
// its crt file), the files go back, nginx is reloaded onto them.
TEST_F(DeployServersTest, LaterFailureRollsBackHaproxyFilesAndNginx) {
  auto targets = Build({HaproxyTarget(),
                        FilesTarget(),
                        NginxTarget(nginx_port_),
                        {{"type", "exec"}, {"command", "echo hook broke >&2; exit 7"}}},
                       seconds(20));
  DeployReport r = DeployAll(Ptrs(targets), v_[1]);
  ASSERT_EQ(r.status.code(), StatusCode::kUnavailable) << r.status.ToString();
  EXPECT_NE(r.status.message().find("hook broke"), std::string::npos) << r.status.message();
  for (size_t i = 0; i < r.targets.size(); ++i) {
    EXPECT_TRUE(r.targets[i].rolled_back) << i << ": " << r.targets[i].status.ToString();
  }
  EXPECT_EQ(ServedSerial(haproxy_port_), "1001");
  EXPECT_EQ(tmp_.ReadFile("haproxy/web.pem"), v1_haproxy_file_);
  EXPECT_OK(FilesOnDiskAre(v_[0]));
  EXPECT_EQ(WaitServed(nginx_port_, "1001", seconds(15)), "1001");
  EXPECT_EQ(HaproxyPid(), haproxy_pid_);
}

TEST_F(DeployServersTest, ValidationFailuresChangeNothing) {
  // nginx -t fails on a broken config: reported with nginx's own message.
  std::string broken = tmp_.WriteFile("broken.conf", "events {}\nhttp { bogus_directive on; }\n");
  json bad_nginx = {{"type", "nginx"}, {"conf", broken}, {"binary", kNginx}};
  // HAProxy does not know this crt path: refused before anything is written.
  json bad_haproxy = HaproxyTarget();
  bad_haproxy["cert_path"] = tmp_.Path("haproxy/other.pem");
  for (const json& bad : {bad_nginx, bad_haproxy}) {
    auto targets = Build({FilesTarget(), bad}, seconds(5));
    DeployReport r = DeployAll(Ptrs(targets), v_[1]);
    EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition) << r.status.ToString();
    EXPECT_TRUE(r.targets[0].rolled_back);
    EXPECT_FALSE(r.targets[1].rolled_back);
    EXPECT_OK(FilesOnDiskAre(v_[0]));
  }
  EXPECT_FALSE(::access(tmp_.Path("haproxy/other.pem").c_str(), F_OK) == 0);
  EXPECT_EQ(ServedSerial(nginx_port_), "1001");
  EXPECT_EQ(ServedSerial(haproxy_port_), "1001");
}

}  // namespace
}  // namespace ck::deploy
