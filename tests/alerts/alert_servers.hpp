// Real servers for the alert channel tests, on loopback: the aiosmtpd SMTP sink
// (tests/smtp_sink/sink.py, STARTTLS with a TestCa certificate, or plain) and the webhook
// receiver (tests/webhook_receiver/receiver.py, signed or --unsigned). Header-only.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::testing {

inline std::string SourceFile(const std::string& relative) {
  if (const char* src = std::getenv("CK_SOURCE_DIR")) return std::string(src) + "/" + relative;
  // Outside CTest: this file is tests/alerts/alert_servers.hpp.
  return (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / relative)
      .string();
}

inline bool HaveSystemPython() { return ::access("/usr/bin/python3", X_OK) == 0; }

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files in `dir` with `extension`, sorted by name.
inline std::vector<std::filesystem::path> FilesIn(const std::string& dir,
                                                  const std::string& extension) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == extension) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A server certificate for 127.0.0.1/localhost from a fresh TestCa; ca_file trusts it.
struct LoopbackTls {
  std::string cert_file, key_file, ca_file;
  static std::optional<LoopbackTls> Create(const TempDir& tmp, const std::string& prefix) {
    auto root = TestCa::CreateRoot(CaSpec("Alert Test Root"));
    if (!root.ok()) return std::nullopt;
    CertSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    auto leaf = root->Issue(spec);
    if (!leaf.ok()) return std::nullopt;
    LoopbackTls t;
    t.cert_file = tmp.WriteFile(prefix + "-cert.pem", leaf->CertPem() + leaf->ChainPem());
    t.key_file = tmp.WriteFile(prefix + "-key.pem", leaf->KeyPem(), 0600);
    t.ca_file = tmp.WriteFile(prefix + "-ca.pem", root->cert().ToPem());
    return t;
  }
};

class SmtpSink {
 public:
  // tls: offer STARTTLS (and require it before MAIL); nullopt: plain SMTP only.
  // implicit_tls: TLS from the first byte (smtps://) instead of STARTTLS.
  SmtpSink(const TempDir& tmp, const std::string& name, const std::optional<LoopbackTls>& tls,
           bool implicit_tls = false)
      : implicit_tls_(implicit_tls) {
    out_dir_ = tmp.Path(name);
    port_ = PickFreePort();
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     SourceFile("tests/smtp_sink/sink.py"),
                                     "--port",
                                     std::to_string(port_),
                                     "--out",
                                     out_dir_};
    if (tls) argv.insert(argv.end(), {"--cert", tls->cert_file, "--key", tls->key_file});
    if (tls && implicit_tls) argv.push_back("--implicit-tls");
    ok_ = proc_.Start(argv) && proc_.WaitForOutput("ready", std::chrono::seconds(20));
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }
  std::string url() const {
    return std::string(implicit_tls_ ? "smtps" : "smtp") + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string log() const { return proc_.output(); }
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const auto& p : FilesIn(out_dir_, ".eml")) out.push_back(Slurp(p));
    return out;
  }
  std::vector<nlohmann::json> Envelopes() const {
    std::vector<nlohmann::json> out;
    for (const auto& p : FilesIn(out_dir_, ".json")) {
      out.push_back(nlohmann::json::parse(Slurp(p), nullptr, false));
    }
    return out;
  }

 private:
  Subprocess proc_;
  std::string out_dir_;
  uint16_t port_ = 0;
  bool ok_ = false;
  bool implicit_tls_ = false;
};

class HookReceiver {
 public:
  // secret_file empty: --unsigned.
  HookReceiver(const TempDir& tmp, const std::string& name, const std::string& secret_file = "") {
    out_dir_ = tmp.Path(name);
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     SourceFile("tests/webhook_receiver/receiver.py"),
                                     "--port",
                                     "0",
                                     "--out",
                                     out_dir_};
    if (secret_file.empty()) {
      argv.push_back("--unsigned");
    } else {
      argv.insert(argv.end(), {"--secret-file", secret_file});
    }
    if (proc_.Start(argv, {}, /*merge_stderr=*/false) &&
        proc_.WaitForOutput("\n", std::chrono::seconds(20))) {
      port_ = std::atoi(proc_.output().c_str());
    }
  }
  bool ok() const { return port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<nlohmann::json> Bodies() const {
    std::vector<nlohmann::json> out;
    for (const auto& p : FilesIn(out_dir_, ".json")) {
      out.push_back(nlohmann::json::parse(Slurp(p), nullptr, false));
    }
    return out;
  }

 private:
  Subprocess proc_;
  std::string out_dir_;
  int port_ = 0;
};

}  // namespace ck::testing
