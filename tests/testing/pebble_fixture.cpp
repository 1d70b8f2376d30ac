#include "tests/testing/pebble_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/testing/ports.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::testing {
namespace {

constexpr char kPebble[] = "/usr/bin/pebble";
constexpr char kChalltestsrv[] = "/usr/bin/pebble-challtestsrv";

// fork+exec with stdout/stderr appended to `log_path` (a pipe nobody reads would fill up and
// stall the server) and `env` added to the environment.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& log_path) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Die with the test process, even when it is killed (no orphaned Pebble holding ports).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

void KillAndReap(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

bool Alive(pid_t pid) { return pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0; }

}  // namespace

bool PebbleFixture::Installed() {
  return ::access(kPebble, X_OK) == 0 && ::access(kChalltestsrv, X_OK) == 0;
}

Result<std::unique_ptr<PebbleFixture>> PebbleFixture::Start(PebbleOptions options) {
  if (!Installed()) return NotFoundError("pebble is not installed (apt-get install pebble)");
  std::unique_ptr<PebbleFixture> f(new PebbleFixture());
  f->options_ = std::move(options);

  // Pebble's HTTPS identity: a throwaway CA and a localhost/127.0.0.1 certificate.
  ASSIGN_OR_RETURN(TestCa ca, TestCa::CreateRoot(CaSpec("certkeeper test Pebble HTTPS CA")));
  CertSpec leaf;
  leaf.common_name = "localhost";
  leaf.dns_names = {"localhost"};
  leaf.ip_addresses = {"127.0.0.1"};
  ASSIGN_OR_RETURN(IssuedCert https, ca.Issue(leaf));
  f->ca_bundle_ = f->tmp_.WriteFile("https-ca.pem", ca.cert().ToPem());
  std::string cert_path = f->tmp_.WriteFile("localhost.pem", https.CertPem());
  std::string key_path = f->tmp_.WriteFile("localhost.key", https.KeyPem(), 0600);

  // A port picked as free may be taken by someone else before Pebble binds it, and a loaded
  // machine may start Pebble slowly: retry with fresh ports.
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    KillAndReap(f->pebble_pid_);
    KillAndReap(f->chall_pid_);
    f->acme_port_ = PickFreePort();
    f->mgmt_port_ = PickFreePort();
    f->http_port_ = PickFreePort();
    f->tls_port_ = PickFreePort();
    f->dns_port_ = PickFreePort();
    f->chall_port_ = PickFreePort();

    nlohmann::json cfg;
    auto& p = cfg["pebble"];
    p["listenAddress"] = "127.0.0.1:" + std::to_string(f->acme_port_);
    p["managementListenAddress"] = "127.0.0.1:" + std::to_string(f->mgmt_port_);
    p["certificate"] = cert_path;
    p["privateKey"] = key_path;
    p["httpPort"] = f->http_port_;
    p["tlsPort"] = f->tls_port_;
    p["ocspResponderURL"] = "";
    p["externalAccountBindingRequired"] = f->options_.eab_required;
    if (!f->options_.eab_keys.empty()) p["externalAccountMACKeys"] = f->options_.eab_keys;
    if (f->options_.certificate_validity_seconds > 0) {
      p["certificateValidityPeriod"] = f->options_.certificate_validity_seconds;
    }
    f->config_path_ = f->tmp_.WriteFile("pebble-config.json", cfg.dump(2));

    last = f->StartChalltestsrv();
    if (last.ok()) last = f->StartPebble();
    if (last.ok()) return f;
  }
  return last;
}

Status PebbleFixture::StartChalltestsrv() {
  // Its own http-01/tls-alpn-01 responders are off: they would bind the ports our solvers use.
  chall_pid_ =
      Spawn({kChalltestsrv, "-dns01", "127.0.0.1:" + std::to_string(dns_port_), "-management",
             "127.0.0.1:" + std::to_string(chall_port_), "-http01", "", "-https01", "",
             "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""},
            {}, tmp_.Path("challtestsrv.log"));
  if (!WaitForTcpPort(chall_port_, std::chrono::seconds(10))) {
    return UnavailableError("pebble-challtestsrv did not start: " +
                            tmp_.ReadFile("challtestsrv.log"));
  }
  return OkStatus();
}

Status PebbleFixture::StartPebble() {
  std::vector<std::string> env = {
      "PEBBLE_VA_NOSLEEP=1",
      "PEBBLE_WFE_NONCEREJECT=" + std::to_string(options_.nonce_reject_percent)};
  if (options_.va_always_valid) env.push_back("PEBBLE_VA_ALWAYS_VALID=1");
  if (options_.alternate_roots > 0) {
    env.push_back("PEBBLE_ALTERNATE_ROOTS=" + std::to_string(options_.alternate_roots));
  }
  if (options_.chain_length > 0) {
    env.push_back("PEBBLE_CHAIN_LENGTH=" + std::to_string(options_.chain_length));
  }
  if (options_.authz_reuse_percent >= 0) {
    env.push_back("PEBBLE_AUTHZREUSE=" + std::to_string(options_.authz_reuse_percent));
  }
  std::string dns =
      options_.dns_server.empty() ? "127.0.0.1:" + std::to_string(dns_port_) : options_.dns_server;
  pebble_pid_ =
      Spawn({kPebble, "-config", config_path_, "-dnsserver", dns}, env, tmp_.Path("pebble.log"));
  if (!WaitForTcpPort(acme_port_, std::chrono::seconds(15)) || !Alive(pebble_pid_)) {
    return UnavailableError("pebble did not start: " + PebbleLog());
  }
  return OkStatus();
}

void PebbleFixture::StopPebble() { KillAndReap(pebble_pid_); }

PebbleFixture::~PebbleFixture() {
  KillAndReap(pebble_pid_);
  KillAndReap(chall_pid_);
}

std::string PebbleFixture::directory_url() const {
  return "https://127.0.0.1:" + std::to_string(acme_port_) + "/dir";
}
std::string PebbleFixture::management_url() const {
  return "https://127.0.0.1:" + std::to_string(mgmt_port_);
}
std::string PebbleFixture::challtestsrv_url() const {
  return "http://127.0.0.1:" + std::to_string(chall_port_);
}
std::string PebbleFixture::PebbleLog() const { return tmp_.ReadFile("pebble.log"); }

}  // namespace ck::testing
