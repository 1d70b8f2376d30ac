// Solvers on their own: http-01 listener and webroot, the tls-alpn-01 certificate (RFC 8737
// §3), the DNS TXT query/answer codec (with garbage), the propagation wait against a UDP
// responder that learns the record late, and the lego-compatible exec hook.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include "acme/curl_transport.hpp"
#include "acme/jose.hpp"
#include "acme/resources.hpp"
#include "acme/solvers/dns01.hpp"
#include "acme/solvers/http01.hpp"
#include "acme/solvers/tls_alpn01.hpp"
#include "pki/digest.hpp"
#include "tests/acme/fake_ca.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::acme {
namespace {

ChallengeContext Ctx(const std::string& name, const std::string& token) {
  ChallengeContext c;
  c.identifier = IdentifierFor(name);
  c.type = "http-01";
  c.token = token;
  c.key_authorization = token + ".thumb";
  return c;
}

TEST(Http01Test, StandaloneServesRefCountedTokens) {
  ASSERT_OK_AND_ASSIGN(auto server, Http01Standalone::Start("127.0.0.1", 0));
  CurlTransport http(CurlTransportOptions{});
  auto get = [&](const std::string& token) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(server->port()) + "/.well-known/acme-challenge/" +
            token;
    return http.Do(r);
  };
  ASSERT_OK(server->Present(Ctx("a.test", "tok_A")));
  ASSERT_OK(server->Present(Ctx("a.test", "tok_A")));  // a second order, same authorization
  ASSERT_OK_AND_ASSIGN(HttpResponse ok, get("tok_A"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "tok_A.thumb");
  ASSERT_OK_AND_ASSIGN(HttpResponse missing, get("other"));
  EXPECT_EQ(missing.status, 404);
  ASSERT_OK(server->CleanUp(Ctx("a.test", "tok_A")));
  EXPECT_EQ(get("tok_A")->status, 200) << "still needed by the other order";
  ASSERT_OK(server->CleanUp(Ctx("a.test", "tok_A")));
  EXPECT_EQ(get("tok_A")->status, 404);
  EXPECT_FALSE(server->Present(Ctx("a.test", "../etc/passwd")).ok());
  // A second listener on the same port is refused as Unavailable.
  auto clash = Http01Standalone::Start("127.0.0.1", server->port());
  EXPECT_EQ(clash.status().code(), StatusCode::kUnavailable);
}

TEST(Http01Test, DefaultAddressIsDualStack) {
  ASSERT_OK_AND_ASSIGN(auto server, Http01Standalone::Start("", 0));
  ASSERT_OK(server->Present(Ctx("a.test", "tok_D")));
  CurlTransport http(CurlTransportOptions{});
  for (std::string host : {"127.0.0.1", "[::1]"}) {
    HttpRequest r;
    r.url = "http://" + host + ":" + std::to_string(server->port()) +
            "/.well-known/acme-challenge/tok_D";
    auto resp = http.Do(r);
    if (!resp.ok() && host == "[::1]") GTEST_SKIP() << "no IPv6 loopback here";
    ASSERT_OK(resp) << host;
    EXPECT_EQ(resp->status, 200) << host;
    EXPECT_EQ(resp->body, "tok_D.thumb");
  }
  HttpRequest bad;
  bad.method = "POST";
  bad.url =
      "http://127.0.0.1:" + std::to_string(server->port()) + "/.well-known/acme-challenge/tok_D";
  EXPECT_EQ(http.Do(bad)->status, 405);
}

TEST(Http01Test, WebrootWritesAndRemovesTheToken) {
  ck::testing::TempDir dir;
  Http01Webroot solver(dir.path());
  ASSERT_OK(solver.Present(Ctx("a.test", "tok_B")));
  EXPECT_EQ(dir.ReadFile(".well-known/acme-challenge/tok_B"), "tok_B.thumb");
  struct stat st {};
  ASSERT_EQ(::stat(solver.PathFor("tok_B").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_OK(solver.CleanUp(Ctx("a.test", "tok_B")));
  EXPECT_NE(::access(solver.PathFor("tok_B").c_str(), F_OK), 0);
  EXPECT_OK(solver.CleanUp(Ctx("a.test", "tok_B"))) << "CleanUp tolerates nothing to clean";
  EXPECT_FALSE(solver.Present(Ctx("a.test", "a/../../b")).ok());
}

TEST(TlsAlpn01Test, CertificateCarriesIdentifierAndCriticalAcmeExtension) {
  ASSERT_OK_AND_ASSIGN(auto key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  TimePoint now = FromUnixSeconds(1'700'000'000);
  ASSERT_OK_AND_ASSIGN(
      pki::Certificate cert,
      BuildTlsAlpn01Certificate(IdentifierFor("a.example.test"), "tok.thumb", key, now));
  auto info = cert.Inspect();
  EXPECT_EQ(info.DnsNames(), std::vector<std::string>{"a.example.test"});
  EXPECT_LT(info.not_before, now);
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
      OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1), &ASN1_OBJECT_free);
  int idx = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  ASSERT_GE(idx, 0);
  X509_EXTENSION* ext = X509_get_ext(cert.get(), idx);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  Bytes der(data->data, data->data + data->length);
  Bytes want = {0x04, 0x20};
  Bytes digest = pki::Sha256(std::string_view("tok.thumb"));
  want.insert(want.end(), digest.begin(), digest.end());
  EXPECT_EQ(der, want);
  ASSERT_OK_AND_ASSIGN(pki::Certificate ipcert,
                       BuildTlsAlpn01Certificate(IdentifierFor("192.0.2.7"), "t.x", key, now));
  ASSERT_EQ(ipcert.SubjectAltNames().size(), 1u);
  EXPECT_EQ(ReverseDnsName("192.0.2.7"), "7.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseDnsName("2001:db8::1").substr(0, 8), "1.0.0.0.");
  EXPECT_EQ(ReverseDnsName("2001:db8::1").substr(ReverseDnsName("2001:db8::1").size() - 8),
            "ip6.arpa");
}

// An answer to `query` with the given TXT values (name compressed to the question).
std::string Answer(const std::string& query, const std::vector<std::string>& values,
                   int rcode = 0) {
  std::string m = query;
  m[2] = static_cast<char>(0x84);  // QR, AA
  m[3] = static_cast<char>(rcode);
  m[6] = 0;
  m[7] = static_cast<char>(values.size());
  for (const auto& v : values) {
    m += "\xc0\x0c";  // pointer to the question name
    m += std::string("\x00\x10\x00\x01", 4);
    m += std::string("\x00\x00\x00\x3c", 4);
    m += static_cast<char>(0);
    m += static_cast<char>(v.size() + 1);
    m += static_cast<char>(v.size());
    m += v;
  }
  return m;
}

TEST(DnsTest, QueryAndAnswerCodec) {
  std::string q = BuildTxtQuery("_acme-challenge.example.com.", 0x1234);
  EXPECT_EQ(q.substr(12, 16), std::string("\x0f_acme-challenge", 16));
  ASSERT_OK_AND_ASSIGN(auto values, ParseTxtAnswer(Answer(q, {"v1", "v2"}), 0x1234));
  EXPECT_EQ(values, (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(ParseTxtAnswer(Answer(q, {}, 3), 0x1234).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(ParseTxtAnswer(Answer(q, {"v"}), 0x9999).ok()) << "wrong id";
  std::mt19937_64 rng(5);
  std::string good = Answer(q, {"value"});
  for (int i = 0; i < 20000; ++i) {
    std::string m = good;
    for (int e = 0; e < 1 + static_cast<int>(rng() % 4); ++e) {
      if (m.empty()) break;
      size_t pos = rng() % m.size();
      if (rng() % 2)
        m[pos] = static_cast<char>(rng());
      else
        m.resize(pos);
    }
    (void)ParseTxtAnswer(m, 0x1234);
  }
}

// A UDP DNS responder on 127.0.0.1 that answers NXDOMAIN for the first `late` queries.
class TxtResponder {
 public:
  TxtResponder(std::string value, int late) : value_(std::move(value)), late_(late) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[512];
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) continue;
        std::string q(buf, static_cast<size_t>(n));
        std::string a = queries_++ < late_ ? Answer(q, {}, 3) : Answer(q, {"other", value_});
        ::sendto(fd_, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
    });
  }
  ~TxtResponder() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }

 private:
  std::string value_;
  int late_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

TEST(DnsTest, WaitForTxtPollsUntilVisibleAndIsBounded) {
  TxtResponder ns("the-value", 3);
  testing::StepClock clock;
  PropagationCheck check;
  check.nameservers = {ns.address()};
  ASSERT_OK(WaitForTxt(clock, check, "_acme-challenge.x.test", "the-value"));
  EXPECT_EQ(ns.queries(), 4);
  EXPECT_EQ(clock.sleeps().size(), 3u);
  EXPECT_LT(clock.sleeps()[0], std::chrono::seconds(1));

  TxtResponder never("x", 1'000'000);
  check.nameservers = {never.address()};
  check.timeout = std::chrono::seconds(10);
  Status s = WaitForTxt(clock, check, "_acme-challenge.x.test", "the-value");
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(s.message().find(never.address()), std::string::npos);
}

TEST(DnsTest, ExecHookGetsLegoArgumentsAndFailuresAreReported) {
  ck::testing::TempDir dir;
  std::string log = dir.Path("calls");
  std::string hook = dir.WriteFile("hook.sh", "#!/bin/sh\necho \"$@\" >> " + log + "\n", 0755);
  testing::StepClock clock;
  Dns01ExecSolver solver(hook, clock);
  ChallengeContext c = Ctx("example.com", "tok");
  c.type = "dns-01";
  ASSERT_OK(solver.Present(c));
  ASSERT_OK(solver.Wait(c));  // no nameservers: no check
  ASSERT_OK(solver.CleanUp(c));
  EXPECT_EQ(dir.ReadFile("calls"), "present _acme-challenge.example.com. " + c.DnsTxtValue() +
                                       "\ncleanup _acme-challenge.example.com. " + c.DnsTxtValue() +
                                       "\n");
  std::string failing = dir.WriteFile("fail.sh", "#!/bin/sh\nexit 3\n", 0755);
  Dns01ExecSolver bad(failing, clock);
  Status s = bad.Present(c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("exit 3"), std::string::npos);
  Dns01ExecSolver missing(dir.Path("nope"), clock);
  EXPECT_FALSE(missing.Present(c).ok());
}

}  // namespace
}  // namespace ck::acme
