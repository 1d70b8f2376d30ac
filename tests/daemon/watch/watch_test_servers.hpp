// Real servers on loopback for the watch tests: `openssl s_server` serving a chosen chain with
// chosen protocol settings, a Python aiosmtpd server with STARTTLS, and "black holes" that
// accept TCP connections and never say a word. Header-only; stopped by pid (Subprocess).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::testing {

struct RunningServer {
  std::unique_ptr<Subprocess> process;
  uint16_t port = 0;
  std::string log;  // output of failed attempts, for the assertion message
};

// Starts `argv_for(port)` until it listens on a fresh port (another process may take a port
// between PickFreePort and bind; then the server exits and we try again).
template <typename ArgvFor>
RunningServer StartOnFreePort(ArgvFor argv_for,
                              std::chrono::seconds wait = std::chrono::seconds(10)) {
  RunningServer server;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const uint16_t port = PickFreePort();
    auto process = std::make_unique<Subprocess>();
    if (!process->Start(argv_for(port))) continue;
    if (WaitForTcpPort(port, wait) && !process->Wait(std::chrono::milliseconds(1)).has_value()) {
      server.process = std::move(process);
      server.port = port;
      return server;
    }
    process->Wait(std::chrono::seconds(1));
    server.log += process->output();
  }
  return server;
}

// `openssl s_server -www` serving `leaf` (and its intermediates) with `extra` flags, e.g.
// {"-cipher", "DEFAULT@SECLEVEL=0"} or {"-tls1_1"}.
inline RunningServer ServeWithOpenssl(const TempDir& dir, const std::string& name,
                                      const IssuedCert& leaf,
                                      const std::vector<std::string>& extra = {}) {
  const std::string cert = dir.WriteFile(name + ".pem", leaf.CertPem());
  const std::string key = dir.WriteFile(name + ".key", leaf.KeyPem(), 0600);
  std::string intermediates;
  for (size_t i = 1; i < leaf.chain.size(); ++i) intermediates += leaf.chain[i].ToPem();
  const std::string chain = dir.WriteFile(name + "-chain.pem", intermediates);
  return StartOnFreePort([&](uint16_t port) {
    std::vector<std::string> argv = {"/usr/bin/openssl",
                                     "s_server",
                                     "-accept",
                                     "127.0.0.1:" + std::to_string(port),
                                     "-cert",
                                     cert,
                                     "-key",
                                     key,
                                     "-quiet",
                                     "-www"};
    if (!intermediates.empty()) argv.insert(argv.end(), {"-cert_chain", chain});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  });
}

// tests/daemon/watch/smtp_starttls_server.py (aiosmtpd) with `leaf` for STARTTLS.
inline RunningServer ServeSmtpStartTls(const TempDir& dir, const IssuedCert& leaf) {
  const std::string cert = dir.WriteFile("smtp-fullchain.pem", leaf.ChainPem());
  const std::string key = dir.WriteFile("smtp.key", leaf.KeyPem(), 0600);
  const char* source = std::getenv("CK_SOURCE_DIR");
  const std::string script =
      std::string(source ? source : ".") + "/tests/daemon/watch/smtp_starttls_server.py";
  return StartOnFreePort(
      [&](uint16_t port) {
        return std::vector<std::string>{"/usr/bin/python3", script, "--port", std::to_string(port),
                                        "--cert",           cert,   "--key",  key};
      },
      std::chrono::seconds(20));
}

// tests/daemon/watch/starttls_preamble_server.py: the IMAP or PostgreSQL preamble, then TLS
// with `leaf`. `protocol`: "imap", "postgres" or "postgres-nossl" (answers the SSLRequest 'N').
inline RunningServer ServePreamble(const TempDir& dir, const std::string& protocol,
                                   const IssuedCert& leaf) {
  const std::string cert = dir.WriteFile(protocol + "-fullchain.pem", leaf.ChainPem());
  const std::string key = dir.WriteFile(protocol + ".key", leaf.KeyPem(), 0600);
  const char* source = std::getenv("CK_SOURCE_DIR");
  const std::string script =
      std::string(source ? source : ".") + "/tests/daemon/watch/starttls_preamble_server.py";
  return StartOnFreePort([&](uint16_t port) {
    return std::vector<std::string>{
        "/usr/bin/python3",   script,   "--protocol", protocol, "--port",
        std::to_string(port), "--cert", cert,         "--key",  key};
  });
}

// Accepts TCP connections (the kernel completes the handshake from the backlog) and never
// reads or writes: a server that hangs after connect.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::listen(fd_, 64) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~BlackHole() {
    if (fd_ >= 0) ::close(fd_);
  }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace ck::testing
