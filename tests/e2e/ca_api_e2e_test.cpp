// The internal CA through the admin API, end to end with the real daemon, curl and openssl:
// open chain/CRL/OCSP; issue and revoke need the operator role; bad requests are 400 and write
// nothing; an issued chain passes `openssl verify`, a revocation shows in the CRL and in OCSP.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;
using ck::testing::TempDir;

class CaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.WriteFile("c.toml", "");
    ASSERT_TRUE(daemon_.Start(Cmd({"serve", "--dev", "--listen", "127.0.0.1:0"})));
    ASSERT_TRUE(daemon_.WaitForOutput("Stop with Ctrl-C")) << daemon_.output();
    std::smatch m;
    std::string banner = daemon_.output();
    ASSERT_TRUE(
        std::regex_search(banner, m, std::regex(R"(admin API +https://127\.0\.0\.1:([0-9]+))")));
    url_ = "https://localhost:" + std::string(m[1]);
    bundle_ = dir_.Path("state/ca-bundle.pem");
    operator_ = Token("operator");
    viewer_ = Token("viewer");
  }
  void TearDown() override {
    daemon_.Signal(SIGTERM);
    EXPECT_EQ(daemon_.Wait().value_or(-1), 0) << daemon_.output();
  }

  std::vector<std::string> Cmd(std::vector<std::string> args) {
    args.insert(args.begin(), ck::testing::CertkeeperBinary());
    args.insert(args.end(), {"--state-dir", dir_.Path("state"), "--config", config_});
    return args;
  }
  std::string Token(const std::string& role) {
    auto [rc, out] = RunCommand(Cmd({"token", "create", "--role", role, "--name", role, "--json"}));
    EXPECT_EQ(rc, 0) << out;
    auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
    return j.is_discarded() ? "" : j["token"].get<std::string>();
  }
  // {http status, body}
  std::pair<int, std::string> Call(const std::string& method, const std::string& path,
                                   const std::string& token, const std::string& body = "") {
    std::string out_file = dir_.Path("resp.bin");
    std::vector<std::string> argv = {"/usr/bin/curl", "-s",       "-o",    out_file, "-w",
                                     "%{http_code}",  "--cacert", bundle_, "-X",     method};
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    if (!body.empty()) {
      argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
    }
    argv.push_back(url_ + path);
    auto [rc, code] = RunCommand(argv);
    EXPECT_EQ(rc, 0) << code;
    return {std::atoi(code.c_str()), dir_.ReadFile("resp.bin")};
  }
  size_t CertificateCount() {
    auto [status, body] = Call("GET", "/v1/certificates?limit=1000", viewer_);
    EXPECT_EQ(status, 200) << body;
    return nlohmann::json::parse(body)["certificates"].size();
  }

  TempDir dir_;
  std::string config_;
  Subprocess daemon_;
  std::string url_, bundle_, operator_, viewer_;
};

TEST_F(CaApiTest, IssueVerifyRevokeCrlOcsp) {
  auto [chain_status, chain] = Call("GET", "/v1/ca/chain", "");
  ASSERT_EQ(chain_status, 200);
  EXPECT_NE(chain.find("BEGIN CERTIFICATE"), std::string::npos);

  const size_t before = CertificateCount();
  auto [st, body] = Call("POST", "/v1/certificates/issue", operator_,
                         R"({"profile":"server","dns":["api.svc.internal"],"ttl":"2h"})");
  ASSERT_EQ(st, 201) << body;
  auto issued = nlohmann::json::parse(body);
  EXPECT_NE(issued["private_key"].get<std::string>().find("PRIVATE KEY"), std::string::npos);
  std::string leaf = dir_.WriteFile("leaf.pem", issued["certificate"].get<std::string>());
  std::string inter = dir_.WriteFile("inter.pem", issued["chain"].get<std::string>());
  auto [vrc, vout] = RunCommand({"/usr/bin/openssl", "verify", "-CAfile", bundle_, "-untrusted",
                                 inter, "-purpose", "sslserver", leaf});
  EXPECT_EQ(vrc, 0) << vout;
  EXPECT_EQ(CertificateCount(), before + 1);

  // The private key is handed out once and never listed.
  auto [lst, list] = Call("GET", "/v1/certificates?source=ca", viewer_);
  ASSERT_EQ(lst, 200);
  EXPECT_EQ(list.find("PRIVATE KEY"), std::string::npos);

  const std::string serial = issued["serial"];
  auto [rst, rbody] = Call("POST", "/v1/certificates/revoke", operator_,
                           R"({"serial":")" + serial + R"(","reason":"keyCompromise"})");
  ASSERT_EQ(rst, 200) << rbody;
  auto [cst, crl] = Call("GET", "/v1/ca/crl", "");
  ASSERT_EQ(cst, 200);
  std::string crl_file = dir_.WriteFile("crl.pem", crl);
  auto [crc, crl_text] = RunCommand(
      {"/usr/bin/openssl", "crl", "-in", crl_file, "-noout", "-text", "-CAfile", inter, "-verify"});
  EXPECT_EQ(crc, 0) << crl_text;
  EXPECT_NE(crl_text.find(serial), std::string::npos) << crl_text;

  // OCSP over HTTP POST, the request made and the answer checked by openssl.
  std::string req = dir_.Path("ocsp.req");
  auto [qrc, qout] = RunCommand(
      {"/usr/bin/openssl", "ocsp", "-issuer", inter, "-cert", leaf, "-reqout", req, "-no_nonce"});
  ASSERT_EQ(qrc, 0) << qout;
  std::string resp = dir_.Path("ocsp.resp");
  auto [orc, ocode] = RunCommand(
      {"/usr/bin/curl", "-s", "-o", resp, "-w", "%{http_code}", "--cacert", bundle_, "-H",
       "Content-Type: application/ocsp-request", "--data-binary", "@" + req, url_ + "/v1/ca/ocsp"});
  ASSERT_EQ(ocode, "200");
  auto [arc, answer] = RunCommand({"/usr/bin/openssl", "ocsp", "-respin", resp, "-issuer", inter,
                                   "-cert", leaf, "-CAfile", bundle_, "-no_nonce"});
  EXPECT_NE(answer.find(": revoked"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Response verify OK"), std::string::npos) << answer;
}

TEST_F(CaApiTest, RolesAndBadInputWriteNothing) {
  const size_t before = CertificateCount();
  const std::string good = R"({"profile":"server","dns":["x.svc.internal"]})";
  EXPECT_EQ(Call("POST", "/v1/certificates/issue", "", good).first, 401);
  EXPECT_EQ(Call("POST", "/v1/certificates/issue", viewer_, good).first, 403);
  for (const char* bad :
       {"not json", R"({"profile":"nope","dns":["a.b"]})",
        R"({"profile":"server","dns":["a.b"],"ttl":"400d"})",
        R"({"profile":"server","dns":["bad name!"]})", R"({"profile":"server","dns":"a.b"})"}) {
    auto [st, body] = Call("POST", "/v1/certificates/issue", operator_, bad);
    EXPECT_TRUE(st == 400 || st == 404 || st == 403) << bad << " → " << st << " " << body;
    EXPECT_NE(body.find("\"detail\""), std::string::npos) << body;
  }
  auto [gst, gbody] = Call(
      "POST", "/v1/certificates/sign", operator_,
      R"({"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"})");
  EXPECT_EQ(gst, 400) << gbody;
  EXPECT_EQ(CertificateCount(), before);
  EXPECT_EQ(Call("POST", "/v1/certificates/revoke", operator_, R"({"serial":"0BADC0DE"})").first,
            404);
}

TEST_F(CaApiTest, SignCsrAndPage) {
  std::string key = dir_.Path("k.pem");
  std::string csr = dir_.Path("r.csr");
  auto [rc, out] =
      RunCommand({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj",
                  "/CN=svc.internal", "-addext", "subjectAltName=DNS:svc.internal"});
  ASSERT_EQ(rc, 0) << out;
  nlohmann::json req = {{"csr", dir_.ReadFile("r.csr")}, {"profile", "server"}};
  for (int i = 0; i < 3; ++i) {
    auto [st, body] = Call("POST", "/v1/certificates/sign", operator_, req.dump());
    ASSERT_EQ(st, 201) << body;
  }
  auto [p1, page1] = Call("GET", "/v1/certificates?limit=2", viewer_);
  ASSERT_EQ(p1, 200);
  auto j1 = nlohmann::json::parse(page1);
  ASSERT_EQ(j1["certificates"].size(), 2u);
  ASSERT_FALSE(j1["next_after_id"].is_null());
  auto [p2, page2] = Call(
      "GET",
      "/v1/certificates?limit=2&after_id=" + std::to_string(j1["next_after_id"].get<int64_t>()),
      viewer_);
  ASSERT_EQ(p2, 200) << page2;
  auto j2 = nlohmann::json::parse(page2);
  EXPECT_GE(j2["certificates"].size(), 1u);
  EXPECT_NE(j2["certificates"][0]["id"], j1["certificates"][0]["id"]);
}

}  // namespace
}  // namespace ck
