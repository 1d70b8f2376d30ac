// `certkeeper inspect HOST:PORT` against a real `openssl s_server` on loopback, serving chains
// minted by TestCa: good, expired, unknown CA, wrong host; plus file targets and --json.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/testing/child_process.hpp"
#include "tests/testing/ports.hpp"
#include "tests/testing/temp_dir.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck {
namespace {

using ck::testing::CaSpec;
using ck::testing::CertSpec;
using ck::testing::IssuedCert;
using ck::testing::RunCommand;
using ck::testing::TempDir;
using ck::testing::TestCa;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

class InspectE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // CAs valid since 2020 so that --at can move the check time back into 2024.
    CertSpec root_spec = CaSpec("E2E Root CA");
    root_spec.not_before = ck::testing::UtcTime(2020, 1, 1);
    CertSpec inter_spec = CaSpec("E2E Intermediate CA");
    inter_spec.not_before = ck::testing::UtcTime(2020, 1, 1);
    auto root = TestCa::CreateRoot(root_spec);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_.emplace(std::move(*root));
    auto inter = root_->CreateIntermediate(inter_spec);
    ASSERT_TRUE(inter.ok()) << inter.status().ToString();
    intermediate_.emplace(std::move(*inter));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
  }

  // Serves `leaf` (with its intermediates) on a fresh port; returns the port.
  uint16_t Serve(const IssuedCert& leaf, const std::string& name) {
    std::string cert = dir_.WriteFile(name + ".pem", leaf.CertPem());
    std::string intermediates;
    for (size_t i = 1; i < leaf.chain.size(); ++i) intermediates += leaf.chain[i].ToPem();
    std::string chain = dir_.WriteFile(name + "-chain.pem", intermediates);
    std::string key = dir_.WriteFile(name + ".key", leaf.KeyPem(), 0600);
    uint16_t port = ck::testing::PickFreePort();
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
    auto server = std::make_unique<ck::testing::Subprocess>();
    EXPECT_TRUE(server->Start(argv));
    EXPECT_TRUE(ck::testing::WaitForTcpPort(port, std::chrono::seconds(10)))
        << "s_server did not start: " << server->output();
    servers_.push_back(std::move(server));
    return port;
  }

  IssuedCert Leaf(CertSpec spec) {
    auto leaf = intermediate_->Issue(std::move(spec));
    EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
    return std::move(*leaf);
  }

  static CertSpec LocalhostSpec() {
    CertSpec s;
    s.common_name = "localhost";
    s.dns_names = {"localhost"};
    s.ip_addresses = {"127.0.0.1"};
    return s;
  }

  std::pair<int, nlohmann::json> InspectJson(std::vector<std::string> args) {
    args.insert(args.begin(), {Binary(), "inspect"});
    args.push_back("--json");
    auto [rc, out] = RunCommand(args, {}, std::chrono::seconds(30));
    // stderr is merged: the JSON document is the part from the first '{'.
    auto start = out.find('{');
    auto j =
        nlohmann::json::parse(start == std::string::npos ? "" : out.substr(start), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return {rc, j};
  }

  TempDir dir_;
  std::optional<TestCa> root_;
  std::optional<TestCa> intermediate_;
  std::string root_pem_;
  std::vector<std::unique_ptr<ck::testing::Subprocess>> servers_;
};

TEST_F(InspectE2eTest, GoodChainVerifies) {
  uint16_t port = Serve(Leaf(LocalhostSpec()), "good");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["certificates"].size(), 2u);  // leaf + intermediate as served
  EXPECT_TRUE(j["verification"]["ok"].get<bool>());
  EXPECT_EQ(j["verification"]["path"].size(), 3u);
  EXPECT_TRUE(j["hostname"]["match"].get<bool>());
  EXPECT_EQ(j["tls"]["sni"], "localhost");
  std::string proto = j["tls"]["protocol"];
  EXPECT_TRUE(proto == "TLSv1.3" || proto == "TLSv1.2") << proto;
  EXPECT_GT(j["certificates"][0]["days_left"].get<double>(), 80);

  // Human output says the same in words.
  auto [rc2, text] =
      RunCommand({Binary(), "inspect", "localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc2, 0) << text;
  EXPECT_NE(text.find("verified against the given --ca"), std::string::npos) << text;
  EXPECT_NE(text.find("OK"), std::string::npos);
}

TEST_F(InspectE2eTest, ExpiredCertificateIsAProblemWithTheDate) {
  CertSpec spec = LocalhostSpec();
  spec.not_before = ck::testing::UtcTime(2024, 1, 1);
  spec.not_after = ck::testing::UtcTime(2024, 2, 1);
  uint16_t port = Serve(Leaf(spec), "expired");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_FALSE(j["ok"].get<bool>());
  ASSERT_FALSE(j["problems"].empty());
  std::string problem = j["problems"][0];
  EXPECT_NE(problem.find("expired at 2024-02-01T00:00:00Z"), std::string::npos) << problem;
  EXPECT_EQ(j["verification"]["reason"], "expired");
  EXPECT_LT(j["certificates"][0]["days_left"].get<double>(), 0);

  // --at inside the validity window: the same chain is fine then.
  auto [rc_then, j_then] = InspectJson(
      {"localhost:" + std::to_string(port), "--ca", root_pem_, "--at", "2024-01-15T00:00:00Z"});
  EXPECT_EQ(rc_then, 0) << j_then.dump(2);
}

TEST_F(InspectE2eTest, NotYetValidMentionsClockSkew) {
  CertSpec spec = LocalhostSpec();
  spec.not_before = std::chrono::system_clock::now() + std::chrono::hours(48);
  spec.not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 90);
  uint16_t port = Serve(Leaf(spec), "future");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc, 1);
  std::string problem = j["problems"][0];
  EXPECT_NE(problem.find("not valid until"), std::string::npos) << problem;
  EXPECT_NE(problem.find("clock"), std::string::npos) << problem;
}

TEST_F(InspectE2eTest, UnknownAuthorityNamesTheMissingIssuer) {
  auto other_root = TestCa::CreateRoot(CaSpec("Some Other Root"));
  ASSERT_TRUE(other_root.ok());
  std::string other_pem = dir_.WriteFile("other.pem", other_root->cert().ToPem());
  uint16_t port = Serve(Leaf(LocalhostSpec()), "unknown");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", other_pem});
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_EQ(j["verification"]["reason"], "unknown_issuer");
  EXPECT_NE(j["verification"]["missing_issuer"].get<std::string>().find("E2E Root CA"),
            std::string::npos)
      << j["verification"].dump(2);
  // Without --ca the system trust store is used, and our test root is not in it either.
  auto [rc_sys, j_sys] = InspectJson({"localhost:" + std::to_string(port)});
  EXPECT_EQ(rc_sys, 1);
  EXPECT_EQ(j_sys["verification"]["against"], "the system trust store");
}

TEST_F(InspectE2eTest, WrongHostnameListsWhatTheCertificateCovers) {
  CertSpec spec;
  spec.common_name = "api.internal";
  spec.dns_names = {"api.internal"};
  uint16_t port = Serve(Leaf(spec), "wronghost");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_FALSE(j["hostname"]["match"].get<bool>());
  std::string problem = j["problems"][0];
  EXPECT_NE(problem.find("'localhost' does not match"), std::string::npos) << problem;
  EXPECT_NE(problem.find("DNS:api.internal"), std::string::npos) << problem;
  // Asking for the right name via SNI (and so the hostname check) passes.
  auto [rc_ok, j_ok] = InspectJson(
      {"127.0.0.1:" + std::to_string(port), "--ca", root_pem_, "--sni", "api.internal"});
  EXPECT_EQ(rc_ok, 0) << j_ok.dump(2);
}

TEST_F(InspectE2eTest, MissingIntermediateIsNamed) {
  IssuedCert leaf = Leaf(LocalhostSpec());
  leaf.chain.erase(leaf.chain.begin() + 1, leaf.chain.end());  // sends only its own cert
  uint16_t port = Serve(leaf, "nointermediate");
  auto [rc, j] = InspectJson({"localhost:" + std::to_string(port), "--ca", root_pem_});
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_EQ(j["verification"]["reason"], "unknown_issuer");
  EXPECT_NE(j["verification"]["missing_issuer"].get<std::string>().find("E2E Intermediate CA"),
            std::string::npos)
      << j["verification"].dump(2);
}

TEST_F(InspectE2eTest, ClosedPortIsUnavailableNotAProblem) {
  uint16_t port = ck::testing::PickFreePort();
  auto [rc, out] = RunCommand({Binary(), "inspect", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << out;
}

TEST_F(InspectE2eTest, FilesCertKeyCsrAndMismatch) {
  IssuedCert leaf = Leaf(LocalhostSpec());
  std::string chain = dir_.WriteFile("chain.pem", leaf.ChainPem());
  auto [rc, j] = InspectJson({chain, "--ca", root_pem_, "--host", "localhost"});
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_TRUE(j["verification"]["ok"].get<bool>());

  // A combined HAProxy-style file whose key belongs to another certificate.
  IssuedCert other = Leaf(LocalhostSpec());
  std::string combined = dir_.WriteFile("combined.pem", leaf.CertPem() + other.KeyPem(), 0600);
  auto [rc_mix, j_mix] = InspectJson({combined});
  EXPECT_EQ(rc_mix, 1) << j_mix.dump(2);
  EXPECT_FALSE(j_mix["key_matches_certificate"].get<bool>());

  // A key file: type and pin, never the key material.
  std::string key = dir_.WriteFile("leaf.key", leaf.KeyPem(), 0600);
  auto [rc_key, text] = RunCommand({Binary(), "inspect", key});
  EXPECT_EQ(rc_key, 0) << text;
  EXPECT_NE(text.find("ECDSA P-256"), std::string::npos) << text;
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos) << text;
  EXPECT_NE(text.find(leaf.key.SpkiSha256Pin()), std::string::npos);

  // Garbage: a clear error, exit 2, no crash.
  std::string junk = dir_.WriteFile("junk.pem",
                                    "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                    "-----END CERTIFICATE-----\n");
  auto [rc_junk, out_junk] = RunCommand({Binary(), "inspect", junk});
  EXPECT_EQ(rc_junk, 2) << out_junk;
  EXPECT_NE(out_junk.find("junk.pem"), std::string::npos) << out_junk;
}

}  // namespace
}  // namespace ck
