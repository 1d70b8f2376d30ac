// An AdminServer over HTTPS on a free loopback port for tests: a fresh test root, a server
// certificate for localhost/127.0.0.1, and the root's PEM on disk for clients (--cacert).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"
#include "web/admin_server.hpp"

namespace ck::web {

class TlsTestServer {
 public:
  // Starts the server; check ok() (gtest assertions cannot return values from here).
  explicit TlsTestServer(Backend& backend, AdminServerOptions options = {}) {
    auto root = testing::TestCa::CreateRoot(testing::CaSpec("Lifecycle API Test Root"));
    if (!root.ok()) {
      error_ = root.status().ToString();
      return;
    }
    root_.emplace(std::move(*root));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
    testing::CertSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    auto leaf = root_->Issue(spec);
    if (!leaf.ok()) {
      error_ = leaf.status().ToString();
      return;
    }
    auto credentials = std::make_shared<ServerCredentials>();
    if (Status s = credentials->Set({leaf->cert}, leaf->key); !s.ok()) {
      error_ = s.ToString();
      return;
    }
    auto settings = std::make_shared<TlsServerSettings>();
    settings->credentials = credentials;
    settings->client_roots = {root_->cert()};
    options.port = 0;
    options.tls = settings;
    server_ = std::make_unique<AdminServer>(options, backend);
    auto port = server_->Start();
    if (!port.ok()) {
      error_ = port.status().ToString();
      return;
    }
    port_ = *port;
  }
  ~TlsTestServer() {
    if (server_) server_->Stop();
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "https://localhost:" + std::to_string(port_); }
  const std::string& root_pem_path() const { return root_pem_; }
  const testing::TestCa& root() const { return *root_; }
  const testing::TempDir& dir() const { return dir_; }
  AdminServer& server() { return *server_; }

 private:
  testing::TempDir dir_;
  std::optional<testing::TestCa> root_;
  std::string root_pem_;
  std::unique_ptr<AdminServer> server_;
  uint16_t port_ = 0;
  std::string error_;
};

}  // namespace ck::web
