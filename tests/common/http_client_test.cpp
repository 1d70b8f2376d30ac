// common/http_client against real cpp-httplib servers on loopback (plain and TLS): what comes
// back, and how each kind of failure maps to a Status code.
#include "common/http_client.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "tests/testing/ports.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::http {
namespace {

using ck::testing::PickFreePort;
using ck::testing::TempDir;

// A server on its own thread, stopped and joined on destruction.
class RunningServer {
 public:
  RunningServer(httplib::Server& server, uint16_t port) : server_(server) {
    thread_ = std::thread([this, port] { server_.listen("127.0.0.1", port); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }

 private:
  httplib::Server& server_;
  std::thread thread_;
};

void AddRoutes(httplib::Server& server) {
  server.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Link", "<a>;rel=\"up\"");
    res.set_header("X-Seen-Agent", req.get_header_value("User-Agent"));
    res.set_content("hello", "text/plain");
  });
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 201;
    res.set_content(req.body, "application/octet-stream");
  });
  server.Delete("/thing", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 204;
    (void)req;
  });
  server.Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(64 * 1024, 'x'), "text/plain");
  });
}

TEST(HttpClientTest, ExchangesOverPlainHttp) {
  httplib::Server server;
  AddRoutes(server);
  const uint16_t port = PickFreePort();
  RunningServer running(server, port);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  Connection connection;
  ClientOptions options;
  options.user_agent = "ck-test";
  ASSERT_OK_AND_ASSIGN(Response hello, connection.Do({"GET", base + "/hello", {}, ""}, options));
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "hello");
  EXPECT_EQ(hello.Header("LINK"), "<a>;rel=\"up\"");  // names are case-insensitive
  EXPECT_EQ(hello.Header("x-seen-agent"), "ck-test");
  EXPECT_EQ(hello.Header("absent"), "");

  Request post{"POST", base + "/echo", {{"Content-Type", "application/json"}}, R"({"a":1})"};
  ASSERT_OK_AND_ASSIGN(Response echoed, connection.Do(post, options));
  EXPECT_EQ(echoed.status, 201);
  EXPECT_EQ(echoed.body, R"({"a":1})");

  ASSERT_OK_AND_ASSIGN(Response deleted,
                       connection.Do({"DELETE", base + "/thing", {}, ""}, options));
  EXPECT_EQ(deleted.status, 204);
  // Any status is a response, not an error.
  ASSERT_OK_AND_ASSIGN(Response missing, connection.Do({"GET", base + "/nope", {}, ""}, options));
  EXPECT_EQ(missing.status, 404);

  options.max_response_bytes = 1024;
  auto big = connection.Do({"GET", base + "/big", {}, ""}, options);
  EXPECT_EQ((big).status().code(), StatusCode::kDataLoss);
  EXPECT_NE(big.status().message().find("GET " + base + "/big"), std::string::npos);

  // "https" only: nothing is sent in the clear.
  options.max_response_bytes = 1 << 20;
  options.protocols = "https";
  EXPECT_EQ((connection.Do({"GET", base + "/hello", {}, ""}, options)).status().code(),
            StatusCode::kUnavailable);
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  Connection connection;
  const std::string url = "http://127.0.0.1:" + std::to_string(PickFreePort()) + "/";
  auto r = connection.Do({"GET", url, {}, ""}, ClientOptions{});
  EXPECT_EQ((r).status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find(url), std::string::npos) << r.status().ToString();
}

TEST(HttpClientTest, VerifiesTheServerCertificate) {
  ASSERT_OK_AND_ASSIGN(auto root, ck::testing::TestCa::CreateRoot());
  ck::testing::CertSpec spec;
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1"};
  ASSERT_OK_AND_ASSIGN(auto leaf, root.Issue(spec));
  TempDir dir;
  const std::string cert = dir.WriteFile("cert.pem", leaf.CertPem());
  const std::string key = dir.WriteFile("key.pem", leaf.KeyPem(), 0600);
  const std::string bundle = dir.WriteFile("ca.pem", root.cert().ToPem());

  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  AddRoutes(server);
  const uint16_t port = PickFreePort();
  RunningServer running(server, port);
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/hello";

  Connection connection;
  ClientOptions options;  // the system trust store does not know the test root
  EXPECT_EQ((connection.Do({"GET", url, {}, ""}, options)).status().code(),
            StatusCode::kFailedPrecondition);
  options.ca_bundle = bundle;
  ASSERT_OK_AND_ASSIGN(Response hello, connection.Do({"GET", url, {}, ""}, options));
  EXPECT_EQ(hello.body, "hello");
  // A client certificate that cannot be read is the caller's problem, not the network's.
  options.client_cert_file = dir.Path("missing.pem");
  options.client_key_file = dir.Path("missing-key.pem");
  EXPECT_EQ((connection.Do({"GET", url, {}, ""}, options)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ck::http
