// Real TLS servers on loopback for deploy and lifecycle tests: nginx (files from a certbot-style
// live dir, reloaded by signal) and HAProxy (one crt file, runtime API socket at admin level),
// plus what a client sees, read with the real `openssl s_client` rather than our own probe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::testing {

inline constexpr char kNginxBinary[] = "/usr/sbin/nginx";
inline constexpr char kHaproxyBinary[] = "/usr/sbin/haproxy";
inline constexpr char kOpensslBinary[] = "/usr/bin/openssl";

// The serial (uppercase hex) `openssl s_client` sees on 127.0.0.1:port with SNI `sni`; "" when
// the handshake fails.
std::string OpensslServedSerial(uint16_t port, const std::string& sni);

// Polls until `port` serves `serial`; returns the last serial seen.
std::string WaitForServedSerial(uint16_t port, const std::string& sni, const std::string& serial,
                                std::chrono::milliseconds timeout);

// Polls until `port` serves something other than `old_serial` (and not nothing).
std::string WaitForServedSerialChange(uint16_t port, const std::string& sni,
                                      const std::string& old_serial,
                                      std::chrono::milliseconds timeout);

// nginx in the foreground (daemon off, master + 1 worker) with everything under `dir`:
// one TLS server on 127.0.0.1:port for `server_name`, certificate and key from `live_dir`
// (fullchain.pem, privkey.pem), answering 200 "ok".
class NginxServer {
 public:
  ~NginxServer();
  // Writes <dir>/nginx.conf and starts nginx; the files must exist. Returns false (with the
  // reason in error()) when nginx does not come up.
  bool Start(const std::string& dir, uint16_t port, const std::string& server_name,
             const std::string& live_dir);
  const std::string& conf() const { return conf_; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return process_.pid(); }

 private:
  std::string dir_, conf_, error_;
  Subprocess process_;
};

// HAProxy in the foreground (-db) terminating TLS on 127.0.0.1:port with `cert_path`
// (fullchain + key) and a stats socket at admin level.
class HaproxyServer {
 public:
  bool Start(const std::string& dir, uint16_t port, const std::string& cert_path);
  const std::string& socket() const { return socket_; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return process_.pid(); }

 private:
  std::string socket_, error_;
  Subprocess process_;
};

}  // namespace ck::testing
