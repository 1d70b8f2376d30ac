#include "pki/tls_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <thread>

#include "pki/tcp_connect.hpp"
#include "pki/verify.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::pki {
namespace {

using ::ck::testing::CaSpec;
using ::ck::testing::CertSpec;
using ::ck::testing::IssuedCert;
using ::ck::testing::Subprocess;
using ::ck::testing::TempDir;
using ::ck::testing::TestCa;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    const std::string candidate = dirs.substr(start, colon - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "/usr/bin/" + name;
}

// One `openssl s_server` for the whole suite, serving a TestCa chain on 127.0.0.1.
class TlsProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto root = TestCa::CreateRoot(CaSpec("Probe Root"));
    ASSERT_OK(root);
    root_ = new TestCa(std::move(root).value());
    auto inter = root_->CreateIntermediate(CaSpec("Probe Intermediate"));
    ASSERT_OK(inter);
    CertSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    auto leaf = inter->Issue(spec);
    ASSERT_OK(leaf);
    leaf_ = new IssuedCert(std::move(leaf).value());
    const std::string cert = dir_->WriteFile("leaf.pem", leaf_->CertPem());
    const std::string key = dir_->WriteFile("key.pem", leaf_->KeyPem(), 0600);
    const std::string chain = dir_->WriteFile("chain.pem", inter->cert().ToPem());
    // The port was free a moment ago; if another process grabs it first, s_server exits and
    // we try again with a fresh one.
    std::string log;
    for (int attempt = 0; attempt < 5 && server_ == nullptr; ++attempt) {
      const uint16_t port = ::ck::testing::PickFreePort();
      ASSERT_NE(port, 0);
      auto server = std::make_unique<Subprocess>();
      // -www answers without reading stdin; no -naccept, so it serves until we kill it.
      ASSERT_TRUE(server->Start({FindInPath("openssl"), "s_server", "-accept",
                                 "127.0.0.1:" + std::to_string(port), "-cert", cert, "-key", key,
                                 "-cert_chain", chain, "-alpn", "h2,http/1.1", "-www", "-quiet"}));
      if (::ck::testing::WaitForTcpPort(port, std::chrono::seconds(10)) &&
          !server->Wait(std::chrono::milliseconds(1)).has_value()) {  // still running
        port_ = port;
        server_ = server.release();
      } else {
        server->Wait(std::chrono::seconds(1));
        log += server->output();
      }
    }
    ASSERT_NE(server_, nullptr) << "openssl s_server did not start: " << log;
  }

  static void TearDownTestSuite() {
    delete server_;  // SIGKILL by pid, then reaped
    server_ = nullptr;
    delete leaf_;
    delete root_;
    delete dir_;
  }

  static inline TempDir* dir_ = nullptr;
  static inline TestCa* root_ = nullptr;
  static inline IssuedCert* leaf_ = nullptr;
  static inline Subprocess* server_ = nullptr;
  static inline uint16_t port_ = 0;
};

TEST_F(TlsProbeTest, CapturesChainProtocolAndCipher) {
  TlsProbeOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.sni = "localhost";
  ASSERT_OK_AND_ASSIGN(TlsProbeResult r, ProbeTls(options));
  ASSERT_EQ(r.chain.size(), 2u);
  EXPECT_TRUE(r.chain[0] == leaf_->cert);
  EXPECT_TRUE(r.chain[1] == leaf_->chain[1]);
  EXPECT_EQ(r.protocol, "TLSv1.3");
  EXPECT_THAT(r.cipher, StartsWith("TLS_"));
  EXPECT_EQ(r.peer_address, "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(r.sni, "localhost");
  EXPECT_EQ(r.alpn, "");

  // The captured chain is what VerifyChain then explains.
  VerifyOptions verify;
  verify.at = SystemClock().Now();
  verify.hostname = "localhost";
  VerifyResult v = VerifyChain(r.chain, {root_->cert()}, verify);
  EXPECT_TRUE(v.ok) << v.message;
  verify.hostname = "example.test";
  EXPECT_EQ(VerifyChain(r.chain, {root_->cert()}, verify).reason, VerifyReason::kHostnameMismatch);
}

TEST_F(TlsProbeTest, NoSniForIpLiteralsAndAlpnIsReported) {
  TlsProbeOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.alpn = {"h2"};
  ASSERT_OK_AND_ASSIGN(TlsProbeResult r, ProbeTls(options));
  EXPECT_EQ(r.sni, "");
  EXPECT_EQ(r.alpn, "h2");
}

TEST_F(TlsProbeTest, ResolvesNamesAndFallsBackAcrossAddresses) {
  // "localhost" may resolve to ::1 first, where nothing listens: the probe must move on.
  TlsProbeOptions options;
  options.host = "localhost";
  options.port = port_;
  ASSERT_OK_AND_ASSIGN(TlsProbeResult r, ProbeTls(options));
  EXPECT_EQ(r.peer_address, "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(r.sni, "localhost");
  EXPECT_EQ(r.chain.size(), 2u);
}

TEST(TlsProbeErrorsTest, ClosedPortIsUnavailableQuickly) {
  const uint16_t port = ::ck::testing::PickFreePort();
  TlsProbeOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  const auto start = std::chrono::steady_clock::now();
  auto r = ProbeTls(options);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(r.status().message(), HasSubstr("refused"));
}

// A listening socket; optionally accepts one connection, writes `reply` and closes it.
class PlainServer {
 public:
  explicit PlainServer(bool answer, std::string reply = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    if (answer) {
      thread_ = std::thread([this, reply] {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ssize_t n = ::write(c, reply.data(), reply.size());
        (void)n;
        ::close(c);
      });
    }
  }
  ~PlainServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes a blocked accept()
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(TlsProbeErrorsTest, NonTlsServerFailsTheHandshakeClearly) {
  PlainServer server(/*answer=*/true, "HTTP/1.0 400 Bad Request\r\n\r\n");
  ASSERT_NE(server.port(), 0);
  TlsProbeOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  auto r = ProbeTls(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " failed"));
}

TEST(TlsProbeErrorsTest, SilentServerTimesOut) {
  PlainServer server(/*answer=*/false);  // completes TCP via the backlog, never speaks TLS
  ASSERT_NE(server.port(), 0);
  TlsProbeOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = ProbeTls(options);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("timed out after 300ms"));
}

TEST(TlsProbeErrorsTest, BadInputsAndUnresolvableNames) {
  TlsProbeOptions options;
  options.host = "";
  EXPECT_EQ(ProbeTls(options).status().code(), StatusCode::kInvalidArgument);
  options.host = "127.0.0.1";
  options.port = 0;
  EXPECT_EQ(ProbeTls(options).status().code(), StatusCode::kInvalidArgument);
  options.port = 443;
  options.alpn = {""};
  EXPECT_EQ(ProbeTls(options).status().code(), StatusCode::kInvalidArgument);
  options.alpn = {};
  options.host = std::string("127.0.0.1\0.example.test", 22);
  EXPECT_EQ(ProbeTls(options).status().code(), StatusCode::kInvalidArgument);
  options.host = "127.0.0.1";
  options.sni = std::string("a.test\0b.test", 13);
  EXPECT_EQ(ProbeTls(options).status().code(), StatusCode::kInvalidArgument);
  options.sni = "";
  options.host = "name.invalid";  // RFC 6761 §6.4: never resolves
  auto r = ProbeTls(options);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot resolve 'name.invalid'"));
}

}  // namespace
}  // namespace ck::pki
