#include "tests/testing/bind_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/encoding.hpp"
#include "pki/digest.hpp"
#include "tests/testing/ports.hpp"

namespace ck::testing {

namespace {
constexpr char kNamed[] = "/usr/sbin/named";
}

bool BindFixture::Installed() { return ::access(kNamed, X_OK) == 0; }

Result<std::unique_ptr<BindFixture>> BindFixture::Start(const std::string& zone) {
  if (!Installed()) return NotFoundError("bind9 is not installed (apt-get install bind9)");
  std::unique_ptr<BindFixture> f(new BindFixture());
  f->zone_ = zone;
  f->port_ = PickFreePort();
  const std::string& d = f->tmp_.path();
  ASSIGN_OR_RETURN(Bytes secret, pki::RandomBytes(32));
  std::string key = "key \"" + f->key_name_ + "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" +
                    Base64Encode(secret) + "\";\n};\n";
  f->key_file_ = f->tmp_.WriteFile("tsig.key", key, 0600);
  std::string conf = "options {\n  directory \"" + d + "\";\n  listen-on port " +
                     std::to_string(f->port_) +
                     " { 127.0.0.1; };\n  listen-on-v6 { none; };\n  pid-file \"" + d +
                     "/named.pid\";\n  session-keyfile \"" + d +
                     "/session.key\";\n  managed-keys-directory \"" + d +
                     "\";\n  recursion no;\n  dnssec-validation no;\n  notify no;\n};\n"
                     "controls { };\n" +
                     key + "zone \"" + zone + "\" {\n  type primary;\n  file \"" + d + "/" + zone +
                     ".zone\";\n  allow-update { key \"" + f->key_name_ + "\"; };\n};\n";
  f->tmp_.WriteFile("named.conf", conf);
  f->tmp_.WriteFile(zone + ".zone",
                    "$TTL 60\n@ IN SOA ns." + zone + ". hostmaster." + zone +
                        ". 1 60 60 600 60\n@ IN NS ns." + zone +
                        ".\nns IN A 127.0.0.1\n@ IN A 127.0.0.1\n* IN A 127.0.0.1\n");
  std::string log = f->tmp_.Path("named.log");
  std::string conf_path = f->tmp_.Path("named.conf");
  pid_t parent = ::getpid();
  f->pid_ = ::fork();
  if (f->pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl(kNamed, kNamed, "-g", "-4", "-n", "1", "-c", conf_path.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (!WaitForTcpPort(f->port_, std::chrono::seconds(15))) {
    return UnavailableError("named did not start: " + f->Log());
  }
  return f;
}

BindFixture::~BindFixture() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

}  // namespace ck::testing
