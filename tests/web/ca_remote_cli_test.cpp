// `certkeeper ca issue|sign|revoke|ls|chain|crl --server URL`: the real binary through a real
// AdminServer over HTTPS to a fake CA backend (certificates minted by a test CA), checking the
// request the API received and the files/outputs the CLI produced.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "pki/csr.hpp"
#include "pki/key.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"
#include "tests/web/fake_lifecycle_backend.hpp"
#include "tests/web/tls_test_server.hpp"

namespace ck::web {
namespace {

using nlohmann::json;
using testing::RunCommand;

constexpr const char* kCrlPem = "-----BEGIN X509 CRL-----\nMAAA\n-----END X509 CRL-----\n";

class FakeCaBackend : public FakeLifecycleBackend {
 public:
  FakeCaBackend() {
    auto root = testing::TestCa::CreateRoot(testing::CaSpec("Remote CLI Root"));
    if (root.ok()) ca.emplace(std::move(*root));
  }
  Result<std::string> CaChainPem() override { return ca->cert().ToPem(); }
  Result<std::string> CurrentCrlPem() override { return std::string(kCrlPem); }
  Result<IssuedBundle> IssueWithKey(const IssueRequest& req) override {
    last_issue = req;
    testing::CertSpec spec;
    spec.common_name = req.dns.empty() ? "x" : req.dns.front();
    spec.dns_names = req.dns;
    auto leaf = ca->Issue(spec);
    if (!leaf.ok()) return leaf.status();
    return IssuedBundle{leaf->cert.SerialHex(), leaf->cert.NotAfter(), leaf->CertPem(),
                        ca->cert().ToPem(), leaf->KeyPem()};
  }
  Result<IssuedBundle> SignCsr(const std::string& csr_pem, const IssueRequest& req) override {
    last_csr = csr_pem;
    last_issue = req;
    auto leaf = ca->Issue(testing::CertSpec{});
    if (!leaf.ok()) return leaf.status();
    return IssuedBundle{leaf->cert.SerialHex(), leaf->cert.NotAfter(), leaf->CertPem(),
                        ca->cert().ToPem(), ""};
  }
  Status Revoke(const std::string& serial, const std::string& reason) override {
    if (serial != "0abc") return NotFoundError("no certificate with serial " + serial);
    revoked.emplace_back(serial, reason);
    return OkStatus();
  }
  Result<std::vector<CertificateView>> ListCertificates(const CertificateFilter& f) override {
    last_filter = f;
    std::vector<CertificateView> out;
    for (const auto& c : certificates) {
      if (c.id > f.after_id && static_cast<int>(out.size()) < f.limit) out.push_back(c);
    }
    return out;
  }

  std::optional<testing::TestCa> ca;
  IssueRequest last_issue;
  std::string last_csr;
  std::vector<std::pair<std::string, std::string>> revoked;
  CertificateFilter last_filter;
  std::vector<CertificateView> certificates;
};

class CaRemoteCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(backend_.ca.has_value());
    const TimePoint now = SystemClock().Now();
    backend_.certificates = {{1,
                              "svc-a",
                              "ca",
                              "Test Intermediate",
                              "01aa",
                              {"DNS:a.internal"},
                              now,
                              now + std::chrono::hours(24),
                              "valid",
                              ""},
                             {2,
                              "svc-b",
                              "ca",
                              "Test Intermediate",
                              "02bb",
                              {"DNS:b.internal"},
                              now,
                              now + std::chrono::hours(24),
                              "revoked",
                              ""}};
    server_ = std::make_unique<TlsTestServer>(backend_);
    ASSERT_TRUE(server_->ok()) << server_->error();
    config_ = dir_.WriteFile("empty.toml", "");
  }

  std::pair<int, std::string> Run(std::vector<std::string> args,
                                  const std::string& token = "operator-token") {
    args.insert(args.begin(), {testing::CertkeeperBinary(), "ca"});
    args.insert(args.end(), {"--config", config_, "--state-dir", dir_.Path("nostate"), "--server",
                             server_->url(), "--cacert", server_->root_pem_path()});
    if (!token.empty()) args.insert(args.end(), {"--token", token});
    return RunCommand(args);
  }

  FakeCaBackend backend_;
  std::unique_ptr<TlsTestServer> server_;
  testing::TempDir dir_;
  std::string config_;
};

TEST_F(CaRemoteCliTest, IssueWritesTheFourFiles) {
  std::string out = dir_.Path("issued");
  auto [rc, output] =
      Run({"issue", "--profile", "client", "--dns", "a.svc.internal", "--dns", "b.svc.internal",
           "--uri", "spiffe://td/x", "--ttl", "1h", "--out", out});
  ASSERT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("issued serial"), std::string::npos) << output;
  EXPECT_EQ(backend_.last_issue.profile, "client");
  EXPECT_EQ(backend_.last_issue.dns,
            (std::vector<std::string>{"a.svc.internal", "b.svc.internal"}));
  EXPECT_EQ(backend_.last_issue.uri, std::vector<std::string>{"spiffe://td/x"});
  EXPECT_EQ(backend_.last_issue.ttl, std::chrono::seconds(3600));
  std::string cert = dir_.ReadFile("issued/cert.pem");
  std::string chain = dir_.ReadFile("issued/chain.pem");
  EXPECT_NE(cert.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(chain, backend_.ca->cert().ToPem());
  EXPECT_EQ(dir_.ReadFile("issued/fullchain.pem"), cert + chain);
  EXPECT_NE(dir_.ReadFile("issued/privkey.pem").find("PRIVATE KEY"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(dir_.Path("issued/privkey.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The same command as a viewer: refused, nothing written.
  auto [rc_v, out_v] =
      Run({"issue", "--dns", "c.internal", "--out", dir_.Path("nope")}, "viewer-token");
  EXPECT_EQ(rc_v, 5) << out_v;
  EXPECT_NE(out_v.find("lacks the operator or admin role"), std::string::npos) << out_v;
  EXPECT_TRUE(dir_.ReadFile("nope/cert.pem").empty());
  // Flags only the local store can honour.
  auto [rc_cn, out_cn] = Run({"issue", "--dns", "c.internal", "--cn", "x", "--out", out});
  EXPECT_EQ(rc_cn, 2) << out_cn;
}

TEST_F(CaRemoteCliTest, SignSendsTheCsrAsPem) {
  auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
  ASSERT_TRUE(key.ok());
  pki::CsrRequest req;
  req.dns_names = {"csr.internal"};
  auto csr = pki::BuildCsr(req, *key);
  ASSERT_TRUE(csr.ok());
  std::string path = dir_.WriteFile("req.csr", csr->ToPem());
  auto [rc, out] = Run({"sign", path, "--profile", "server", "--name", "from-csr"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(backend_.last_csr, csr->ToPem());
  EXPECT_EQ(backend_.last_issue.name, "from-csr");
  EXPECT_NE(out.find("BEGIN CERTIFICATE"), std::string::npos) << out;
  auto [rc_bad, out_bad] = Run({"sign", dir_.WriteFile("junk.csr", "hello")});
  EXPECT_EQ(rc_bad, 2) << out_bad;
}

TEST_F(CaRemoteCliTest, RevokeLsChainCrl) {
  auto [rc, out] = Run({"revoke", "0abc", "--reason", "keyCompromise"});
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(backend_.revoked.size(), 1u);
  EXPECT_EQ(backend_.revoked[0].second, "keyCompromise");
  auto [rc_nf, out_nf] = Run({"revoke", "dead"});
  EXPECT_EQ(rc_nf, 2) << out_nf;
  EXPECT_NE(out_nf.find("no certificate with serial dead"), std::string::npos) << out_nf;

  auto [rc_ls, out_ls] = Run({"ls"}, "viewer-token");
  ASSERT_EQ(rc_ls, 0) << out_ls;
  EXPECT_NE(out_ls.find("01aa"), std::string::npos) << out_ls;
  EXPECT_EQ(out_ls.find("02bb"), std::string::npos) << "revoked hidden without --all\n" << out_ls;
  EXPECT_NE(out_ls.find("(1 expired or revoked not shown"), std::string::npos) << out_ls;
  EXPECT_EQ(backend_.last_filter.source, "ca");
  auto [rc_all, out_all] = Run({"ls", "--all", "--json"}, "viewer-token");
  ASSERT_EQ(rc_all, 0) << out_all;
  EXPECT_EQ(json::parse(out_all, nullptr, false)["certificates"].size(), 2u) << out_all;

  // Chain and CRL are open endpoints: no token needed.
  auto [rc_chain, out_chain] = Run({"chain"}, "");
  EXPECT_EQ(rc_chain, 0) << out_chain;
  EXPECT_EQ(out_chain, backend_.ca->cert().ToPem());
  auto [rc_crl, out_crl] = Run({"crl", "--out", dir_.Path("crl.pem")}, "");
  EXPECT_EQ(rc_crl, 0) << out_crl;
  EXPECT_EQ(dir_.ReadFile("crl.pem"), kCrlPem);
}

}  // namespace
}  // namespace ck::web
