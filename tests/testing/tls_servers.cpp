#include "tests/testing/tls_servers.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "tests/testing/ports.hpp"

namespace ck::testing {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

}  // namespace

std::string OpensslServedSerial(uint16_t port, const std::string& sni) {
  auto [rc, out] =
      RunCommand({"/bin/sh", "-c",
                  std::string(kOpensslBinary) +
                      " s_client -connect 127.0.0.1:" + std::to_string(port) + " -servername " +
                      sni + " </dev/null 2>/dev/null | " + kOpensslBinary + " x509 -noout -serial"},
                 {}, std::chrono::seconds(20));
  if (rc != 0 || out.rfind("serial=", 0) != 0) return "";
  std::string serial = out.substr(7);
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == '\r')) serial.pop_back();
  return serial;
}

std::string WaitForServedSerial(uint16_t port, const std::string& sni, const std::string& serial,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = OpensslServedSerial(port, sni);
    if (seen == serial) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return seen;
}

std::string WaitForServedSerialChange(uint16_t port, const std::string& sni,
                                      const std::string& old_serial,
                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = OpensslServedSerial(port, sni);
    if (!seen.empty() && seen != old_serial) return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return seen;
}

NginxServer::~NginxServer() {
  // Graceful stop so nginx removes its pid file; Subprocess SIGKILLs what is left.
  if (process_.pid() > 0) {
    process_.Signal(SIGQUIT);
    (void)process_.Wait(std::chrono::seconds(5));
  }
}

bool NginxServer::Start(const std::string& dir, uint16_t port, const std::string& server_name,
                        const std::string& live_dir) {
  dir_ = dir;
  conf_ = dir + "/nginx.conf";
  std::string temp_paths;
  for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    temp_paths += std::string("  ") + kind + "_temp_path " + dir + "/" + kind + ";\n";
  }
  WriteText(conf_, "daemon off;\nmaster_process on;\nworker_processes 1;\npid " + dir +
                       "/nginx.pid;\nerror_log " + dir +
                       "/nginx-error.log info;\nevents { worker_connections 256; }\nhttp {\n"
                       "  access_log off;\n" +
                       temp_paths + "  server {\n    listen 127.0.0.1:" + std::to_string(port) +
                       " ssl;\n    server_name " + server_name + ";\n    ssl_certificate " +
                       live_dir + "/fullchain.pem;\n    ssl_certificate_key " + live_dir +
                       "/privkey.pem;\n    location / { return 200 \"ok\\n\"; }\n  }\n}\n");
  if (!process_.Start({kNginxBinary, "-e", dir + "/nginx-error.log", "-c", conf_})) {
    error_ = "cannot start nginx";
    return false;
  }
  if (!WaitForTcpPort(port, std::chrono::seconds(15))) {
    std::ifstream log(dir + "/nginx-error.log");
    error_ = "nginx did not start: " + process_.output() +
             std::string(std::istreambuf_iterator<char>(log), {});
    return false;
  }
  return true;
}

bool HaproxyServer::Start(const std::string& dir, uint16_t port, const std::string& cert_path) {
  socket_ = dir + "/haproxy-admin.sock";
  const std::string cfg = dir + "/haproxy.cfg";
  WriteText(cfg, "global\n  stats socket " + socket_ +
                     " level admin\ndefaults\n  mode http\n  timeout connect 5s\n"
                     "  timeout client 10s\n  timeout server 10s\nfrontend fe\n  bind 127.0.0.1:" +
                     std::to_string(port) + " ssl crt " + cert_path +
                     "\n  http-request return status 200 content-type text/plain string ok\n");
  if (!process_.Start({kHaproxyBinary, "-db", "-f", cfg})) {
    error_ = "cannot start haproxy";
    return false;
  }
  if (!WaitForTcpPort(port, std::chrono::seconds(15))) {
    error_ = "haproxy did not start: " + process_.output();
    return false;
  }
  return true;
}

}  // namespace ck::testing
